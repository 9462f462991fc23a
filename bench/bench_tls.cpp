// tlsctx_bench — Google Benchmark timings of tlsctx against hand-written raw OpenSSL, same process,
// same settings (see harness.hpp).
//
// Paired A/B benchmarks (what bench/run.py reports): each iteration runs a block of the scenario
// through tlsctx and the same block through raw OpenSSL, in alternating order, and times each
// block on its own, so load from other processes falls on both sides alike. Counters: a_* is
// the first side named (tlsctx, or raw in raw_vs_raw_norelease), b_* the second, ratio_cpu =
// a's rate / b's rate per CPU-second, ratio_wall the same in wall-clock time.
//   paired/handshake/{tls13_ecdsa,tls13_rsa,tls12_rsa}/tlsctx_vs_raw   full handshakes
//   paired/kex/{x25519,x25519mlkem768}/tlsctx_vs_raw  full TLS 1.3 ECDSA handshakes with only
//                                      that group (the hybrid where OpenSSL has it, 3.5+)
//   paired/resume/{tls13_ticket,tls12_session_id}/tlsctx_vs_raw         resumed handshakes
//   paired/bulk_membio/aes128gcm/{tlsctx_vs_raw,raw_vs_raw_norelease}   16 KiB, memory BIOs
//   paired/bulk_socket/{aes128gcm,aes256gcm,chacha20}/tlsctx_vs_raw    16 KiB, socketpair
//   paired/bulk_socket/aes128gcm/raw_vs_raw_norelease
//   paired/pingpong/64B/tlsctx_vs_raw  1,000 round trips of 64 bytes per side: a_p50_us, ...
//   paired/diag/...                    A/A controls (raw_vs_raw) and the diagnosis: raw with
//                                      tlsctx's ERR_clear_error per call (":clear") against raw,
//                                      and tlsctx against that
// Per-side benchmarks of the same scenarios, for running by hand with --benchmark_filter:
//   handshake/<name>/{tlsctx,raw}, resume/<name>/{tlsctx,raw}, bulk_membio/aes128gcm/<side>,
//   bulk_socket/<suite>/{tlsctx,raw,raw_norelease}, pingpong/64B/{tlsctx,raw}.
// A connection in handshake/resume is: two memory BIOs, two SSL objects, the handshake, the client
// reading what the server sent after it (TLS 1.3 tickets), close_notify both ways. Single-threaded
// scenarios are timed in CPU time of the benchmark thread; bulk_socket in process CPU time (writer
// + reader) and wall-clock time; ping-pong in wall-clock time. See bench/README.md.
#include <strings.h>

#include <benchmark/benchmark.h>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "harness.hpp"

namespace {

using bench::Config;
using bench::named_config;
using bench::RawEnv;
using bench::RawMemPair;
using bench::RawSocketPair;
using bench::TlsctxEnv;
using bench::TlsctxMemPair;
using bench::TlsctxSocketPair;

constexpr std::size_t kChunk = 16384;

double cpu_seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Config config_for(const std::string& name, bool release_buffers) {
    Config config = named_config(name);
    config.release_buffers = release_buffers;
    return config;
}

// ---- building blocks: one scenario step, for either side ---------------------------------------

// Connections (full or resumed) over memory BIOs.
template <typename Env>
struct Connections {
    Env env;
    bool resume;
    Connections(const std::string& name, bool r) : env(named_config(name)), resume(r) {
        if (resume) {
            env.capture_session();
        }
    }
    void step() {
        if (env.connect_once() != resume) {
            bench::die(resume ? "a session was not resumed" : "unexpected resumption");
        }
    }
};

// 16 KiB records through an open connection over memory BIOs, one thread.
template <typename Pair>
struct MemRecords {
    Pair pair;
    std::vector<char> data = std::vector<char>(kChunk, 'x');
    std::vector<char> buffer = std::vector<char>(kChunk);
    explicit MemRecords(const Config& config) : pair(config) {}
    void step() { pair.transfer(data.data(), buffer.data(), kChunk); }
};

// An open connection over a socketpair with a reader thread draining the server end; step()
// writes one 16 KiB record, drain() waits until the reader has everything written so far.
template <typename Env, typename Pair>
struct SocketStream {
    Env env;
    Pair pair;
    std::vector<char> data = std::vector<char>(kChunk, 'x');
    std::uint64_t sent = 0;
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> target{~std::uint64_t{0}};
    std::mutex mutex;
    std::condition_variable drained;
    std::thread reader;

    explicit SocketStream(const Config& config) : env(config), pair(env) {
        reader = std::thread([this] {
            std::vector<char> buffer(kChunk);
            for (;;) {
                std::size_t n = pair.server_read(buffer.data(), buffer.size());
                if (n == 0) {
                    return;
                }
                if (received.fetch_add(n) + n >= target.load()) {
                    std::lock_guard<std::mutex> lock(mutex);
                    drained.notify_one();
                }
            }
        });
    }
    ~SocketStream() {
        pair.end_client_stream();
        reader.join();
    }
    SocketStream(const SocketStream&) = delete;
    SocketStream& operator=(const SocketStream&) = delete;
    void step() {
        if (!pair.client_write(data.data(), data.size())) {
            bench::die("bulk write");
        }
        sent += kChunk;
    }
    void drain() {
        std::unique_lock<std::mutex> lock(mutex);
        target.store(sent);
        drained.wait(lock, [&] { return received.load() >= sent; });
    }
};

// ---- per-side benchmarks -----------------------------------------------------------------------

template <typename Env>
void bm_connections(benchmark::State& state, std::string name, bool resume) {
    Connections<Env> c(name, resume);
    for (auto _ : state) {
        c.step();
    }
    state.SetItemsProcessed(state.iterations());
}

template <typename Pair>
void bm_bulk_membio(benchmark::State& state, std::string name, bool release_buffers) {
    MemRecords<Pair> r(config_for(name, release_buffers));
    for (auto _ : state) {
        r.step();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kChunk));
}

template <typename Env, typename Pair>
void bm_bulk_socket(benchmark::State& state, std::string name, bool release_buffers) {
    SocketStream<Env, Pair> s(config_for(name, release_buffers));
    const double cpu0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    for (auto _ : state) {
        s.step();
    }
    s.drain();  // at most a socket buffer (~200 KiB) was still in flight
    const double cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    state.SetBytesProcessed(static_cast<std::int64_t>(s.sent));
    state.counters["MiB_per_cpu_s"] = static_cast<double>(s.sent) / (1024.0 * 1024.0) / cpu;
}

// Ping-pong: an echo thread on the server end; round trips timed one by one.
template <typename Env, typename Pair>
struct Echo {
    static constexpr std::size_t kSize = 64;
    Env env;
    Pair pair;
    std::thread echo;
    char message[kSize] = {};
    char reply[kSize] = {};
    explicit Echo(const Config& config) : env(config), pair(env) {
        echo = std::thread([this] {
            char buffer[kSize];
            for (;;) {
                std::size_t got = 0;
                while (got < kSize) {
                    std::size_t n = pair.server_read(buffer + got, kSize - got);
                    if (n == 0) {
                        return;
                    }
                    got += n;
                }
                if (!pair.server_write(buffer, kSize)) {
                    return;
                }
            }
        });
        for (int i = 0; i < 100; ++i) {
            round_trip();  // warm-up
        }
    }
    ~Echo() {
        pair.end_client_stream();
        echo.join();
    }
    Echo(const Echo&) = delete;
    Echo& operator=(const Echo&) = delete;
    double round_trip() {
        auto t0 = std::chrono::steady_clock::now();
        if (!pair.client_write(message, kSize)) {
            bench::die("pingpong write");
        }
        std::size_t got = 0;
        while (got < kSize) {
            std::size_t n = pair.client_read(reply + got, kSize - got);
            if (n == 0) {
                bench::die("pingpong read");
            }
            got += n;
        }
        return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
            .count();
    }
};

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

template <typename Env, typename Pair>
void bm_pingpong(benchmark::State& state) {
    Echo<Env, Pair> e(named_config("tls13_ecdsa"));
    std::vector<double> samples;
    for (auto _ : state) {
        for (int i = 0; i < 1000; ++i) {
            samples.push_back(e.round_trip());
        }
    }
    state.counters["p50_us"] = percentile(samples, 0.50);
    state.counters["p99_us"] = percentile(samples, 0.99);
    state.SetItemsProcessed(static_cast<std::int64_t>(samples.size()));
}

// ---- paired A/B benchmarks ---------------------------------------------------------------------

struct Spent {
    double cpu = 0;
    double wall = 0;
};

// Each iteration: `block` steps of A and `block` steps of B, A first on even iterations.
// `units` = what one step is worth (1 connection, or bytes turned into MiB).
template <typename A, typename B>
void run_paired(benchmark::State& state, A& a, B& b, int block, double units, clockid_t clock) {
    Spent sa;
    Spent sb;
    auto timed = [&](auto& side, Spent& spent) {
        const double c0 = cpu_seconds(clock);
        const double w0 = wall_seconds();
        for (int i = 0; i < block; ++i) {
            side.step();
        }
        side.drain();
        spent.cpu += cpu_seconds(clock) - c0;
        spent.wall += wall_seconds() - w0;
    };
    bool a_first = true;
    for (auto _ : state) {
        if (a_first) {
            timed(a, sa);
            timed(b, sb);
        } else {
            timed(b, sb);
            timed(a, sa);
        }
        a_first = !a_first;
    }
    const double total = units * block * static_cast<double>(state.iterations());
    state.counters["a_per_cpu_s"] = total / sa.cpu;
    state.counters["b_per_cpu_s"] = total / sb.cpu;
    state.counters["a_per_wall_s"] = total / sa.wall;
    state.counters["b_per_wall_s"] = total / sb.wall;
    state.counters["ratio_cpu"] = sb.cpu / sa.cpu;
    state.counters["ratio_wall"] = sb.wall / sa.wall;
}

// Sides without a drain() step (everything but SocketStream) get this no-op through a wrapper.
template <typename T>
struct Drained : T {
    using T::T;
    void drain() {}
};

void paired_connections(benchmark::State& state, std::string name, bool resume, int block) {
    Drained<Connections<TlsctxEnv>> a(name, resume);
    Drained<Connections<RawEnv>> b(name, resume);
    run_paired(state, a, b, block, 1.0, CLOCK_THREAD_CPUTIME_ID);
}

// Diagnosis: side A is tlsctx or raw with an error-queue rule (name suffix :clear / :peek),
// side B raw as written by hand.
template <typename EnvA>
void diag_connections(benchmark::State& state, std::string name_a, std::string name_b, bool resume,
                      int block) {
    Drained<Connections<EnvA>> a(name_a, resume);
    Drained<Connections<RawEnv>> b(name_b, resume);
    run_paired(state, a, b, block, 1.0, CLOCK_THREAD_CPUTIME_ID);
}

template <typename PairA>
void diag_bulk_membio(benchmark::State& state, std::string name_a, std::string name_b) {
    const double mib = static_cast<double>(kChunk) / (1024.0 * 1024.0);
    Drained<MemRecords<PairA>> a(named_config(name_a));
    Drained<MemRecords<RawMemPair>> b(named_config(name_b));
    run_paired(state, a, b, 16, mib, CLOCK_THREAD_CPUTIME_ID);
}

void paired_bulk_membio(benchmark::State& state, std::string name, bool tlsctx_vs_raw) {
    const double mib = static_cast<double>(kChunk) / (1024.0 * 1024.0);
    Drained<MemRecords<RawMemPair>> raw(config_for(name, true));
    if (tlsctx_vs_raw) {
        Drained<MemRecords<TlsctxMemPair>> t(config_for(name, true));
        run_paired(state, t, raw, 16, mib, CLOCK_THREAD_CPUTIME_ID);
    } else {
        Drained<MemRecords<RawMemPair>> norelease(config_for(name, false));
        run_paired(state, raw, norelease, 16, mib, CLOCK_THREAD_CPUTIME_ID);
    }
}

void paired_bulk_socket(benchmark::State& state, std::string name, bool tlsctx_vs_raw) {
    const double mib = static_cast<double>(kChunk) / (1024.0 * 1024.0);
    SocketStream<RawEnv, RawSocketPair> raw(config_for(name, true));
    if (tlsctx_vs_raw) {
        SocketStream<TlsctxEnv, TlsctxSocketPair> t(config_for(name, true));
        run_paired(state, t, raw, 64, mib, CLOCK_PROCESS_CPUTIME_ID);
    } else {
        SocketStream<RawEnv, RawSocketPair> norelease(config_for(name, false));
        run_paired(state, raw, norelease, 64, mib, CLOCK_PROCESS_CPUTIME_ID);
    }
}

// 10 alternating blocks of 100 round trips per side: 1,000 round trips each.
void paired_pingpong(benchmark::State& state) {
    Echo<TlsctxEnv, TlsctxSocketPair> a(named_config("tls13_ecdsa"));
    Echo<RawEnv, RawSocketPair> b(named_config("tls13_ecdsa"));
    std::vector<double> sa;
    std::vector<double> sb;
    for (auto _ : state) {
        for (int blk = 0; blk < 10; ++blk) {
            for (int i = 0; i < 100; ++i) {
                (blk % 2 == 0 ? sa : sb).push_back(blk % 2 == 0 ? a.round_trip() : b.round_trip());
            }
            for (int i = 0; i < 100; ++i) {
                (blk % 2 == 0 ? sb : sa).push_back(blk % 2 == 0 ? b.round_trip() : a.round_trip());
            }
        }
    }
    state.counters["a_p50_us"] = percentile(sa, 0.50);
    state.counters["b_p50_us"] = percentile(sb, 0.50);
    state.counters["a_p99_us"] = percentile(sa, 0.99);
    state.counters["b_p99_us"] = percentile(sb, 0.99);
}

// ---- start-up checks ---------------------------------------------------------------------------

// Checks which suite a socket pair negotiates.
template <typename Env, typename Pair>
void check_suite(const char* name, const char* expected) {
    Env env(named_config(name));
    Pair pair(env);
    SSL* ssl = nullptr;
    if constexpr (std::is_same_v<Pair, RawSocketPair>) {
        ssl = pair.client;
    } else {
        ssl = static_cast<SSL*>(pair.client.native_handle());
    }
    if (std::string(SSL_CIPHER_get_name(SSL_get_current_cipher(ssl))) != expected) {
        bench::die("unexpected negotiated suite");
    }
    pair.end_client_stream();
}

// Checks which group a kex scenario negotiates (a pinned list that OpenSSL ignored would time the
// default instead).
void check_group(const char* name, const char* expected) {
    RawMemPair raw(named_config(name));
    TlsctxMemPair tlsctx(named_config(name));
    for (SSL* ssl : {raw.client, static_cast<SSL*>(tlsctx.client.native_handle())}) {
        const char* got = SSL_group_to_name(ssl, SSL_get_negotiated_group(ssl));
        // OpenSSL's spelling of a group's name changed between releases ("x25519" / "X25519").
        if (got == nullptr || strcasecmp(got, expected) != 0) {
            bench::die("unexpected negotiated group");
        }
    }
}

void check_all_parity() {
    check_group("kex_x25519", "x25519");
    if (bench::has_group("X25519MLKEM768")) {
        check_group("kex_x25519mlkem768", "X25519MLKEM768");
    }
    for (const char* name :
         {"tls13_ecdsa", "tls13_rsa", "tls12_rsa", "tls13_ticket", "tls12_session_id", "aes128gcm",
          "aes256gcm", "chacha20", "kex_x25519"}) {
        for (bool release : {true, false}) {
            Config config = config_for(name, release);
            TlsctxEnv t(config);
            RawEnv r(config);
            bench::check_parity(t, r, release);
        }
    }
    check_suite<TlsctxEnv, TlsctxSocketPair>("aes128gcm", "TLS_AES_128_GCM_SHA256");
    check_suite<RawEnv, RawSocketPair>("chacha20", "TLS_CHACHA20_POLY1305_SHA256");
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    // bench/run.py skips the check in the short runs it pairs with Python (it ran once already).
    if (const char* skip = std::getenv("TLSCTX_BENCH_SKIP_PARITY");
        skip == nullptr || *skip != '1') {
        check_all_parity();
    }

    using benchmark::RegisterBenchmark;
    // Paired A/B (blocks: 1 connection, 4 short TLS 1.2 resumptions, 16 or 64 records of 16 KiB).
    for (const char* name : {"tls13_ecdsa", "tls13_rsa", "tls12_rsa"}) {
        RegisterBenchmark(("paired/handshake/" + std::string(name) + "/tlsctx_vs_raw").c_str(),
                          paired_connections, std::string(name), false, 1);
    }
    // Key exchange, one group each: X25519 alone and the post-quantum hybrid where the linked
    // OpenSSL has it (3.5+); bench/matrix.py compares them across OpenSSLs.
    for (const char* group : {"x25519", "x25519mlkem768"}) {
        if (std::string(group) == "x25519mlkem768" && !bench::has_group("X25519MLKEM768")) {
            continue;
        }
        RegisterBenchmark(("paired/kex/" + std::string(group) + "/tlsctx_vs_raw").c_str(),
                          paired_connections, "kex_" + std::string(group), false, 1);
    }
    RegisterBenchmark("paired/resume/tls13_ticket/tlsctx_vs_raw", paired_connections,
                      std::string("tls13_ticket"), true, 1);
    RegisterBenchmark("paired/resume/tls12_session_id/tlsctx_vs_raw", paired_connections,
                      std::string("tls12_session_id"), true, 4);
    RegisterBenchmark("paired/bulk_membio/aes128gcm/tlsctx_vs_raw", paired_bulk_membio,
                      std::string("aes128gcm"), true);
    RegisterBenchmark("paired/bulk_membio/aes128gcm/raw_vs_raw_norelease", paired_bulk_membio,
                      std::string("aes128gcm"), false);
    for (const char* name : {"aes128gcm", "aes256gcm", "chacha20"}) {
        RegisterBenchmark(("paired/bulk_socket/" + std::string(name) + "/tlsctx_vs_raw").c_str(),
                          paired_bulk_socket, std::string(name), true)
            ->UseRealTime();
    }
    RegisterBenchmark("paired/bulk_socket/aes128gcm/raw_vs_raw_norelease", paired_bulk_socket,
                      std::string("aes128gcm"), false)
        ->UseRealTime();
    RegisterBenchmark("paired/pingpong/64B/tlsctx_vs_raw", paired_pingpong)
        ->Iterations(1)
        ->UseRealTime();
    // A/A controls: the same raw code on both sides; any ratio away from 1 is the method's bias.
    RegisterBenchmark("paired/diag/resume/tls12_session_id/raw_vs_raw", diag_connections<RawEnv>,
                      std::string("tls12_session_id"), std::string("tls12_session_id"), true, 4);
    RegisterBenchmark("paired/diag/bulk_membio/aes128gcm/raw_vs_raw", diag_bulk_membio<RawMemPair>,
                      std::string("aes128gcm"), std::string("aes128gcm"));
    // What the error-queue rules before every SSL call cost (ERR_clear_error always, or only
    // after ERR_peek_error finds something), against raw and against tlsctx.
    RegisterBenchmark("paired/diag/resume/tls12_session_id/raw_clear_vs_raw",
                      diag_connections<RawEnv>, std::string("tls12_session_id:clear"),
                      std::string("tls12_session_id"), true, 4);
    RegisterBenchmark("paired/diag/resume/tls12_session_id/tlsctx_vs_raw_clear",
                      diag_connections<TlsctxEnv>, std::string("tls12_session_id"),
                      std::string("tls12_session_id:clear"), true, 4);
    RegisterBenchmark("paired/diag/bulk_membio/aes128gcm/raw_clear_vs_raw",
                      diag_bulk_membio<RawMemPair>, std::string("aes128gcm:clear"),
                      std::string("aes128gcm"));
    RegisterBenchmark("paired/diag/resume/tls12_session_id/raw_peek_vs_raw",
                      diag_connections<RawEnv>, std::string("tls12_session_id:peek"),
                      std::string("tls12_session_id"), true, 4);
    RegisterBenchmark("paired/diag/bulk_membio/aes128gcm/raw_peek_vs_raw",
                      diag_bulk_membio<RawMemPair>, std::string("aes128gcm:peek"),
                      std::string("aes128gcm"));
    RegisterBenchmark("paired/diag/bulk_membio/aes128gcm/tlsctx_vs_raw_clear",
                      diag_bulk_membio<TlsctxMemPair>, std::string("aes128gcm"),
                      std::string("aes128gcm:clear"));

    // Per side.
    for (const char* name : {"tls13_ecdsa", "tls13_rsa", "tls12_rsa"}) {
        std::string n(name);
        RegisterBenchmark(("handshake/" + n + "/tlsctx").c_str(), bm_connections<TlsctxEnv>, n,
                          false);
        RegisterBenchmark(("handshake/" + n + "/raw").c_str(), bm_connections<RawEnv>, n, false);
    }
    for (const char* name : {"tls13_ticket", "tls12_session_id"}) {
        std::string n(name);
        RegisterBenchmark(("resume/" + n + "/tlsctx").c_str(), bm_connections<TlsctxEnv>, n, true);
        RegisterBenchmark(("resume/" + n + "/raw").c_str(), bm_connections<RawEnv>, n, true);
    }
    RegisterBenchmark("bulk_membio/aes128gcm/tlsctx", bm_bulk_membio<TlsctxMemPair>,
                      std::string("aes128gcm"), true);
    RegisterBenchmark("bulk_membio/aes128gcm/raw", bm_bulk_membio<RawMemPair>,
                      std::string("aes128gcm"), true);
    RegisterBenchmark("bulk_membio/aes128gcm/raw_norelease", bm_bulk_membio<RawMemPair>,
                      std::string("aes128gcm"), false);
    for (const char* name : {"aes128gcm", "aes256gcm", "chacha20"}) {
        std::string n(name);
        RegisterBenchmark(("bulk_socket/" + n + "/tlsctx").c_str(),
                          bm_bulk_socket<TlsctxEnv, TlsctxSocketPair>, n, true)
            ->UseRealTime();
        RegisterBenchmark(("bulk_socket/" + n + "/raw").c_str(),
                          bm_bulk_socket<RawEnv, RawSocketPair>, n, true)
            ->UseRealTime();
        RegisterBenchmark(("bulk_socket/" + n + "/raw_norelease").c_str(),
                          bm_bulk_socket<RawEnv, RawSocketPair>, n, false)
            ->UseRealTime();
    }
    RegisterBenchmark("pingpong/64B/tlsctx", bm_pingpong<TlsctxEnv, TlsctxSocketPair>)
        ->Iterations(1)
        ->UseRealTime();
    RegisterBenchmark("pingpong/64B/raw", bm_pingpong<RawEnv, RawSocketPair>)
        ->Iterations(1)
        ->UseRealTime();

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
