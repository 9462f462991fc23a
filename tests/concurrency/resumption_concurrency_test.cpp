// 16 threads resuming each other's sessions: through one shared ClientSessionCache and sessions
// handed from thread to thread, through a TicketKeyRing another thread rotates, and through a
// MemorySessionStore two server contexts share. Harness: harness.hpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "concurrency/harness.hpp"
#include "support/feature_helpers.hpp"

namespace {

namespace cc = tls::test::concurrency;
using cc::kThreads;
using cc::Pki;

constexpr int kRounds = 32;

cc::Transport transport_of(int thread, int round) {
    return (thread + round) % 2 == 0 ? cc::Transport::memory : cc::Transport::socket;
}

std::string percent(int part, int whole) {
    return std::to_string(whole == 0 ? 0 : part * 100 / whole) + " %";
}

// The server's session machinery each case exercises.
enum class ServerSessions : int {
    tls12_session_ids = 0,  // TLS 1.2, OP_NO_TICKET: the server's session cache
    tls12_tickets = 1,      // TLS 1.2 session tickets
    tls13_tickets = 2,      // TLS 1.3 stateless tickets (two per full handshake)
    tls13_stateful = 3,     // TLS 1.3, OP_NO_TICKET: stateful tickets in the session cache/store
};

const char* name_of(ServerSessions s) {
    switch (s) {
        case ServerSessions::tls12_session_ids:
            return "Tls12SessionIds";
        case ServerSessions::tls12_tickets:
            return "Tls12Tickets";
        case ServerSessions::tls13_tickets:
            return "Tls13Tickets";
        case ServerSessions::tls13_stateful:
            return "Tls13StatefulTickets";
        default:
            return "unknown";
    }
}

bool is_tls12(ServerSessions s) {
    return s == ServerSessions::tls12_session_ids || s == ServerSessions::tls12_tickets;
}

void configure(tls::Context& server, ServerSessions s) {
    if (is_tls12(s)) {
        server.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    if (s == ServerSessions::tls12_session_ids || s == ServerSessions::tls13_stateful) {
        server.set_options(server.options() | tls::OP_NO_TICKET);
    }
}

std::string test_name(const ::testing::TestParamInfo<ServerSessions>& info) {
    return name_of(info.param);
}

// Counts of one run, updated by every thread.
struct Counts {
    std::atomic<int> connections{0};
    std::atomic<int> reused{0};
    std::atomic<int> handed_over{0};  // resumed with a session another thread received
    std::atomic<int> handed_over_reused{0};
};

// Checks one connection's outcome: it succeeded, both ends agree on resumption, and the client
// saw the server's chain (a resumed session sends none, but remembers the leaf).
void check(const cc::Outcome& out, const std::vector<tls::Bytes>& chain, cc::Failures& failures,
           Counts& counts) {
    ++counts.connections;
    if (!out.ok()) {
        failures.add(out.error);
        return;
    }
    if (out.client_reused != out.server_reused) {
        failures.add("the ends disagree about session_reused()");
    }
    if (out.server_leaf != chain.front() || (!out.client_reused && out.server_chain != chain)) {
        failures.add("the client saw another certificate");
    }
    if (out.client_reused) {
        ++counts.reused;
    }
}

// ------------------------------------------------------------------------------------------
// One ClientSessionCache, and sessions handed from thread to thread.

class Resumption : public ::testing::TestWithParam<ServerSessions> {};

// Even rounds take a session from the client context's cache (which every thread fills and
// empties); odd rounds resume the session the next thread received last, handed over by hand.
// Meanwhile the helper saves the cache to a file and loads it back, and reads its counters.
TEST_P(Resumption, ThreadsResumeEachOthersSessions) {
    const Pki& pki = Pki::get();
    tls::Context server = cc::server_context(pki.localhost_a);
    configure(server, GetParam());
    tls::Context client = cc::client_context();
    tls::ClientSessionCache cache;
    client.set_client_session_cache(cache);
    // The sessions handed over by hand come from, and go to, a second client context without a
    // cache: every session a cached context receives is in its cache too, and OpenSSL marks a
    // TLS 1.3 ticket used once it resumed (single use, RFC 8446 appendix C.4), so a ticket
    // resumed by hand and from the cache would be used twice.
    tls::Context handover = cc::client_context();
    const std::vector<tls::Bytes> chain = Pki::chain_der(pki.localhost_a);
    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;
    Counts counts;
    // The last session each thread received by hand, taken (once) by another thread.
    std::mutex board_mutex;
    std::vector<tls::Session> board(kThreads);
    tls::test::feature::TempDir dir;
    const std::string file = dir.path("sessions.bin");

    cc::run_threads(
        [&](int t) {
            for (int i = 0; i < kRounds; ++i) {
                cc::Connect how;
                how.transport = transport_of(t, i);
                if (i % 2 == 1) {
                    // The first session another thread left, taken so it is used only once.
                    std::lock_guard<std::mutex> lock(board_mutex);
                    for (int k = 1; k < kThreads && how.session.empty(); ++k) {
                        std::swap(how.session, board[(t + k) % kThreads]);
                    }
                }
                const bool by_hand = i % 2 == 1;
                const bool handed_over = !how.session.empty();
                const cc::Outcome out =
                    cc::run_connection(by_hand ? handover : client, server, how, loopback);
                check(out, chain, failures, counts);
                if (handed_over) {
                    ++counts.handed_over;
                    counts.handed_over_reused += out.client_reused ? 1 : 0;
                }
                if (by_hand && out.ok() && out.session.is_resumable()) {
                    std::lock_guard<std::mutex> lock(board_mutex);
                    board[t] = out.session;
                }
                progress.add();
            }
        },
        failures, progress,
        [&] {
            cc::every_n_connections(progress, 48, [&](std::size_t) {
                cache.save(file);
                cache.load(file);
                static_cast<void>(cache.size());
                static_cast<void>(server.session_stats());
            });
        });

    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_EQ(counts.connections, kThreads * kRounds);
    EXPECT_GT(counts.handed_over, 0);
    // A session handed over is one the server made for this context: it must resume.
    EXPECT_EQ(counts.handed_over_reused, counts.handed_over);
    // Every thread's first connection of each transport is full at worst; the cache then always
    // has sessions (TLS 1.3: two tickets in, one out per connection; TLS 1.2: kept).
    EXPECT_GT(counts.reused * 2, counts.connections);
    cc::print_figures(std::string(name_of(GetParam())) + ": " + std::to_string(kThreads) +
                      " threads x " + std::to_string(kRounds) + " connections, " +
                      std::to_string(counts.reused) + " resumed (" +
                      percent(counts.reused, counts.connections) + "), of them " +
                      std::to_string(counts.handed_over_reused) + "/" +
                      std::to_string(counts.handed_over) + " with another thread's session");
}

INSTANTIATE_TEST_SUITE_P(Servers, Resumption,
                         ::testing::Values(ServerSessions::tls12_session_ids,
                                           ServerSessions::tls13_tickets),
                         test_name);

// ------------------------------------------------------------------------------------------
// One TicketKeyRing, rotated by another thread.

class TicketKeys : public ::testing::TestWithParam<ServerSessions> {};

// Two server contexts share one ring, so a ticket one issues opens on the other; the threads
// alternate between them and resume through one client cache while the helper rotates the ring
// (fresh keys, given keys, a whole new key list) and reads its names and counters.
TEST_P(TicketKeys, ResumptionGoesOnWhileAnotherThreadRotatesTheRing) {
    const Pki& pki = Pki::get();
    tls::TicketKeyRing ring(3);
    tls::Context server_1 = cc::server_context(pki.localhost_a);
    tls::Context server_2 = cc::server_context(pki.localhost_a);
    for (tls::Context* server : {&server_1, &server_2}) {
        configure(*server, GetParam());
        server->set_ticket_key_ring(ring);
    }
    tls::Context client = cc::client_context();
    client.set_client_session_cache(tls::ClientSessionCache());
    const std::vector<tls::Bytes> chain = Pki::chain_der(pki.localhost_a);
    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;
    Counts counts;

    const std::size_t rotations = [&] {
        std::size_t n = 0;
        cc::run_threads(
            [&](int t) {
                for (int i = 0; i < kRounds; ++i) {
                    cc::Connect how;
                    how.transport = transport_of(t, i);
                    const tls::Context& server = (t + i) % 2 == 0 ? server_1 : server_2;
                    check(cc::run_connection(client, server, how, loopback), chain, failures,
                          counts);
                    progress.add();
                }
            },
            failures, progress,
            [&] {
                n = cc::every_n_connections(progress, 8, [&](std::size_t step) {
                    switch (step % 4) {
                        case 0:
                            ring.rotate();
                            break;
                        case 1:
                            ring.rotate(tls::Bytes(80, static_cast<std::uint8_t>(step)));
                            break;
                        case 2:
                            // Newest first: the previous key keeps opening tickets.
                            ring.set_keys({tls::Bytes(80, static_cast<std::uint8_t>(step)),
                                           tls::Bytes(80, static_cast<std::uint8_t>(step - 1))});
                            break;
                        default:
                            ring.set_keep(3);
                            break;
                    }
                    static_cast<void>(ring.key_names_hex());
                    static_cast<void>(ring.stats());
                });
            });
        return n;
    }();

    const tls::TicketKeyStats stats = ring.stats();
    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_GT(rotations, 16U);
    EXPECT_GT(counts.reused, 0);
    EXPECT_GT(stats.issued, 0U);
    EXPECT_GT(stats.decrypted_current, 0U);
    cc::print_figures(
        std::string(name_of(GetParam())) + ": " + std::to_string(kThreads) + " threads x " +
        std::to_string(kRounds) + " connections over 2 contexts, " + std::to_string(rotations) +
        " ring changes: " + std::to_string(counts.reused) + " resumed (" +
        percent(counts.reused, counts.connections) + "); tickets issued " +
        std::to_string(stats.issued) + ", opened with the newest key " +
        std::to_string(stats.decrypted_current) + ", renewed " + std::to_string(stats.renewed) +
        ", unknown key " + std::to_string(stats.unknown));
}

INSTANTIATE_TEST_SUITE_P(Servers, TicketKeys,
                         ::testing::Values(ServerSessions::tls12_tickets,
                                           ServerSessions::tls13_tickets),
                         test_name);

// ------------------------------------------------------------------------------------------
// One MemorySessionStore behind two server contexts.

class SessionStore : public ::testing::TestWithParam<ServerSessions> {};

// The two contexts keep their sessions in one store (as a server does across listeners or a
// context replaced on reload): the threads alternate between them and resume through one client
// cache, so sessions made by one context resume on the other; the helper reads the counters.
TEST_P(SessionStore, TwoServerContextsResumeThroughOneMemorySessionStore) {
    const Pki& pki = Pki::get();
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::SessionStoreOptions options;
    options.fleet_key = tls::Bytes(32, 0x5a);
    // Generous: on two busy cores a lookup may wait for the CPU, and a late one is a full
    // handshake, which this test would count against resumption.
    options.deadline = std::chrono::seconds(5);
    tls::Context server_1 = cc::server_context(pki.localhost_a);
    tls::Context server_2 = cc::server_context(pki.localhost_a);
    for (tls::Context* server : {&server_1, &server_2}) {
        configure(*server, GetParam());
        server->set_session_store(store, options);
    }
    tls::Context client = cc::client_context();
    client.set_client_session_cache(tls::ClientSessionCache());
    const std::vector<tls::Bytes> chain = Pki::chain_der(pki.localhost_a);
    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;
    Counts counts;

    cc::run_threads(
        [&](int t) {
            for (int i = 0; i < kRounds; ++i) {
                cc::Connect how;
                how.transport = transport_of(t, i);
                const tls::Context& server = (t + i) % 2 == 0 ? server_1 : server_2;
                check(cc::run_connection(client, server, how, loopback), chain, failures, counts);
                progress.add();
            }
        },
        failures, progress,
        [&] {
            cc::every_n_connections(progress, 16, [&](std::size_t) {
                static_cast<void>(store->size());
                static_cast<void>(server_1.session_store_stats());
                static_cast<void>(server_2.session_store_stats());
            });
        });

    const tls::SessionStoreStats s1 = server_1.session_store_stats();
    const tls::SessionStoreStats s2 = server_2.session_store_stats();
    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_EQ(s1.errors + s2.errors, 0U);
    EXPECT_EQ(s1.rejected + s2.rejected, 0U);
    EXPECT_EQ(s1.timeouts + s2.timeouts, 0U);
    EXPECT_GT(s1.hits, 0U);
    EXPECT_GT(s2.hits, 0U);
    EXPECT_EQ(static_cast<int>(s1.hits + s2.hits), counts.reused.load());
    EXPECT_GT(counts.reused * 2, counts.connections);
    cc::print_figures(
        std::string(name_of(GetParam())) + ": " + std::to_string(kThreads) + " threads x " +
        std::to_string(kRounds) + " connections over 2 contexts: " + std::to_string(counts.reused) +
        " resumed (" + percent(counts.reused, counts.connections) + "); store hits " +
        std::to_string(s1.hits + s2.hits) + ", puts " + std::to_string(s1.puts + s2.puts) +
        ", misses " + std::to_string(s1.misses + s2.misses));
}

INSTANTIATE_TEST_SUITE_P(Servers, SessionStore,
                         ::testing::Values(ServerSessions::tls12_session_ids,
                                           ServerSessions::tls13_stateful),
                         test_name);

}  // namespace
