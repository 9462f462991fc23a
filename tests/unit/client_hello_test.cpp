// The ClientHello callback with tlsctx clients: what it sees equals what the client was told to
// offer, it can switch the connection's context (here by ALPN, to an RSA certificate) before
// OpenSSL chooses anything, refuse with an alert of its choice, and a throwing callback's
// exception comes back from the server's handshake. Object pairs in memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/memory_pair.hpp"
#include "support/test_pki.hpp"
#include "tls/client_hello.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace memory = tls::test::memory;

// Everything a callback saw, copied out (a ClientHello is valid only inside the callback).
struct Seen {
    int calls = 0;
    std::optional<std::string> server_name;
    std::vector<std::string> alpn, versions, groups, key_shares, ciphers, sigalgs;
    bool resumption = false;
    std::vector<int> extensions;
    void* context = nullptr;
};

void record(Seen& seen, const tls::ClientHello& hello) {
    ++seen.calls;
    seen.server_name = hello.server_name();
    seen.alpn = hello.alpn_protocols();
    seen.versions = hello.supported_versions();
    seen.groups = hello.groups();
    seen.key_shares = hello.key_shares();
    seen.ciphers = hello.cipher_suites();
    seen.sigalgs = hello.signature_algorithms();
    seen.resumption = hello.offers_resumption();
    seen.extensions = hello.extension_types();
    seen.context = hello.context().native_handle();
}

bool has(const std::vector<int>& v, int x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(ClientHelloTest, CallbackSeesWhatTheClientOffered) {
    tls::Context server = server_context();
    Seen seen;
    server.set_client_hello_callback([&](tls::ClientHello& hello) {
        record(seen, hello);
        return std::optional<tls::AlertDescription>();
    });
    tls::Context client = client_context();
    client.set_alpn_protocols({"h2", "http/1.1"});
    client.set_groups("x25519:secp384r1");
    client.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256");
    client.set_server_sigalgs("ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:ed25519");

    memory::Pair p = memory::make_pair(client, server);
    ASSERT_FALSE(memory::handshake(p.client, p.server)) << p.client.object.last_error().message;

    EXPECT_EQ(seen.calls, 1);
    EXPECT_EQ(seen.server_name, std::optional<std::string>("localhost"));
    EXPECT_EQ(seen.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
    EXPECT_EQ(seen.versions, (std::vector<std::string>{"TLSv1.3", "TLSv1.2"}));
    EXPECT_EQ(seen.groups, (std::vector<std::string>{"x25519", "secp384r1"}));
    EXPECT_EQ(seen.key_shares, (std::vector<std::string>{"x25519"}));
    // TLS 1.3 suites first, then the TLS 1.2 one, then the renegotiation SCSV OpenSSL adds.
    ASSERT_GE(seen.ciphers.size(), 3U);
    EXPECT_EQ(std::vector<std::string>(seen.ciphers.begin(), seen.ciphers.begin() + 3),
              (std::vector<std::string>{"TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384",
                                        "ECDHE-ECDSA-AES128-GCM-SHA256"}));
    EXPECT_EQ(seen.sigalgs, (std::vector<std::string>{"ecdsa_secp256r1_sha256",
                                                      "rsa_pss_rsae_sha256", "ed25519"}));
    EXPECT_FALSE(seen.resumption);
    // server_name, ALPN, supported_versions, key_share (the order differs between releases).
    EXPECT_TRUE(has(seen.extensions, 0) && has(seen.extensions, 16) && has(seen.extensions, 43) &&
                has(seen.extensions, 51))
        << ::testing::PrintToString(seen.extensions);
    std::vector<int> sorted = seen.extensions;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
    EXPECT_EQ(seen.context, server.native_handle());
    // What the handshake then chose is among what the callback saw.
    EXPECT_EQ(p.server.object.group(), std::optional<std::string>("x25519"));
    EXPECT_EQ(p.server.object.selected_alpn_protocol(), std::nullopt);  // server has no ALPN
}

TEST(ClientHelloTest, TlsOnePointTwoClientShowsLegacyVersionAndNoKeyShares) {
    tls::Context server = server_context();
    Seen seen;
    server.set_client_hello_callback([&](tls::ClientHello& hello) {
        record(seen, hello);
        return std::optional<tls::AlertDescription>();
    });
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    memory::Pair p = memory::make_pair(client, server);
    ASSERT_FALSE(memory::handshake(p.client, p.server)) << p.client.object.last_error().message;

    EXPECT_EQ(seen.versions, (std::vector<std::string>{"TLSv1.2"}));
    EXPECT_TRUE(seen.key_shares.empty());
    EXPECT_FALSE(has(seen.extensions, 43));
    EXPECT_EQ(p.server.object.version(), std::optional<std::string>("TLSv1.2"));
}

// The client resumes with what the first connection gave it; `max` pins the version.
void expect_resumption_seen(tls::TLSVersion max) {
    tls::Context server = server_context();
    Seen seen;
    server.set_client_hello_callback([&](tls::ClientHello& hello) {
        record(seen, hello);
        return std::optional<tls::AlertDescription>();
    });
    tls::Context client = client_context();
    client.set_maximum_version(max);

    memory::Pair first = memory::make_pair(client, server);
    ASSERT_FALSE(memory::handshake(first.client, first.server));
    EXPECT_FALSE(seen.resumption);
    memory::send(first.server, first.client, "x");  // carries TLS 1.3's tickets
    tls::Session session = first.client.object.session();
    ASSERT_FALSE(session.empty());

    tls::WrapOptions again = tls::WrapOptions::client("localhost");
    again.session = session;
    memory::Pair second = memory::make_pair(client, server, again);
    ASSERT_FALSE(memory::handshake(second.client, second.server));
    EXPECT_TRUE(second.client.object.session_reused());
    EXPECT_TRUE(seen.resumption);
    EXPECT_EQ(seen.calls, 2);
}

TEST(ClientHelloTest, ResumingClientOffersResumptionInTls13) {
    expect_resumption_seen(tls::TLSVersion::TLSv1_3);
}

TEST(ClientHelloTest, ResumingClientOffersResumptionInTls12) {
    expect_resumption_seen(tls::TLSVersion::TLSv1_2);
}

TEST(ClientHelloTest, SwitchingContextByAlpnServesTheOtherCertificate) {
    const TestPki& pki = TestPki::get();
    tls::Context ecdsa = server_context(pki.localhost());
    tls::Context rsa = server_context(pki.localhost_rsa());
    rsa.set_alpn_protocols({"legacy/1"});
    ecdsa.set_client_hello_callback([&](tls::ClientHello& hello) {
        const std::vector<std::string> alpn = hello.alpn_protocols();
        if (std::find(alpn.begin(), alpn.end(), "legacy/1") != alpn.end()) {
            hello.set_context(rsa);
        }
        return std::optional<tls::AlertDescription>();
    });
    // The SNI callback still runs after the switch and sees the new context.
    void* sni_saw = nullptr;
    ecdsa.set_sni_callback([&](tls::ServerNameRequest& request) {
        sni_saw = request.context().native_handle();
        return std::optional<tls::AlertDescription>();
    });

    tls::Context client = client_context();
    client.set_alpn_protocols({"legacy/1"});
    memory::Pair p = memory::make_pair(client, ecdsa);
    ASSERT_FALSE(memory::handshake(p.client, p.server)) << p.client.object.last_error().message;
    EXPECT_EQ(p.client.object.getpeercert_der(),
              tls::test::feature::der_certificates_of_file(pki.localhost_rsa().cert).at(0));
    EXPECT_EQ(p.client.object.selected_alpn_protocol(), std::optional<std::string>("legacy/1"));
    EXPECT_EQ(p.server.object.context().native_handle(), rsa.native_handle());
    EXPECT_EQ(sni_saw, rsa.native_handle());

    tls::Context plain = client_context();
    memory::Pair q = memory::make_pair(plain, ecdsa);
    ASSERT_FALSE(memory::handshake(q.client, q.server));
    EXPECT_EQ(q.client.object.getpeercert_der(),
              tls::test::feature::der_certificates_of_file(pki.localhost().cert).at(0));
}

TEST(ClientHelloTest, RefusalSendsTheChosenAlert) {
    tls::Context server = server_context();
    server.set_client_hello_callback([](tls::ClientHello&) {
        return std::optional<tls::AlertDescription>(
            tls::AlertDescription::ALERT_DESCRIPTION_ACCESS_DENIED);
    });
    tls::Context client = client_context();
    memory::Pair p = memory::make_pair(client, server);
    memory::HandshakeResult r = memory::do_handshake_until_error(p);
    ASSERT_TRUE(r.client && !memory::is_want(r.client));
    ASSERT_TRUE(r.server && !memory::is_want(r.server));
    try {
        p.client.object.do_handshake();
        FAIL() << "the client handshake succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "TLSV1_ALERT_ACCESS_DENIED");
    }
    EXPECT_NE(p.server.object.last_error().message.find("ClientHello callback refused"),
              std::string::npos)
        << p.server.object.last_error().message;
}

TEST(ClientHelloTest, ExceptionFromCallbackIsRethrownFromServerHandshake) {
    struct Refused : std::runtime_error {
        using std::runtime_error::runtime_error;
    };
    tls::Context server = server_context();
    server.set_client_hello_callback(
        [](tls::ClientHello&) -> std::optional<tls::AlertDescription> { throw Refused("no"); });
    tls::Context client = client_context();
    memory::Pair p = memory::make_pair(client, server);
    std::error_code ec;
    p.client.object.do_handshake(ec);
    ASSERT_EQ(ec, tls::SSLErrc::want_read);
    memory::deliver(p.client, p.server, memory::whole, [] {});
    EXPECT_THROW(p.server.object.do_handshake(), Refused);
    memory::deliver(p.server, p.client, memory::whole, [] {});
    try {
        p.client.object.do_handshake();
        FAIL() << "the client handshake succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "TLSV1_ALERT_INTERNAL_ERROR");
    }
}

TEST(ClientHelloTest, CallbackSetAfterWrappingStillRuns) {
    tls::Context server = server_context();
    tls::Context client = client_context();
    memory::Pair p = memory::make_pair(client, server);
    Seen seen;
    server.set_client_hello_callback([&](tls::ClientHello& hello) {
        record(seen, hello);
        return std::optional<tls::AlertDescription>();
    });
    ASSERT_FALSE(memory::handshake(p.client, p.server));
    EXPECT_EQ(seen.calls, 1);
    server.set_client_hello_callback(nullptr);
    memory::Pair q = memory::make_pair(client, server);
    ASSERT_FALSE(memory::handshake(q.client, q.server));
    EXPECT_EQ(seen.calls, 1);
}

TEST(ClientHelloTest, HelloRetryRequestRunsTheCallbackTwice) {
    tls::Context server = server_context();
    server.set_groups("secp384r1");
    Seen seen;
    std::vector<std::vector<std::string>> shares;
    server.set_client_hello_callback([&](tls::ClientHello& hello) {
        record(seen, hello);
        shares.push_back(hello.key_shares());
        return std::optional<tls::AlertDescription>();
    });
    tls::Context client = client_context();
    client.set_groups("x25519:secp384r1");
    memory::Pair p = memory::make_pair(client, server);
    ASSERT_FALSE(memory::handshake(p.client, p.server)) << p.client.object.last_error().message;
    EXPECT_EQ(shares, (std::vector<std::vector<std::string>>{{"x25519"}, {"secp384r1"}}));
}

}  // namespace
