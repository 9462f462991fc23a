// tlsctx_bench_asio_memory — issue 13: live heap per idle connection, tls::boost_asio::stream
// against boost::asio::ssl::stream, over loopback TCP. Prints JSON.
//
//   tlsctx_bench_asio_memory [CONNECTIONS=500]
//
// Every OpenSSL allocation (CRYPTO_set_mem_functions, installed before OpenSSL allocates) and
// every C++ allocation (replaced operator new/delete) is counted and charged to the thread that
// made it: the server thread (its io_context runs the acceptor and every server stream) or the
// client thread. A block freed by the other thread is taken off the owner's count.
//
// An idle connection, as a server holds thousands of them: handshake done, one 64-byte request
// and its echo exchanged (the client has taken in the TLS 1.3 tickets), and the server waiting in
// async_read_some; the client waits in async_read_some too. Per connection: (live bytes with N
// such connections − live bytes before them) / N, after a warm-up that fills Asio's per-thread
// recycling caches. That includes the TCP socket, the coroutine frame holding the stream and a
// 1 KiB read buffer (the same code and buffer for both sides; the frames differ by the size of
// the stream object) and the pending operation.
#include <openssl/crypto.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "bench_asio.hpp"
#include "counted_heap.hpp"

namespace {

// ---- who allocates: the hooks of counted_heap.hpp --------------------------------------------

enum Owner : int { kOther = 0, kClient = 1, kServer = 2 };
std::atomic<long long> g_live[2][3];
thread_local int t_owner = kOther;

}  // namespace

int counted_heap::current_owner() noexcept {
    return t_owner;
}

void counted_heap::account(int kind, int owner, long long delta) noexcept {
    g_live[kind][owner].fetch_add(delta, std::memory_order_relaxed);
}

namespace {

using namespace bench_asio;

struct Live {
    long long openssl[3];
    long long cxx[3];
};

Live live() {
    Live l{};
    for (int o = 0; o < 3; ++o) {
        l.openssl[o] = g_live[counted_heap::kOpenssl][o].load(std::memory_order_relaxed);
        l.cxx[o] = g_live[counted_heap::kCxx][o].load(std::memory_order_relaxed);
    }
    return l;
}

// A client connection that goes idle and stays so until its socket is closed.
template <class Side>
awaitable<void> idle_client(Side& side, tcp::endpoint server,
                            std::vector<typename Side::stream_type*>& streams,
                            std::atomic<int>& established) {
    typename Side::stream_type s(co_await net::this_coro::executor, side.client_ctx);
    co_await connect(side, s, server);
    co_await exchange64(s);
    streams.push_back(&s);
    established.fetch_add(1, std::memory_order_release);
    unsigned char buffer[64];
    boost::system::error_code ec;
    co_await s.async_read_some(net::buffer(buffer), net::redirect_error(use_awaitable, ec));
}

void wait_for(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            bench::die("memory: timed out waiting for the connections");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Let the last completions initiate their reads before counting.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

// `n` connections at once: returns the bytes they hold (after - before) and what is left after
// they all closed (leak check).
template <class Side>
void measure(const char* name, int n, int warmup, bool last) {
    Loop server([] { t_owner = kServer; });
    Loop client([] { t_owner = kClient; });
    Side side(bench_asio::config());
    ServerCounters counters;
    tcp::acceptor acceptor(server.io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    acceptor.listen(4096);
    const tcp::endpoint endpoint = acceptor.local_endpoint();
    net::co_spawn(server.io, accept_echo<Side, 1024>(side, acceptor, counters), net::detached);
    // The session to resume is not used here: every connection is a full handshake.
    std::vector<typename Side::stream_type*> streams;
    std::atomic<int> established{0};
    auto batch = [&](int count, long ended_before) {
        for (int i = 0; i < count; ++i) {
            net::co_spawn(client.io, idle_client(side, endpoint, streams, established),
                          [](std::exception_ptr e) {
                              if (e) {
                                  std::rethrow_exception(e);
                              }
                          });
        }
        wait_for([&] {
            return established.load(std::memory_order_acquire) == count &&
                   counters.idle.load(std::memory_order_relaxed) == count;
        });
        const Live held = live();
        run_on(client, [](std::vector<typename Side::stream_type*>& v) -> awaitable<void> {
            for (auto* s : v) {
                s->next_layer().close();
            }
            v.clear();
            co_return;
        }(streams));
        wait_for([&] {
            return counters.sessions_ended.load(std::memory_order_acquire) - ended_before == count;
        });
        established = 0;
        return held;
    };
    batch(warmup, 0);
    const Live before = live();
    const Live held = batch(n, warmup);
    const Live after = live();
    auto per = [n](long long a, long long b) { return static_cast<double>(a - b) / n; };
    std::printf(
        "  \"%s\": {\"server\": {\"openssl\": %.1f, \"cxx\": %.1f, \"total\": %.1f}, "
        "\"client\": {\"openssl\": %.1f, \"cxx\": %.1f, \"total\": %.1f}, "
        "\"left_after_close\": {\"server\": %lld, \"client\": %lld}, \"sizeof_stream\": %zu}%s\n",
        name, per(held.openssl[kServer], before.openssl[kServer]),
        per(held.cxx[kServer], before.cxx[kServer]),
        per(held.openssl[kServer] + held.cxx[kServer],
            before.openssl[kServer] + before.cxx[kServer]),
        per(held.openssl[kClient], before.openssl[kClient]),
        per(held.cxx[kClient], before.cxx[kClient]),
        per(held.openssl[kClient] + held.cxx[kClient],
            before.openssl[kClient] + before.cxx[kClient]),
        after.openssl[kServer] + after.cxx[kServer] - before.openssl[kServer] - before.cxx[kServer],
        after.openssl[kClient] + after.cxx[kClient] - before.openssl[kClient] - before.cxx[kClient],
        sizeof(typename Side::stream_type), last ? "" : ",");
    std::fflush(stdout);
    // Nothing may run while the acceptor and the contexts below go.
    client.stop();
    server.stop();
}

}  // namespace

int main(int argc, char** argv) {
    if (CRYPTO_set_mem_functions(counted_heap::ossl_malloc, counted_heap::ossl_realloc,
                                 counted_heap::ossl_free) != 1) {
        bench::die("CRYPTO_set_mem_functions: OpenSSL allocated before main");
    }
    const int n = argc > 1 ? std::atoi(argv[1]) : 500;
    // Two descriptors per connection in this process.
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    std::printf("{\"connections\": %d, \"openssl\": \"%s\",\n", n,
                OpenSSL_version(OPENSSL_VERSION));
    // Twice each, alternating: the second pair shows whether the figures are stable.
    measure<TlsctxSide>("tlsctx", n, 16, false);
    measure<AsioSide>("asio", n, 16, false);
    measure<TlsctxSide>("tlsctx_again", n, 16, false);
    measure<AsioSide>("asio_again", n, 16, true);
    std::printf("}\n");
    return 0;
}
