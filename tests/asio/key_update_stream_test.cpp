// tls::asio::stream's KeyUpdate, exporter and counters (tls/detail/asio_stream_body.hpp): a
// KeyUpdate queued with update_keys() goes out with the stream's next write, the peer stream
// counts it, data keeps flowing, both ends export the same keying material, and TLS 1.2 refuses
// with its typed error. Two streams over loopback TCP, and openssl s_client for the exporter.
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "asio_support.hpp"

namespace {

using namespace tls::test::asio_support;

TEST(AsioKeyUpdate, QueuedKeyUpdateGoesOutWithTheNextWriteAndIsCounted) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io, client_context(), server_context());
    ASSERT_TRUE(p.client);
    ASSERT_EQ(p.client->version(), "TLSv1.3");

    p.client->update_keys(true);
    EXPECT_EQ(p.client->stats().key_updates_sent, 1U);
    ASSERT_FALSE(write_all(io, *p.client, "ping\n"));
    EXPECT_EQ(read_until(io, *p.server, "\n").data, "ping\n");
    EXPECT_EQ(p.server->stats().key_updates_received, 1U);
    // The server answers the request before its next record.
    ASSERT_FALSE(write_all(io, *p.server, "pong\n"));
    EXPECT_EQ(read_until(io, *p.client, "\n").data, "pong\n");
    EXPECT_EQ(p.server->stats().key_updates_sent, 1U);
    EXPECT_EQ(p.client->stats().key_updates_received, 1U);

    std::error_code ec;
    p.server->update_keys(false, ec);
    EXPECT_FALSE(ec) << ec.message();
    ASSERT_FALSE(write_all(io, *p.server, "again\n"));
    EXPECT_EQ(read_until(io, *p.client, "\n").data, "again\n");
    EXPECT_EQ(p.client->stats().key_updates_received, 2U);

    const tls::Bytes ours = p.client->export_keying_material("EXPORTER-asio", tls::Bytes{7}, 16);
    EXPECT_EQ(ours.size(), 16U);
    EXPECT_EQ(ours, p.server->export_keying_material("EXPORTER-asio", tls::Bytes{7}, 16));
    EXPECT_NE(ours, p.server->export_keying_material("EXPORTER-asio2", tls::Bytes{7}, 16));
    EXPECT_EQ(p.client->stats().bytes_sent, p.server->stats().bytes_received);
}

TEST(AsioKeyUpdate, TlsOnePointTwoStreamRefusesKeyUpdate) {
    ::asio::io_context io;
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    StreamPair p = handshaken_pair(io, client, server_context());
    ASSERT_TRUE(p.client);
    ASSERT_EQ(p.client->version(), "TLSv1.2");
    try {
        p.client->update_keys();
        FAIL() << "update_keys succeeded on TLS 1.2";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "WRONG_SSL_VERSION");
    }
    std::error_code ec;
    p.server->update_keys(true, ec);
    EXPECT_EQ(ec, tls::SSLErrc::ssl);
    ASSERT_FALSE(write_all(io, *p.client, "still\n"));
    EXPECT_EQ(read_until(io, *p.server, "\n").data, "still\n");
}

}  // namespace
