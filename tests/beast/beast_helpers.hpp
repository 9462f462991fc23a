// tlsctx tests — Boost.Beast over tls::boost_asio::stream<beast::tcp_stream> (issue 13): a Beast
// HTTPS client that fetches one page and records every step, and a Beast HTTPS server on its own
// thread. C++17 callbacks (the examples show the coroutine spelling). Every operation is bounded
// by tcp_stream::expires_after and every io_context by run_for, so nothing outlives a test.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tls/boost_asio.hpp"
#include "tls/tls.hpp"

namespace tls::test::beast_support {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using net::ip::tcp;
using Stream = tls::boost_asio::stream<beast::tcp_stream>;

inline constexpr std::chrono::seconds kStepTimeout{10};

inline tcp::endpoint loopback(std::uint16_t port) {
    return {net::ip::make_address("127.0.0.1"), port};
}

/// The stream's last_error(), or std::nullopt when no TLS call failed (a connect error).
inline std::optional<tls::ErrorInfo> last_error_of(const Stream& stream) {
    const tls::ErrorInfo& e = stream.last_error();
    if (!e.code) {
        return std::nullopt;
    }
    return e;
}

/// What a Beast client saw fetching one page: the step that failed (empty when none did) with
/// its error and the stream's last_error(), or the response and the negotiated facts.
struct Fetched {
    std::string failed_step;  ///< "connect", "handshake", "write" or "read"
    beast::error_code ec;
    std::optional<tls::ErrorInfo> tls_error;  ///< last_error() when a TLS step failed
    http::response<http::string_body> response;
    std::optional<std::string> version;
    std::optional<std::string> cipher;
    bool session_reused = false;
    /// How the close_notify exchange after the response ended (nullopt: not reached).
    std::optional<beast::error_code> shutdown_ec;
};

/// Fetches `target` from 127.0.0.1:port as `host` (verified and sent as SNI) with Beast's
/// http::async_write / http::async_read, then exchanges close_notify (async_shutdown).
inline Fetched beast_fetch(const tls::Context& ctx, std::uint16_t port, const std::string& host,
                           const std::string& target) {
    net::io_context io;
    Stream stream(io, ctx);
    Fetched out;
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, host);
    beast::flat_buffer buffer;
    auto fail = [&](const char* step, beast::error_code ec) {
        out.failed_step = step;
        out.ec = ec;
        out.tls_error = last_error_of(stream);
    };
    stream.next_layer().expires_after(kStepTimeout);
    stream.next_layer().async_connect(loopback(port), [&](beast::error_code ec) {
        if (ec) {
            return fail("connect", ec);
        }
        stream.async_handshake(Stream::client, host, [&](beast::error_code ec) {
            if (ec) {
                return fail("handshake", ec);
            }
            out.version = stream.version();
            out.cipher = stream.cipher()->name;
            out.session_reused = stream.session_reused();
            http::async_write(stream, request, [&](beast::error_code ec, std::size_t) {
                if (ec) {
                    return fail("write", ec);
                }
                http::async_read(
                    stream, buffer, out.response, [&](beast::error_code ec, std::size_t) {
                        if (ec) {
                            return fail("read", ec);
                        }
                        stream.async_shutdown([&](beast::error_code ec) { out.shutdown_ec = ec; });
                    });
            });
        });
    });
    io.run_for(std::chrono::seconds(30));
    return out;
}

/// What the Beast server saw on one connection.
struct ServedConnection {
    std::string failed_step;  ///< "accept", "handshake", "read", "write" or "" when none failed
    beast::error_code ec;
    std::optional<tls::ErrorInfo> tls_error;
    std::optional<std::string> version;
    std::optional<std::string> cipher;
    std::optional<std::string> sni;   ///< server_name(): the name the client asked for
    std::optional<std::string> alpn;  ///< selected_alpn_protocol()
    std::string request_line;         ///< "GET /x HTTP/1.1"
    beast::error_code shutdown_ec;    ///< how the final close_notify exchange ended
};

/// A Beast HTTPS server on 127.0.0.1:0 and its own thread for `count` connections, one request
/// each: it answers with a page naming what it negotiated ("version=..", "sni=..") and
/// "Connection: close", then sends close_notify and waits for the client's.
class BeastServer {
  public:
    BeastServer(const tls::Context& ctx, std::size_t count)
        : ctx_(ctx), acceptor_(io_, loopback(0)), seen_(count) {
        accept(0);
        thread_ = std::thread([this] { io_.run_for(std::chrono::seconds(30)); });
    }
    ~BeastServer() { join(); }
    BeastServer(const BeastServer&) = delete;
    BeastServer& operator=(const BeastServer&) = delete;

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    /// Waits (bounded by the server's own run_for) until every connection has ended.
    const std::vector<ServedConnection>& join() {
        if (thread_.joinable()) {
            thread_.join();
        }
        return seen_;
    }

  private:
    struct Session : std::enable_shared_from_this<Session> {
        Session(tcp::socket socket, const tls::Context& ctx, ServedConnection& seen)
            : stream(beast::tcp_stream(std::move(socket)), ctx), seen(seen) {}

        void fail(const char* step, beast::error_code ec) {
            seen.failed_step = step;
            seen.ec = ec;
            seen.tls_error = last_error_of(stream);
        }

        void start() {
            stream.next_layer().expires_after(kStepTimeout);
            stream.async_handshake(Stream::server,
                                   [self = shared_from_this()](beast::error_code ec) {
                                       if (ec) {
                                           return self->fail("handshake", ec);
                                       }
                                       self->seen.version = self->stream.version();
                                       self->seen.cipher = self->stream.cipher()->name;
                                       self->seen.sni = self->stream.server_name();
                                       self->seen.alpn = self->stream.selected_alpn_protocol();
                                       self->read();
                                   });
        }

        void read() {
            http::async_read(stream, buffer, request,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                 if (ec) {
                                     return self->fail("read", ec);
                                 }
                                 self->answer();
                             });
        }

        void answer() {
            seen.request_line = std::string(request.method_string()) + " " +
                                std::string(request.target()) + " HTTP/1.1";
            response = {http::status::ok, request.version()};
            response.set(http::field::content_type, "text/plain");
            response.body() = "version=" + seen.version.value_or("") +
                              "\ncipher=" + seen.cipher.value_or("") +
                              "\nsni=" + seen.sni.value_or("") + "\n";
            response.keep_alive(false);
            response.prepare_payload();
            http::async_write(
                stream, response, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                    if (ec) {
                        return self->fail("write", ec);
                    }
                    self->stream.async_shutdown(
                        [self](beast::error_code ec) { self->seen.shutdown_ec = ec; });
                });
        }

        Stream stream;
        ServedConnection& seen;
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::response<http::string_body> response;
    };

    void accept(std::size_t index) {
        if (index == seen_.size()) {
            return;
        }
        acceptor_.async_accept([this, index](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                seen_[index].failed_step = "accept";
                seen_[index].ec = ec;
                return;
            }
            std::make_shared<Session>(std::move(socket), ctx_, seen_[index])->start();
            accept(index + 1);
        });
    }

    tls::Context ctx_;
    net::io_context io_;
    tcp::acceptor acceptor_;
    std::vector<ServedConnection> seen_;
    std::thread thread_;
};

}  // namespace tls::test::beast_support
