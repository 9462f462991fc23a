// beast_https_server.cpp — a Boost.Beast HTTPS server over
// tls::boost_asio::stream<beast::tcp_stream>, in C++20 coroutines: one coroutine per connection,
// keep-alive, tcp_stream timeouts on every step, close_notify at the end. Each page names the
// request and what TLS negotiated.
//
// Run: example_beast_https_server --cert cert.pem --key key.pem [--port N] [--exit-after N]
//   listens on 127.0.0.1; the first line of stdout is "listening on 127.0.0.1:PORT" (with
//   --port 0, the default, the kernel picks the port); with --exit-after N it stops accepting
//   after N requests and exits once its connections have ended.
//   e.g. curl --cacert ca.pem https://localhost:PORT/hello
// Leaves out: client certificates (ctx.set_verify_mode(tls::CERT_REQUIRED) with
// load_verify_locations), request bodies, SIGINT handling (net::signal_set).
// Boost 1.74's boost/asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <tls/boost_asio.hpp>
#include <tls/tls.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using net::ip::tcp;
using Stream = tls::boost_asio::stream<beast::tcp_stream>;

namespace {

struct Server {
    tcp::acceptor acceptor;
    tls::Context ctx;
    long requests_left;  // < 0: without end
};

http::response<http::string_body> page(const http::request<http::string_body>& request,
                                       const Stream& stream) {
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::server, "tlsctx-beast-example");
    response.set(http::field::content_type, "text/plain");
    response.body() = "hello from tlsctx and Beast\npath: " + std::string(request.target()) +
                      "\nversion: " + stream.version().value_or("?") +
                      "\ncipher: " + stream.cipher()->name +
                      "\nsni: " + stream.server_name().value_or("") + "\n";
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    return response;
}

net::awaitable<void> session(Server& server, Stream stream) {
    beast::tcp_stream& tcp = stream.next_layer();
    tcp.expires_after(std::chrono::seconds(10));
    co_await stream.async_handshake(Stream::server, net::use_awaitable);
    beast::flat_buffer buffer;
    beast::error_code ec;
    for (bool open = true; open;) {
        http::request<http::string_body> request;
        tcp.expires_after(std::chrono::seconds(30));
        co_await http::async_read(stream, buffer, request,
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec == http::error::end_of_stream || ec == net::error::eof) {
            break;  // the client sent close_notify between requests
        }
        if (ec) {
            throw beast::system_error(ec, "read");
        }
        auto response = page(request, stream);
        if (server.requests_left > 0 && --server.requests_left == 0) {
            response.keep_alive(false);  // the last one: no further request on this connection
            server.acceptor.close();
        }
        open = response.keep_alive();
        co_await http::async_write(stream, response, net::use_awaitable);
    }
    // Our close_notify; a client that already closed TCP makes this fail, which changes nothing.
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
}

void report(std::exception_ptr e) {
    try {
        if (e) {
            std::rethrow_exception(e);
        }
    } catch (const std::exception& x) {
        std::cerr << "connection: " << x.what() << "\n";
    }
}

net::awaitable<void> serve(Server& server) {
    while (server.acceptor.is_open()) {
        beast::error_code ec;
        tcp::socket socket =
            co_await server.acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
        if (ec == net::error::operation_aborted) {
            break;  // closed after the last request
        }
        if (ec) {
            throw beast::system_error(ec, "accept");
        }
        net::co_spawn(server.acceptor.get_executor(),
                      session(server, Stream(beast::tcp_stream(std::move(socket)), server.ctx)),
                      report);
    }
}

}  // namespace

int main(int argc, char** argv) try {
    std::string cert, key;
    unsigned short port = 0;
    long exit_after = -1;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--cert" && has_value) {
            cert = argv[++i];
        } else if (arg == "--key" && has_value) {
            key = argv[++i];
        } else if (arg == "--port" && has_value) {
            port = static_cast<unsigned short>(std::stoul(argv[++i]));
        } else if (arg == "--exit-after" && has_value) {
            exit_after = std::stol(argv[++i]);
        } else {
            cert.clear();
            break;
        }
    }
    if (cert.empty() || key.empty() || exit_after == 0) {
        std::cerr << "usage: example_beast_https_server --cert F --key F [--port N] "
                     "[--exit-after N]\n";
        return 2;
    }
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(cert, key);
    ctx.set_alpn_protocols({"http/1.1"});  // Beast speaks no HTTP/2
    net::io_context io;
    Server server{tcp::acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), port)), ctx,
                  exit_after};
    std::cout << "listening on 127.0.0.1:" << server.acceptor.local_endpoint().port() << std::endl;
    net::co_spawn(io, serve(server), report);
    io.run();  // returns once the acceptor is closed and every connection has ended
    return EXIT_SUCCESS;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return EXIT_FAILURE;
}
