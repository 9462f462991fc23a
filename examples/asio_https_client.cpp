// asio_https_client.cpp — an HTTPS GET written with C++20 coroutines over standalone Asio and
// tls::asio::stream<asio::ip::tcp::socket>. The stream is a drop-in for asio::ssl::stream, but a
// default tls::Context already verifies the chain and the host name and sends SNI: nothing to
// switch on. Prints the status line, the TLS version and cipher, and the body's length.
//
// Run: example_asio_https_client HOST PORT [PATH] [--cafile F]
//   without --cafile the system's trust store is used;
//   on loopback: example_beast_https_server --port 0 --cert cert.pem --key key.pem, then
//   example_asio_https_client localhost PORT / --cafile ca.pem
// Leaves out: timeouts (asio::steady_timer with cancellation slots, or see
// beast_https_client.cpp), chunked bodies (it asks for HTTP/1.0, so the server closes instead)
// and keep-alive.
#include <asio.hpp>
#include <tls/asio.hpp>
#include <tls/tls.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

using asio::ip::tcp;

namespace {

asio::awaitable<int> fetch(tls::Context ctx, std::string host, std::string port, std::string path) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(host, port, asio::use_awaitable);
    tls::asio::stream<tcp::socket> stream(executor, ctx);
    co_await asio::async_connect(stream.next_layer(), endpoints, asio::use_awaitable);

    // The host name is checked against the certificate and sent as SNI.
    std::error_code ec;
    co_await stream.async_handshake(tls::asio::stream_base::client, host,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec == tls::SSLErrc::cert_verification) {
        std::cerr << "certificate refused: " << stream.last_error().verify_message << "\n";
        co_return EXIT_FAILURE;
    }
    if (ec) {
        throw std::system_error(ec, "handshake");
    }

    const std::string request =
        "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: tlsctx-example\r\n\r\n";
    co_await asio::async_write(stream, asio::buffer(request), asio::use_awaitable);

    // HTTP/1.0: the response ends where the connection does. asio::error::eof means the server
    // sent close_notify; tls::SSLErrc::eof means it just closed TCP, so the body may be cut short.
    std::string response;
    co_await asio::async_read(stream, asio::dynamic_buffer(response),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec == tls::SSLErrc::eof) {
        std::cerr << "the server closed without close_notify: the response may be truncated\n";
        co_return EXIT_FAILURE;
    }
    if (ec != asio::error::eof) {
        throw std::system_error(ec, "read");
    }
    const std::size_t head_end = response.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        std::cerr << "not an HTTP response\n";
        co_return EXIT_FAILURE;
    }
    std::cout << response.substr(0, response.find("\r\n")) << "\n"
              << "tls: " << stream.version().value_or("?") << " " << stream.cipher()->name << "\n"
              << "body: " << response.size() - head_end - 4 << " bytes\n";
    co_return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) try {
    std::string positional[3] = {"", "", "/"};
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
    if (count < 2) {
        std::cerr << "usage: example_asio_https_client HOST PORT [PATH] [--cafile F]\n";
        return 2;
    }

    // Secure defaults: verifies the chain and the host name. Without anchors of its own it
    // trusts the system store (loaded before the first handshake).
    tls::Context ctx;
    if (!cafile.empty()) {
        ctx.load_verify_locations(cafile);
    }
    asio::io_context io;
    auto result = asio::co_spawn(io, fetch(ctx, positional[0], positional[1], positional[2]),
                                 asio::use_future);
    io.run();
    return result.get();  // rethrows what the coroutine threw
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return EXIT_FAILURE;
}
