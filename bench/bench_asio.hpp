// tlsctx benchmarks, issue 13: tls::boost_asio::stream against boost::asio::ssl::stream. The two
// "sides" (how each library makes, configures and resumes a stream) and the loopback servers and
// clients written once for both, as coroutines. Used by tlsctx_bench_asio (timings) and
// tlsctx_bench_asio_memory (heap per connection).
//
// Same work on both sides: the contexts are bench/harness.cpp's (tlsctx's secure defaults, and the
// same settings written out by hand for the raw SSL_CTX that Asio's ssl::context takes over),
// with one TLS 1.3 suite and one group pinned on both ends, the same ECDSA P-256 certificate and
// the same ticket count. Both clients verify the chain and the host name: tlsctx through its
// default context (host name given to the handshake), Asio the way its documentation shows:
// set_verify_mode(verify_peer) + set_verify_callback(host_name_verification(host)) + SNI through
// SSL_set_tlsext_host_name.
#pragma once

#include <openssl/ssl.h>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility> (GCC 12 needs it).
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "tls/boost_asio.hpp"

namespace bench_asio {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;

// The one TLS 1.3 suite and group both ends use.
inline bench::Config config() {
    bench::Config c = bench::named_config("aes128gcm");
    c.groups = "X25519";
    c.num_tickets = 2;  // the raw (Asio) server's count, made explicit; tlsctx's default is 2
    return c;
}

// An io_context run by its own thread (after `on_start`, on that thread) until destroyed; its
// CPU clock reads that thread's CPU time.
struct Loop {
    net::io_context io{1};
    net::executor_work_guard<net::io_context::executor_type> guard{io.get_executor()};
    std::thread thread;
    clockid_t clock{};

    explicit Loop(std::function<void()> on_start = {})
        : thread([this, on_start = std::move(on_start)] {
              if (on_start) {
                  on_start();
              }
              io.run();
          }) {
        if (pthread_getcpuclockid(thread.native_handle(), &clock) != 0) {
            bench::die("pthread_getcpuclockid");
        }
    }
    ~Loop() { stop(); }
    // Stops the loop and waits for its thread; what is still pending stays so until `io` dies.
    void stop() {
        if (thread.joinable()) {
            guard.reset();
            io.stop();
            thread.join();
        }
    }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;
};

// Waits for an awaitable run on `loop`, rethrowing what it threw.
inline void run_on(Loop& loop, awaitable<void> a) {
    net::co_spawn(loop.io, std::move(a), net::use_future).get();
}

// ---- the two sides -----------------------------------------------------------------------------

struct TlsctxSide {
    static constexpr const char* name = "tlsctx";
    using stream_type = tls::boost_asio::stream<tcp::socket>;
    using handshake_type = tls::boost_asio::stream_base::handshake_type;
    static constexpr handshake_type client = tls::boost_asio::stream_base::client;
    static constexpr handshake_type server = tls::boost_asio::stream_base::server;

    tls::Context client_ctx;
    tls::Context server_ctx;
    tls::Session session;
    bool resume = false;

    explicit TlsctxSide(const bench::Config& c)
        : client_ctx(bench::tlsctx_client_context(c)), server_ctx(bench::tlsctx_server_context(c)) {
        server_ctx.set_num_tickets(2);
    }

    void prepare_client(stream_type& s) const {
        if (resume) {
            s.set_session(session);
        }
    }
    static awaitable<void> client_handshake(stream_type& s) {
        co_await s.async_handshake(client, bench::kHostname, use_awaitable);
    }
    void keep_session(stream_type& s) {
        session = s.session();
        if (!session.is_resumable()) {
            bench::die("tlsctx: no resumable session after the first exchange");
        }
    }
    static bool reused(stream_type& s) { return s.session_reused(); }
};

struct AsioSide {
    static constexpr const char* name = "asio";
    using stream_type = net::ssl::stream<tcp::socket>;
    using handshake_type = net::ssl::stream_base::handshake_type;
    static constexpr handshake_type client = net::ssl::stream_base::client;
    static constexpr handshake_type server = net::ssl::stream_base::server;

    // Asio's context takes ownership of the SSL_CTX (bench/harness.cpp's raw contexts).
    net::ssl::context client_ctx;
    net::ssl::context server_ctx;
    std::unique_ptr<SSL_SESSION, decltype(&SSL_SESSION_free)> session{nullptr, SSL_SESSION_free};
    bool resume = false;

    explicit AsioSide(const bench::Config& c)
        : client_ctx(bench::raw_client_context(c)), server_ctx(bench::raw_server_context(c)) {}

    void prepare_client(stream_type& s) const {
        s.set_verify_mode(net::ssl::verify_peer);
        s.set_verify_callback(net::ssl::host_name_verification(bench::kHostname));
        if (SSL_set_tlsext_host_name(s.native_handle(), bench::kHostname) != 1) {
            bench::die("SSL_set_tlsext_host_name");
        }
        if (resume && SSL_set_session(s.native_handle(), session.get()) != 1) {
            bench::die("SSL_set_session");
        }
    }
    static awaitable<void> client_handshake(stream_type& s) {
        co_await s.async_handshake(client, use_awaitable);
    }
    void keep_session(stream_type& s) {
        session.reset(SSL_get1_session(s.native_handle()));
        if (!session || SSL_SESSION_is_resumable(session.get()) != 1) {
            bench::die("asio: no resumable session after the first exchange");
        }
    }
    static bool reused(stream_type& s) { return SSL_session_reused(s.native_handle()) == 1; }
};

// ---- servers -----------------------------------------------------------------------------------

// What the servers report to whoever waits for them (another thread).
struct ServerCounters {
    std::atomic<long> sessions_ended{0};  // echo sessions whose peer went away
    std::atomic<long> idle{0};            // echo sessions that answered once and wait in read
};

// Echo: handshake, then write back whatever arrives (a 64-byte request, ping-pong) until the
// peer's close_notify, answered with ours. The read buffer lives in the coroutine frame, the same
// size for both sides.
template <class Side, std::size_t Buffer>
awaitable<void> echo_session(Side& side, tcp::socket socket, ServerCounters& counters) {
    typename Side::stream_type s(std::move(socket), side.server_ctx);
    boost::system::error_code ec;
    co_await s.async_handshake(Side::server, net::redirect_error(use_awaitable, ec));
    unsigned char buffer[Buffer];
    bool answered = false;
    while (!ec) {
        std::size_t n =
            co_await s.async_read_some(net::buffer(buffer), net::redirect_error(use_awaitable, ec));
        if (ec) {
            break;
        }
        co_await net::async_write(s, net::buffer(buffer, n),
                                  net::redirect_error(use_awaitable, ec));
        if (!answered) {
            answered = true;
            counters.idle.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (answered) {
        counters.idle.fetch_sub(1, std::memory_order_relaxed);
    }
    if (ec == net::error::eof) {
        // The client's close_notify: answer with ours, as a clean close does.
        co_await s.async_shutdown(net::redirect_error(use_awaitable, ec));
    }
    counters.sessions_ended.fetch_add(1, std::memory_order_release);
}

// Sink (bulk): handshake, then repeatedly an 8-byte length n, n bytes read in 16 KiB reads, and
// a 1-byte acknowledgement.
template <class Side>
awaitable<void> sink_session(Side& side, tcp::socket socket) {
    typename Side::stream_type s(std::move(socket), side.server_ctx);
    boost::system::error_code ec;
    co_await s.async_handshake(Side::server, net::redirect_error(use_awaitable, ec));
    std::vector<unsigned char> buffer(16384);
    while (!ec) {
        std::uint64_t n = 0;
        co_await net::async_read(s, net::buffer(&n, sizeof n),
                                 net::redirect_error(use_awaitable, ec));
        while (!ec && n > 0) {
            n -= co_await s.async_read_some(
                net::buffer(buffer.data(), std::min<std::uint64_t>(n, buffer.size())),
                net::redirect_error(use_awaitable, ec));
        }
        if (!ec) {
            const unsigned char ack = 1;
            co_await net::async_write(s, net::buffer(&ack, 1),
                                      net::redirect_error(use_awaitable, ec));
        }
    }
}

template <class Side, std::size_t Buffer>
awaitable<void> accept_echo(Side& side, tcp::acceptor& acceptor, ServerCounters& counters) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
        socket.set_option(tcp::no_delay(true));
        net::co_spawn(acceptor.get_executor(),
                      echo_session<Side, Buffer>(side, std::move(socket), counters), net::detached);
    }
}

template <class Side>
awaitable<void> accept_sink(Side& side, tcp::acceptor& acceptor) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
        socket.set_option(tcp::no_delay(true));
        net::co_spawn(acceptor.get_executor(), sink_session<Side>(side, std::move(socket)),
                      net::detached);
    }
}

// ---- clients -----------------------------------------------------------------------------------

// A connected, handshaken client stream (constructed in place: the stream types differ in how
// they move).
template <class Side>
awaitable<void> connect(Side& side, typename Side::stream_type& s, const tcp::endpoint& server) {
    co_await s.next_layer().async_connect(server, use_awaitable);
    s.next_layer().set_option(tcp::no_delay(true));
    side.prepare_client(s);
    co_await Side::client_handshake(s);
}

// close_notify both ways. Without it OpenSSL marks the connection's session not resumable
// (SSL_free of a connection not shut down), on either side.
template <class Stream>
awaitable<void> close(Stream& s) {
    co_await s.async_shutdown(use_awaitable);
    s.next_layer().close();
}

// 64 bytes out, the same 64 bytes back (the first read also takes in the TLS 1.3 tickets).
template <class Stream>
awaitable<void> exchange64(Stream& s) {
    unsigned char out[64];
    unsigned char in[64];
    std::memset(out, 'x', sizeof out);
    co_await net::async_write(s, net::buffer(out), use_awaitable);
    co_await net::async_read(s, net::buffer(in), use_awaitable);
}

}  // namespace bench_asio
