// The ClientHello callback against real clients on 127.0.0.1: openssl s_client told exactly what
// to offer (-servername, -alpn, -groups, -sigalgs, -ciphersuites, -cipher, -sess_in), Python's
// ssl client and gnutls-cli. What the callback saw must be what the client was told to offer; a
// refusal must reach the client as the chosen alert; a switch by the offered signature
// algorithms must let an RSA-only client in.
#include <gtest/gtest.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/client_hello.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::OpensslClientOptions;
using tls::test::TestPki;
using tls::test::feature::server_context;

const TestPki& pki() {
    return TestPki::get();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

// What the callback saw of each ClientHello, copied out under a lock (it runs on the server's
// thread).
struct Seen {
    std::mutex mutex;
    int calls = 0;
    std::optional<std::string> server_name;
    std::vector<std::string> alpn, versions, groups, key_shares, ciphers, sigalgs;
    bool resumption = false;

    tls::ClientHelloCallback recorder(std::optional<tls::AlertDescription> answer = {}) {
        return [this, answer](tls::ClientHello& hello) {
            std::lock_guard<std::mutex> lock(mutex);
            ++calls;
            server_name = hello.server_name();
            alpn = hello.alpn_protocols();
            versions = hello.supported_versions();
            groups = hello.groups();
            key_shares = hello.key_shares();
            ciphers = hello.cipher_suites();
            sigalgs = hello.signature_algorithms();
            resumption = hello.offers_resumption();
            return answer;
        };
    }
};

// A tlsctx server answering one line with "pong" on each of `count` connections.
tls::test::feature::ConnectionServer pong_server(tls::Listener& listener, std::size_t count = 1) {
    return tls::test::feature::ConnectionServer(listener, count, [](std::size_t, tls::Socket& s) {
        (void)tls::test::feature::read_until(s);
        s.sendall("pong\n");
    });
}

tls::test::OpensslClientResult s_client(std::uint16_t port, std::vector<std::string> args) {
    OpensslClientOptions options;
    options.port = port;
    options.cafile = pki().ca_cert();
    options.input = "ping\n";
    options.extra_args = std::move(args);
    return tls::test::run_openssl_client(options);
}

TEST(ClientHelloInterop, CallbackSeesWhatOpensslClientWasToldToOffer) {
    tls::Context server = server_context();
    // Without this, OpenSSL 3.5's server prefers x25519 enough to ask for it (HelloRetryRequest).
    server.set_groups("secp384r1:x25519");
    Seen seen;
    server.set_client_hello_callback(seen.recorder());
    tls::Listener listener(server, "127.0.0.1", 0);
    auto thread = pong_server(listener);
    const auto run = s_client(
        listener.port(), {"-alpn", "h2,x-tlsctx/1", "-groups", "secp384r1:x25519", "-sigalgs",
                          "ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:ed25519", "-ciphersuites",
                          "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", "-cipher",
                          "ECDHE-ECDSA-AES256-GCM-SHA384"});
    EXPECT_FALSE(thread.join().at(0)) << tls::test::describe(thread.join().at(0));
    EXPECT_TRUE(contains(run.process.out, "pong")) << run.process.out << run.process.err;

    std::lock_guard<std::mutex> lock(seen.mutex);
    EXPECT_EQ(seen.calls, 1);
    EXPECT_EQ(seen.server_name, std::optional<std::string>("localhost"));
    EXPECT_EQ(seen.alpn, (std::vector<std::string>{"h2", "x-tlsctx/1"}));
    // s_client also lists the versions its security level refuses later (TLSv1.1, TLSv1).
    ASSERT_GE(seen.versions.size(), 2U);
    EXPECT_EQ(std::vector<std::string>(seen.versions.begin(), seen.versions.begin() + 2),
              (std::vector<std::string>{"TLSv1.3", "TLSv1.2"}));
    EXPECT_EQ(seen.groups, (std::vector<std::string>{"secp384r1", "x25519"}));
    EXPECT_EQ(seen.key_shares, (std::vector<std::string>{"secp384r1"}));
    ASSERT_GE(seen.ciphers.size(), 3U);
    EXPECT_EQ(std::vector<std::string>(seen.ciphers.begin(), seen.ciphers.begin() + 3),
              (std::vector<std::string>{"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                        "ECDHE-ECDSA-AES256-GCM-SHA384"}));
    EXPECT_EQ(seen.sigalgs, (std::vector<std::string>{"ecdsa_secp256r1_sha256",
                                                      "rsa_pss_rsae_sha256", "ed25519"}));
    EXPECT_FALSE(seen.resumption);
}

TEST(ClientHelloInterop, TlsOnePointTwoOnlyOpensslClient) {
    tls::Context server = server_context();
    Seen seen;
    server.set_client_hello_callback(seen.recorder());
    tls::Listener listener(server, "127.0.0.1", 0);
    auto thread = pong_server(listener);
    const auto run = s_client(listener.port(), {"-tls1_2"});
    EXPECT_FALSE(thread.join().at(0)) << tls::test::describe(thread.join().at(0));
    EXPECT_EQ(run.protocol, std::optional<std::string>("TLSv1.2")) << run.process.out;
    std::lock_guard<std::mutex> lock(seen.mutex);
    EXPECT_EQ(seen.server_name, std::optional<std::string>("localhost"));
    EXPECT_EQ(seen.versions, (std::vector<std::string>{"TLSv1.2"}));
    EXPECT_TRUE(seen.key_shares.empty());
    EXPECT_FALSE(seen.ciphers.empty());
    EXPECT_FALSE(has(seen.ciphers, "TLS_AES_256_GCM_SHA384"));
}

TEST(ClientHelloInterop, OpensslClientResumingWithSessInOffersResumption) {
    for (const char* version : {"-tls1_3", "-tls1_2"}) {
        SCOPED_TRACE(version);
        tls::test::feature::TempDir dir;
        const std::string session_file = dir.path("session.pem");
        tls::Context server = server_context();
        Seen seen;
        server.set_client_hello_callback(seen.recorder());
        tls::Listener listener(server, "127.0.0.1", 0);
        auto thread = pong_server(listener, 2);
        const auto first = s_client(listener.port(), {version, "-sess_out", session_file});
        EXPECT_TRUE(contains(first.process.out, "pong")) << first.process.out;
        {
            std::lock_guard<std::mutex> lock(seen.mutex);
            EXPECT_FALSE(seen.resumption);
        }
        const auto second = s_client(listener.port(), {version, "-sess_in", session_file});
        EXPECT_TRUE(contains(second.process.out, "Reused,")) << second.process.out;
        for (const std::exception_ptr& e : thread.join()) {
            EXPECT_FALSE(e) << tls::test::describe(e);
        }
        std::lock_guard<std::mutex> lock(seen.mutex);
        EXPECT_EQ(seen.calls, 2);
        EXPECT_TRUE(seen.resumption);
    }
}

TEST(ClientHelloInterop, RefusalReachesOpensslClientAsTheChosenAlert) {
    tls::Context server = server_context();
    Seen seen;
    server.set_client_hello_callback(
        seen.recorder(tls::AlertDescription::ALERT_DESCRIPTION_ACCESS_DENIED));
    tls::Listener listener(server, "127.0.0.1", 0);
    auto thread = pong_server(listener);
    const auto run = s_client(listener.port(), {});
    const std::exception_ptr error = thread.join().at(0);
    ASSERT_TRUE(error);
    try {
        std::rethrow_exception(error);
    } catch (const tls::SSLError& e) {
        EXPECT_NE(std::string(e.what()).find("ClientHello callback refused"), std::string::npos)
            << e.what();
    }
    // s_client: "...:tlsv1 alert access denied:..." (SSL alert number 49).
    EXPECT_TRUE(contains(run.process.err, "alert access denied")) << run.process.err;
    EXPECT_FALSE(contains(run.process.out, "pong"));
}

TEST(ClientHelloInterop, SwitchBySignatureAlgorithmsLetsRsaOnlyClientIn) {
    tls::Context ecdsa = server_context(pki().localhost());
    tls::Context rsa = server_context(pki().localhost_rsa());
    ecdsa.set_client_hello_callback([&](tls::ClientHello& hello) {
        const std::vector<std::string> sigalgs = hello.signature_algorithms();
        if (!has(sigalgs, "ecdsa_secp256r1_sha256")) {
            hello.set_context(rsa);
        }
        return std::optional<tls::AlertDescription>();
    });
    for (const char* sigalgs : {"rsa_pss_rsae_sha256", "ecdsa_secp256r1_sha256"}) {
        SCOPED_TRACE(sigalgs);
        tls::Listener listener(ecdsa, "127.0.0.1", 0);
        void* used = nullptr;
        tls::test::feature::ConnectionServer thread(listener, 1, [&](std::size_t, tls::Socket& s) {
            used = s.context().native_handle();
            (void)tls::test::feature::read_until(s);
            s.sendall("pong\n");
        });
        const auto run = s_client(listener.port(), {"-tls1_3", "-sigalgs", sigalgs});
        EXPECT_FALSE(thread.join().at(0)) << tls::test::describe(thread.join().at(0));
        EXPECT_TRUE(contains(run.process.out, "pong")) << run.process.out << run.process.err;
        EXPECT_EQ(run.verify_code, 0);
        const bool want_rsa = std::string(sigalgs) == "rsa_pss_rsae_sha256";
        EXPECT_EQ(used, want_rsa ? rsa.native_handle() : ecdsa.native_handle());
    }
}

TEST(ClientHelloInterop, CallbackSeesWhatPythonClientOffered) {
    tls::Context server = server_context();
    server.set_alpn_protocols({"b"});
    Seen seen;
    server.set_client_hello_callback(seen.recorder());
    tls::Listener listener(server, "127.0.0.1", 0);
    auto thread = pong_server(listener);
    tls::test::PythonClientOptions options;
    options.port = listener.port();
    options.cafile = pki().ca_cert();
    options.alpn = {"a", "b"};
    const nlohmann::json result = tls::test::run_python_client(options);
    EXPECT_FALSE(thread.join().at(0)) << tls::test::describe(thread.join().at(0));
    EXPECT_EQ(result.value("handshake", ""), "ok") << result.dump();
    std::lock_guard<std::mutex> lock(seen.mutex);
    EXPECT_EQ(seen.server_name, std::optional<std::string>("localhost"));
    EXPECT_EQ(seen.alpn, (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(has(seen.versions, "TLSv1.3") && has(seen.versions, "TLSv1.2"));
    EXPECT_FALSE(seen.key_shares.empty());
    EXPECT_TRUE(has(seen.ciphers, "TLS_AES_256_GCM_SHA384"));
}

TEST(ClientHelloInterop, CallbackSeesWhatGnutlsClientOffered) {
    tls::Context server = server_context();
    Seen seen;
    server.set_client_hello_callback(seen.recorder());
    tls::Listener listener(server, "127.0.0.1", 0);
    auto thread = pong_server(listener);
    tls::test::Subprocess client(
        {"gnutls-cli", "127.0.0.1", "-p", std::to_string(listener.port()), "--sni-hostname",
         "localhost", "--verify-hostname", "localhost", "--x509cafile", pki().ca_cert(), "--alpn",
         "h2", "--alpn", "x-gnutls/1", "--priority",
         "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP256R1:+GROUP-X25519"},
        tls::test::Millis(20000));
    client.write_stdin("ping\n");
    const bool got_pong = client.wait_for_stdout("pong", tls::test::kPeerTimeout);
    client.close_stdin();
    const tls::test::ProcessResult r = client.wait();
    EXPECT_TRUE(got_pong) << r.out << r.err;
    EXPECT_FALSE(thread.join().at(0)) << tls::test::describe(thread.join().at(0));
    std::lock_guard<std::mutex> lock(seen.mutex);
    EXPECT_EQ(seen.server_name, std::optional<std::string>("localhost"));
    EXPECT_EQ(seen.alpn, (std::vector<std::string>{"h2", "x-gnutls/1"}));
    EXPECT_EQ(seen.versions, (std::vector<std::string>{"TLSv1.3"}));
    EXPECT_EQ(seen.groups, (std::vector<std::string>{"secp256r1", "x25519"}));
    EXPECT_FALSE(seen.key_shares.empty());
    EXPECT_TRUE(has(seen.ciphers, "TLS_AES_128_GCM_SHA256"));
}

}  // namespace
