// tlsctx_bench_asio — issue 13: tls::boost_asio::stream against boost::asio::ssl::stream, over
// loopback TCP, in one process, in rounds that alternate the two sides so that load from other
// processes falls on both alike. Prints JSON (per-round figures of each side); bench/run.py
// computes the ratios and the verdicts.
//
//   tlsctx_bench_asio [--quick] [--rounds N]
//
// Two threads, each running one io_context: the server (acceptors and every server stream) and
// the clients. Each thread's CPU time is read from its own clock, so "server handshakes per
// server CPU-second" counts only what the server's stream did, whatever the clients cost; the
// clients of a block use the same library as its server.
//   handshake  P client coroutines connect, do a full handshake, send 64 bytes, read the echo
//              (which takes in the server's TLS 1.3 tickets) and close the connection with
//              close_notify both ways (async_shutdown on each end).
//   resume     the same with the client resuming a session kept from an earlier connection
//              (tls::Session / SSL_SESSION); every connection is checked to have resumed.
//   bulk       one established connection; 16 KiB writes from the client, 16 KiB reads on the
//              server; MiB per process CPU-second (both threads) and per wall-clock second.
//   pingpong   one established connection; 64-byte write + 64-byte read of the echo, wall clock
//              per round trip; p50 and p99 of each block.
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <boost/version.hpp>

#include <sys/resource.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "bench_asio.hpp"
#include "tls/native.hpp"

namespace {

using namespace bench_asio;

double seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Clocks {
    double server = 0;
    double client = 0;
    double process = 0;
    double wall = 0;
    double server_sys = 0;  // of `server`, in the kernel
    double server_switches =
        0;  // the server thread's context switches (it slept, or was preempted)
};

// The server thread's own getrusage(RUSAGE_THREAD), read on that thread.
rusage server_usage(Loop& server) {
    std::promise<rusage> result;
    net::post(server.io, [&result] {
        rusage u{};
        getrusage(RUSAGE_THREAD, &u);
        result.set_value(u);
    });
    return result.get_future().get();
}

Clocks now(Loop& server, const Loop& client) {
    const rusage u = server_usage(server);
    return {seconds(server.clock),
            seconds(client.clock),
            seconds(CLOCK_PROCESS_CPUTIME_ID),
            seconds(CLOCK_MONOTONIC),
            static_cast<double>(u.ru_stime.tv_sec) + static_cast<double>(u.ru_stime.tv_usec) * 1e-6,
            static_cast<double>(u.ru_nvcsw + u.ru_nivcsw)};
}

Clocks operator-(const Clocks& a, const Clocks& b) {
    return {a.server - b.server,         a.client - b.client,
            a.process - b.process,       a.wall - b.wall,
            a.server_sys - b.server_sys, a.server_switches - b.server_switches};
}

// One side's servers and long-lived client connections.
template <class Side>
struct Rig {
    Side side;
    ServerCounters counters;
    tcp::acceptor echo;
    tcp::acceptor sink;
    std::optional<typename Side::stream_type> bulk_client;
    std::optional<typename Side::stream_type> ping_client;

    std::string name;

    Rig(const char* rig_name, const bench::Config& c, Loop& server, Loop& client)
        : side(c),
          echo(server.io, tcp::endpoint(net::ip::address_v4::loopback(), 0)),
          sink(server.io, tcp::endpoint(net::ip::address_v4::loopback(), 0)),
          name(rig_name) {
        echo.listen(1024);
        net::co_spawn(server.io, accept_echo<Side, 1024>(side, echo, counters), net::detached);
        net::co_spawn(server.io, accept_sink<Side>(side, sink), net::detached);
        // The session to resume, and the two long-lived connections.
        run_on(client, [](Rig& r, net::io_context& io) -> awaitable<void> {
            typename Side::stream_type s(io, r.side.client_ctx);
            co_await connect(r.side, s, r.echo.local_endpoint());
            co_await exchange64(s);
            r.side.keep_session(s);
            co_await close(s);
            r.bulk_client.emplace(io, r.side.client_ctx);
            co_await connect(r.side, *r.bulk_client, r.sink.local_endpoint());
            r.ping_client.emplace(io, r.side.client_ctx);
            co_await connect(r.side, *r.ping_client, r.echo.local_endpoint());
        }(*this, client.io));
    }
};

template <class Side>
awaitable<void> handshake_worker(Rig<Side>& r, int& next, int count) {
    auto executor = co_await net::this_coro::executor;
    while (next++ < count) {
        typename Side::stream_type s(executor, r.side.client_ctx);
        co_await connect(r.side, s, r.echo.local_endpoint());
        co_await exchange64(s);
        if (r.side.resume && !Side::reused(s)) {
            bench::die("a connection that should have resumed did not");
        }
        co_await close(s);
    }
}

// `count` connections by `parallel` clients; the block ends when the server has seen them all go.
template <class Side>
Clocks handshake_block(Rig<Side>& r, Loop& server, Loop& client, int count, int parallel,
                       bool resume) {
    r.side.resume = resume;
    const long ended = r.counters.sessions_ended.load(std::memory_order_acquire);
    int next = 0;
    const Clocks start = now(server, client);
    std::vector<std::future<void>> workers;
    for (int i = 0; i < parallel; ++i) {
        workers.push_back(
            net::co_spawn(client.io, handshake_worker(r, next, count), net::use_future));
    }
    for (auto& w : workers) {
        w.get();
    }
    while (r.counters.sessions_ended.load(std::memory_order_acquire) - ended < count) {
        std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    return now(server, client) - start;
}

template <class Side>
awaitable<void> bulk_writes(Rig<Side>& r, std::uint64_t bytes) {
    static const std::vector<unsigned char> data(16384, 'b');
    auto& s = *r.bulk_client;
    co_await net::async_write(s, net::buffer(&bytes, sizeof bytes), use_awaitable);
    for (std::uint64_t left = bytes; left > 0;) {
        const std::size_t n = std::min<std::uint64_t>(left, data.size());
        co_await net::async_write(s, net::buffer(data.data(), n), use_awaitable);
        left -= n;
    }
    unsigned char ack = 0;
    co_await net::async_read(s, net::buffer(&ack, 1), use_awaitable);
}

template <class Side>
Clocks bulk_block(Rig<Side>& r, Loop& server, Loop& client, std::uint64_t bytes) {
    const Clocks start = now(server, client);
    run_on(client, bulk_writes(r, bytes));
    return now(server, client) - start;
}

template <class Side>
awaitable<void> ping(Rig<Side>& r, int count, std::vector<double>& us) {
    auto& s = *r.ping_client;
    for (int i = 0; i < count; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        co_await exchange64(s);
        us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
    }
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Per-round figures of one side.
struct Series {
    std::vector<double> hs_server, hs_client, hs_wall;         // full handshakes per second
    std::vector<double> hs_server_sys_us, hs_server_switches;  // per full handshake
    std::vector<double> rs_server, rs_client, rs_wall;         // resumed
    std::vector<double> bulk_cpu, bulk_wall;                   // MiB per second
    std::vector<double> p50, p99;                              // µs
};

struct Params {
    int rounds = 9;
    int handshakes = 300;
    int resumes = 600;
    int parallel = 16;
    std::uint64_t bulk_bytes = 256ull << 20;
    int pings = 2000;
    // Diagnosis (callgrind, perf): run only this scenario (0-3, -1 all) and only this side.
    int only_scenario = -1;
    std::string only_side;
};

template <class Side>
void one_round(Rig<Side>& r, Loop& server, Loop& client, const Params& p, Series& s, int scenario) {
    if ((p.only_scenario >= 0 && scenario != p.only_scenario) ||
        (!p.only_side.empty() && p.only_side != r.name && p.only_side != "both")) {
        return;
    }
    switch (scenario) {
        case 0: {
            const Clocks c = handshake_block(r, server, client, p.handshakes, p.parallel, false);
            s.hs_server.push_back(p.handshakes / c.server);
            s.hs_server_sys_us.push_back(c.server_sys * 1e6 / p.handshakes);
            s.hs_server_switches.push_back(c.server_switches / p.handshakes);
            s.hs_client.push_back(p.handshakes / c.client);
            s.hs_wall.push_back(p.handshakes / c.wall);
            break;
        }
        case 1: {
            const Clocks c = handshake_block(r, server, client, p.resumes, p.parallel, true);
            s.rs_server.push_back(p.resumes / c.server);
            s.rs_client.push_back(p.resumes / c.client);
            s.rs_wall.push_back(p.resumes / c.wall);
            break;
        }
        case 2: {
            const Clocks c = bulk_block(r, server, client, p.bulk_bytes);
            const double mib = static_cast<double>(p.bulk_bytes) / (1 << 20);
            s.bulk_cpu.push_back(mib / c.process);
            s.bulk_wall.push_back(mib / c.wall);
            break;
        }
        default: {
            std::vector<double> us;
            us.reserve(static_cast<std::size_t>(p.pings));
            run_on(client, ping(r, p.pings, us));
            s.p50.push_back(percentile(us, 0.50));
            s.p99.push_back(percentile(us, 0.99));
            break;
        }
    }
}

std::string json_list(const std::vector<double>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%.6g", i ? ", " : "", v[i]);
        out += buf;
    }
    return out + "]";
}

std::string json_series(const Series& s) {
    std::string o = "{";
    const std::pair<const char*, const std::vector<double>*> fields[] = {
        {"handshake_server_per_cpu_s", &s.hs_server},
        {"handshake_server_sys_us", &s.hs_server_sys_us},
        {"handshake_server_switches", &s.hs_server_switches},
        {"handshake_client_per_cpu_s", &s.hs_client},
        {"handshake_per_wall_s", &s.hs_wall},
        {"resume_server_per_cpu_s", &s.rs_server},
        {"resume_client_per_cpu_s", &s.rs_client},
        {"resume_per_wall_s", &s.rs_wall},
        {"bulk_mib_per_cpu_s", &s.bulk_cpu},
        {"bulk_mib_per_wall_s", &s.bulk_wall},
        {"pingpong_p50_us", &s.p50},
        {"pingpong_p99_us", &s.p99}};
    bool first = true;
    for (const auto& [name, values] : fields) {
        o += std::string(first ? "" : ", ") + "\"" + name + "\": " + json_list(*values);
        first = false;
    }
    return o + "}";
}

// Rounds of every scenario on two sides, alternating which goes first; prints the JSON.
template <class A, class B>
void compare(const Params& p, const char* a_name, const char* b_name) {
    const bench::Config config = bench_asio::config();
    Loop server;
    Loop client;
    Rig<A> a(a_name, config, server, client);
    Rig<B> b(b_name, config, server, client);
    {
        // A warm-up round, not recorded: first connections fill caches and grow pools.
        Series discard;
        for (int scenario = 0; scenario < 4; ++scenario) {
            one_round(a, server, client, p, discard, scenario);
            one_round(b, server, client, p, discard, scenario);
        }
    }
    Series as;
    Series bs;
    for (int round = 0; round < p.rounds; ++round) {
        for (int scenario = 0; scenario < 4; ++scenario) {
            if ((round + scenario) % 2 == 0) {
                one_round(a, server, client, p, as, scenario);
                one_round(b, server, client, p, bs, scenario);
            } else {
                one_round(b, server, client, p, bs, scenario);
                one_round(a, server, client, p, as, scenario);
            }
        }
    }
    std::printf(
        "{\"openssl\": \"%s\", \"boost\": \"%s\", \"rounds\": %d, \"parallel\": %d, "
        "\"handshakes\": %d, \"resumes\": %d, \"bulk_bytes\": %llu, \"pings\": %d, "
        "\"suite\": \"%s\", \"group\": \"%s\", \"a\": \"%s\", \"b\": \"%s\",\n \"%s\": %s,\n "
        "\"%s\": %s}\n",
        OpenSSL_version(OPENSSL_VERSION), BOOST_LIB_VERSION, p.rounds, p.parallel, p.handshakes,
        p.resumes, static_cast<unsigned long long>(p.bulk_bytes), p.pings, config.tls13_suite,
        config.groups, a_name, b_name, a_name, json_series(as).c_str(), b_name,
        json_series(bs).c_str());
    // Server coroutines are still waiting on the stopped loops; the process ends here rather
    // than unwinding them against contexts already gone.
    std::fflush(stdout);
    std::_Exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    Params p;
    bool aa = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            p.rounds = 3;
            p.handshakes = 48;
            p.resumes = 96;
            p.bulk_bytes = 16ull << 20;
            p.pings = 300;
        } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            p.rounds = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--parallel") == 0 && i + 1 < argc) {
            p.parallel = std::atoi(argv[++i]);  // concurrent clients in the handshake scenarios
        } else if (std::strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            // Diagnosis: this many handshakes / resumptions / MiB / ping-pongs per block.
            const int n = std::atoi(argv[++i]);
            p.handshakes = p.resumes = p.pings = n;
            p.bulk_bytes = static_cast<std::uint64_t>(n) << 20;
        } else if (std::strcmp(argv[i], "--only") == 0 && i + 2 < argc) {
            // Diagnosis: --only SIDE SCENARIO (tlsctx|asio|both, 0 handshake 1 resume 2 bulk 3
            // ping).
            p.only_side = argv[++i];
            p.only_scenario = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--aa") == 0) {
            aa = true;  // A/A control: Asio against Asio, the method's own noise and bias
        } else {
            std::fprintf(stderr,
                         "usage: %s [--quick] [--rounds N] [--aa] [--parallel N] [--count N] "
                         "[--only SIDE SCENARIO]\n",
                         argv[0]);
            return 2;
        }
    }
    {
        // Same contexts as the paired benchmarks: abort on any setting that differs.
        const bench::Config config = bench_asio::config();
        bench::TlsctxEnv t(config);
        bench::RawEnv r(config);
        bench::check_parity(t, r, true);
        // And the two servers this binary runs send the same number of tickets.
        TlsctxSide ts(config);
        AsioSide as(config);
        if (SSL_CTX_get_num_tickets(tls::native::handle(ts.server_ctx)) != 2 ||
            SSL_CTX_get_num_tickets(as.server_ctx.native_handle()) != 2) {
            bench::die("the servers' ticket counts differ");
        }
    }
    if (aa) {
        compare<AsioSide, AsioSide>(p, "asio", "asio_again");
    }
    compare<TlsctxSide, AsioSide>(p, "tlsctx", "asio");
    return 0;
}
