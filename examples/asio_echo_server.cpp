// asio_echo_server.cpp — a TLS echo server written with C++20 coroutines over standalone Asio and
// tls::asio::stream<asio::ip::tcp::socket>: one coroutine per connection, which handshakes,
// echoes until the client's close_notify and answers it with its own.
//
// Run: example_asio_echo_server --self-test
//        one process: makes a throw-away CA, serves on 127.0.0.1:0 and runs a client against
//        itself (three messages echoed, close_notify both ways); prints one line
//      example_asio_echo_server --cert cert.pem --key key.pem [--port N] [--connections N]
//        serves on 127.0.0.1 (port 0: the kernel picks; the first line names the port), and
//        exits after N connections when --connections is given
// Leaves out: timeouts (asio::steady_timer with cancellation slots), client certificates, and
// a graceful stop on SIGINT (asio::signal_set).
#include <asio.hpp>
#include <tls/asio.hpp>
#include <tls/pki.hpp>
#include <tls/tls.hpp>

#include <array>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using asio::ip::tcp;
using Stream = tls::asio::stream<tcp::socket>;

namespace {

asio::awaitable<void> echo(Stream stream) {
    co_await stream.async_handshake(Stream::server, asio::use_awaitable);
    std::array<char, 16384> buffer{};
    for (;;) {
        std::error_code ec;
        const std::size_t n = co_await stream.async_read_some(
            asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::eof) {
            break;  // the client's close_notify (tls::SSLErrc::eof would be a truncation)
        }
        if (ec) {
            throw std::system_error(ec, "read");
        }
        co_await asio::async_write(stream, asio::buffer(buffer.data(), n), asio::use_awaitable);
    }
    co_await stream.async_shutdown(asio::use_awaitable);  // our close_notify
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

// Accepts `connections` connections (0: without end), each served by its own coroutine.
asio::awaitable<void> serve(tcp::acceptor& acceptor, tls::Context ctx, long connections) {
    for (long i = 0; connections == 0 || i < connections; ++i) {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), echo(Stream(std::move(socket), ctx)), report);
    }
}

// The self-test's client: sends each message, reads its echo back, then close_notify both ways.
asio::awaitable<std::string> client(tls::Context ctx, tcp::endpoint server) {
    Stream stream(co_await asio::this_coro::executor, ctx);
    co_await stream.next_layer().async_connect(server, asio::use_awaitable);
    co_await stream.async_handshake(Stream::client, "localhost", asio::use_awaitable);
    std::size_t echoed = 0;
    const std::vector<std::string> messages{"hello", "world", std::string(100000, 'x')};
    for (const std::string& message : messages) {
        std::string back(message.size(), '\0');
        co_await asio::async_write(stream, asio::buffer(message), asio::use_awaitable);
        co_await asio::async_read(stream, asio::buffer(back), asio::use_awaitable);
        if (back != message) {
            throw std::runtime_error("the echo differs from what was sent");
        }
        echoed += back.size();
    }
    co_await stream.async_shutdown(asio::use_awaitable);  // completes on the server's close_notify
    co_return std::to_string(echoed) + " bytes echoed over " + stream.version().value_or("?");
}

int self_test() {
    tls::pki::CertificateAuthority ca;
    tls::pki::IssuedCert leaf = ca.issue_cert({"localhost"});
    tls::Context server_ctx(tls::PROTOCOL_TLS_SERVER);
    server_ctx.load_cert_chain_pem(leaf.cert_chain_pem(), leaf.private_key_pem());
    tls::Context client_ctx;  // secure defaults: verifies the chain and the host name
    client_ctx.load_verify_cadata(ca.cert_pem());

    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::co_spawn(io, serve(acceptor, server_ctx, 1), asio::detached);
    auto result =
        asio::co_spawn(io, client(client_ctx, acceptor.local_endpoint()), asio::use_future);
    io.run();  // returns once both sides have finished
    std::cout << "asio_echo_server: self-test: " << result.get() << "; close_notify both ways\n";
    return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) try {
    std::string cert, key;
    unsigned short port = 0;
    long connections = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--self-test") {
            return self_test();
        } else if (arg == "--cert" && has_value) {
            cert = argv[++i];
        } else if (arg == "--key" && has_value) {
            key = argv[++i];
        } else if (arg == "--port" && has_value) {
            port = static_cast<unsigned short>(std::stoul(argv[++i]));
        } else if (arg == "--connections" && has_value) {
            connections = std::stol(argv[++i]);
        } else {
            cert.clear();
            break;
        }
    }
    if (cert.empty() || key.empty()) {
        std::cerr << "usage: example_asio_echo_server --self-test\n"
                     "       example_asio_echo_server --cert F --key F [--port N] "
                     "[--connections N]\n";
        return 2;
    }
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(cert, key);
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    std::cout << "listening on 127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
    asio::co_spawn(io, serve(acceptor, ctx, connections), report);
    io.run();
    return EXIT_SUCCESS;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return EXIT_FAILURE;
}
