// A fleet sharing a session store across processes: four `tlsctx serve --session-store URL
// --fleet-key F --no-tickets` behind one client that goes round them, on a real redis-server
// and memcached (tests/support/store_servers.hpp), TLS 1.2 (session ids) and 1.3 (stateful
// tickets). It resumes >= 99 % of the connections after the first; a killed store costs no
// handshake and resumption comes back with it; a stopped store delays a handshake by at most its
// deadline; corrupted and foreign entries are rejected, never resumed; and the SIGUSR1 stats
// agree with what the client saw. Figures are printed as `[ figures ]` lines.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/store_servers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"
#if defined(TLSCTX_TEST_HAS_REDIS)
#include "tls/redis.hpp"
#endif
#if defined(TLSCTX_TEST_HAS_MEMCACHED)
#include "tls/memcached.hpp"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using tls::test::TestPki;
using tls::test::more::TempDir;
using tls::test::more::TlsctxServe;
using tls::test::stores::StoreKind;
using tls::test::stores::StoreServer;

// The backends' own default back-off (tls::redis::Options, tls::memcached::Options).
constexpr milliseconds kBackoff{500};

double millis_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool built(StoreKind kind) {
#if defined(TLSCTX_TEST_HAS_REDIS)
    if (kind == StoreKind::redis) {
        return true;
    }
#endif
#if defined(TLSCTX_TEST_HAS_MEMCACHED)
    if (kind == StoreKind::memcached) {
        return true;
    }
#endif
    (void)kind;
    return false;
}

// A client of the store itself, as the servers see it (same default key prefix).
std::unique_ptr<tls::SessionStore> open_store(StoreKind kind, const std::string& url) {
#if defined(TLSCTX_TEST_HAS_REDIS)
    if (kind == StoreKind::redis) {
        return std::make_unique<tls::redis::SessionStore>(url);
    }
#endif
#if defined(TLSCTX_TEST_HAS_MEMCACHED)
    if (kind == StoreKind::memcached) {
        return std::make_unique<tls::memcached::SessionStore>(url);
    }
#endif
    (void)kind;
    (void)url;
    return nullptr;
}

// The `stats:` line `tlsctx serve` prints on SIGUSR1.
struct Stats {
    long resumed = -1;
    long full = -1;
    long store_errors = -1;
    long latency_p99_us = -1;
    long rejected = -1;
};

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

// SIGUSR1, then the line it printed. A line that does not parse fails the test.
Stats stats_of(TlsctxServe& server) {
    const std::size_t before = count_of(server.process().stdout_text(), "stats: ");
    server.process().send_signal(SIGUSR1);
    const bool printed = server.process().wait_for_output(
        [&](const std::string& out, const std::string&) {
            const std::size_t at = out.rfind("stats: ");
            return count_of(out, "stats: ") > before && out.find('\n', at) != std::string::npos;
        },
        tls::test::kPeerTimeout);
    Stats s;
    if (!printed) {
        ADD_FAILURE() << "no stats line after SIGUSR1\n" << server.process().describe();
        return s;
    }
    const std::string out = server.process().stdout_text();
    const std::size_t at = out.rfind("stats: ");
    const std::string line = out.substr(at, out.find('\n', at) - at);
    static const std::regex kLine(
        R"(stats: resumed=(\d+) full=(\d+) store_errors=(\d+) store_latency_p99=(\d+)us rejected=(\d+))");
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) {
        ADD_FAILURE() << "unexpected stats line: " << line;
        return s;
    }
    s.resumed = std::stol(m[1]);
    s.full = std::stol(m[2]);
    s.store_errors = std::stol(m[3]);
    s.latency_p99_us = std::stol(m[4]);
    s.rejected = std::stol(m[5]);
    return s;
}

struct Param {
    StoreKind kind;
    tls::TLSVersion version;
};

std::string param_name(const Param& p) {
    return std::string(tls::test::stores::kind_name(p.kind)) +
           (p.version == tls::TLSVersion::TLSv1_3 ? "_TLSv1_3" : "_TLSv1_2");
}

// One visit: a fresh connection, an echo (so TLS 1.3 tickets have arrived), the newest session.
struct Visit {
    bool ok = false;
    bool reused = false;
    double handshake_ms = 0;
    tls::Session session;
};

class FleetStore : public ::testing::TestWithParam<Param> {
  protected:
    void SetUp() override {
        if (!built(GetParam().kind)) {
            GTEST_SKIP() << tls::test::stores::kind_name(GetParam().kind)
                         << " backend not built (its client library is missing)";
        }
        client_ = tls::test::feature::client_context();
        client_.set_maximum_version(GetParam().version);
        client_.set_minimum_version(GetParam().version);
        write_key(fleet_key_, 7);
    }

    void write_key(const std::string& path, int seed) const {
        std::string key(32, '\0');
        for (std::size_t i = 0; i < key.size(); ++i) {
            key[i] = static_cast<char>((i * 37 + static_cast<std::size_t>(seed) * 101 + 3) & 0xff);
        }
        tls::test::more::write_file(path, key);
    }

    std::unique_ptr<TlsctxServe> serve(const StoreServer& store, const std::string& key,
                                       std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"--cert",    TestPki::get().localhost().chain,
                                      "--key",     TestPki::get().localhost().key,
                                      "--echo",    "--max-connections",
                                      "8",         "--session-store",
                                      store.url(), "--fleet-key",
                                      key,         "--no-tickets"};
        args.insert(args.end(), extra.begin(), extra.end());
        return std::make_unique<TlsctxServe>(args, tls::test::Millis(120000));
    }

    std::vector<std::unique_ptr<TlsctxServe>> fleet(const StoreServer& store,
                                                    std::vector<std::string> extra = {}) const {
        std::vector<std::unique_ptr<TlsctxServe>> out;
        for (int i = 0; i < 4; ++i) {
            out.push_back(serve(store, fleet_key_, extra));
        }
        return out;
    }

    Visit visit(std::uint16_t port, const tls::Session& session) const {
        Visit v;
        try {
            const auto start = Clock::now();
            tls::Socket socket =
                tls::test::feature::connect_loopback(client_, port, "localhost", session);
            v.handshake_ms = millis_since(start);
            socket.sendall("ping\n");
            if (tls::test::feature::read_until(socket) != "ping\n") {
                ADD_FAILURE() << "echo answered something else";
                return v;
            }
            v.reused = socket.session_reused();
            v.session = socket.session();
            socket.close();
            v.ok = true;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "connection to port " << port << ": " << e.what();
        }
        return v;
    }

    // `n` connections going round `servers`, each offering the newest session. Counts the
    // resumed ones after the first connection.
    struct Round {
        int connections = 0;
        int failed = 0;
        int resumed = 0;
        double max_handshake_ms = 0;
    };
    Round round_robin(const std::vector<std::unique_ptr<TlsctxServe>>& servers, int n,
                      tls::Session& session) const {
        Round r;
        for (int i = 0; i < n; ++i) {
            const Visit v =
                visit(servers[static_cast<std::size_t>(i) % servers.size()]->port(), session);
            ++r.connections;
            if (!v.ok) {
                ++r.failed;
                continue;
            }
            r.max_handshake_ms = std::max(r.max_handshake_ms, v.handshake_ms);
            if (i > 0 && v.reused) {
                ++r.resumed;
            }
            session = v.session;
        }
        return r;
    }

    static Stats total(std::vector<std::unique_ptr<TlsctxServe>>& servers) {
        Stats sum{0, 0, 0, 0, 0};
        for (auto& server : servers) {
            const Stats s = stats_of(*server);
            sum.resumed += s.resumed;
            sum.full += s.full;
            sum.store_errors += s.store_errors;
            sum.latency_p99_us = std::max(sum.latency_p99_us, s.latency_p99_us);
            sum.rejected += s.rejected;
        }
        return sum;
    }

    static void stop(std::vector<std::unique_ptr<TlsctxServe>>& servers) {
        for (auto& server : servers) {
            server->process().terminate();
            const tls::test::ProcessResult end = server->finish();
            EXPECT_EQ(end.exit_code, 0) << end.err;
        }
    }

    TempDir dir_;
    const std::string fleet_key_ = dir_.path("fleet.key");
    tls::Context client_{tls::PROTOCOL_TLS_CLIENT};
};

TEST_P(FleetStore, FourProcessesResumeNinetyNinePercentAndStatsAgreeWithTheClient) {
    StoreServer store(GetParam().kind);
    auto servers = fleet(store);
    const int n = 240;
    tls::Session session;
    const auto start = Clock::now();
    const Round r = round_robin(servers, n, session);
    const double seconds = millis_since(start) / 1000;
    EXPECT_EQ(r.failed, 0);
    const double rate = 100.0 * r.resumed / (n - 1);
    EXPECT_GE(rate, 99.0);

    // What the servers counted is what the client saw.
    const Stats s = total(servers);
    EXPECT_EQ(s.resumed, r.resumed);
    EXPECT_EQ(s.full, n - r.resumed);
    EXPECT_EQ(s.store_errors, 0);
    EXPECT_EQ(s.rejected, 0);
    EXPECT_GT(s.latency_p99_us, 0) << "a store on loopback still takes some microseconds";
    EXPECT_LT(s.latency_p99_us, 50000) << "the p99 lookup must fit in the 50 ms deadline";
    std::printf(
        "[ figures ] %s fleet: 4 processes, %d connections, %d/%d resumed after the first "
        "(%.1f %%), %d failed, servers counted resumed=%ld full=%ld store_errors=%ld, "
        "worst store_latency_p99 %ld us, %.2f s\n",
        param_name(GetParam()).c_str(), n, r.resumed, n - 1, rate, r.failed, s.resumed, s.full,
        s.store_errors, s.latency_p99_us, seconds);
    stop(servers);
}

TEST_P(FleetStore, KilledStoreCostsNoHandshakeAndResumptionComesBackWithIt) {
    StoreServer store(GetParam().kind);
    auto servers = fleet(store);
    tls::Session session;
    const Round before = round_robin(servers, 60, session);
    EXPECT_EQ(before.failed, 0);
    // The control: it resumes before the kill. (As loose as after the restart: a session whose
    // background put has not landed when the next connection asks costs one full handshake.)
    EXPECT_GE(before.resumed, 54);

    store.kill();
    const Round down = round_robin(servers, 60, session);
    EXPECT_EQ(down.failed, 0) << "a dead store must never fail a handshake";
    EXPECT_EQ(down.resumed, 0) << "nothing can resume while the store is gone";
    const Stats while_down = total(servers);
    EXPECT_GE(while_down.store_errors, 1) << "the dead store's failures are counted";

    store.restart();
    // Every server's back-off has run out before the first connection that counts.
    std::this_thread::sleep_for(2 * kBackoff);
    const int n = 80;
    const Round after = round_robin(servers, n, session);
    EXPECT_EQ(after.failed, 0);
    const double rate = 100.0 * after.resumed / (n - 1);
    EXPECT_GE(rate, 90.0) << "resumption did not come back with the store";
    std::printf(
        "[ figures ] %s store killed mid-run: before %d/59 resumed, while down %d/60 resumed "
        "(%d failed, %ld store errors), after restart + %lld ms %d/%d resumed (%.1f %%)\n",
        param_name(GetParam()).c_str(), before.resumed, down.resumed, down.failed,
        while_down.store_errors, static_cast<long long>(2 * kBackoff.count()), after.resumed, n - 1,
        rate);
    stop(servers);
}

TEST_P(FleetStore, StoppedStoreDelaysAHandshakeByAtMostItsDeadline) {
    constexpr milliseconds kDeadline{100};
    StoreServer store(GetParam().kind);
    auto servers = fleet(store, {"--store-deadline", std::to_string(kDeadline.count())});
    // A full handshake on this machine now: the slowest of a few without a session.
    double full_ms = 0;
    for (int i = 0; i < 8; ++i) {
        const Visit v = visit(servers[static_cast<std::size_t>(i) % 4]->port(), {});
        ASSERT_TRUE(v.ok);
        full_ms = std::max(full_ms, v.handshake_ms);
    }
    tls::Session session;
    round_robin(servers, 8, session);

    store.pause();
    const auto stop_at = Clock::now() + std::chrono::seconds(5);
    // The control, as the backends' own stall test does: how late a plain poll() of the
    // deadline wakes up on this machine meanwhile.
    double control_late_ms = 0;
    std::thread control([&] {
        while (Clock::now() < stop_at) {
            const auto start = Clock::now();
            ::poll(nullptr, 0, static_cast<int>(kDeadline.count()));
            control_late_ms =
                std::max(control_late_ms, millis_since(start) - double(kDeadline.count()));
        }
    });
    Round stalled;
    while (Clock::now() < stop_at) {
        const Round r = round_robin(servers, 4, session);
        stalled.connections += r.connections;
        stalled.failed += r.failed;
        stalled.resumed += r.resumed;
        stalled.max_handshake_ms = std::max(stalled.max_handshake_ms, r.max_handshake_ms);
    }
    control.join();
    store.resume();

    EXPECT_EQ(stalled.failed, 0);
    EXPECT_GT(stalled.connections, 4);
    const double bound = double(kDeadline.count()) + full_ms + 50 + 2 * control_late_ms;
    EXPECT_LE(stalled.max_handshake_ms, bound)
        << "a handshake waited on the stopped store beyond its deadline";
    const Stats s = total(servers);
    EXPECT_GE(s.store_errors, 1) << "the stalled lookups are counted";
    std::printf(
        "[ figures ] %s store stopped 5 s: %d handshakes, 0 allowed to fail (%d failed), max "
        "handshake %.1f ms (bound %.1f ms = deadline %lld + full handshake %.1f + 50 + 2 x "
        "scheduling delay %.1f), %ld store errors\n",
        param_name(GetParam()).c_str(), stalled.connections, stalled.failed,
        stalled.max_handshake_ms, bound, static_cast<long long>(kDeadline.count()), full_ms,
        control_late_ms, s.store_errors);
    stop(servers);
}

// The key the servers store a session under: the prefix of SessionStoreOptions then the
// session id, which TLS 1.3 stateful tickets carry as the ticket itself.
tls::Bytes store_key(const tls::Session& session, tls::TLSVersion version) {
    tls::Bytes key{'t', 'l', 's', 'c', 't', 'x', ':'};
    if (version == tls::TLSVersion::TLSv1_3) {
        const unsigned char* ticket = nullptr;
        std::size_t size = 0;
        SSL_SESSION_get0_ticket(static_cast<SSL_SESSION*>(session.native_handle()), &ticket, &size);
        key.insert(key.end(), ticket, ticket + size);
    } else {
        const tls::Bytes id = session.id();
        key.insert(key.end(), id.begin(), id.end());
    }
    return key;
}

// The entry under `key` once the server's background put has landed (empty after 2 s).
tls::Bytes wait_for_entry(tls::SessionStore& store, const tls::Bytes& key) {
    const auto give_up = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        std::error_code ec;
        tls::Bytes value = store.get(key, milliseconds(1000), ec);
        if ((!ec && !value.empty()) || Clock::now() > give_up) {
            return value;
        }
        std::this_thread::sleep_for(milliseconds(10));
    }
}

TEST_P(FleetStore, CorruptedAndForeignEntriesAreRejectedNeverResumed) {
    StoreServer store(GetParam().kind);
    auto servers = fleet(store);
    const std::string other_key = dir_.path("other.key");
    write_key(other_key, 8);
    std::unique_ptr<TlsctxServe> foreign = serve(store, other_key);

    // The control: a session of the fleet resumes on another member.
    const Visit made = visit(servers[0]->port(), {});
    ASSERT_TRUE(made.ok);
    std::unique_ptr<tls::SessionStore> direct = open_store(GetParam().kind, store.url());
    ASSERT_NE(direct, nullptr);
    std::error_code ec;
    const tls::Bytes key = store_key(made.session, GetParam().version);
    tls::Bytes sealed = wait_for_entry(*direct, key);
    ASSERT_FALSE(sealed.empty()) << "no entry under the key the servers use";
    // One bit flipped in the middle of the sealed session.
    sealed[sealed.size() / 2] ^= 0x01;
    direct->put(key, sealed, std::chrono::seconds(60), milliseconds(1000), ec);
    ASSERT_FALSE(ec) << ec.message();
    const Visit corrupted = visit(servers[1]->port(), made.session);
    EXPECT_TRUE(corrupted.ok);
    EXPECT_FALSE(corrupted.reused) << "a corrupted entry was resumed";

    // Sealed under another fleet key, in the same store.
    const Visit foreign_made = visit(foreign->port(), {});
    ASSERT_TRUE(foreign_made.ok);
    ASSERT_FALSE(
        wait_for_entry(*direct, store_key(foreign_made.session, GetParam().version)).empty())
        << "the foreign server stored nothing";
    const Visit foreign_offered = visit(servers[1]->port(), foreign_made.session);
    EXPECT_TRUE(foreign_offered.ok);
    EXPECT_FALSE(foreign_offered.reused) << "an entry sealed under another fleet key resumed";

    // And a good one still resumes, so the rejections above were about the entries.
    const Visit fresh = visit(servers[2]->port(), {});
    ASSERT_FALSE(wait_for_entry(*direct, store_key(fresh.session, GetParam().version)).empty());
    const Visit good = visit(servers[1]->port(), fresh.session);
    EXPECT_TRUE(good.reused);

    const Stats s = stats_of(*servers[1]);
    EXPECT_EQ(s.rejected, 2);
    EXPECT_EQ(s.resumed, 1);
    EXPECT_EQ(s.full, 2);
    std::printf("[ figures ] %s corrupted + foreign entry: resumed %d + %d, rejected=%ld\n",
                param_name(GetParam()).c_str(), corrupted.reused ? 1 : 0,
                foreign_offered.reused ? 1 : 0, s.rejected);
    stop(servers);
    foreign->process().terminate();
    EXPECT_EQ(foreign->finish().exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, FleetStore,
                         ::testing::Values(Param{StoreKind::redis, tls::TLSVersion::TLSv1_2},
                                           Param{StoreKind::redis, tls::TLSVersion::TLSv1_3},
                                           Param{StoreKind::memcached, tls::TLSVersion::TLSv1_2},
                                           Param{StoreKind::memcached, tls::TLSVersion::TLSv1_3}),
                         [](const auto& info) { return param_name(info.param); });

}  // namespace
