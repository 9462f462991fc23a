// beast::tcp_stream timeouts under tls::boost_asio::stream (issue 13): expires_after bounds the
// TLS handshake and reads as it bounds plain TCP, and a step that runs out of time ends with
// beast::error::timeout. The silent peers are real: a listener whose connections the kernel
// completes but nobody reads or answers, and a tlsctx server that handshakes and then says
// nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "beast/beast_helpers.hpp"
#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::beast_support::loopback;
using tls::test::beast_support::Stream;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kTimeout = 300ms;

TEST(TcpStreamTimeout, HandshakeWithAListenerThatNeverAnswersEndsInBeastTimeout) {
    net::io_context io;
    tcp::acceptor silent(io, loopback(0));  // never accepts: the ClientHello goes unanswered
    Stream stream(io, client_context());
    beast::error_code connect_ec;
    std::optional<beast::error_code> handshake_ec;
    Clock::duration took{};
    stream.next_layer().async_connect(silent.local_endpoint(), [&](beast::error_code ec) {
        connect_ec = ec;
        if (ec) {
            return;
        }
        stream.next_layer().expires_after(kTimeout);
        const Clock::time_point start = Clock::now();
        stream.async_handshake(Stream::client, "localhost", [&, start](beast::error_code ec) {
            handshake_ec = ec;
            took = Clock::now() - start;
        });
    });
    io.run_for(20s);
    ASSERT_FALSE(connect_ec) << connect_ec.message();
    ASSERT_TRUE(handshake_ec.has_value()) << "the handshake did not end within 20 s";
    EXPECT_EQ(*handshake_ec, beast::error::timeout) << handshake_ec->message();
    EXPECT_GE(took, kTimeout);
    EXPECT_LT(took, 5s);
    EXPECT_FALSE(stream.next_layer().socket().is_open());  // tcp_stream closes on its timeout
}

TEST(TcpStreamTimeout, ReadFromAServerThatSaysNothingEndsInBeastTimeout) {
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    // The server handshakes, then waits for the client to give up and close.
    tls::test::ServerThread server = tls::test::run_server_in_thread(listener, [](tls::Socket& s) {
        try {
            (void)s.recv();
        } catch (const std::exception&) {
            // the client's timeout closes TCP without close_notify: expected here
        }
    });
    net::io_context io;
    Stream stream(io, client_context());
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    std::optional<beast::error_code> read_ec;
    Clock::duration took{};
    stream.next_layer().expires_after(10s);
    stream.next_layer().async_connect(loopback(listener.port()), [&](beast::error_code ec) {
        ASSERT_FALSE(ec) << ec.message();
        stream.async_handshake(Stream::client, "localhost", [&](beast::error_code ec) {
            ASSERT_FALSE(ec) << ec.message();
            stream.next_layer().expires_after(kTimeout);
            const Clock::time_point start = Clock::now();
            http::async_read(stream, buffer, response,
                             [&, start](beast::error_code ec, std::size_t) {
                                 read_ec = ec;
                                 took = Clock::now() - start;
                             });
        });
    });
    io.run_for(20s);
    server.join();
    ASSERT_TRUE(read_ec.has_value()) << "the read did not end within 20 s";
    EXPECT_EQ(*read_ec, beast::error::timeout) << read_ec->message();
    EXPECT_GE(took, kTimeout);
    EXPECT_LT(took, 5s);
}

}  // namespace
