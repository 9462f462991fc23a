// examples/epoll_echo_server.cpp under load: one server thread holds 1,000 concurrent TLS
// connections on 127.0.0.1, echoes every byte on each, gives every descriptor back when the
// clients close, keeps its memory bounded and exits by itself through --max-connections.
// Clients are blocking tls::Sockets with secure defaults (verifying the test CA and the IP SAN),
// 125 on each of 8 threads, all connected before any closes.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/peers.hpp"
#include "support/proc_stats.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tls::test::child_of;
using tls::test::count_fds;
using tls::test::poll_until;
using tls::test::rss_kib;

constexpr int kThreads = 8;
constexpr int kPerThread = 125;
constexpr int kConnections = kThreads * kPerThread;
// Memory a held connection may cost the server (SSL object, buffers, our map entry); we measure
// about 20 KiB. OpenSSL releases idle record buffers (SSL_MODE_RELEASE_BUFFERS). AddressSanitizer
// (TLSCTX_SANITIZE) multiplies it: redzones and a quarantine of freed memory.
#if defined(__SANITIZE_ADDRESS__)
#define TLSCTX_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TLSCTX_TEST_ASAN 1
#endif
#endif
#ifdef TLSCTX_TEST_ASAN
constexpr long kMaxKibPerConnection = 800;
#else
constexpr long kMaxKibPerConnection = 100;
#endif

std::string server_binary() {
    return TLSCTX_BINARY_DIR "/examples/example_epoll_echo_server";
}

// The bytes client `t`/`i` sends: sizes from 5 to 11 KB, so some replies span several of the
// server's 4 KiB reads and its pending() path.
std::string message(int t, int i) {
    std::string m(5000 + static_cast<std::size_t>(i % 7) * 1000, '\0');
    for (std::size_t k = 0; k < m.size(); ++k) {
        m[k] = static_cast<char>('a' + (k + static_cast<std::size_t>(t * 31 + i)) % 26);
    }
    return m;
}

// What the client threads and the test coordinate on.
struct Phase {
    std::mutex mutex;
    std::condition_variable changed;
    int ready = 0;              // threads whose sockets are all connected and echoed
    bool close_others = false;  // close everything but the last connection
    bool close_last = false;
    std::vector<std::string> errors;
};

void run_clients(int t, const tls::Context& ctx, std::uint16_t port, Phase& phase) {
    std::vector<tls::Socket> socks;
    try {
        for (int i = 0; i < kPerThread; ++i) {
            socks.push_back(tls::connect(ctx, "127.0.0.1", port, 20s));
        }
        // Every connection is open before any echoes, and stays open until the test says so.
        for (int i = 0; i < kPerThread; ++i) {
            const std::string m = message(t, i);
            socks[static_cast<std::size_t>(i)].sendall(m);
            std::string back;
            while (back.size() < m.size()) {
                std::string chunk = socks[static_cast<std::size_t>(i)].recv(65536);
                if (chunk.empty()) {
                    break;
                }
                back += chunk;
            }
            if (back != m) {
                throw std::runtime_error("echo differs on connection " + std::to_string(i));
            }
        }
    } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(phase.mutex);
        phase.errors.push_back("thread " + std::to_string(t) + ": " + e.what());
    }
    std::unique_lock<std::mutex> lock(phase.mutex);
    ++phase.ready;
    phase.changed.notify_all();
    phase.changed.wait_for(lock, 50s, [&] { return phase.close_others; });
    lock.unlock();
    // Thread 0 keeps one connection, so the server is still running when the test counts
    // its descriptors after the others closed.
    const std::size_t keep = (t == 0 && !socks.empty()) ? 1 : 0;
    for (std::size_t i = keep; i < socks.size(); ++i) {
        socks[i].close();  // close_notify, then close(2)
    }
    if (keep != 0) {
        lock.lock();
        phase.changed.wait_for(lock, 50s, [&] { return phase.close_last; });
        socks[0].close();
    }
}

TEST(EpollLoad, EchoServerHoldsAThousandConnectionsAndReleasesEveryDescriptor) {
    const auto started = Clock::now();
    if (!std::ifstream(server_binary())) {
        // The interop suite runs in the build that also builds the examples (scripts/test.sh).
        FAIL() << "examples not built: " << server_binary();
    }
    // 1,000 client sockets here and 1,000 in the server, which inherits this limit.
    rlimit lim{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur < 2 * kConnections + 64) {
        lim.rlim_cur = lim.rlim_max;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lim), 0);
    }
    if (lim.rlim_cur < 2 * kConnections + 64) {
        GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low: " << lim.rlim_max;
    }

    const tls::test::TestPki& pki = tls::test::TestPki::get();
    tls::test::Subprocess server({server_binary(), pki.localhost().chain, pki.localhost().key, "0",
                                  "--max-connections", std::to_string(kConnections)},
                                 50s);
    ASSERT_TRUE(server.wait_for_stdout("\n", tls::test::kPeerTimeout)) << server.describe();
    const std::string out = server.stdout_text();
    const std::string prefix = "listening on 127.0.0.1:";
    ASSERT_EQ(out.rfind(prefix, 0), 0u) << out;
    const auto port = static_cast<std::uint16_t>(std::stoul(out.substr(prefix.size())));

    std::optional<pid_t> pid;
    ASSERT_TRUE(poll_until([&] { return (pid = child_of(server.pid())).has_value(); }, 5s));
    // The baseline: listener, epoll instance, stdio; epoll_create1 follows the "listening" line.
    ASSERT_TRUE(poll_until([&] { return count_fds(*pid).has_epoll; }, 5s));
    const int baseline_fds = count_fds(*pid).total;
    const long baseline_rss = rss_kib(*pid);

    tls::Context ctx;  // secure defaults: the chain and the 127.0.0.1 IP SAN are verified
    ctx.load_verify_locations(pki.ca_cert());
    Phase phase;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(run_clients, t, std::cref(ctx), port, std::ref(phase));
    }
    {
        std::unique_lock<std::mutex> lock(phase.mutex);
        phase.changed.wait_for(lock, 40s, [&] { return phase.ready == kThreads; });
        EXPECT_EQ(phase.ready, kThreads) << "clients did not finish connecting in time";
    }
    // All 1,000 are connected, echoed and still open.
    const int peak_fds = count_fds(*pid).total;
    const long peak_rss = rss_kib(*pid);
    EXPECT_EQ(peak_fds, baseline_fds + kConnections);
    EXPECT_LT(peak_rss - baseline_rss, kMaxKibPerConnection * kConnections)
        << "RSS grew from " << baseline_rss << " KiB to " << peak_rss << " KiB";

    {
        std::lock_guard<std::mutex> lock(phase.mutex);
        phase.close_others = true;
        phase.changed.notify_all();
    }
    EXPECT_TRUE(poll_until([&] { return count_fds(*pid).total == baseline_fds + 1; }, 15s))
        << "descriptors after 999 closes: " << count_fds(*pid).total << ", baseline "
        << baseline_fds << " + 1 open connection";
    // Closing allocates a little (close_notify records), but nothing in proportion to traffic.
    const long after_rss = rss_kib(*pid);
    EXPECT_LE(after_rss, peak_rss + (peak_rss - baseline_rss) / 2 + 8192)
        << "memory kept growing after the clients left: " << after_rss << " KiB";

    {
        std::lock_guard<std::mutex> lock(phase.mutex);
        phase.close_last = true;
        phase.changed.notify_all();
    }
    for (std::thread& t : threads) {
        t.join();
    }
    for (const std::string& e : phase.errors) {
        ADD_FAILURE() << e;
    }

    tls::test::ProcessResult r = server.wait(15s);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("served 1000 connections"), std::string::npos) << r.out << r.err;
    EXPECT_LT(Clock::now() - started, 60s);
    std::cout
        << "[ load     ] server RSS " << baseline_rss << " KiB -> " << peak_rss << " KiB with "
        << kConnections << " connections (" << (peak_rss - baseline_rss) / kConnections
        << " KiB each); "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()
        << " ms\n";
}

}  // namespace
