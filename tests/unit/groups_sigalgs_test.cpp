// Python 3.15's key-exchange and signature names between two tlsctx peers in memory:
// set_ciphersuites, get_groups, group(), get_sigalgs, set_server_sigalgs / set_client_sigalgs
// and client_sigalg() / server_sigalg(). What one end configures must be what both ends report;
// a refused list must leave the previous one in force. Calls that need a newer OpenSSL than the
// linked one must throw tls::NotImplementedError, as their HAS_* flag says.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/memory_pair.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace memory = tls::test::memory;

bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// The TLS 1.3 suites a context would offer, by name, in order.
std::vector<std::string> tls13_suites(const tls::Context& ctx) {
    std::vector<std::string> out;
    for (const tls::CipherInfo& c : ctx.get_ciphers()) {
        if (c.protocol == "TLSv1.3") {
            out.push_back(c.name);
        }
    }
    return out;
}

// A finished in-memory handshake between the two contexts (a test failure if it does not end).
memory::Pair connected(const tls::Context& client, const tls::Context& server) {
    memory::Pair p = memory::make_pair(client, server);
    const std::error_code ec = memory::handshake(p.client, p.server);
    EXPECT_FALSE(ec) << ec.message() << " / client: " << p.client.object.last_error().message
                     << " / server: " << p.server.object.last_error().message;
    return p;
}

std::error_code failed_handshake(const tls::Context& client, const tls::Context& server) {
    memory::Pair p = memory::make_pair(client, server);
    return memory::handshake(p.client, p.server);
}

// --- set_ciphersuites ------------------------------------------------------------------------

TEST(SetCiphersuites, TheServersListDecidesTheTls13Suite) {
    tls::Context server = server_context();
    server.set_ciphersuites("TLS_CHACHA20_POLY1305_SHA256");
    EXPECT_EQ(tls13_suites(server), std::vector<std::string>{"TLS_CHACHA20_POLY1305_SHA256"});
    memory::Pair p = connected(client_context(), server);
    EXPECT_EQ(p.client.object.version(), "TLSv1.3");
    EXPECT_EQ(p.client.object.cipher()->name, "TLS_CHACHA20_POLY1305_SHA256");
    EXPECT_EQ(p.server.object.cipher()->name, "TLS_CHACHA20_POLY1305_SHA256");
}

TEST(SetCiphersuites, TheOrderIsThePreferenceOrder) {
    tls::Context client = client_context();
    client.set_ciphersuites("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
    EXPECT_EQ(tls13_suites(client),
              (std::vector<std::string>{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}));
    // The TLS 1.2 list is a separate setting and stays.
    const auto all = client.get_ciphers();
    EXPECT_TRUE(std::any_of(all.begin(), all.end(),
                            [](const tls::CipherInfo& c) { return c.protocol == "TLSv1.2"; }));
}

TEST(SetCiphersuites, NoKnownNameThrowsAndKeepsTheSuites) {
    tls::Context ctx = server_context();
    ctx.set_ciphersuites("TLS_AES_128_GCM_SHA256");
    try {
        ctx.set_ciphersuites("TLS_NOT_A_SUITE");
        FAIL() << "no throw";
    } catch (const tls::SSLError& e) {
        EXPECT_NE(std::string(e.what()).find("No cipher suite can be selected"), std::string::npos)
            << e.what();
    }
    // TLS 1.2 names are not TLS 1.3 suites either.
    EXPECT_THROW(ctx.set_ciphersuites("ECDHE-ECDSA-AES128-GCM-SHA256"), tls::SSLError);
    EXPECT_EQ(tls13_suites(ctx), std::vector<std::string>{"TLS_AES_128_GCM_SHA256"});
    memory::Pair p = connected(client_context(), ctx);
    EXPECT_EQ(p.client.object.cipher()->name, "TLS_AES_128_GCM_SHA256");
}

TEST(SetCiphersuites, AnEmptyListNeedsTls12AsTheMaximum) {
    tls::Context server = server_context();
    server.set_ciphersuites("");
    EXPECT_TRUE(tls13_suites(server).empty());
    // OpenSSL picks TLS 1.3 first and then finds no suite: it does not fall back.
    EXPECT_TRUE(failed_handshake(client_context(), server));
    server.set_maximum_version(tls::TLSVersion::TLSv1_2);
    memory::Pair p = connected(client_context(), server);
    EXPECT_EQ(p.client.object.version(), "TLSv1.2");
}

// --- groups ----------------------------------------------------------------------------------

TEST(Group, BothEndsReportTheGroupTheServerWasLimitedTo) {
    struct Row {
        tls::TLSVersion max;
        const char* groups;
        const char* expected;
    };
    const Row rows[] = {
        {tls::TLSVersion::TLSv1_3, "secp384r1", "secp384r1"},
        {tls::TLSVersion::TLSv1_2, "secp384r1", "secp384r1"},
        {tls::TLSVersion::TLSv1_3, "P-521", "secp521r1"},
        {tls::TLSVersion::TLSv1_3, "ffdhe2048", "ffdhe2048"},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.groups);
        tls::Context server = server_context();
        server.set_groups(row.groups);
        tls::Context client = client_context();
        client.set_maximum_version(row.max);
        memory::Pair p = connected(client, server);
        EXPECT_EQ(p.client.object.group(), row.expected);
        EXPECT_EQ(p.server.object.group(), row.expected);
    }
}

TEST(Group, OpensslsDefaultOnTls13) {
    memory::Pair p = connected(client_context(), server_context());
    // OpenSSL 3.5 puts the hybrid X25519MLKEM768 first by default, 3.0 X25519.
    const char* expected =
        tls::openssl_version_number() >= 0x30500000UL ? "X25519MLKEM768" : "x25519";
    EXPECT_EQ(p.client.object.group(), expected);
    EXPECT_EQ(p.server.object.group(), expected);
}

TEST(Group, X25519IsSpelledAsOpensslSpellsIt) {
    tls::Context server = server_context();
    server.set_groups("X25519");
    memory::Pair p = connected(client_context(), server);
    EXPECT_EQ(p.client.object.group(), "x25519");
}

TEST(Group, NoneBeforeTheHandshakeAndOnAnEmptyConnection) {
    tls::MemoryBIO in, out;
    tls::Object obj = client_context().wrap_bio(in, out, tls::WrapOptions::client("localhost"));
    EXPECT_EQ(obj.group(), std::nullopt);  // OpenSSL before 3.5 would crash without a session
    tls::Object moved = std::move(obj);
    EXPECT_EQ(obj.group(), std::nullopt);  // NOLINT(bugprone-use-after-move): what it tests
    EXPECT_EQ(moved.group(), std::nullopt);
}

TEST(Group, RsaKeyTransportHasNoGroup) {
    tls::Context server = server_context(TestPki::get().localhost_rsa());
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    client.set_ciphers("AES256-GCM-SHA384");
    server.set_ciphers("AES256-GCM-SHA384");
    memory::Pair p = connected(client, server);
    EXPECT_EQ(p.client.object.cipher()->name, "AES256-GCM-SHA384");
    EXPECT_EQ(p.client.object.group(), std::nullopt);
    EXPECT_EQ(p.server.object.group(), std::nullopt);
}

TEST(SetGroups, ARefusedListLeavesTheGroupsInForce) {
    tls::Context server = server_context();
    server.set_groups("secp384r1");
    EXPECT_THROW(server.set_groups("P-256:not-a-group"), tls::SSLError);
    EXPECT_THROW(server.set_groups(""), tls::SSLError);  // OpenSSL 3.5 alone would take it
    memory::Pair p = connected(client_context(), server);
    EXPECT_EQ(p.server.object.group(), "secp384r1");
}

TEST(GetGroups, ListsTheImplementedGroupsForTheVersionRange) {
    tls::Context ctx = client_context();
    if (!tls::HAS_GET_GROUPS()) {
        EXPECT_THROW(static_cast<void>(ctx.get_groups()), tls::NotImplementedError);
        try {
            static_cast<void>(ctx.get_groups(true));
        } catch (const tls::NotImplementedError& e) {
            EXPECT_NE(std::string(e.what()).find("OpenSSL 3.5"), std::string::npos) << e.what();
        }
        return;
    }
    const std::vector<std::string> all = ctx.get_groups();
    EXPECT_TRUE(has(all, "secp256r1")) << ::testing::PrintToString(all);
    EXPECT_TRUE(has(all, "X25519MLKEM768")) << ::testing::PrintToString(all);
    EXPECT_FALSE(has(all, "P-256"));  // an alias
    const std::vector<std::string> with_aliases = ctx.get_groups(true);
    EXPECT_TRUE(has(with_aliases, "P-256")) << ::testing::PrintToString(with_aliases);
    EXPECT_GT(with_aliases.size(), all.size());
    // The hybrid groups exist only in TLS 1.3.
    ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    const std::vector<std::string> tls12 = ctx.get_groups();
    EXPECT_TRUE(has(tls12, "secp256r1"));
    EXPECT_FALSE(has(tls12, "X25519MLKEM768")) << ::testing::PrintToString(tls12);
    // Every listed name is one set_groups takes.
    for (const std::string& name : all) {
        EXPECT_NO_THROW(ctx.set_groups(name)) << name;
    }
}

// --- signature algorithms --------------------------------------------------------------------

TEST(GetSigalgs, ListsTheBuiltInNames) {
    if (!tls::HAS_GET_SIGALGS()) {
        EXPECT_THROW(static_cast<void>(tls::get_sigalgs()), tls::NotImplementedError);
        return;
    }
    const std::vector<std::string> names = tls::get_sigalgs();
    EXPECT_TRUE(has(names, "ecdsa_secp256r1_sha256")) << ::testing::PrintToString(names);
    EXPECT_TRUE(has(names, "rsa_pss_rsae_sha384"));
    EXPECT_TRUE(has(names, "ed25519"));
    EXPECT_FALSE(has(names, ""));
    tls::Context ctx = server_context();
    for (const std::string& name : names) {
        EXPECT_NO_THROW(ctx.set_server_sigalgs(name)) << name;
        EXPECT_NO_THROW(ctx.set_client_sigalgs(name)) << name;
    }
}

TEST(ServerSigalg, TheServersListDecidesItsSignature) {
    struct Row {
        const char* set_on;  // "server" or "client"
        const char* sigalgs;
        const char* expected;
    };
    const Row rows[] = {
        {"server", "rsa_pss_rsae_sha384", "rsa_pss_rsae_sha384"},
        {"server", "rsa_pss_rsae_sha512:rsa_pss_rsae_sha256", "rsa_pss_rsae_sha512"},
        {"client", "rsa_pss_rsae_sha512", "rsa_pss_rsae_sha512"},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(std::string(row.set_on) + " " + row.sigalgs);
        tls::Context server = server_context(TestPki::get().localhost_rsa());
        tls::Context client = client_context();
        (std::string(row.set_on) == "server" ? server : client).set_server_sigalgs(row.sigalgs);
        memory::Pair p = connected(client, server);
        if (!tls::HAS_SIGALG_NAMES()) {
            EXPECT_THROW(static_cast<void>(p.client.object.server_sigalg()),
                         tls::NotImplementedError);
            EXPECT_THROW(static_cast<void>(p.server.object.server_sigalg()),
                         tls::NotImplementedError);
            EXPECT_THROW(static_cast<void>(p.server.object.client_sigalg()),
                         tls::NotImplementedError);
            continue;
        }
        EXPECT_EQ(p.client.object.server_sigalg(), row.expected);
        EXPECT_EQ(p.server.object.server_sigalg(), row.expected);
        // No client certificate, so no client signature.
        EXPECT_EQ(p.client.object.client_sigalg(), std::nullopt);
        EXPECT_EQ(p.server.object.client_sigalg(), std::nullopt);
    }
}

TEST(ServerSigalg, AlgorithmsTheKeyCannotUseFailTheHandshake) {
    // A P-256 key cannot sign with any algorithm in the list: no handshake.
    tls::Context server = server_context();
    server.set_server_sigalgs("rsa_pss_rsae_sha256:rsa_pkcs1_sha256");
    EXPECT_TRUE(failed_handshake(client_context(), server));
}

TEST(ServerSigalg, ATls13SchemeForAnotherCurveFallsBackToTls12) {
    // TLS 1.3's ecdsa_secp384r1_sha384 needs a P-384 key; TLS 1.2's ECDSA+SHA-384 takes any
    // curve, so OpenSSL negotiates TLS 1.2 with the P-256 key.
    tls::Context server = server_context();
    server.set_server_sigalgs("ecdsa_secp384r1_sha384");
    memory::Pair p = connected(client_context(), server);
    EXPECT_EQ(p.client.object.version(), "TLSv1.2");
    if (tls::HAS_SIGALG_NAMES()) {
        EXPECT_EQ(p.client.object.server_sigalg(), "ecdsa_secp384r1_sha384");
        EXPECT_EQ(p.server.object.server_sigalg(), "ecdsa_secp384r1_sha384");
    } else {
        EXPECT_THROW(static_cast<void>(p.server.object.server_sigalg()), tls::NotImplementedError);
    }
}

TEST(SetServerSigalgs, ARefusedListLeavesTheListInForce) {
    tls::Context server = server_context();
    server.set_server_sigalgs("rsa_pss_rsae_sha256");
    EXPECT_THROW(server.set_server_sigalgs("not_a_sigalg"), tls::SSLError);
    EXPECT_THROW(server.set_server_sigalgs("ecdsa_secp256r1_sha256:RSA+NOTADIGEST"), tls::SSLError);
    // Still only the algorithm the P-256 key cannot use (the refused lists named one it can).
    EXPECT_TRUE(failed_handshake(client_context(), server));
    server.set_server_sigalgs("ecdsa_secp256r1_sha256");
    memory::Pair p = connected(client_context(), server);
    if (tls::HAS_SIGALG_NAMES()) {
        EXPECT_EQ(p.client.object.server_sigalg(), "ecdsa_secp256r1_sha256");
    } else {
        EXPECT_THROW(static_cast<void>(p.client.object.server_sigalg()), tls::NotImplementedError);
    }
}

TEST(ClientSigalg, TheServersRequestDecidesTheClientsSignature) {
    const tls::test::CertFiles client_cert = TestPki::get().localhost_rsa();
    for (const char* sigalg : {"rsa_pss_rsae_sha384", "rsa_pss_rsae_sha512"}) {
        SCOPED_TRACE(sigalg);
        tls::Context server = server_context(TestPki::get().localhost(), tls::CERT_REQUIRED);
        server.set_client_sigalgs(sigalg);
        memory::Pair p = connected(client_context(&client_cert), server);
        ASSERT_TRUE(p.server.object.getpeercert().has_value());
        if (!tls::HAS_SIGALG_NAMES()) {
            EXPECT_THROW(static_cast<void>(p.client.object.client_sigalg()),
                         tls::NotImplementedError);
            EXPECT_THROW(static_cast<void>(p.server.object.client_sigalg()),
                         tls::NotImplementedError);
            continue;
        }
        EXPECT_EQ(p.server.object.client_sigalg(), sigalg);
        EXPECT_EQ(p.client.object.client_sigalg(), sigalg);
        // The server's own signature is its P-256 key's.
        EXPECT_EQ(p.client.object.server_sigalg(), "ecdsa_secp256r1_sha256");
        EXPECT_EQ(p.server.object.server_sigalg(), "ecdsa_secp256r1_sha256");
    }
}

TEST(SetClientSigalgs, ARefusedListLeavesTheListInForce) {
    // The server asks for an algorithm the client's P-256 key cannot use: the client cannot
    // sign, and a server requiring a certificate refuses.
    const tls::test::CertFiles client_cert = TestPki::get().client();
    tls::Context server = server_context(TestPki::get().localhost(), tls::CERT_REQUIRED);
    server.set_client_sigalgs("rsa_pss_rsae_sha256");
    EXPECT_THROW(server.set_client_sigalgs("bogus"), tls::SSLError);
    EXPECT_TRUE(failed_handshake(client_context(&client_cert), server));
    server.set_client_sigalgs("ecdsa_secp256r1_sha256");
    memory::Pair p = connected(client_context(&client_cert), server);
    EXPECT_TRUE(p.server.object.getpeercert().has_value());
}

TEST(Sigalgs, BeforeTheHandshakeThereAreNone) {
    tls::MemoryBIO in, out;
    tls::Object obj = client_context().wrap_bio(in, out, tls::WrapOptions::client("localhost"));
    if (!tls::HAS_SIGALG_NAMES()) {
        EXPECT_THROW(static_cast<void>(obj.client_sigalg()), tls::NotImplementedError);
        EXPECT_THROW(static_cast<void>(obj.server_sigalg()), tls::NotImplementedError);
        return;
    }
    EXPECT_EQ(obj.client_sigalg(), std::nullopt);
    EXPECT_EQ(obj.server_sigalg(), std::nullopt);
}

}  // namespace
