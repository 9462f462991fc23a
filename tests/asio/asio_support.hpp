// tlsctx tests — what the tls::asio::stream suites share: loopback sockets and acceptors, running
// an io_context until a condition holds (bounded), tlsctx server streams, a watchdog for the
// blocking calls, and raw TCP peers that misbehave on purpose (nginx: support/nginx.hpp).
// Header-only.
//
// Every wait has a deadline: io_context runs are bounded by run_until(), blocking calls by a
// Watchdog that shuts the socket down when they overrun, subprocesses by their own limits.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <asio.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/asio.hpp"
#include "tls/tls.hpp"

namespace tls::test::asio_support {

using tcp = ::asio::ip::tcp;
using Stream = tls::asio::stream<tcp::socket>;
using Clock = std::chrono::steady_clock;

inline const TestPki& pki() {
    return TestPki::get();
}

/// Runs `io` until `done()` holds; false when `limit` passed first or `io` ran out of work with
/// `done()` still false (nothing left could make it true).
inline bool run_until(::asio::io_context& io, const std::function<bool()>& done,
                      Millis limit = kPeerTimeout) {
    const Clock::time_point deadline = Clock::now() + limit;
    io.restart();
    while (!done()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        if (io.run_one_for(std::chrono::milliseconds(50)) == 0 && io.stopped()) {
            return done();
        }
    }
    return true;
}

/// Runs `io` until every handler ran, bounded by `limit`; false at the deadline.
inline bool run_all(::asio::io_context& io, Millis limit = kPeerTimeout) {
    return run_until(
               io, [] { return false; }, limit) ||
           io.stopped();
}

/// A connected TCP socket to 127.0.0.1:`port` (loopback connects complete or fail at once).
inline tcp::socket connect_tcp(::asio::io_context& io, std::uint16_t port) {
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(::asio::ip::make_address("127.0.0.1"), port));
    socket.set_option(tcp::no_delay(true));
    return socket;
}

/// A listening acceptor on 127.0.0.1, port chosen by the kernel.
inline tcp::acceptor loopback_acceptor(::asio::io_context& io, int backlog = 128) {
    tcp::acceptor acceptor(io);
    const tcp::endpoint endpoint(::asio::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(backlog);
    return acceptor;
}

inline std::uint16_t port_of(const tcp::acceptor& acceptor) {
    return acceptor.local_endpoint().port();
}

/// Both ends of one loopback TCP connection as Asio sockets on `io`.
inline std::pair<tcp::socket, tcp::socket> tcp_pair(::asio::io_context& io) {
    tcp::acceptor acceptor = loopback_acceptor(io, 1);
    tcp::socket client = connect_tcp(io, port_of(acceptor));
    tcp::socket server = acceptor.accept();
    server.set_option(tcp::no_delay(true));
    return {std::move(client), std::move(server)};
}

/// Makes the next close() of `socket` send RST instead of FIN (SO_LINGER with timeout 0).
template <class Socket>
void set_reset_on_close(Socket& socket) {
    socket.set_option(::asio::socket_base::linger(true, 0));
}

/// The verifying client context of the suite (trusts the test root CA).
inline tls::Context client_context(const CertFiles* client_cert = nullptr) {
    return feature::client_context(client_cert);
}

/// The suite's server context (localhost's chain); asks for client certificates with
/// `client_auth` other than CERT_NONE.
inline tls::Context server_context(const CertFiles& files = pki().localhost(),
                                   tls::VerifyMode client_auth = tls::CERT_NONE) {
    return feature::server_context(files, client_auth);
}

/// The outcome of one asynchronous operation, filled in by its completion handler. Shared, so
/// a handler that runs after the test gave up waiting writes into live memory.
template <class... Args>
struct Outcome {
    std::optional<std::tuple<Args...>> result;
    int calls = 0;
    bool done() const { return result.has_value(); }
};

/// A completion handler recording into `outcome`.
template <class... Args>
auto record(const std::shared_ptr<Outcome<Args...>>& outcome) {
    return [outcome](Args... args) {
        ++outcome->calls;
        outcome->result.emplace(std::move(args)...);
    };
}

using EcOutcome = Outcome<std::error_code>;
using IoOutcome = Outcome<std::error_code, std::size_t>;

/// The error an operation completed with; std::errc::timed_out when it did not complete in time.
inline std::error_code error_of(::asio::io_context& io, const std::shared_ptr<EcOutcome>& o,
                                Millis limit = kPeerTimeout) {
    if (!run_until(
            io, [&] { return o->done(); }, limit)) {
        return std::make_error_code(std::errc::timed_out);
    }
    return std::get<0>(*o->result);
}

/// async_handshake on `stream`, run to completion on `io` (bounded).
inline std::error_code handshake(::asio::io_context& io, Stream& stream,
                                 Stream::handshake_type type, const std::string& host = "",
                                 Millis limit = kPeerTimeout) {
    auto o = std::make_shared<EcOutcome>();
    if (host.empty()) {
        stream.async_handshake(type, record(o));
    } else {
        stream.async_handshake(type, host, record(o));
    }
    return error_of(io, o, limit);
}

/// async_shutdown on `stream`, run to completion on `io` (bounded).
inline std::error_code shutdown(::asio::io_context& io, Stream& stream,
                                Millis limit = kPeerTimeout) {
    auto o = std::make_shared<EcOutcome>();
    stream.async_shutdown(record(o));
    return error_of(io, o, limit);
}

/// asio::async_write of all of `data` (bounded).
inline std::error_code write_all(::asio::io_context& io, Stream& stream, const std::string& data,
                                 Millis limit = kPeerTimeout) {
    auto o = std::make_shared<IoOutcome>();
    auto copy = std::make_shared<std::string>(data);
    ::asio::async_write(stream, ::asio::buffer(*copy),
                        [o, copy](std::error_code ec, std::size_t n) { record(o)(ec, n); });
    if (!run_until(
            io, [&] { return o->done(); }, limit)) {
        return std::make_error_code(std::errc::timed_out);
    }
    return std::get<0>(*o->result);
}

/// What a read loop got: the bytes and the error that ended it (none when `until` arrived).
struct ReadResult {
    std::string data;
    std::error_code ec;
};

/// Reads with async_read_some until `until` is in the data (empty: until an error), the stream
/// ends or `limit` passes (ec = std::errc::timed_out).
inline ReadResult read_until(::asio::io_context& io, Stream& stream, const std::string& until,
                             Millis limit = kPeerTimeout) {
    const Clock::time_point deadline = Clock::now() + limit;
    ReadResult r;
    auto buffer = std::make_shared<std::vector<char>>(16384);
    while (until.empty() || r.data.find(until) == std::string::npos) {
        auto o = std::make_shared<IoOutcome>();
        stream.async_read_some(
            ::asio::buffer(*buffer),
            [o, buffer](std::error_code ec, std::size_t n) { record(o)(ec, n); });
        const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
        if (!run_until(
                io, [&] { return o->done(); }, left)) {
            r.ec = std::make_error_code(std::errc::timed_out);
            return r;
        }
        const auto& [ec, n] = *o->result;
        r.data.append(buffer->data(), n);
        if (ec) {
            r.ec = ec;
            return r;
        }
    }
    return r;
}

/// Reads until the stream ends (ec says how: asio::error::eof after close_notify).
inline ReadResult read_to_end(::asio::io_context& io, Stream& stream, Millis limit = kPeerTimeout) {
    return read_until(io, stream, "", limit);
}

/// A client stream connected (TCP only) to 127.0.0.1:`port`.
inline std::unique_ptr<Stream> client_stream(::asio::io_context& io, std::uint16_t port,
                                             const tls::Context& ctx) {
    return std::make_unique<Stream>(connect_tcp(io, port), ctx);
}

/// A client stream to 127.0.0.1:`port` after a successful handshake for "localhost"; fails the
/// calling test (ADD_FAILURE) and returns null when the handshake fails.
inline std::unique_ptr<Stream> connected_client(::asio::io_context& io, std::uint16_t port,
                                                const tls::Context& ctx) {
    auto stream = client_stream(io, port, ctx);
    const std::error_code ec = handshake(io, *stream, Stream::client, "localhost");
    if (ec) {
        ADD_FAILURE() << "handshake: " << ec.message() << " / " << stream->last_error().message;
        return nullptr;
    }
    return stream;
}

/// A server stream and a client stream over one loopback connection on `io`, not handshaken.
struct StreamPair {
    std::unique_ptr<Stream> client;
    std::unique_ptr<Stream> server;
};

inline StreamPair stream_pair(::asio::io_context& io, const tls::Context& client_ctx,
                              const tls::Context& server_ctx) {
    auto [c, s] = tcp_pair(io);
    return {std::make_unique<Stream>(std::move(c), client_ctx),
            std::make_unique<Stream>(std::move(s), server_ctx)};
}

/// stream_pair() after both handshakes succeeded (client for "localhost"); a failure is
/// recorded with ADD_FAILURE and leaves the pair empty.
inline StreamPair handshaken_pair(::asio::io_context& io,
                                  const tls::Context& client_ctx = client_context(),
                                  const tls::Context& server_ctx = server_context()) {
    StreamPair pair = stream_pair(io, client_ctx, server_ctx);
    auto c = std::make_shared<EcOutcome>();
    auto s = std::make_shared<EcOutcome>();
    pair.client->async_handshake(Stream::client, "localhost", record(c));
    pair.server->async_handshake(Stream::server, record(s));
    if (!run_until(io, [&] { return c->done() && s->done(); })) {
        ADD_FAILURE() << "the handshakes did not complete in time";
        return {};
    }
    const std::error_code cec = std::get<0>(*c->result);
    const std::error_code sec = std::get<0>(*s->result);
    if (cec || sec) {
        ADD_FAILURE() << "client handshake: " << cec.message() << " ("
                      << pair.client->last_error().message
                      << "); server handshake: " << sec.message() << " ("
                      << pair.server->last_error().message << ")";
        return {};
    }
    return pair;
}

/// Runs `work` on its own thread and joins it in the destructor: for blocking peers (s_client,
/// curl, python3) while the test's thread runs the io_context.
class Background {
  public:
    explicit Background(std::function<void()> work) : thread_(std::move(work)) {}
    ~Background() { join(); }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;
    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }

  private:
    std::thread thread_;
};

/// Runs `io` on its own thread (kept busy by a work guard) for use_future tests; the destructor
/// stops `io` and joins, so declare it after the streams it serves.
class IoThread {
  public:
    explicit IoThread(::asio::io_context& io)
        : io_(io), work_(::asio::make_work_guard(io)), thread_([&io] { io.run(); }) {}
    ~IoThread() {
        work_.reset();
        io_.stop();
        thread_.join();
    }
    IoThread(const IoThread&) = delete;
    IoThread& operator=(const IoThread&) = delete;

  private:
    ::asio::io_context& io_;
    ::asio::executor_work_guard<::asio::io_context::executor_type> work_;
    std::thread thread_;
};

/// Bounds blocking calls on a socket: unless disarmed within `limit`, shuts the descriptor down
/// (both directions), which wakes any blocked read or write on it with an error.
class Watchdog {
  public:
    Watchdog(int fd, Millis limit)
        : thread_([this, fd, limit] {
              std::unique_lock<std::mutex> lock(mutex_);
              if (!cv_.wait_for(lock, limit, [this] { return disarmed_; })) {
                  fired_ = true;
                  ::shutdown(fd, SHUT_RDWR);
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            disarmed_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;
    bool fired() {
        std::lock_guard<std::mutex> lock(mutex_);
        return fired_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool disarmed_ = false;
    bool fired_ = false;
    std::thread thread_;
};

}  // namespace tls::test::asio_support
