// Beast's websocket::stream over tls::boost_asio::stream (issue 13: a drop-in for
// beast::ssl_stream): the TLS handshake, the websocket upgrade, messages both ways, and the
// close handshake, which ends the TLS layer through the teardown overloads of
// tls/boost_asio.hpp (close_notify both ways). Both ends are tlsctx in one io_context over
// loopback TCP, each step bounded by the tcp_stream timeout.
#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>

#include <optional>
#include <string>

#include "beast/beast_helpers.hpp"
#include "support/feature_helpers.hpp"
#include "tls/native.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::beast_support::loopback;
using tls::test::beast_support::Stream;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using net::ip::tcp;

TEST(BeastWebsocket, EchoesOverTlsAndClosesTheTlsLayerWithCloseNotify) {
    net::io_context io;
    tcp::acceptor acceptor(io, loopback(0));
    websocket::stream<Stream> client(io, client_context());
    std::optional<websocket::stream<Stream>> server;
    beast::flat_buffer server_buffer, client_buffer;
    std::string echoed;
    beast::error_code server_end, client_close;

    acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
        ASSERT_FALSE(ec) << ec.message();
        server.emplace(beast::tcp_stream(std::move(socket)), server_context());
        beast::get_lowest_layer(*server).expires_after(std::chrono::seconds(10));
        server->next_layer().async_handshake(Stream::server, [&](beast::error_code ec) {
            ASSERT_FALSE(ec) << ec.message();
            server->async_accept([&](beast::error_code ec) {
                ASSERT_FALSE(ec) << ec.message();
                server->async_read(server_buffer, [&](beast::error_code ec, std::size_t) {
                    ASSERT_FALSE(ec) << ec.message();
                    server->text(true);
                    server->async_write(server_buffer.data(), [&](beast::error_code ec,
                                                                  std::size_t) {
                        ASSERT_FALSE(ec) << ec.message();
                        // The client's close frame ends this read; Beast then tears TLS down.
                        server->async_read(server_buffer, [&](beast::error_code ec, std::size_t) {
                            server_end = ec;
                        });
                    });
                });
            });
        });
    });
    beast::get_lowest_layer(client).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(client).async_connect(
        acceptor.local_endpoint(), [&](beast::error_code ec) {
            ASSERT_FALSE(ec) << ec.message();
            client.next_layer().async_handshake(
                Stream::client, "localhost", [&](beast::error_code ec) {
                    ASSERT_FALSE(ec) << ec.message();
                    client.async_handshake("localhost", "/", [&](beast::error_code ec) {
                        ASSERT_FALSE(ec) << ec.message();
                        client.async_write(
                            net::buffer(std::string("ping over tls")),
                            [&](beast::error_code ec, std::size_t) {
                                ASSERT_FALSE(ec) << ec.message();
                                client.async_read(
                                    client_buffer, [&](beast::error_code ec, std::size_t) {
                                        ASSERT_FALSE(ec) << ec.message();
                                        echoed = beast::buffers_to_string(client_buffer.data());
                                        client.async_close(
                                            websocket::close_code::normal,
                                            [&](beast::error_code ec) { client_close = ec; });
                                    });
                            });
                    });
                });
        });
    io.run_for(std::chrono::seconds(30));

    EXPECT_EQ(echoed, "ping over tls");
    EXPECT_FALSE(client_close) << client_close.message();
    EXPECT_EQ(server_end, websocket::error::closed) << server_end.message();
    // Both teardowns were TLS shutdowns: each end sent close_notify and read the other's.
    const int both = SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN;
    EXPECT_EQ(SSL_get_shutdown(tls::native::handle(client.next_layer().connection())), both);
    ASSERT_TRUE(server.has_value());
    EXPECT_EQ(SSL_get_shutdown(tls::native::handle(server->next_layer().connection())), both);
}

}  // namespace
