// tls::VerifiedChainCache in real handshakes: a tlsctx client reconnecting (full handshakes) to
// `openssl s_server` serving the test PKI's chain. The second and later connections are answered
// from the cache and look exactly like the first; every change that can alter the verdict
// (trust anchors, verification time, a verify callback) makes the next one verify in full.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::TestPki;
using tls::test::feature::connect_loopback;

struct Seen {
    std::optional<tls::CertificateInfo> peer;
    std::vector<tls::Bytes> verified_chain;
};

// One full handshake with a fresh s_server serving `served` (default: localhost) with its
// intermediate, and what the client saw.
Seen connect_once(const tls::Context& client,
                  const tls::test::CertFiles& served = TestPki::get().localhost()) {
    OpensslServerOptions options;
    options.cert = served.cert;
    options.key = served.key;
    options.cert_chain = TestPki::get().intermediate_cert();
    OpensslServer server(options);
    Seen seen;
    {
        tls::Socket socket = connect_loopback(client, server.port(), "localhost");
        EXPECT_NE(tls::test::fetch_status_page(socket).find("Protocol"), std::string::npos);
        EXPECT_FALSE(socket.session_reused());
        seen.peer = socket.getpeercert();
        seen.verified_chain = socket.get_verified_chain();
    }
    server.finish();
    return seen;
}

tls::Context caching_client(const tls::VerifiedChainCache& cache) {
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(TestPki::get().ca_cert());
    client.set_verified_chain_cache(cache);
    return client;
}

TEST(VerifiedChainCacheInterop, RepeatHandshakesAreAnsweredFromTheCacheAndLookTheSame) {
    tls::VerifiedChainCache cache;
    const tls::Context client = caching_client(cache);
    ASSERT_TRUE(client.verified_chain_cache().has_value());

    const Seen first = connect_once(client);
    EXPECT_EQ(cache.stats().misses, 1U);
    EXPECT_EQ(cache.stats().hits, 0U);
    EXPECT_EQ(cache.stats().entries, 1U);
    ASSERT_EQ(first.verified_chain.size(), 3U);  // leaf, intermediate, root

    for (int i = 0; i < 2; ++i) {
        const Seen again = connect_once(client);
        EXPECT_EQ(again.peer, first.peer);
        EXPECT_EQ(again.verified_chain, first.verified_chain);
    }
    EXPECT_EQ(cache.stats().hits, 2U);
    EXPECT_EQ(cache.stats().misses, 1U);

    // An uncached client sees the very same.
    tls::Context plain(tls::PROTOCOL_TLS_CLIENT);
    plain.load_verify_locations(TestPki::get().ca_cert());
    const Seen uncached = connect_once(plain);
    EXPECT_EQ(uncached.peer, first.peer);
    EXPECT_EQ(uncached.verified_chain, first.verified_chain);
}

TEST(VerifiedChainCacheInterop, ChangedTrustIsNeverAnsweredFromTheCache) {
    tls::VerifiedChainCache cache;
    tls::Context client = caching_client(cache);
    connect_once(client);
    connect_once(client);
    ASSERT_EQ(cache.stats().hits, 1U);

    // Adding an anchor changes the store: the next verification runs in full (and passes).
    client.load_verify_locations(TestPki::get().other_ca_cert());
    connect_once(client);
    EXPECT_EQ(cache.stats().hits, 1U);
    EXPECT_EQ(cache.stats().misses, 2U);

    // Replacing the anchors with one that did not issue the chain: refused, not a stale hit.
    client.reload_verify_locations(TestPki::get().other_ca_cert());
    EXPECT_THROW(connect_once(client), tls::SSLCertVerificationError);
    EXPECT_EQ(cache.stats().hits, 1U);
}

TEST(VerifiedChainCacheInterop, AVerificationTimePastNotAfterIsRefused) {
    tls::VerifiedChainCache cache;
    tls::Context client = caching_client(cache);
    connect_once(client);
    connect_once(client);
    ASSERT_EQ(cache.stats().hits, 1U);
    // Ten years on, every certificate of the test PKI has expired.
    client.dangerous().verify_at_time(std::chrono::system_clock::now() +
                                      std::chrono::hours(24 * 3650));
    try {
        connect_once(client);
        ADD_FAILURE() << "an expired chain was accepted";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), 10) << e.what();  // X509_V_ERR_CERT_HAS_EXPIRED
    }
    EXPECT_EQ(cache.stats().hits, 1U);
}

TEST(VerifiedChainCacheInterop, AnAddedCrlIsHonouredAfterTheChainWasCached) {
    tls::VerifiedChainCache cache;
    tls::Context client = caching_client(cache);
    connect_once(client, TestPki::get().revoked());
    connect_once(client, TestPki::get().revoked());
    ASSERT_EQ(cache.stats().hits, 1U);
    // The intermediate's CRL revokes this leaf: once loaded and checked, no stale hit.
    client.load_verify_locations(TestPki::get().crl());
    client.set_verify_flags(client.verify_flags() | tls::VERIFY_CRL_CHECK_LEAF);
    try {
        connect_once(client, TestPki::get().revoked());
        ADD_FAILURE() << "a revoked leaf was accepted";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), 23) << e.what();  // X509_V_ERR_CERT_REVOKED
    }
    EXPECT_EQ(cache.stats().hits, 1U);
    // Loaded but not checked: the CRL changed the trust, so the verdict is reached in full again.
    tls::Context unchecked = caching_client(cache);
    connect_once(unchecked, TestPki::get().revoked());
    unchecked.load_verify_locations(TestPki::get().crl());
    const auto misses = cache.stats().misses;
    connect_once(unchecked, TestPki::get().revoked());
    EXPECT_EQ(cache.stats().misses, misses + 1);
}

TEST(VerifiedChainCacheInterop, AVerifyCallbackSeesEveryHandshake) {
    tls::VerifiedChainCache cache;
    tls::Context client = caching_client(cache);
    connect_once(client);
    int calls = 0;
    client.set_verify_callback([&calls](const tls::CertificateCheck&) {
        ++calls;
        return tls::VerifyDecision::keep();
    });
    connect_once(client);
    connect_once(client);
    EXPECT_EQ(calls, 6);  // three certificates, twice
    EXPECT_EQ(cache.stats().hits, 0U);
}

TEST(VerifiedChainCacheInterop, TheWrongHostNameIsNotAnsweredFromTheCache) {
    tls::VerifiedChainCache cache;
    const tls::Context client = caching_client(cache);
    connect_once(client);
    OpensslServerOptions options;
    options.cert = TestPki::get().localhost().cert;
    options.key = TestPki::get().localhost().key;
    options.cert_chain = TestPki::get().intermediate_cert();
    OpensslServer server(options);
    EXPECT_THROW(connect_loopback(client, server.port(), "not-localhost.example"),
                 tls::SSLCertVerificationError);
    server.finish();
    EXPECT_EQ(cache.stats().hits, 0U);
}

}  // namespace
