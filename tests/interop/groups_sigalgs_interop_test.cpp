// Python 3.15's key-exchange and signature names against `openssl s_server` / `s_client` on
// 127.0.0.1: the peer is forced (-groups, -sigalgs, -client_sigalgs, -ciphersuites) or tlsctx
// forces it (set_groups, set_server_sigalgs, set_client_sigalgs, set_ciphersuites), and what
// group(), server_sigalg(), client_sigalg() and cipher() report must be what was forced and,
// where s_client prints it, what s_client saw. Before OpenSSL 3.5 the sigalg getters must throw
// tls::NotImplementedError (HAS_SIGALG_NAMES() is false), and the tests then check that the
// handshake still went as forced through what s_client prints.
#include <gtest/gtest.h>

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::CertFiles;
using tls::test::OpensslClientOptions;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
using tls::test::feature::wrap_loopback;

const TestPki& pki() {
    return TestPki::get();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// "NotImplementedError" when the getter threw that, else its answer ("none" for nullopt).
template <typename Getter>
std::string answer(Getter getter) {
    try {
        const std::optional<std::string> v = getter();
        return v ? *v : "none";
    } catch (const tls::NotImplementedError&) {
        return "NotImplementedError";
    }
}

// What a sigalg getter must answer when the handshake used `sigalg`.
std::string expected_sigalg(const std::string& sigalg) {
    return tls::HAS_SIGALG_NAMES() ? sigalg : "NotImplementedError";
}

using tls::test::fetch_status_page;
using tls::test::serving;

// ---------------------------------------------------------------------------------------------
// tlsctx client -> openssl s_server

TEST(TlsctxClientToOpensslServer, GroupIsTheOneTheServerWasLimitedTo) {
    struct Row {
        const char* version_flag;
        const char* groups;
        const char* expected;
    };
    const Row rows[] = {
        {"-tls1_3", "secp384r1", "secp384r1"},
        {"-tls1_2", "secp384r1", "secp384r1"},
        {"-tls1_3", "P-521", "secp521r1"},
        {"-tls1_3", "ffdhe3072", "ffdhe3072"},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(std::string(row.version_flag) + " " + row.groups);
        OpensslServerOptions options = serving(pki().localhost());
        options.version_flag = row.version_flag;
        options.extra_args = {"-groups", row.groups};
        OpensslServer server(options);
        tls::Socket client = wrap_loopback(client_context(), server.port());
        client.do_handshake();
        EXPECT_EQ(client.group(), row.expected);
        const std::string page = fetch_status_page(client);
        client.close();
        EXPECT_EQ(server.finish().exit_code, 0);
        EXPECT_TRUE(contains(page, "Protocol  : ")) << page;
    }
}

TEST(TlsctxClientToOpensslServer, ServerSigalgIsTheOneTheServerWasLimitedTo) {
    for (const char* sigalg : {"rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512", "rsa_pkcs1_sha384"}) {
        SCOPED_TRACE(sigalg);
        OpensslServerOptions options = serving(pki().localhost_rsa());
        // PKCS#1 v1.5 signatures exist only up to TLS 1.2 handshakes.
        const bool pkcs1 = std::string(sigalg).rfind("rsa_pkcs1", 0) == 0;
        options.version_flag = pkcs1 ? "-tls1_2" : "-tls1_3";
        options.extra_args = {"-sigalgs", sigalg};
        OpensslServer server(options);
        tls::Socket client = wrap_loopback(client_context(), server.port());
        client.do_handshake();
        EXPECT_EQ(answer([&] { return client.server_sigalg(); }), expected_sigalg(sigalg));
        EXPECT_EQ(answer([&] { return client.client_sigalg(); }),
                  tls::HAS_SIGALG_NAMES() ? "none" : "NotImplementedError");
        (void)fetch_status_page(client);
        client.close();
        EXPECT_EQ(server.finish().exit_code, 0);
    }
}

TEST(TlsctxClientToOpensslServer, ClientSigalgIsTheOneTheServerAskedFor) {
    for (const char* sigalg : {"rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"}) {
        SCOPED_TRACE(sigalg);
        OpensslServerOptions options = serving(pki().localhost());
        options.cafile = pki().ca_cert();
        options.client_auth = OpensslServerOptions::ClientAuth::required;
        options.extra_args = {"-client_sigalgs", sigalg};
        OpensslServer server(options);
        const CertFiles client_cert = pki().localhost_rsa();
        tls::Socket client = wrap_loopback(client_context(&client_cert), server.port());
        client.do_handshake();
        EXPECT_EQ(answer([&] { return client.client_sigalg(); }), expected_sigalg(sigalg));
        EXPECT_EQ(answer([&] { return client.server_sigalg(); }),
                  expected_sigalg("ecdsa_secp256r1_sha256"));
        const std::string page = fetch_status_page(client);
        client.close();
        EXPECT_EQ(server.finish().exit_code, 0);
        // s_server verified the certificate the tlsctx client signed with.
        EXPECT_EQ(tls::test::find_line_value(page, "Verify return code: "), "0 (ok)") << page;
    }
}

TEST(TlsctxClientToOpensslServer, Tls13SuiteIsTheOneTheClientLimitedItselfTo) {
    for (const char* suite : {"TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"}) {
        SCOPED_TRACE(suite);
        OpensslServer server(serving(pki().localhost()));
        tls::Context ctx = client_context();
        ctx.set_ciphersuites(suite);
        tls::Socket client = wrap_loopback(ctx, server.port());
        client.do_handshake();
        EXPECT_EQ(client.cipher()->name, suite);
        const std::string page = fetch_status_page(client);
        client.close();
        EXPECT_EQ(server.finish().exit_code, 0);
        EXPECT_EQ(tls::test::find_line_value(page, "Cipher    : "), suite) << page;
    }
}

// ---------------------------------------------------------------------------------------------
// openssl s_client -> tlsctx server

// What the tlsctx server reported about its one connection.
struct Seen {
    std::string group, server_sigalg, client_sigalg, cipher;
    bool peer_cert = false;
};

// A server handler recording the handshake facts, then the ping exchange of s_client's input.
tls::test::ServerThread::Handler recording(Seen& seen) {
    return [&seen](tls::Socket& s) {
        seen.group = answer([&] { return s.group(); });
        seen.server_sigalg = answer([&] { return s.server_sigalg(); });
        seen.client_sigalg = answer([&] { return s.client_sigalg(); });
        seen.cipher = s.cipher()->name;
        seen.peer_cert = s.getpeercert().has_value();
        std::string received;
        while (received.find('\n') == std::string::npos) {
            std::string chunk = s.recv();
            if (chunk.empty()) {
                return;
            }
            received += chunk;
        }
        s.sendall("pong\n");
        tls::test::Fd tcp(s.unwrap());
    };
}

struct SClientRun {
    tls::test::OpensslClientResult client;
    Seen server;
};

SClientRun run_s_client(const tls::Context& server_ctx, const std::vector<std::string>& args,
                        const CertFiles* client_cert = nullptr) {
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    SClientRun run;
    tls::test::ServerThread server =
        tls::test::run_server_in_thread(listener, recording(run.server));
    OpensslClientOptions options;
    options.port = listener.port();
    options.cafile = pki().ca_cert();
    options.input = "ping\n";
    options.extra_args = args;
    if (client_cert != nullptr) {
        options.cert = client_cert->cert;
        options.key = client_cert->key;
        options.cert_chain = pki().intermediate_cert();
    }
    run.client = tls::test::run_openssl_client(options);
    const std::exception_ptr error = server.join();
    EXPECT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(run.client.verify_code, 0) << run.client.process.out;
    EXPECT_TRUE(contains(run.client.process.out, "pong")) << run.client.process.out;
    return run;
}

// The group s_client reports on its temporary-key line: "Server Temp Key: ECDH, secp521r1, 521
// bits" (3.0) or "Peer Temp Key: ..." (3.5); for P-256 the X9.62 name "prime256v1", for
// finite-field groups only "DH, 2048 bits".
std::string s_client_group(const std::string& out) {
    if (auto line = tls::test::find_line_value(out, "Server Temp Key: ")) {
        return *line;
    }
    return tls::test::find_line_value(out, "Peer Temp Key: ").value_or("");
}

TEST(OpensslClientToTlsctxServer, GroupAndServerSigalgAreWhatTheServerWasLimitedTo) {
    tls::Context server = server_context(pki().localhost_rsa());
    server.set_groups("secp521r1");
    server.set_server_sigalgs("rsa_pss_rsae_sha512");
    // Refused lists leave both in force.
    EXPECT_THROW(server.set_groups("secp384r1:not-a-group"), tls::SSLError);
    EXPECT_THROW(server.set_server_sigalgs("rsa_pss_rsae_sha384:not_a_sigalg"), tls::SSLError);
    for (const char* version_flag : {"-tls1_3", "-tls1_2"}) {
        SCOPED_TRACE(version_flag);
        const SClientRun run = run_s_client(server, {version_flag});
        const std::string& out = run.client.process.out;
        EXPECT_EQ(run.server.group, "secp521r1");
        EXPECT_TRUE(contains(s_client_group(out), "secp521r1")) << out;
        EXPECT_EQ(run.server.server_sigalg, expected_sigalg("rsa_pss_rsae_sha512"));
        EXPECT_EQ(run.server.client_sigalg, expected_sigalg("none"));
        EXPECT_EQ(tls::test::find_line_value(out, "Peer signing digest: "), "SHA512") << out;
        EXPECT_TRUE(contains(tls::test::find_line_value(out, "Peer signature type: ").value_or(""),
                             tls::HAS_SIGALG_NAMES() ? "rsa_pss_rsae_sha512" : "RSA-PSS"))
            << out;
    }
}

TEST(OpensslClientToTlsctxServer, GroupAndServerSigalgAreWhatTheClientWasLimitedTo) {
    const tls::Context server = server_context(pki().localhost_rsa());
    struct Row {
        std::vector<std::string> args;
        const char* group;
        const char* temp_key;  // how s_client's temporary-key line names it
        const char* sigalg;
    };
    const Row rows[] = {
        {{"-tls1_3", "-groups", "ffdhe2048", "-sigalgs", "rsa_pss_rsae_sha384"},
         "ffdhe2048",
         "DH, 2048 bits",
         "rsa_pss_rsae_sha384"},
        {{"-tls1_3", "-groups", "secp384r1", "-sigalgs", "rsa_pss_rsae_sha256"},
         "secp384r1",
         "secp384r1",
         "rsa_pss_rsae_sha256"},
        {{"-tls1_2", "-groups", "P-256", "-sigalgs", "RSA+SHA384"},
         "secp256r1",
         "ECDH, prime256v1, 256 bits",
         "rsa_pkcs1_sha384"},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(::testing::PrintToString(row.args));
        const SClientRun run = run_s_client(server, row.args);
        EXPECT_EQ(run.server.group, row.group);
        EXPECT_TRUE(contains(s_client_group(run.client.process.out), row.temp_key))
            << run.client.process.out;
        EXPECT_EQ(run.server.server_sigalg, expected_sigalg(row.sigalg));
    }
}

TEST(OpensslClientToTlsctxServer, ClientSigalgIsTheOneTheServerAskedForAndTheClientAllowed) {
    struct Row {
        const char* server_asks;    // set_client_sigalgs
        const char* client_allows;  // s_client -client_sigalgs, or nullptr
        const char* expected;
    };
    const Row rows[] = {
        {"rsa_pss_rsae_sha384", nullptr, "rsa_pss_rsae_sha384"},
        {"rsa_pss_rsae_sha512:rsa_pss_rsae_sha256", nullptr, "rsa_pss_rsae_sha512"},
        {"rsa_pss_rsae_sha512:rsa_pss_rsae_sha256", "rsa_pss_rsae_sha256", "rsa_pss_rsae_sha256"},
    };
    const CertFiles client_cert = pki().localhost_rsa();
    for (const Row& row : rows) {
        SCOPED_TRACE(std::string(row.server_asks) + " / " +
                     (row.client_allows ? row.client_allows : "-"));
        tls::Context server = server_context(pki().localhost(), tls::CERT_REQUIRED);
        server.set_client_sigalgs(row.server_asks);
        EXPECT_THROW(server.set_client_sigalgs("bogus"), tls::SSLError);
        std::vector<std::string> args = {"-tls1_3"};
        if (row.client_allows != nullptr) {
            args.insert(args.end(), {"-client_sigalgs", row.client_allows});
        }
        const SClientRun run = run_s_client(server, args, &client_cert);
        EXPECT_TRUE(run.server.peer_cert);
        EXPECT_EQ(run.server.client_sigalg, expected_sigalg(row.expected));
        EXPECT_EQ(run.server.server_sigalg, expected_sigalg("ecdsa_secp256r1_sha256"));
    }
}

TEST(OpensslClientToTlsctxServer, Tls13SuiteIsTheOneTheServerWasLimitedTo) {
    tls::Context server = server_context();
    server.set_ciphersuites("TLS_AES_128_GCM_SHA256");
    EXPECT_THROW(server.set_ciphersuites("TLS_NOT_A_SUITE"), tls::SSLError);
    const SClientRun run = run_s_client(server, {"-tls1_3"});
    EXPECT_EQ(run.client.cipher, "TLS_AES_128_GCM_SHA256") << run.client.process.out;
    EXPECT_EQ(run.server.cipher, "TLS_AES_128_GCM_SHA256");
}

}  // namespace
