// TLS 1.3 KeyUpdate, keying material exporters and connection counters between two tlsctx ends:
// Object pairs in memory and Socket pairs over loopback TCP. Data must keep flowing after every
// update, the counters must see both directions, and TLS 1.2 must refuse with its typed error.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "support/feature_helpers.hpp"
#include "support/memory_pair.hpp"
#include "support/peers.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace memory = tls::test::memory;

memory::Pair handshaken_pair(tls::TLSVersion max = tls::TLSVersion::MAXIMUM_SUPPORTED) {
    tls::Context client = client_context();
    client.set_maximum_version(max);
    memory::Pair p = memory::make_pair(client, server_context());
    EXPECT_FALSE(memory::handshake(p.client, p.server));
    return p;
}

TEST(KeyUpdateTest, ObjectKeyUpdateIsCountedOnBothEndsAndDataFlows) {
    memory::Pair p = handshaken_pair();
    ASSERT_EQ(p.client.object.version(), std::optional<std::string>("TLSv1.3"));
    EXPECT_EQ(memory::send(p.server, p.client, "before"), "before");  // takes in the tickets

    p.client.object.update_keys();
    EXPECT_GT(p.client.outgoing.pending(), 0U);  // the KeyUpdate waits in the outgoing BIO
    EXPECT_EQ(p.client.object.stats().key_updates_sent, 1U);
    EXPECT_EQ(memory::send(p.client, p.server, "after"), "after");
    EXPECT_EQ(p.server.object.stats().key_updates_received, 1U);
    EXPECT_EQ(p.server.object.stats().key_updates_sent, 0U);  // not asked to answer
    EXPECT_EQ(memory::send(p.server, p.client, "reply"), "reply");
    EXPECT_EQ(p.client.object.stats().key_updates_received, 0U);
}

TEST(KeyUpdateTest, RequestingPeerUpdateMakesItAnswerWithItsOwn) {
    memory::Pair p = handshaken_pair();
    p.client.object.update_keys(true);
    EXPECT_EQ(memory::send(p.client, p.server, "one"), "one");
    EXPECT_EQ(p.server.object.stats().key_updates_received, 1U);
    // OpenSSL sends the answer with the server's next write.
    EXPECT_EQ(memory::send(p.server, p.client, "two"), "two");
    EXPECT_EQ(p.server.object.stats().key_updates_sent, 1U);
    EXPECT_EQ(p.client.object.stats().key_updates_received, 1U);
    EXPECT_EQ(p.client.object.stats().key_updates_sent, 1U);
    // Many more, both ways.
    for (int i = 0; i < 5; ++i) {
        p.server.object.update_keys(false);
        EXPECT_EQ(memory::send(p.server, p.client, "x" + std::to_string(i)),
                  "x" + std::to_string(i));
    }
    EXPECT_EQ(p.client.object.stats().key_updates_received, 6U);
    EXPECT_EQ(p.server.object.stats().key_updates_sent, 6U);
}

TEST(KeyUpdateTest, OwnRequestWhileAnsweringThePeersIsNotLost) {
    memory::Pair p = handshaken_pair();
    p.client.object.update_keys(true);
    EXPECT_EQ(memory::send(p.client, p.server, "one"), "one");
    // The server owes an answer; its own request goes out with it, in one KeyUpdate.
    p.server.object.update_keys(true);
    EXPECT_EQ(p.server.object.stats().key_updates_sent, 1U);
    EXPECT_EQ(memory::send(p.server, p.client, "two"), "two");
    EXPECT_EQ(p.client.object.stats().key_updates_received, 1U);
    EXPECT_EQ(memory::send(p.client, p.server, "three"), "three");
    EXPECT_EQ(p.client.object.stats().key_updates_sent, 2U);  // the answer to the request
    EXPECT_EQ(p.server.object.stats().key_updates_received, 2U);
}

TEST(KeyUpdateTest, TlsOnePointTwoRefusesWithWrongVersion) {
    memory::Pair p = handshaken_pair(tls::TLSVersion::TLSv1_2);
    ASSERT_EQ(p.client.object.version(), std::optional<std::string>("TLSv1.2"));
    try {
        p.client.object.update_keys();
        FAIL() << "update_keys succeeded on TLS 1.2";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::ssl);
        EXPECT_EQ(e.reason(), "WRONG_SSL_VERSION");
    }
    std::error_code ec;
    p.server.object.update_keys(true, ec);
    EXPECT_EQ(ec, tls::SSLErrc::ssl);
    EXPECT_EQ(p.server.object.last_error().reason, "WRONG_SSL_VERSION");
    // The connection is still fine.
    EXPECT_EQ(memory::send(p.client, p.server, "still"), "still");
    EXPECT_EQ(p.client.object.stats().key_updates_sent, 0U);
}

TEST(KeyUpdateTest, BeforeTheHandshakeIsALogicError) {
    memory::Pair p = memory::make_pair(client_context(), server_context());
    EXPECT_THROW(p.client.object.update_keys(), std::logic_error);
    std::error_code ec;
    p.client.object.update_keys(false, ec);
    EXPECT_EQ(ec, std::errc::not_connected);
    EXPECT_THROW(p.client.object.export_keying_material("EXPORTER-test", std::nullopt, 16),
                 std::logic_error);
}

TEST(KeyUpdateTest, SocketKeyUpdatesGoOutNowAndDataFlows) {
    tls::test::TlsPair pair = tls::test::handshake_pair(client_context(), server_context(),
                                                        tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << tls::test::describe(pair.server_error);
    pair.client.update_keys(true);
    EXPECT_EQ(pair.client.stats().key_updates_sent, 1U);
    pair.client.sendall("ping\n");
    EXPECT_EQ(tls::test::feature::read_until(pair.server), "ping\n");
    EXPECT_EQ(pair.server.stats().key_updates_received, 1U);
    pair.server.sendall("pong\n");
    EXPECT_EQ(pair.server.stats().key_updates_sent, 1U);
    EXPECT_EQ(tls::test::feature::read_until(pair.client), "pong\n");
    EXPECT_EQ(pair.client.stats().key_updates_received, 1U);
    pair.server.update_keys();
    pair.server.sendall("again\n");
    EXPECT_EQ(tls::test::feature::read_until(pair.client), "again\n");
    EXPECT_EQ(pair.client.stats().key_updates_received, 2U);
    // Tickets and transport bytes are counted too.
    const tls::ConnectionStats c = pair.client.stats();
    const tls::ConnectionStats s = pair.server.stats();
    EXPECT_EQ(c.session_tickets_received, 2U);  // OpenSSL's TLS 1.3 default
    EXPECT_EQ(s.session_tickets_received, 0U);
    EXPECT_EQ(c.bytes_sent, s.bytes_received);
    EXPECT_GT(c.bytes_sent, 0U);
    EXPECT_GT(c.bytes_received, 0U);
}

TEST(KeyUpdateTest, SocketOnTlsOnePointTwoRefuses) {
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    tls::test::TlsPair pair =
        tls::test::handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    try {
        pair.client.update_keys(true);
        FAIL() << "update_keys succeeded on TLS 1.2";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "WRONG_SSL_VERSION");
    }
}

void expect_exporters_agree(tls::TLSVersion max) {
    memory::Pair p = handshaken_pair(max);
    const tls::Bytes ctx{1, 2, 3};
    const tls::Bytes a = p.client.object.export_keying_material("EXPORTER-tlsctx-a", ctx, 32);
    EXPECT_EQ(a.size(), 32U);
    EXPECT_EQ(a, p.server.object.export_keying_material("EXPORTER-tlsctx-a", ctx, 32));
    EXPECT_NE(a, p.client.object.export_keying_material("EXPORTER-tlsctx-b", ctx, 32));
    EXPECT_NE(a, p.client.object.export_keying_material("EXPORTER-tlsctx-a", tls::Bytes{1, 2}, 32));
    const tls::Bytes none =
        p.client.object.export_keying_material("EXPORTER-tlsctx-a", std::nullopt, 20);
    const tls::Bytes empty =
        p.server.object.export_keying_material("EXPORTER-tlsctx-a", tls::Bytes{}, 20);
    EXPECT_EQ(none, p.server.object.export_keying_material("EXPORTER-tlsctx-a", std::nullopt, 20));
    if (max == tls::TLSVersion::TLSv1_2) {
        EXPECT_NE(none, empty);  // RFC 5705 4: no context differs from an empty one
    } else {
        EXPECT_EQ(none, empty);  // RFC 8446 7.5: the same
        // A KeyUpdate changes traffic keys, not the exporter secret.
        p.client.object.update_keys(true);
        memory::send(p.client, p.server, "x");
        memory::send(p.server, p.client, "y");
        EXPECT_EQ(a, p.client.object.export_keying_material("EXPORTER-tlsctx-a", ctx, 32));
    }
}

TEST(KeyUpdateTest, ExportersAgreeOnBothEndsInTls13) {
    expect_exporters_agree(tls::TLSVersion::MAXIMUM_SUPPORTED);
}

TEST(KeyUpdateTest, ExportersAgreeOnBothEndsInTls12) {
    expect_exporters_agree(tls::TLSVersion::TLSv1_2);
}

TEST(KeyUpdateTest, ExporterRefusesAReservedTls12Label) {
    memory::Pair p = handshaken_pair(tls::TLSVersion::TLSv1_2);
    EXPECT_THROW(p.client.object.export_keying_material("master secret", std::nullopt, 48),
                 tls::SSLError);
}

}  // namespace
