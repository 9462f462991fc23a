// tlsctx tests — small helpers shared by the session, SNI, IDN and feature suites (issue 6):
// contexts over the test PKI, a temporary directory, hex, DER chains from PEM files, and a
// tlsctx server that accepts several connections in a row on its own thread. Header-only; builds
// on support/peers.hpp (loopback pairs, subprocess peers), which it does not change.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "support/memory_pair.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace tls::test::feature {

/// A private directory removed (recursively) by the destructor.
class TempDir {
  public:
    TempDir() {
        const char* tmp = std::getenv("TMPDIR");
        std::string templ =
            std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tlsctx-feature-XXXXXX";
        std::vector<char> buf(templ.begin(), templ.end());
        buf.push_back('\0');
        if (::mkdtemp(buf.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        dir_ = buf.data();
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& dir() const noexcept { return dir_; }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }

  private:
    std::string dir_;
};

/// Writes `content` to `path` (truncating). Throws std::system_error.
inline void write_file(const std::string& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
        throw std::system_error(EIO, std::generic_category(), "cannot write " + path);
    }
}

/// Lower-case hex of `bytes`.
inline std::string hex(const tls::Bytes& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    return out;
}

/// Bytes of a hex string (either case). Throws std::invalid_argument.
inline tls::Bytes unhex(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        throw std::invalid_argument("unhex: not a hex digit");
    };
    if (text.size() % 2 != 0) {
        throw std::invalid_argument("unhex: odd length");
    }
    tls::Bytes out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(nibble(text[i]) * 16 + nibble(text[i + 1])));
    }
    return out;
}

/// Every certificate of a PEM text, in order, as DER.
inline std::vector<tls::Bytes> der_certificates(const std::string& pem) {
    static const std::string begin = "-----BEGIN CERTIFICATE-----";
    static const std::string end = "-----END CERTIFICATE-----";
    std::vector<tls::Bytes> out;
    std::size_t at = 0;
    while ((at = pem.find(begin, at)) != std::string::npos) {
        std::size_t stop = pem.find(end, at);
        if (stop == std::string::npos) {
            break;
        }
        out.push_back(tls::PEM_cert_to_DER_cert(pem.substr(at, stop + end.size() - at)));
        at = stop + end.size();
    }
    return out;
}

/// Every certificate of a PEM file, in order, as DER.
inline std::vector<tls::Bytes> der_certificates_of_file(const std::string& path) {
    return der_certificates(read_file(path));
}

/// A server context presenting `files` (the chain file, so the intermediate is sent). With a
/// `client_auth` other than CERT_NONE it asks for client certificates from the test root CA.
inline tls::Context server_context(const CertFiles& files = TestPki::get().localhost(),
                                   tls::VerifyMode client_auth = tls::CERT_NONE) {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(files.chain, files.key);
    if (client_auth != tls::CERT_NONE) {
        ctx.load_verify_locations(TestPki::get().ca_cert());
        ctx.set_verify_mode(client_auth);
    }
    return ctx;
}

/// A verifying client context trusting the test root CA, presenting `client_cert` if given.
inline tls::Context client_context(const CertFiles* client_cert = nullptr) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(TestPki::get().ca_cert());
    if (client_cert != nullptr) {
        ctx.load_cert_chain(client_cert->chain, client_cert->key);
    }
    return ctx;
}

/// Reads from `socket` until `needle` has arrived or the stream ends; returns all of it.
inline std::string read_until(tls::Socket& socket, std::string_view needle = "\n") {
    std::string got;
    while (got.find(needle) == std::string::npos) {
        std::string chunk = socket.recv(4096);
        if (chunk.empty()) {
            break;
        }
        got += chunk;
    }
    return got;
}

/// Reads from `socket` until the peer closes; returns everything read.
inline std::string read_to_end(tls::Socket& socket) {
    std::string got;
    for (;;) {
        std::string chunk = socket.recv(16384);
        if (chunk.empty()) {
            return got;
        }
        got += chunk;
    }
}

/// A TCP connection to 127.0.0.1:`port` wrapped as a client for `server_hostname` (which need
/// not resolve: SNI and verification use it, the address does not), not yet handshaken; the
/// socket keeps `timeout`.
inline tls::Socket wrap_loopback(const tls::Context& context, std::uint16_t port,
                                 const std::string& server_hostname = "localhost",
                                 const tls::Session& session = {}, Millis timeout = kPeerTimeout) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::system_error(errno, std::generic_category(), "connect");
    }
    tls::WrapOptions options = tls::WrapOptions::client(server_hostname);
    options.session = session;
    options.do_handshake_on_connect = false;
    tls::Socket socket = context.wrap_socket(fd.release(), tls::FdOwnership::adopt, options);
    socket.settimeout(timeout);
    return socket;
}

/// wrap_loopback(), handshaken within `timeout`. Throws what the handshake throws.
inline tls::Socket connect_loopback(const tls::Context& context, std::uint16_t port,
                                    const std::string& server_hostname,
                                    const tls::Session& session = {},
                                    Millis timeout = kPeerTimeout) {
    tls::Socket socket = wrap_loopback(context, port, server_hostname, session, timeout);
    socket.do_handshake();
    return socket;
}

/// A tlsctx server that accepts `count` connections in a row on its own thread: each is
/// handshaken within `timeout` (which every later call on it keeps) and handed to `handler`
/// with its index, then closed. A failed handshake or handler is recorded and the next
/// connection is awaited; a connection that does not arrive in time ends the thread.
class ConnectionServer {
  public:
    using Handler = std::function<void(std::size_t index, tls::Socket& socket)>;

    ConnectionServer(tls::Listener& listener, std::size_t count, Handler handler,
                     Millis timeout = kPeerTimeout)
        : errors_(std::make_shared<std::vector<std::exception_ptr>>(count)) {
        thread_ = std::thread(
            [&listener, count, handler = std::move(handler), timeout, errors = errors_] {
                for (std::size_t i = 0; i < count; ++i) {
                    try {
                        if (!wait_readable(listener.fileno(), timeout)) {
                            throw std::system_error(std::make_error_code(std::errc::timed_out),
                                                    "ConnectionServer: no connection arrived");
                        }
                        tls::Socket socket = listener.accept_unhandshaken();
                        socket.settimeout(timeout);
                        try {
                            socket.do_handshake();
                            handler(i, socket);
                        } catch (...) {
                            (*errors)[i] = std::current_exception();
                        }
                        socket.close();
                    } catch (...) {
                        (*errors)[i] = std::current_exception();
                        return;
                    }
                }
            });
    }
    ~ConnectionServer() { join(); }
    ConnectionServer(const ConnectionServer&) = delete;
    ConnectionServer& operator=(const ConnectionServer&) = delete;

    /// Waits for the thread; returns one entry per connection (nullptr when it went well).
    const std::vector<std::exception_ptr>& join() {
        if (thread_.joinable()) {
            thread_.join();
        }
        return *errors_;
    }

  private:
    std::shared_ptr<std::vector<std::exception_ptr>> errors_;
    std::thread thread_;
};

// The in-memory Object pair lives in support/memory_pair.hpp; these are its names here.
using memory::Endpoint;

/// Moves what `from` has written into `to`'s incoming buffer, keeping a copy in `from.sent`.
inline void transfer(Endpoint& from, Endpoint& to) {
    memory::deliver(from, to);
}

/// Runs both handshakes in memory; returns the first error that is not want_read.
inline std::error_code pump_handshake(Endpoint& client, Endpoint& server) {
    return memory::handshake(client, server);
}

}  // namespace tls::test::feature
