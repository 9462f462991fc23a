// Post-quantum key exchange between tlsctx peers in memory: OpenSSL 3.5's default offers the
// X25519MLKEM768 hybrid first, Context::set_require_post_quantum refuses classical-only peers with
// an error that says so, and on an OpenSSL without ML-KEM the requirement is a NotImplementedError.
// Every test branches on tls::HAS_MLKEM() and checks something on both sides of it.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "post_quantum.hpp"
#include "support/feature_helpers.hpp"
#include "support/memory_pair.hpp"
#include "support/negotiated_group.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::negotiated_group;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace memory = tls::test::memory;

bool mentions(const std::string& text, const std::string& needle) {
    return text.find(needle) != std::string::npos;
}

// Without ML-KEM each test checks the other behaviour instead: the requirement is refused.
void expect_not_implemented() {
    tls::Context client = client_context();
    tls::Context server = server_context();
    EXPECT_THROW(client.set_require_post_quantum(true), tls::NotImplementedError);
    EXPECT_THROW(server.set_require_post_quantum(true), tls::NotImplementedError);
    EXPECT_FALSE(client.require_post_quantum());
    EXPECT_FALSE(server.require_post_quantum());
}

TEST(PostQuantum, FlagMatchesTheLinkedOpenSSL) {
    // ML-KEM arrived in OpenSSL 3.5; the default provider of every 3.5 build has it.
    EXPECT_EQ(tls::HAS_MLKEM(), tls::openssl_version_number() >= 0x30500000UL)
        << tls::openssl_version();
}

TEST(PostQuantum, DefaultContextsNegotiateTheHybridWhenOpenSSLHasIt) {
    memory::Pair pair = memory::make_pair(client_context(), server_context());
    ASSERT_FALSE(memory::handshake(pair.client, pair.server))
        << pair.client.object.last_error().message << pair.server.object.last_error().message;
    // Without ML-KEM the default's first group is X25519 (OpenSSL 3.0's order).
    const std::string expected = tls::HAS_MLKEM() ? "x25519mlkem768" : "x25519";
    EXPECT_EQ(negotiated_group(pair.client.object), expected);
    EXPECT_EQ(negotiated_group(pair.server.object), expected);
}

TEST(PostQuantum, RequirementIsOffByDefault) {
    EXPECT_FALSE(tls::Context().require_post_quantum());
    EXPECT_FALSE(server_context().require_post_quantum());
}

TEST(PostQuantum, RequiringItWithoutMlkemIsNotImplemented) {
    tls::Context ctx = server_context();
    if (tls::HAS_MLKEM()) {
        EXPECT_NO_THROW(ctx.set_require_post_quantum(true));
        EXPECT_TRUE(ctx.require_post_quantum());
        EXPECT_EQ(ctx.minimum_version(), tls::TLSVersion::TLSv1_3);
    } else {
        EXPECT_THROW(ctx.set_require_post_quantum(true), tls::NotImplementedError);
        EXPECT_FALSE(ctx.require_post_quantum());
        // Turning off what is not on never throws.
        EXPECT_NO_THROW(ctx.set_require_post_quantum(false));
    }
}

TEST(PostQuantum, RequiringPeersNegotiateTheHybrid) {
    if (!tls::HAS_MLKEM()) {
        expect_not_implemented();
        return;
    }
    tls::Context client = client_context();
    tls::Context server = server_context();
    client.set_require_post_quantum(true);
    server.set_require_post_quantum(true);
    memory::Pair pair = memory::make_pair(client, server);
    ASSERT_FALSE(memory::handshake(pair.client, pair.server))
        << pair.client.object.last_error().message;
    EXPECT_EQ(negotiated_group(pair.server.object), "x25519mlkem768");
    EXPECT_EQ(pair.client.object.version(), "TLSv1.3");
}

TEST(PostQuantum, RequiringServerRefusesClassicalClientSayingWhy) {
    if (!tls::HAS_MLKEM()) {
        expect_not_implemented();
        return;
    }
    tls::Context server = server_context();
    server.set_require_post_quantum(true);
    tls::Context client = client_context();
    client.set_groups("X25519:P-256");
    memory::Pair pair = memory::make_pair(client, server);
    const memory::HandshakeResult r = memory::do_handshake_until_error(pair);
    ASSERT_TRUE(r.server);
    EXPECT_EQ(r.server, tls::SSLErrc::ssl);
    const tls::ErrorInfo& info = pair.server.object.last_error();
    EXPECT_EQ(info.reason, "NO_SUITABLE_KEY_SHARE");
    EXPECT_TRUE(mentions(info.message, "no post-quantum key exchange group")) << info.message;
    EXPECT_THROW(pair.server.object.do_handshake(), tls::SSLError);
    // The client learns only the alert.
    EXPECT_TRUE(r.client && r.client != tls::SSLErrc::want_read);
}

TEST(PostQuantum, RequiringClientRefusesClassicalServerSayingWhy) {
    if (!tls::HAS_MLKEM()) {
        expect_not_implemented();
        return;
    }
    tls::Context client = client_context();
    client.set_require_post_quantum(true);
    tls::Context server = server_context();
    server.set_groups("X25519:P-256");
    memory::Pair pair = memory::make_pair(client, server);
    const memory::HandshakeResult r = memory::do_handshake_until_error(pair);
    ASSERT_TRUE(r.client);
    EXPECT_EQ(r.client, tls::SSLErrc::ssl);
    const tls::ErrorInfo& info = pair.client.object.last_error();
    EXPECT_TRUE(mentions(info.message, "post-quantum")) << info.message;
    EXPECT_EQ(pair.server.object.last_error().reason, "NO_SUITABLE_KEY_SHARE");
}

TEST(PostQuantum, RequiringServerRefusesTls12Client) {
    if (!tls::HAS_MLKEM()) {
        expect_not_implemented();
        return;
    }
    tls::Context server = server_context();
    server.set_require_post_quantum(true);
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    memory::Pair pair = memory::make_pair(client, server);
    const memory::HandshakeResult r = memory::do_handshake_until_error(pair);
    ASSERT_TRUE(r.server);
    const tls::ErrorInfo& info = pair.server.object.last_error();
    EXPECT_EQ(info.reason, "UNSUPPORTED_PROTOCOL");
    EXPECT_TRUE(mentions(info.message, "post-quantum")) << info.message;
}

TEST(PostQuantum, ClassicalGroupsCannotUndoTheRequirement) {
    if (!tls::HAS_MLKEM()) {
        expect_not_implemented();
        return;
    }
    tls::Context ctx = server_context();
    ctx.set_require_post_quantum(true);
    EXPECT_THROW(ctx.set_groups("X25519"), std::invalid_argument);
    EXPECT_THROW(ctx.set_groups("X25519MLKEM768:X25519"), std::invalid_argument);
    EXPECT_THROW(ctx.set_groups("DEFAULT"), std::invalid_argument);
    EXPECT_THROW(ctx.set_ecdh_curve("prime256v1"), std::invalid_argument);
    EXPECT_THROW(ctx.set_minimum_version(tls::TLSVersion::TLSv1_2), std::invalid_argument);
    EXPECT_THROW(ctx.set_maximum_version(tls::TLSVersion::TLSv1_2), std::invalid_argument);
    EXPECT_NO_THROW(ctx.set_groups("SecP256r1MLKEM768:X25519MLKEM768"));
    EXPECT_TRUE(ctx.require_post_quantum());

    // The refused set_groups left the post-quantum list in place: a classical client fails.
    tls::Context client = client_context();
    client.set_groups("X25519");
    memory::Pair pair = memory::make_pair(client, ctx);
    EXPECT_FALSE(memory::do_handshake_until_error(pair).done());
}

TEST(PostQuantum, TurningTheRequirementOffRestoresClassicalKeyExchange) {
    if (!tls::HAS_MLKEM()) {
        expect_not_implemented();
        return;
    }
    tls::Context server = server_context();
    server.set_require_post_quantum(true);
    server.set_require_post_quantum(false);
    EXPECT_FALSE(server.require_post_quantum());
    EXPECT_NO_THROW(server.set_minimum_version(tls::TLSVersion::TLSv1_2));
    tls::Context client = client_context();
    client.set_groups("X25519");
    memory::Pair pair = memory::make_pair(client, server);
    ASSERT_FALSE(memory::handshake(pair.client, pair.server))
        << pair.server.object.last_error().message;
    EXPECT_EQ(negotiated_group(pair.server.object), "x25519");
}

// Which group lists keep a requirement intact (the parser behind set_groups' check).
TEST(PostQuantum, GroupListsAreCheckedGroupByGroup) {
    struct Row {
        const char* list;
        bool only_post_quantum;
    };
    const Row rows[] = {
        {"X25519MLKEM768", true},                      // the hybrid alone
        {"x25519mlkem768", true},                      // OpenSSL accepts any case
        {"?X25519MLKEM768:*SecP256r1MLKEM768", true},  // prefixes are not names
        {"X25519MLKEM768/MLKEM1024", true},            // tuple separators
        {"X25519MLKEM768:-X25519", true},              // a removal adds nothing
        {"X25519", false},                             // classical
        {"X25519MLKEM768:P-256", false},               // one classical group is enough
        {"DEFAULT", false},                            // OpenSSL's list has classical ones
        {"*DEFAULT:X25519MLKEM768", false},
        {"", false},  // nothing at all
        {"-X25519", false},
    };
    for (const Row& row : rows) {
        EXPECT_EQ(tls::detail::only_post_quantum_groups(row.list), row.only_post_quantum)
            << "'" << row.list << "'";
    }
}

}  // namespace

namespace {

// An SNI callback switches the connection to a context that requires post-quantum key exchange
// after OpenSSL has already picked the key share; the handshake must still not yield a usable
// classical connection.
TEST(PostQuantum, RequirementOfAContextChosenBySniStillHolds) {
    if (!tls::HAS_MLKEM()) {
        expect_not_implemented();
        return;
    }
    tls::Context strict = server_context();
    strict.set_require_post_quantum(true);
    tls::Context listener = server_context();
    listener.set_sni_callback([strict](tls::ServerNameRequest& request) {
        request.set_context(strict);
        return std::optional<tls::AlertDescription>();
    });

    tls::Context classical = client_context();
    classical.set_groups("X25519");
    memory::Pair refused = memory::make_pair(classical, listener);
    const memory::HandshakeResult r = memory::do_handshake_until_error(refused);
    EXPECT_EQ(r.server, tls::SSLErrc::ssl);
    EXPECT_TRUE(mentions(refused.server.object.last_error().message, "post-quantum"))
        << refused.server.object.last_error().message;
    EXPECT_THROW(refused.server.object.write(std::string("data")), tls::SSLError);

    memory::Pair accepted = memory::make_pair(client_context(), listener);
    ASSERT_FALSE(memory::handshake(accepted.client, accepted.server))
        << accepted.server.object.last_error().message;
    EXPECT_EQ(negotiated_group(accepted.server.object), "x25519mlkem768");
}

}  // namespace
