// beast_https_client.cpp — Boost.Beast's HTTP client over
// tls::boost_asio::stream<beast::tcp_stream>, in C++20 coroutines. Where Beast's own examples use
// beast::ssl_stream over asio::ssl::context (and must switch on verification, the host name check
// and SNI by hand), a default tls::Context does all three. tcp_stream::expires_after bounds every
// step, the TLS handshake included.
//
// Run: example_beast_https_client HOST PORT PATH [--cafile F]
//   without --cafile the system's trust store is used;
//   on loopback: example_beast_https_server --port 0 --cert cert.pem --key key.pem, then
//   example_beast_https_client localhost PORT / --cafile ca.pem
// Prints the status line, the TLS version and cipher, the body's length, then the body.
// Leaves out: keep-alive and redirects; HTTP/2 (Beast speaks HTTP/1.1 only).
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
using Stream = tls::boost_asio::stream<beast::tcp_stream>;

namespace {

net::awaitable<int> fetch(tls::Context ctx, std::string host, std::string port,
                          std::string target) {
    auto executor = co_await net::this_coro::executor;
    net::ip::tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(host, port, net::use_awaitable);
    Stream stream(executor, ctx);
    beast::tcp_stream& tcp = stream.next_layer();
    tcp.expires_after(std::chrono::seconds(10));  // connect and handshake together
    co_await tcp.async_connect(endpoints, net::use_awaitable);

    beast::error_code ec;
    co_await stream.async_handshake(Stream::client, host,
                                    net::redirect_error(net::use_awaitable, ec));
    if (ec == tls::SSLErrc::cert_verification) {
        std::cerr << "certificate refused: " << stream.last_error().verify_message << "\n";
        co_return EXIT_FAILURE;
    }
    if (ec == beast::error::timeout) {
        std::cerr << "handshake: no answer within 10 s\n";
        co_return EXIT_FAILURE;
    }
    if (ec) {
        throw beast::system_error(ec, "handshake");
    }

    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "tlsctx-example");
    tcp.expires_after(std::chrono::seconds(30));
    co_await http::async_write(stream, request, net::use_awaitable);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    co_await http::async_read(stream, buffer, response, net::use_awaitable);

    std::cout << "HTTP/1.1 " << response.result_int() << " " << response.reason() << "\n"
              << "tls: " << stream.version().value_or("?") << " " << stream.cipher()->name << "\n"
              << "body: " << response.body().size() << " bytes\n"
              << response.body();

    // close_notify both ways; a server that closes TCP without answering makes this
    // tls::SSLErrc::eof, harmless here since the whole response has arrived.
    co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));
    if (ec && ec != tls::SSLErrc::eof && ec != net::error::eof) {
        std::cerr << "shutdown: " << ec.message() << "\n";
    }
    co_return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) try {
    std::string positional[3];
    std::string cafile;
    int count = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--cafile" && i + 1 < argc) {
            cafile = argv[++i];
        } else if (count < 3 && arg.rfind("--", 0) != 0) {
            positional[count++] = arg;
        } else {
            count = -1;
            break;
        }
    }
    if (count != 3) {
        std::cerr << "usage: example_beast_https_client HOST PORT PATH [--cafile F]\n";
        return 2;
    }

    // Secure defaults: verifies the chain and the host name. Without anchors of its own it
    // trusts the system store (loaded before the first handshake).
    tls::Context ctx;
    if (!cafile.empty()) {
        ctx.load_verify_locations(cafile);
    }
    net::io_context io;
    auto result =
        net::co_spawn(io, fetch(ctx, positional[0], positional[1], positional[2]), net::use_future);
    io.run();
    return result.get();  // rethrows what the coroutine threw
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return EXIT_FAILURE;
}
