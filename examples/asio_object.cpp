// asio_object.cpp — tls::Object under standalone Asio: a small adapter runs each TLS operation,
// writes whatever the Object produced with asio::async_write, and on want_read feeds it the next
// async_read_some. The same Object works under any completion-based I/O (io_uring, libuv, IOCP).
// A client and a server in one process on 127.0.0.1: the server accepts one connection and echoes;
// the client sends "hello", reads it back and prints it; both sides exchange close_notify.
//
// Run: example_asio_object  (makes its own throw-away CA with tls::pki; prints one line)
// This shows the mechanics of the sans-I/O Object under a completion-based loop. For Asio itself,
// use the ready-made stream instead (tls/asio.hpp, docs/asio.md): full duplex, every completion
// token, cancellation, Beast. Left out here: timeouts and concurrent reads and writes.
#include <asio.hpp>
#include <tls/pki.hpp>
#include <tls/tls.hpp>

#include <array>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

using asio::ip::tcp;

namespace {

// A tls::Object over an Asio TCP socket; one operation at a time. Handlers get the error (empty,
// an SSLErrc code with details in object().last_error(), or Asio's) and any plaintext read.
class TlsStream : public std::enable_shared_from_this<TlsStream> {
  public:
    using Handler = std::function<void(std::error_code, std::string)>;

    TlsStream(tcp::socket socket, const tls::Context& ctx, const tls::WrapOptions& options)
        : socket_(std::move(socket)), tls_(ctx.wrap_bio(incoming_, outgoing_, options)) {}

    const tls::Object& object() const { return tls_; }

    void async_handshake(Handler h) {
        run([this](std::error_code& ec, std::string&) { tls_.do_handshake(ec); }, h);
    }
    void async_read_some(Handler h) {  // "" with no error: the peer sent close_notify
        auto op = [this](std::error_code& ec, std::string& out) {
            out.assign(buffer_.data(), tls_.read(buffer_.data(), buffer_.size(), ec));
        };
        run(op, h);
    }
    void async_write(std::string data, Handler h) {  // OpenSSL takes all of it or nothing
        auto op = [this, data](std::error_code& ec, std::string&) {
            (void)tls_.write(data.data(), data.size(), ec);
        };
        run(op, h);
    }
    void async_unwrap(Handler h) {
        run([this](std::error_code& ec, std::string&) { tls_.unwrap(ec); }, h);
    }

  private:
    using Op = std::function<void(std::error_code&, std::string&)>;

    // One attempt of `op`; then flush its output; then finish, or read and try again.
    void run(Op op, Handler h) {
        std::error_code ec;
        std::string result;
        op(ec, result);
        auto self = shared_from_this();
        auto flushed = std::make_shared<std::string>(outgoing_.read());
        asio::async_write(socket_, asio::buffer(*flushed),
                          [self, flushed, op, h, ec, result](std::error_code wec, std::size_t) {
                              if (wec) {
                                  return h(wec, {});
                              }
                              if (ec != tls::SSLErrc::want_read) {
                                  return h(ec, result);  // done, or failed for real
                              }
                              self->read_then(op, h);  // then the same operation again
                          });
    }

    void read_then(Op op, Handler h) {
        auto self = shared_from_this();
        socket_.async_read_some(
            asio::buffer(wire_), [self, op, h](std::error_code ec, std::size_t n) {
                if (ec == asio::error::eof) {
                    self->incoming_.write_eof();  // the Object decides: close_notify seen, or not
                } else if (ec) {
                    return h(ec, {});
                } else {
                    self->incoming_.write(self->wire_.data(), n);
                }
                self->run(op, h);
            });
    }

    tcp::socket socket_;
    tls::MemoryBIO incoming_, outgoing_;
    tls::Object tls_;
    std::array<char, 16384> wire_{};    // ciphertext from the socket
    std::array<char, 16384> buffer_{};  // plaintext from the Object
};

bool failed(const char* who, std::error_code ec, const TlsStream& s) {
    if (!ec) {
        return false;
    }
    const tls::ErrorInfo& e = s.object().last_error();
    std::cerr << who << ": " << (e.code == ec ? e.message : ec.message());
    if (ec == tls::SSLErrc::cert_verification) {
        std::cerr << " (" << e.verify_message << ")";
    }
    std::cerr << "\n";
    return true;
}

}  // namespace

int main() try {
    tls::pki::CertificateAuthority ca;
    tls::pki::IssuedCert leaf = ca.issue_cert({"localhost"});
    tls::Context server_ctx(tls::PROTOCOL_TLS_SERVER);
    server_ctx.load_cert_chain_pem(leaf.cert_chain_pem(), leaf.private_key_pem());
    tls::Context client_ctx;  // secure defaults: verifies the chain and the host name
    client_ctx.load_verify_cadata(ca.cert_pem());

    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    bool server_ok = false, client_ok = false;
    std::string reply, version;

    // Server: handshake, read, echo, read until the client's close_notify, answer it.
    acceptor.async_accept([&](std::error_code ec, tcp::socket socket) {
        if (ec)
            return void(std::cerr << "accept: " << ec.message() << "\n");
        auto s =
            std::make_shared<TlsStream>(std::move(socket), server_ctx, tls::WrapOptions::server());
        s->async_handshake([&, s](std::error_code ec, std::string) {
            if (failed("server handshake", ec, *s))
                return;
            s->async_read_some([&, s](std::error_code ec, std::string data) {
                if (failed("server read", ec, *s))
                    return;
                s->async_write(data, [&, s](std::error_code ec, std::string) {
                    if (failed("server write", ec, *s))
                        return;
                    s->async_read_some([&, s](std::error_code ec, std::string rest) {
                        if (failed("server read", ec, *s) || !rest.empty())
                            return;
                        s->async_unwrap([&, s](std::error_code ec, std::string) {
                            server_ok = !failed("server unwrap", ec, *s);
                        });
                    });
                });
            });
        });
    });

    // Client: connect, handshake, send "hello", read the echo, close_notify both ways.
    auto socket = std::make_shared<tcp::socket>(io);
    socket->async_connect(acceptor.local_endpoint(), [&](std::error_code ec) {
        if (ec)
            return void(std::cerr << "connect: " << ec.message() << "\n");
        auto c = std::make_shared<TlsStream>(std::move(*socket), client_ctx,
                                             tls::WrapOptions::client("localhost"));
        c->async_handshake([&, c](std::error_code ec, std::string) {
            if (failed("client handshake", ec, *c))
                return;
            c->async_write("hello", [&, c](std::error_code ec, std::string) {
                if (failed("client write", ec, *c))
                    return;
                c->async_read_some([&, c](std::error_code ec, std::string data) {
                    if (failed("client read", ec, *c))
                        return;
                    reply = data;
                    version = c->object().version().value_or("?");
                    c->async_unwrap([&, c](std::error_code ec, std::string) {
                        client_ok = !failed("client unwrap", ec, *c);
                    });
                });
            });
        });
    });

    io.run();  // returns when both conversations have ended
    if (!server_ok || !client_ok || reply != "hello")
        return EXIT_FAILURE;
    std::cout << "asio_object: client received \"" << reply << "\" back over " << version
              << "; close_notify sent both ways\n";
    return EXIT_SUCCESS;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return EXIT_FAILURE;
}
