// How a tls::asio::stream's operations end when the peer ends the connection: close_notify
// (asio::error::eof), TCP closed without close_notify (SSLErrc::eof: Python's SSLEOFError), and
// a peer vanishing at every step — closing right after accept, after reading the ClientHello,
// in the middle of a read, or resetting the connection (SO_LINGER 0). Each ends with a typed
// error within the deadline, never a hang.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "asio_support.hpp"

namespace {

using namespace tls::test::asio_support;
using tls::test::kPeerTimeout;

TEST(AsioClose, ReadEndsWithAsioEofAfterThePeersCloseNotify) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    ASSERT_FALSE(write_all(io, *p.server, "last words"));
    auto server_shut = std::make_shared<EcOutcome>();
    p.server->async_shutdown(record(server_shut));  // sends close_notify, waits for ours
    const ReadResult r = read_to_end(io, *p.client);
    EXPECT_EQ(r.data, "last words");
    EXPECT_EQ(r.ec, ::asio::error::eof) << r.ec.message();
    EXPECT_FALSE(server_shut->done());  // still waiting for the client's close_notify
    EXPECT_FALSE(shutdown(io, *p.client)) << p.client->last_error().message;
    EXPECT_FALSE(error_of(io, server_shut)) << p.server->last_error().message;
}

TEST(AsioClose, ReadEndsWithSSLEofWhenTheServerClosesTcpWithoutCloseNotify) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    ASSERT_FALSE(write_all(io, *p.server, "partial"));
    p.server->lowest_layer().close();  // FIN, no close_notify
    const ReadResult r = read_to_end(io, *p.client);
    EXPECT_EQ(r.data, "partial");
    EXPECT_EQ(r.ec, tls::SSLErrc::eof) << r.ec.message();
    EXPECT_EQ(r.ec.category(), tls::ssl_category());
}

TEST(AsioClose, ServerReadEndsWithSSLEofWhenTheClientClosesTcpWithoutCloseNotify) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    ASSERT_FALSE(write_all(io, *p.client, "request"));
    p.client->lowest_layer().shutdown(tcp::socket::shutdown_send);
    const ReadResult r = read_to_end(io, *p.server);
    EXPECT_EQ(r.data, "request");
    EXPECT_EQ(r.ec, tls::SSLErrc::eof) << r.ec.message();
}

TEST(AsioClose, ThrowingReadThrowsSSLEOFErrorOnTruncation) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    p.server->lowest_layer().close();
    Watchdog dog(p.client->lowest_layer().native_handle(), kPeerTimeout);
    std::array<char, 64> buf{};
    EXPECT_THROW((void)p.client->read_some(::asio::buffer(buf)), tls::SSLEOFError);
    EXPECT_FALSE(dog.fired());
}

// --- a raw TCP peer that vanishes at each step of the handshake -------------------------------

/// Accepts one connection on `acceptor` (bounded).
tcp::socket accept_raw(::asio::io_context& io, tcp::acceptor& acceptor) {
    tcp::socket socket(io);
    auto o = std::make_shared<EcOutcome>();
    acceptor.async_accept(socket, record(o));
    const std::error_code ec = error_of(io, o);
    EXPECT_FALSE(ec) << "accept: " << ec.message();
    return socket;
}

/// Reads one whole TLS record (header + body) from `socket` (bounded); returns it.
std::vector<std::uint8_t> read_record(::asio::io_context& io, tcp::socket& socket) {
    std::vector<std::uint8_t> record_bytes(5);
    auto o = std::make_shared<IoOutcome>();
    ::asio::async_read(socket, ::asio::buffer(record_bytes), record(o));
    if (!run_until(io, [&] { return o->done(); }) || std::get<0>(*o->result)) {
        ADD_FAILURE() << "no record header from the client";
        return {};
    }
    const std::size_t length = (std::size_t{record_bytes[3]} << 8) | record_bytes[4];
    record_bytes.resize(5 + length);
    auto body = std::make_shared<IoOutcome>();
    ::asio::async_read(socket, ::asio::buffer(record_bytes.data() + 5, length), record(body));
    if (!run_until(io, [&] { return body->done(); }) || std::get<0>(*body->result)) {
        ADD_FAILURE() << "no record body from the client";
        return {};
    }
    return record_bytes;
}

TEST(AsioVanishingPeer, ClosedRightAfterAcceptFailsTheHandshakeWithSSLEof) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    auto s = client_stream(io, port_of(acceptor), client_context());
    tcp::socket peer = accept_raw(io, acceptor);
    peer.close();
    const std::error_code ec = handshake(io, *s, Stream::client, "localhost");
    EXPECT_EQ(ec, tls::SSLErrc::eof) << ec.message() << " " << s->last_error().message;
}

TEST(AsioVanishingPeer, ClosedAfterTheClientHelloFailsTheHandshakeWithSSLEof) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    auto s = client_stream(io, port_of(acceptor), client_context());
    tcp::socket peer = accept_raw(io, acceptor);
    auto hs = std::make_shared<EcOutcome>();
    s->async_handshake(Stream::client, "localhost", record(hs));
    const std::vector<std::uint8_t> hello = read_record(io, peer);
    ASSERT_GE(hello.size(), 6U);
    EXPECT_EQ(hello[0], 22);  // handshake record
    EXPECT_EQ(hello[5], 1);   // ClientHello
    EXPECT_FALSE(hs->done());
    peer.close();  // all it sent was read: FIN, not RST
    const std::error_code ec = error_of(io, hs);
    EXPECT_EQ(ec, tls::SSLErrc::eof) << ec.message() << " " << s->last_error().message;
}

TEST(AsioVanishingPeer, ResetAfterTheClientHelloFailsTheHandshakeWithConnectionReset) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    auto s = client_stream(io, port_of(acceptor), client_context());
    tcp::socket peer = accept_raw(io, acceptor);
    auto hs = std::make_shared<EcOutcome>();
    s->async_handshake(Stream::client, "localhost", record(hs));
    ASSERT_FALSE(read_record(io, peer).empty());
    set_reset_on_close(peer);
    peer.close();
    const std::error_code ec = error_of(io, hs);
    // A transport error keeps the next layer's own code.
    EXPECT_EQ(ec, ::asio::error::connection_reset) << ec.message();
}

TEST(AsioVanishingPeer, ClientClosingRightAfterConnectFailsTheServerHandshakeWithSSLEof) {
    ::asio::io_context io;
    auto [c, srv] = tcp_pair(io);
    Stream server(std::move(srv), server_context());
    c.close();
    const std::error_code ec = handshake(io, server, Stream::server);
    EXPECT_EQ(ec, tls::SSLErrc::eof) << ec.message() << " " << server.last_error().message;
}

TEST(AsioVanishingPeer, ClientSendingGarbageFailsTheServerHandshakeWithSSLError) {
    ::asio::io_context io;
    auto [c, srv] = tcp_pair(io);
    Stream server(std::move(srv), server_context());
    ::asio::write(c, ::asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    const std::error_code ec = handshake(io, server, Stream::server);
    EXPECT_EQ(ec, tls::SSLErrc::ssl) << ec.message();
    EXPECT_FALSE(server.last_error().reason.empty()) << server.last_error().message;
}

TEST(AsioVanishingPeer, ServerClosingDuringAnOutstandingReadEndsItWithSSLEof) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    std::array<char, 64> buf{};
    auto o = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(buf), record(o));
    ASSERT_FALSE(run_until(
        io, [&] { return o->done(); }, tls::test::Millis(100)));
    p.server->lowest_layer().close();
    ASSERT_TRUE(run_until(io, [&] { return o->done(); }));
    EXPECT_EQ(std::get<0>(*o->result), tls::SSLErrc::eof) << std::get<0>(*o->result).message();
    EXPECT_EQ(std::get<1>(*o->result), 0U);
}

TEST(AsioVanishingPeer, ServerResettingDuringAnOutstandingReadEndsItWithConnectionReset) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    std::array<char, 64> buf{};
    auto o = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(buf), record(o));
    ASSERT_FALSE(run_until(
        io, [&] { return o->done(); }, tls::test::Millis(100)));
    set_reset_on_close(p.server->lowest_layer());
    p.server->lowest_layer().close();
    ASSERT_TRUE(run_until(io, [&] { return o->done(); }));
    EXPECT_EQ(std::get<0>(*o->result), ::asio::error::connection_reset)
        << std::get<0>(*o->result).message();
}

TEST(AsioVanishingPeer, WritingToAResetPeerFailsWithATransportError) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    set_reset_on_close(p.server->lowest_layer());
    p.server->lowest_layer().close();
    // The first writes may still land in the kernel's buffer; the RST turns a later one into
    // EPIPE/ECONNRESET. MSG_NOSIGNAL or not, no SIGPIPE may kill the test.
    std::error_code ec;
    const std::string chunk(16384, 'x');
    for (int i = 0; i < 64 && !ec; ++i) {
        ec = write_all(io, *p.client, chunk);
    }
    EXPECT_TRUE(ec == ::asio::error::broken_pipe || ec == ::asio::error::connection_reset)
        << ec.message();
}

TEST(AsioVanishingPeer, ShutdownAgainstAPeerThatClosedTcpEndsWithSSLEof) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    p.server->lowest_layer().shutdown(tcp::socket::shutdown_send);  // FIN, keeps reading
    const std::error_code ec = shutdown(io, *p.client);
    EXPECT_EQ(ec, tls::SSLErrc::eof) << ec.message() << " " << p.client->last_error().message;
}

}  // namespace
