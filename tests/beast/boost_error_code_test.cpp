// Error codes of tls::boost_asio::stream (issue 13): TLS failures are boost::system::error_codes
// in tls::boost_asio::ssl_category() that compare equal to tls::SSLErrc values, and to_std()
// turns them into tlsctx's std::error_code; how a read ends tells close_notify (net::error::eof)
// from truncation (tls::SSLErrc::eof, Python's SSLEOFError) and from a reset (the transport's own
// code); the blocking overloads throw the Python-tree exceptions. Both ends are tlsctx streams
// over loopback TCP in one io_context (or the server on a thread for the blocking client).
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "beast/beast_helpers.hpp"
#include "support/feature_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::TestPki;
using tls::test::beast_support::last_error_of;
using tls::test::beast_support::loopback;
using tls::test::beast_support::Stream;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace beast = boost::beast;
namespace net = boost::asio;
using net::ip::tcp;

// How the client's handshake and reads ended against a server that, after its handshake, runs
// `then` on its stream.
struct ClientEnd {
    beast::error_code handshake_ec;
    std::optional<tls::ErrorInfo> handshake_error;
    std::string data;                              // everything read
    beast::error_code ec;                          // what ended the reads
    std::optional<beast::error_code> shutdown_ec;  // after net::error::eof: our close_notify
};

ClientEnd run_pair(const tls::Context& server_ctx, const std::function<void(Stream&)>& then) {
    net::io_context io;
    tcp::acceptor acceptor(io, loopback(0));
    Stream client(io, client_context());
    std::optional<Stream> server;
    ClientEnd out;
    std::array<char, 4096> buffer{};
    std::function<void()> read_more = [&] {
        client.async_read_some(net::buffer(buffer), [&](beast::error_code ec, std::size_t n) {
            out.data.append(buffer.data(), n);
            if (!ec) {
                return read_more();
            }
            out.ec = ec;
            if (ec == net::error::eof) {  // the server's close_notify: answer it
                client.async_shutdown(
                    [&](beast::error_code shutdown_ec) { out.shutdown_ec = shutdown_ec; });
            }
        });
    };
    acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
        if (ec) {
            return;
        }
        server.emplace(beast::tcp_stream(std::move(socket)), server_ctx);
        server->next_layer().expires_after(std::chrono::seconds(10));
        server->async_handshake(Stream::server, [&](beast::error_code ec) {
            if (!ec) {
                then(*server);
            }
        });
    });
    client.next_layer().expires_after(std::chrono::seconds(10));
    client.next_layer().async_connect(acceptor.local_endpoint(), [&](beast::error_code ec) {
        if (ec) {
            out.handshake_ec = ec;
            return;
        }
        client.async_handshake(Stream::client, "localhost", [&](beast::error_code ec) {
            out.handshake_ec = ec;
            if (ec) {
                out.handshake_error = last_error_of(client);
                return;
            }
            read_more();
        });
    });
    io.run_for(std::chrono::seconds(20));
    return out;
}

// Sends "bye", then `after` (on the server's stream).
std::function<void(Stream&)> say_bye_then(std::function<void(Stream&)> after) {
    return [after](Stream& server) {
        net::async_write(server, net::buffer("bye", 3),
                         [&server, after](beast::error_code ec, std::size_t) {
                             if (!ec) {
                                 after(server);
                             }
                         });
    };
}

TEST(BoostErrorCode, CertVerificationFailureIsAnSSLErrcInBothErrorCodeWorlds) {
    const ClientEnd end =
        run_pair(server_context(TestPki::get().untrusted_localhost()), [](Stream&) {});
    const beast::error_code& ec = end.handshake_ec;
    EXPECT_EQ(ec, tls::SSLErrc::cert_verification) << ec.message();
    EXPECT_EQ(tls::SSLErrc::cert_verification, ec);
    EXPECT_NE(ec, tls::SSLErrc::ssl);
    EXPECT_EQ(&ec.category(), &tls::boost_asio::ssl_category());
    EXPECT_STREQ(ec.category().name(), tls::ssl_category().name());
    EXPECT_EQ(ec.message(), tls::make_error_code(tls::SSLErrc::cert_verification).message());

    const std::error_code std_ec = tls::boost_asio::to_std(ec);
    EXPECT_EQ(&std_ec.category(), &tls::ssl_category());
    EXPECT_EQ(std_ec, tls::SSLErrc::cert_verification);
    EXPECT_EQ(std_ec.value(), ec.value());

    ASSERT_TRUE(end.handshake_error.has_value());
    EXPECT_EQ(end.handshake_error->code, std_ec);
    EXPECT_EQ(end.handshake_error->verify_code, 20) << end.handshake_error->verify_message;
}

TEST(BoostErrorCode, CloseNotifyEndsTheReadsWithNetEof) {
    const ClientEnd end = run_pair(server_context(), say_bye_then([](Stream& server) {
                                       server.async_shutdown([](beast::error_code) {});
                                   }));
    ASSERT_FALSE(end.handshake_ec) << end.handshake_ec.message();
    EXPECT_EQ(end.data, "bye");
    EXPECT_EQ(end.ec, net::error::eof) << end.ec.message();
    EXPECT_NE(end.ec, tls::SSLErrc::eof);
    ASSERT_TRUE(end.shutdown_ec.has_value());
    EXPECT_FALSE(*end.shutdown_ec) << end.shutdown_ec->message();
}

TEST(BoostErrorCode, TruncationEndsTheReadsWithSSLErrcEof) {
    const ClientEnd end = run_pair(server_context(), say_bye_then([](Stream& server) {
                                       server.next_layer().close();  // TCP FIN, no close_notify
                                   }));
    ASSERT_FALSE(end.handshake_ec) << end.handshake_ec.message();
    EXPECT_EQ(end.data, "bye");
    EXPECT_EQ(end.ec, tls::SSLErrc::eof) << end.ec.message();
    EXPECT_NE(end.ec, net::error::eof);
    EXPECT_EQ(tls::boost_asio::to_std(end.ec), tls::SSLErrc::eof);
    EXPECT_FALSE(end.shutdown_ec.has_value());
}

TEST(BoostErrorCode, ResetKeepsTheTransportsOwnCode) {
    const ClientEnd end = run_pair(server_context(), [](Stream& server) {
        tcp::socket& socket = server.next_layer().socket();
        socket.set_option(net::socket_base::linger(true, 0));  // close() sends RST
        socket.close();
    });
    ASSERT_FALSE(end.handshake_ec) << end.handshake_ec.message();
    EXPECT_EQ(end.ec, net::error::connection_reset) << end.ec.message();
    EXPECT_NE(&end.ec.category(), &tls::boost_asio::ssl_category());
}

// The blocking client against a server on a thread whose io_context ends by itself; when it
// ends, its socket closes, so no blocking call of the client can wait longer.
TEST(BoostErrorCode, BlockingReadThrowsSSLEOFErrorOnTruncationAndNetEofOnCloseNotify) {
    for (const bool close_notify : {true, false}) {
        SCOPED_TRACE(close_notify ? "close_notify" : "truncation");
        net::io_context server_io;
        tcp::acceptor acceptor(server_io, loopback(0));
        std::thread server_thread([&] {
            std::optional<Stream> server;
            acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
                if (ec) {
                    return;
                }
                server.emplace(beast::tcp_stream(std::move(socket)), server_context());
                server->async_handshake(Stream::server, [&](beast::error_code ec) {
                    if (ec) {
                        return;
                    }
                    say_bye_then([close_notify](Stream& s) {
                        if (close_notify) {
                            s.async_shutdown([](beast::error_code) {});
                        } else {
                            s.next_layer().close();
                        }
                    })(*server);
                });
            });
            server_io.run_for(std::chrono::seconds(10));
        });

        net::io_context io;
        Stream client(io, client_context());
        client.next_layer().connect(acceptor.local_endpoint());
        client.handshake(Stream::client, "localhost");
        std::array<char, 16> buffer{};
        const std::size_t n = client.read_some(net::buffer(buffer));
        EXPECT_EQ(std::string(buffer.data(), n), "bye");
        if (close_notify) {
            try {
                (void)client.read_some(net::buffer(buffer));
                ADD_FAILURE() << "read after close_notify returned";
            } catch (const boost::system::system_error& e) {
                EXPECT_EQ(e.code(), net::error::eof) << e.what();
            }
            client.shutdown();  // answers the server's close_notify
        } else {
            try {
                (void)client.read_some(net::buffer(buffer));
                ADD_FAILURE() << "read after truncation returned";
            } catch (const tls::SSLEOFError& e) {
                EXPECT_EQ(e.code(), tls::SSLErrc::eof);
            }
        }
        server_thread.join();
    }
}

}  // namespace
