// TLS 1.3 post-handshake messages arriving in the middle of a tls::asio::stream's reads:
// session tickets, and KeyUpdate from openssl s_server (its stdin commands "k": update its
// sending keys; "K": also ask for ours) and from a tlsctx server stream (SSL_key_update through
// tls::native). The client's message callback counts the KeyUpdates, so each test knows the
// update happened; data keeps flowing both ways on the new keys.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "asio_support.hpp"
#include "support/s_server_helpers.hpp"
#include "tls/native.hpp"

namespace {

using namespace tls::test::asio_support;
using tls::test::kPeerTimeout;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::serving;

constexpr int kHandshake = 22;
constexpr unsigned char kNewSessionTicket = 4;
constexpr unsigned char kKeyUpdate = 24;

/// Counts the handshake messages of one type the connection received and sent.
struct MessageCounts {
    std::atomic<int> received_key_updates{0};
    std::atomic<int> sent_key_updates{0};
    std::atomic<int> received_tickets{0};
};

tls::Context counting_client_context(MessageCounts& counts) {
    tls::Context ctx = client_context();
    ctx.set_msg_callback([&counts](const tls::TlsMessage& m) {
        if (m.content_type != kHandshake || m.size == 0) {
            return;
        }
        if (m.data[0] == kKeyUpdate) {
            ++(m.outgoing ? counts.sent_key_updates : counts.received_key_updates);
        } else if (m.data[0] == kNewSessionTicket && !m.outgoing) {
            ++counts.received_tickets;
        }
    });
    return ctx;
}

OpensslServerOptions echo_server() {
    OpensslServerOptions o = serving(pki().localhost());
    o.mode = OpensslServerOptions::Mode::echo;  // prints what it reads, sends its stdin lines
    o.version_flag = "-tls1_3";
    return o;
}

/// Keeps one async_read_some outstanding on `s`, appending to `received`, until an error.
struct ContinuousReader {
    explicit ContinuousReader(Stream& s) : stream(s) { next(); }
    void next() {
        stream.async_read_some(::asio::buffer(*buffer),
                               [this, keep = buffer](std::error_code ec, std::size_t n) {
                                   received.append(keep->data(), n);
                                   if (ec) {
                                       error = ec;
                                       return;
                                   }
                                   next();
                               });
    }
    bool has(const std::string& text) const { return received.find(text) != std::string::npos; }
    Stream& stream;
    std::shared_ptr<std::array<char, 8192>> buffer = std::make_shared<std::array<char, 8192>>();
    std::string received;
    std::error_code error;
};

TEST(AsioPostHandshake, TicketsAndKeyUpdatesFromOpensslServerArriveMidReadAndDataKeepsFlowing) {
    for (const char* command : {"k\n", "K\n"}) {
        const bool requested = command[0] == 'K';
        SCOPED_TRACE(command);
        OpensslServer server(echo_server());
        MessageCounts counts;
        ::asio::io_context io;
        auto s = connected_client(io, server.port(), counting_client_context(counts));
        ASSERT_TRUE(s) << server.process().describe();
        ContinuousReader reader(*s);

        server.process().write_stdin("before\n");
        ASSERT_TRUE(run_until(io, [&] { return reader.has("before\n") || reader.error; }))
            << server.process().describe();
        // s_server sends its tickets after the handshake: the reads took them in.
        EXPECT_EQ(counts.received_tickets.load(), 2);

        // s_server takes each stdin read as one command: the next line waits until the update
        // reached the client's outstanding read.
        server.process().write_stdin(command);
        ASSERT_TRUE(run_until(io, [&] {
            return counts.received_key_updates.load() == 1 || reader.error;
        })) << server.process().describe();
        server.process().write_stdin("after\n");
        ASSERT_TRUE(run_until(io, [&] { return reader.has("after\n") || reader.error; }));
        EXPECT_FALSE(reader.error) << reader.error.message() << " " << s->last_error().message;
        EXPECT_EQ(reader.received, "before\nafter\n");

        // Our side answers a requested update with its own before its next record.
        ASSERT_FALSE(write_all(io, *s, "from the client on new keys\n"));
        EXPECT_TRUE(server.process().wait_for_stdout("from the client on new keys", kPeerTimeout))
            << server.process().describe();
        EXPECT_EQ(counts.sent_key_updates.load(), requested ? 1 : 0);
        server.process().write_stdin("still\n");
        ASSERT_TRUE(run_until(io, [&] { return reader.has("still\n") || reader.error; }));
        EXPECT_FALSE(reader.error) << reader.error.message();
        s->lowest_layer().cancel();
        (void)run_until(io, [&] { return static_cast<bool>(reader.error); });
    }
}

TEST(AsioPostHandshake, KeyUpdatesFromATlsctxServerStreamBetweenLargeWrites) {
    MessageCounts counts;
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io, counting_client_context(counts), server_context());
    ASSERT_TRUE(p.client);
    ASSERT_EQ(p.server->version(), "TLSv1.3");
    SSL* ssl = tls::native::handle(p.server->connection());
    const std::string block(100000, 'z');
    std::string expected;
    // The client reads continuously while the server alternates data and KeyUpdates.
    ContinuousReader reader(*p.client);
    for (int round = 0; round < 5; ++round) {
        ASSERT_EQ(SSL_key_update(ssl, round % 2 == 0 ? SSL_KEY_UPDATE_REQUESTED
                                                     : SSL_KEY_UPDATE_NOT_REQUESTED),
                  1);
        const std::string chunk = std::to_string(round) + block;
        expected += chunk;
        ASSERT_FALSE(write_all(io, *p.server, chunk));
    }
    ASSERT_TRUE(
        run_until(io, [&] { return reader.received.size() >= expected.size() || reader.error; }));
    ASSERT_FALSE(reader.error) << reader.error.message() << " " << p.client->last_error().message;
    EXPECT_EQ(reader.received, expected);
    EXPECT_EQ(counts.received_key_updates.load(), 5);
    // The client answers the requested ones (rounds 0, 2, 4) when it next writes; the server
    // must then read on its new keys.
    ASSERT_FALSE(write_all(io, *p.client, "reply\n"));
    EXPECT_EQ(read_until(io, *p.server, "\n").data, "reply\n");
    EXPECT_GE(counts.sent_key_updates.load(), 1);
    p.client->lowest_layer().cancel();
    (void)run_until(io, [&] { return static_cast<bool>(reader.error); });
}

}  // namespace
