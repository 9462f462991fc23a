// The sans-I/O layer and non-blocking sockets against real peers on 127.0.0.1: a tls::Object
// whose bytes this test carries over TCP with poll() talks to `openssl s_server` and to Python's
// ssl.SSLObject (tests/support/python/sslobject_peer.py, pumping its own MemoryBIOs); a
// non-blocking tls::Socket, driven by poll() readiness and the error_code overloads, serves
// `openssl s_client`. Each test runs a handshake, moves data both ways and ends with
// close_notify in both directions; every peer runs under `timeout` and every wait has a deadline.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using tls::test::Fd;
using tls::test::kPeerTimeout;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::Subprocess;
using tls::test::TestPki;
using Clock = std::chrono::steady_clock;

const TestPki& pki() {
    return TestPki::get();
}

tls::Context client_context() {
    tls::Context ctx;
    ctx.load_verify_locations(pki().ca_cert());
    return ctx;
}

tls::Context server_context() {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(pki().localhost().chain, pki().localhost().key);
    return ctx;
}

bool is_want(std::error_code ec) {
    return ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write;
}

std::error_code errno_code() {
    return {errno, std::generic_category()};
}

// Waits until `fd` is ready for `events`; false at the deadline.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            return false;
        }
        pollfd p{fd, events, 0};
        int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r > 0) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            return false;
        }
    }
}

void set_nonblocking(int fd) {
    ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

Fd connect_loopback(std::uint16_t port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::system_error(errno_code(), "connect 127.0.0.1");
    }
    return fd;
}

// A listening socket on 127.0.0.1:0 and the port it got.
std::pair<Fd, std::uint16_t> listen_loopback() {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd.get(), 4) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw std::system_error(errno_code(), "listen 127.0.0.1:0");
    }
    return {std::move(fd), ntohs(addr.sin_port)};
}

// Accepts one connection (non-blocking, close-on-exec) within the peer timeout.
Fd accept_one(const Fd& listener) {
    if (!wait_ready(listener.get(), POLLIN, Clock::now() + kPeerTimeout)) {
        throw std::runtime_error("accept: no connection in time");
    }
    Fd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
        throw std::system_error(errno_code(), "accept");
    }
    return fd;
}

// A tls::Object whose bytes this test carries over a TCP socket with poll(): the shape of any
// event loop driving the sans-I/O layer.
class PumpedObject {
  public:
    PumpedObject(Fd fd, const tls::Context& ctx, const tls::WrapOptions& options)
        : fd_(std::move(fd)), object_(ctx.wrap_bio(incoming_, outgoing_, options)) {
        set_nonblocking(fd_.get());
    }

    tls::Object& object() { return object_; }

    // Runs `op` until it completes or fails for real: after every attempt whatever the Object
    // wrote is flushed to the socket, and on want_read the socket's next bytes (or its EOF) are
    // fed in. Transport failures and the deadline come back as system error codes.
    std::error_code run(const std::function<std::error_code()>& op) {
        const auto deadline = Clock::now() + kPeerTimeout;
        for (;;) {
            std::error_code ec = op();
            if (std::error_code io = flush(deadline)) {
                return io;
            }
            if (ec != tls::SSLErrc::want_read) {
                return ec;  // memory BIOs never ask to wait for writing
            }
            if (std::error_code io = fill(deadline)) {
                return io;
            }
        }
    }

    std::error_code handshake() {
        return run([&] {
            std::error_code ec;
            object_.do_handshake(ec);
            return ec;
        });
    }

    std::error_code write(std::string_view data) {
        return run([&] {
            std::error_code ec;
            EXPECT_EQ(object_.write(data.data(), data.size(), ec), ec ? 0 : data.size());
            return ec;
        });
    }

    // Reads until a newline or the end of the stream.
    std::string read_line() {
        std::string line;
        while (line.empty() || line.back() != '\n') {
            char buf[4096];
            std::size_t n = 0;
            std::error_code ec = run([&] {
                std::error_code e;
                n = object_.read(buf, sizeof buf, e);
                return e;
            });
            EXPECT_FALSE(ec) << ec.message() << ": " << object_.last_error().message;
            if (ec || n == 0) {
                break;
            }
            line.append(buf, n);
        }
        return line;
    }

    // Reads once (bounded); the count is 0 at close_notify.
    std::error_code read_some(std::string& out) {
        char buf[4096];
        std::size_t n = 0;
        std::error_code ec = run([&] {
            std::error_code e;
            n = object_.read(buf, sizeof buf, e);
            return e;
        });
        out.assign(buf, n);
        return ec;
    }

    std::error_code unwrap() {
        return run([&] {
            std::error_code ec;
            object_.unwrap(ec);
            return ec;
        });
    }

  private:
    std::error_code flush(Clock::time_point deadline) {
        std::string out = outgoing_.read();
        for (std::size_t off = 0; off < out.size();) {
            ssize_t n = ::send(fd_.get(), out.data() + off, out.size() - off, MSG_NOSIGNAL);
            if (n > 0) {
                off += static_cast<std::size_t>(n);
            } else if (errno == EAGAIN || errno == EINTR) {
                if (!wait_ready(fd_.get(), POLLOUT, deadline)) {
                    return std::make_error_code(std::errc::timed_out);
                }
            } else {
                return errno_code();
            }
        }
        return {};
    }

    std::error_code fill(Clock::time_point deadline) {
        if (!wait_ready(fd_.get(), POLLIN, deadline)) {
            return std::make_error_code(std::errc::timed_out);
        }
        char buf[65536];
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n > 0) {
            incoming_.write(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
            incoming_.write_eof();  // the Object then reports EOF instead of want_read
        } else if (errno != EAGAIN && errno != EINTR) {
            return errno_code();
        }
        return {};
    }

    Fd fd_;
    tls::MemoryBIO incoming_, outgoing_;
    tls::Object object_;
};

bool contains(const std::string& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

OpensslServerOptions echo_server() {
    OpensslServerOptions o;
    o.cert = pki().localhost().cert;
    o.key = pki().localhost().key;
    o.cert_chain = pki().intermediate_cert();
    o.mode = OpensslServerOptions::Mode::echo;  // prints what it reads, sends its stdin
    return o;
}

// The last {"event": "result", ...} line a sslobject_peer.py run printed.
nlohmann::json peer_result(const tls::test::ProcessResult& r) {
    nlohmann::json found;
    std::size_t start = 0;
    while (start < r.out.size()) {
        std::size_t end = r.out.find('\n', start);
        std::string line = r.out.substr(start, end == std::string::npos ? end : end - start);
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("event", "") == "result") {
            found = j;
        }
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return found;
}

std::vector<std::string> python_peer(std::vector<std::string> args) {
    std::vector<std::string> argv{"python3", tls::test::python_script("sslobject_peer.py"),
                                  "--timeout", "15"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

// --- tls::Object <-> openssl s_server ----------------------------------------------------------

TEST(ObjectInterop, ObjectTalksToOpensslServerOverATestPumpedSocketAndSurvivesItsKeyUpdate) {
    OpensslServer server(echo_server());
    PumpedObject client(connect_loopback(server.port()), client_context(),
                        tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(client.handshake()) << client.object().last_error().message;
    EXPECT_EQ(client.object().version(), "TLSv1.3");
    ASSERT_TRUE(client.object().getpeercert().has_value());

    ASSERT_FALSE(client.write("hello from tls::Object\n"));
    ASSERT_TRUE(server.process().wait_for_stdout("hello from tls::Object", kPeerTimeout))
        << server.process().describe();
    server.process().write_stdin("hello from s_server\n");
    EXPECT_EQ(client.read_line(), "hello from s_server\n");

    // "K": s_server sends a KeyUpdate asking for ours; both directions then run on new keys.
    // s_server takes each stdin read as one command, so the next line waits until the update
    // has arrived: reading it (no application data pending) leaves ours scheduled, because the
    // update was "requested".
    server.process().write_stdin("K\n");
    SSL* ssl = static_cast<SSL*>(client.object().native_handle());
    std::string data;
    std::error_code ec = client.run([&] {
        char buf[64];
        std::error_code e;
        data.append(buf, client.object().read(buf, sizeof buf, e));
        const bool updated = SSL_get_key_update_type(ssl) == SSL_KEY_UPDATE_NOT_REQUESTED;
        return e == tls::SSLErrc::want_read && updated ? std::error_code() : e;
    });
    ASSERT_FALSE(ec) << ec.message() << ": " << client.object().last_error().message;
    EXPECT_EQ(data, "");
    server.process().write_stdin("after the key update\n");
    EXPECT_EQ(client.read_line(), "after the key update\n");
    ASSERT_FALSE(client.write("new keys here too\n"));
    ASSERT_TRUE(server.process().wait_for_stdout("new keys here too", kPeerTimeout))
        << server.process().describe();
    EXPECT_EQ(SSL_get_key_update_type(ssl), SSL_KEY_UPDATE_NONE);

    ec = client.unwrap();
    EXPECT_FALSE(ec) << ec.message() << ": " << client.object().last_error().message;
    tls::test::ProcessResult r = server.finish();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ObjectInterop, ObjectNegotiatesTls12AndAlpnWithOpensslServer) {
    OpensslServerOptions options = echo_server();
    options.version_flag = "-tls1_2";
    options.alpn = {"http/1.1"};
    OpensslServer server(options);
    tls::Context ctx = client_context();
    ctx.set_alpn_protocols({"h2", "http/1.1"});
    PumpedObject client(connect_loopback(server.port()), ctx,
                        tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(client.handshake()) << client.object().last_error().message;
    EXPECT_EQ(client.object().version(), "TLSv1.2");
    EXPECT_EQ(client.object().selected_alpn_protocol(), "http/1.1");

    ASSERT_FALSE(client.write("over TLS 1.2\n"));
    ASSERT_TRUE(server.process().wait_for_stdout("over TLS 1.2", kPeerTimeout))
        << server.process().describe();
    server.process().write_stdin("answer over TLS 1.2\n");
    EXPECT_EQ(client.read_line(), "answer over TLS 1.2\n");
    EXPECT_FALSE(client.unwrap()) << client.object().last_error().message;
    EXPECT_EQ(server.finish().exit_code, 0);
}

// --- tls::Object <-> Python ssl.SSLObject ------------------------------------------------------

TEST(ObjectInterop, ObjectClientAndPythonSslObjectServerExchangeDataAndCloseNotify) {
    Subprocess peer(python_peer({"--role", "server", "--certfile", pki().localhost().chain,
                                 "--keyfile", pki().localhost().key}));
    ASSERT_TRUE(peer.wait_for_stdout("\"port\"", kPeerTimeout)) << peer.describe();
    std::string first = peer.stdout_text();
    auto port = nlohmann::json::parse(first.substr(0, first.find('\n')))["port"].get<int>();

    PumpedObject client(connect_loopback(static_cast<std::uint16_t>(port)), client_context(),
                        tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(client.handshake()) << client.object().last_error().message;
    EXPECT_EQ(client.object().version(), "TLSv1.3");
    ASSERT_FALSE(client.write("hello from tls::Object\n"));
    EXPECT_EQ(client.read_line(), "python got: hello from tls::Object\n");
    std::error_code ec = client.unwrap();
    EXPECT_FALSE(ec) << ec.message() << ": " << client.object().last_error().message;

    tls::test::ProcessResult r = peer.wait();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    nlohmann::json result = peer_result(r);
    ASSERT_TRUE(result.is_object()) << r.out << r.err;
    EXPECT_EQ(result.value("version", ""), "TLSv1.3");
    EXPECT_EQ(result.value("cipher", ""), client.object().cipher()->name);
    EXPECT_EQ(result.value("received", ""), "hello from tls::Object\n");
    EXPECT_EQ(result.value("closed", ""), "close_notify") << "we sent close_notify first";
    EXPECT_EQ(result.value("unwrap", ""), "ok");
}

TEST(ObjectInterop, PythonSslObjectClientAndObjectServerAgreeOnTls12AndAlpn) {
    auto [listener, port] = listen_loopback();
    Subprocess peer(python_peer({"--role", "client", "--port", std::to_string(port), "--cafile",
                                 pki().ca_cert(), "--max-version", "1.2", "--alpn", "h2,http/1.1",
                                 "--send", "hello from python"}));
    tls::Context ctx = server_context();
    ctx.set_alpn_protocols({"http/1.1"});
    PumpedObject server(accept_one(listener), ctx, tls::WrapOptions::server());
    ASSERT_FALSE(server.handshake()) << server.object().last_error().message << peer.describe();
    EXPECT_EQ(server.object().version(), "TLSv1.2");
    EXPECT_EQ(server.object().selected_alpn_protocol(), "http/1.1");
    EXPECT_EQ(server.read_line(), "hello from python\n");
    ASSERT_FALSE(server.write("tlsctx got it\n"));

    std::string rest;
    EXPECT_FALSE(server.read_some(rest)) << server.object().last_error().message;
    EXPECT_EQ(rest, "") << "the client's close_notify ends the stream cleanly";
    EXPECT_FALSE(server.unwrap()) << server.object().last_error().message;

    tls::test::ProcessResult r = peer.wait();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    nlohmann::json result = peer_result(r);
    ASSERT_TRUE(result.is_object()) << r.out << r.err;
    EXPECT_EQ(result.value("version", ""), "TLSv1.2");
    EXPECT_EQ(result.value("alpn", ""), "http/1.1");
    EXPECT_EQ(result.value("received", ""), "tlsctx got it\n");
    EXPECT_EQ(result.value("unwrap", ""), "ok") << "our close_notify answered the client's";
    EXPECT_FALSE(result["peer_cert"].is_null()) << "Python verified our chain";
}

TEST(ObjectInterop, PythonSslObjectRejectsAnObjectServerWithAnUntrustedCertificate) {
    auto [listener, port] = listen_loopback();
    Subprocess peer(python_peer(
        {"--role", "client", "--port", std::to_string(port), "--cafile", pki().other_ca_cert()}));
    PumpedObject server(accept_one(listener), server_context(), tls::WrapOptions::server());
    std::error_code ec = server.handshake();
    EXPECT_EQ(ec, tls::SSLErrc::ssl) << ec.message();
    EXPECT_EQ(server.object().last_error().reason, "TLSV1_ALERT_UNKNOWN_CA");

    tls::test::ProcessResult r = peer.wait();
    EXPECT_EQ(r.exit_code, 1);
    nlohmann::json result = peer_result(r);
    ASSERT_TRUE(result.is_object()) << r.out << r.err;
    EXPECT_EQ(result.value("error_type", ""), "SSLCertVerificationError");
}

// --- non-blocking tls::Socket <-> openssl s_client ---------------------------------------------

TEST(ObjectInterop, NonBlockingSocketServesOpensslClientDrivenByPollReadiness) {
    auto [listener, port] = listen_loopback();
    Subprocess client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                       "-servername", "localhost", "-verify_hostname", "localhost", "-CAfile",
                       pki().ca_cert(), "-verify_return_error", "-quiet"});
    client.write_stdin("ping from s_client\n");
    client.close_stdin();  // -quiet implies -ign_eof: it stays until we close

    Fd fd = accept_one(listener);  // O_NONBLOCK: the Socket starts non-blocking
    tls::WrapOptions options = tls::WrapOptions::server();
    options.do_handshake_on_connect = false;
    tls::Socket sock = server_context().wrap_socket(fd.get(), tls::FdOwnership::borrow, options);
    ASSERT_EQ(sock.gettimeout(), tls::Timeout(0ms));

    const auto deadline = Clock::now() + kPeerTimeout;
    // Waits for what the last call asked for.
    auto wait_for = [&](std::error_code want) {
        return wait_ready(fd.get(), want == tls::SSLErrc::want_read ? POLLIN : POLLOUT, deadline);
    };
    std::error_code ec;
    for (sock.do_handshake(ec); is_want(ec); sock.do_handshake(ec)) {
        ASSERT_TRUE(wait_for(ec)) << "handshake timed out\n" << client.describe();
    }
    ASSERT_FALSE(ec) << sock.last_error().message << client.describe();
    EXPECT_EQ(sock.version(), "TLSv1.3");

    std::string line;
    char buf[256];
    while (line.find('\n') == std::string::npos) {
        std::size_t n = sock.read(buf, sizeof buf, ec);
        if (is_want(ec)) {
            ASSERT_TRUE(wait_for(ec)) << client.describe();
            continue;
        }
        ASSERT_FALSE(ec) << sock.last_error().message;
        ASSERT_GT(n, 0u) << "s_client closed early";
        line.append(buf, n);
    }
    EXPECT_EQ(line, "ping from s_client\n");
    // s_client now waits for our reply, so a blocking socket would hang here; ours says so.
    EXPECT_EQ(sock.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    EXPECT_THROW((void)sock.read(buf, sizeof buf), tls::SSLWantReadError);

    const std::string reply = "pong from tlsctx\n";
    // A write that would block is retried with the same buffer, as OpenSSL requires.
    for (;;) {
        std::size_t n = sock.write(reply.data(), reply.size(), ec);
        if (!is_want(ec)) {
            ASSERT_FALSE(ec) << sock.last_error().message;
            EXPECT_EQ(n, reply.size());
            break;
        }
        ASSERT_TRUE(wait_for(ec));
    }

    // Socket::unwrap has no error_code overload: the throwing form reports the wait instead.
    for (;;) {
        try {
            EXPECT_EQ(sock.unwrap(), fd.get());
            break;
        } catch (const tls::SSLWantReadError&) {
            ASSERT_TRUE(wait_for(tls::SSLErrc::want_read)) << client.describe();
        } catch (const tls::SSLWantWriteError&) {
            ASSERT_TRUE(wait_for(tls::SSLErrc::want_write)) << client.describe();
        }
    }

    tls::test::ProcessResult r = client.wait();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, reply)) << r.out << r.err;
}

}  // namespace
