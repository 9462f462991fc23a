// Server-side session stores (Context::set_session_store): resumption across two contexts
// sharing one store (TLS 1.2 session ids, TLS 1.3 stateful tickets), over loopback and in
// memory; stores that fail, stall, or hand back corrupted or foreign values degrade to full
// handshakes, counted; MemorySessionStore's own contract; the fleet key loader.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "tls/memory_session_store.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tls::test::describe;
using tls::test::handshake_pair;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::server_context;

enum class Kind { tls12_session_id, tls13_stateful_ticket };

std::string name_of(Kind kind) {
    return kind == Kind::tls12_session_id ? "Tls12SessionId" : "Tls13StatefulTicket";
}

tls::Bytes fleet_key(std::uint8_t seed) {
    tls::Bytes key(32);
    for (std::size_t i = 0; i < key.size(); ++i) {
        key[i] = static_cast<std::uint8_t>(seed + i * 13);
    }
    return key;
}

// A deadline long enough for a loaded CI machine: only the stall test relies on a short one.
tls::SessionStoreOptions store_options(std::uint8_t key_seed = 1) {
    tls::SessionStoreOptions options;
    options.fleet_key = fleet_key(key_seed);
    options.deadline = 2000ms;
    return options;
}

// A server whose only session state is `store` (tickets off: TLS 1.3 tickets are then
// stateful, their ids looked up in the store like TLS 1.2 session ids).
tls::Context store_server(const std::shared_ptr<tls::SessionStore>& store,
                          tls::SessionStoreOptions options = store_options()) {
    tls::Context ctx = server_context();
    ctx.set_options(ctx.options() | tls::OP_NO_TICKET);
    ctx.set_session_store(store, std::move(options));
    return ctx;
}

tls::Context client_for(Kind kind) {
    tls::Context ctx = client_context();
    if (kind == Kind::tls12_session_id) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    return ctx;
}

struct Outcome {
    bool ok = false;
    bool client_reused = false;
    bool server_reused = false;
    std::string version;
    tls::Session session;
};

// One loopback connection; the client's session is taken after a line from the server, so
// TLS 1.3 tickets have arrived.
Outcome connect_once(const tls::Context& client, const tls::Context& server,
                     const tls::Session& session = {}, const std::string& host = "localhost") {
    tls::WrapOptions options = tls::WrapOptions::client(host);
    options.session = session;
    TlsPair pair = handshake_pair(client, server, options);
    if (pair.client_error || pair.server_error) {
        ADD_FAILURE() << "client: " << describe(pair.client_error)
                      << "\nserver: " << describe(pair.server_error);
        return {};
    }
    pair.server.sendall("hello\n");
    EXPECT_EQ(tls::test::feature::read_until(pair.client), "hello\n");
    Outcome out;
    out.ok = true;
    out.client_reused = pair.client.session_reused();
    out.server_reused = pair.server.session_reused();
    out.version = pair.client.version().value_or("");
    out.session = pair.client.session();
    pair.client.close();
    pair.server.close();
    return out;
}

// Sessions one full handshake stores: one TLS 1.2 session, or one per TLS 1.3 ticket (2).
std::uint64_t stored_per_handshake(Kind kind) {
    return kind == Kind::tls12_session_id ? 1 : 2;
}

// Stores are written by worker threads after the handshake: waits until `ctx` has stored
// `puts` sessions (or failed to).
void wait_for_puts(const tls::Context& ctx, std::uint64_t puts) {
    const auto give_up = Clock::now() + 5s;
    while (Clock::now() < give_up) {
        tls::SessionStoreStats s = ctx.session_store_stats();
        if (s.puts + s.errors >= puts) {
            return;
        }
        std::this_thread::sleep_for(1ms);
    }
    ADD_FAILURE() << "the store never saw " << puts << " put(s)";
}

// A store that behaves as told: passes through to a MemorySessionStore, fails every call,
// throws from every call (breaking the contract), stalls past any deadline, or returns a
// damaged or foreign value.
class ScriptedStore final : public tls::SessionStore {
  public:
    enum class Mode { pass, fail, throws, stall, corrupt, foreign };
    std::atomic<Mode> mode{Mode::pass};
    std::chrono::milliseconds stall{2000};
    std::atomic<int> gets{0};
    bool keeps = false;  // what keeps_deadlines() says: read once, by set_session_store

    void put(const tls::Bytes& key, const tls::Bytes& value, std::chrono::seconds ttl,
             Deadline deadline, std::error_code& ec) override {
        if (mode == Mode::fail) {
            ec = std::make_error_code(std::errc::connection_refused);
            return;
        }
        if (mode == Mode::throws) {
            throw std::runtime_error("put: the store's client library threw");
        }
        inner_.put(key, value, ttl, deadline, ec);
        std::lock_guard<std::mutex> lock(mutex_);
        last_key_ = key;
    }
    tls::Bytes get(const tls::Bytes& key, Deadline deadline, std::error_code& ec) override {
        ++gets;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            get_thread_ = std::this_thread::get_id();
        }
        switch (mode.load()) {
            case Mode::fail:
                ec = std::make_error_code(std::errc::connection_refused);
                return {};
            case Mode::throws:
                throw std::bad_alloc();
            case Mode::stall:
                std::this_thread::sleep_for(stall);  // ignores the deadline, as a hung store would
                return inner_.get(key, deadline, ec);
            case Mode::corrupt: {
                tls::Bytes value = inner_.get(key, deadline, ec);
                if (!value.empty()) {
                    value[value.size() / 2] ^= 0x01;
                }
                return value;
            }
            case Mode::foreign: {
                // A valid sealed value, but stored under another key: moved by an attacker.
                tls::Bytes other;
                {
                    std::lock_guard<std::mutex> lock(mutex_);
                    other = foreign_key_;
                }
                return inner_.get(other, deadline, ec);
            }
            default:
                return inner_.get(key, deadline, ec);
        }
    }
    void remove(const tls::Bytes& key, Deadline deadline, std::error_code& ec) override {
        if (mode == Mode::fail) {
            ec = std::make_error_code(std::errc::connection_refused);
            return;
        }
        if (mode == Mode::throws) {
            throw std::runtime_error("remove: the store's client library threw");
        }
        inner_.remove(key, deadline, ec);
    }
    std::string describe() const override { return "scripted"; }
    bool keeps_deadlines() const noexcept override { return keeps; }

    std::thread::id get_thread() {
        std::lock_guard<std::mutex> lock(mutex_);
        return get_thread_;
    }

    tls::Bytes last_key() {
        std::lock_guard<std::mutex> lock(mutex_);
        return last_key_;
    }
    void set_foreign_key(tls::Bytes key) {
        std::lock_guard<std::mutex> lock(mutex_);
        foreign_key_ = std::move(key);
    }

  private:
    tls::MemorySessionStore inner_;
    std::mutex mutex_;
    tls::Bytes last_key_, foreign_key_;
    std::thread::id get_thread_;
};

class SessionStoreTest : public ::testing::TestWithParam<Kind> {};

TEST_P(SessionStoreTest, SessionFromOneContextResumesOnAnotherSharingTheStore) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context a = store_server(store);
    tls::Context b = store_server(store);
    tls::Context client = client_for(GetParam());

    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    EXPECT_EQ(first.version, GetParam() == Kind::tls12_session_id ? "TLSv1.2" : "TLSv1.3");
    EXPECT_FALSE(first.server_reused);
    ASSERT_TRUE(first.session.is_resumable());
    wait_for_puts(a, stored_per_handshake(GetParam()));
    EXPECT_GE(a.session_store_stats().puts, 1u);
    EXPECT_GE(store->size(), 1u);

    Outcome second = connect_once(client, b, first.session);
    EXPECT_TRUE(second.client_reused);
    EXPECT_TRUE(second.server_reused);
    tls::SessionStoreStats stats = b.session_store_stats();
    EXPECT_EQ(stats.hits, 1u);
    EXPECT_EQ(stats.rejected, 0u);
    EXPECT_EQ(stats.errors, 0u);
    // The memory store answers on the handshake's thread in well under a microsecond, so 0 µs
    // is a fair reading; the stalled-store test checks that slow lookups are measured.
    EXPECT_LT(stats.latency_p99, store_options().deadline);
    EXPECT_LE(stats.latency_p50, stats.latency_p99);
}

TEST_P(SessionStoreTest, StoreThatFailsEveryCallGivesFullHandshakesCountedAsErrors) {
    auto store = std::make_shared<ScriptedStore>();
    tls::Context a = store_server(store);
    tls::Context b = store_server(store);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));

    store->mode = ScriptedStore::Mode::fail;
    for (int i = 0; i < 3; ++i) {
        Outcome again = connect_once(client, b, first.session);
        ASSERT_TRUE(again.ok) << "a failing store must never fail a handshake";
        EXPECT_FALSE(again.server_reused);
        EXPECT_FALSE(again.client_reused);
    }
    const std::uint64_t per_handshake = stored_per_handshake(GetParam());
    wait_for_puts(b, 3 + 3 * per_handshake);
    tls::SessionStoreStats stats = b.session_store_stats();
    EXPECT_EQ(stats.hits, 0u);
    EXPECT_EQ(stats.puts, 0u);
    EXPECT_EQ(stats.errors, 3 + 3 * per_handshake);  // 3 lookups, then the new sessions' puts

    // The store comes back: the session stored before it failed resumes again.
    store->mode = ScriptedStore::Mode::pass;
    EXPECT_TRUE(connect_once(client, b, first.session).server_reused);
}

TEST_P(SessionStoreTest, StoreThatThrowsDespiteTheContractCostsFullHandshakesNotTheProcess) {
    auto store = std::make_shared<ScriptedStore>();
    tls::Context a = store_server(store);
    tls::Context b = store_server(store);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));

    store->mode = ScriptedStore::Mode::throws;
    for (int i = 0; i < 3; ++i) {
        Outcome again = connect_once(client, b, first.session);
        ASSERT_TRUE(again.ok) << "a throwing store must never fail a handshake";
        EXPECT_FALSE(again.server_reused);
    }
    const std::uint64_t per_handshake = stored_per_handshake(GetParam());
    wait_for_puts(b, 3 + 3 * per_handshake);
    EXPECT_EQ(b.session_store_stats().errors, 3 + 3 * per_handshake);

    store->mode = ScriptedStore::Mode::pass;
    EXPECT_TRUE(connect_once(client, b, first.session).server_reused);
}

TEST_P(SessionStoreTest, StalledStoreCostsAtMostTheDeadlineThenAFullHandshake) {
    auto store = std::make_shared<ScriptedStore>();
    store->stall = 5000ms;
    tls::SessionStoreOptions options = store_options();
    options.deadline = 50ms;
    tls::Context a = store_server(store, options);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));

    // What a full handshake costs here, to bound the stalled one.
    auto start = Clock::now();
    ASSERT_TRUE(connect_once(client, a).ok);
    const auto full = Clock::now() - start;

    store->mode = ScriptedStore::Mode::stall;
    start = Clock::now();
    Outcome stalled = connect_once(client, a, first.session);
    const auto took = Clock::now() - start;
    ASSERT_TRUE(stalled.ok);
    EXPECT_FALSE(stalled.server_reused);
    // Slack for a loaded machine, still far below the 5 s stall.
    EXPECT_LT(took, options.deadline + 2 * full + 500ms)
        << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
        << " ms; a full handshake "
        << std::chrono::duration_cast<std::chrono::milliseconds>(full).count() << " ms";
    tls::SessionStoreStats stats = a.session_store_stats();
    EXPECT_EQ(stats.timeouts, 1u);
    EXPECT_EQ(stats.hits, 0u);
    EXPECT_GE(stats.latency_p99, options.deadline);
}

TEST_P(SessionStoreTest, CorruptedValueIsRejectedNeverResumed) {
    auto store = std::make_shared<ScriptedStore>();
    tls::Context a = store_server(store);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));
    store->mode = ScriptedStore::Mode::corrupt;
    Outcome again = connect_once(client, a, first.session);
    ASSERT_TRUE(again.ok);
    EXPECT_FALSE(again.server_reused);
    EXPECT_EQ(a.session_store_stats().rejected, 1u);
    EXPECT_EQ(a.session_store_stats().hits, 0u);
}

TEST_P(SessionStoreTest, ValidValueMovedUnderAnotherKeyIsRejected) {
    auto store = std::make_shared<ScriptedStore>();
    tls::Context a = store_server(store);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));
    Outcome second = connect_once(client, a);  // another session, another key
    ASSERT_TRUE(second.ok);
    wait_for_puts(a, 2 * stored_per_handshake(GetParam()));
    store->set_foreign_key(store->last_key());
    store->mode = ScriptedStore::Mode::foreign;
    Outcome again = connect_once(client, a, first.session);
    ASSERT_TRUE(again.ok);
    EXPECT_FALSE(again.server_reused);
    EXPECT_EQ(a.session_store_stats().rejected, 1u);
}

TEST_P(SessionStoreTest, SessionSealedUnderAnotherFleetKeyIsRejected) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context a = store_server(store, store_options(1));
    tls::Context other_fleet = store_server(store, store_options(2));
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));
    Outcome again = connect_once(client, other_fleet, first.session);
    ASSERT_TRUE(again.ok);
    EXPECT_FALSE(again.server_reused);
    EXPECT_EQ(other_fleet.session_store_stats().rejected, 1u);
}

TEST_P(SessionStoreTest, SessionOfAnotherServiceIdContextIsRejected) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::SessionStoreOptions service_a = store_options();
    service_a.session_id_context = "service-a";
    tls::SessionStoreOptions service_b = store_options();
    service_b.session_id_context = "service-b";
    tls::Context a = store_server(store, service_a);
    tls::Context b = store_server(store, service_b);
    tls::Context a2 = store_server(store, service_a);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));
    Outcome on_b = connect_once(client, b, first.session);
    ASSERT_TRUE(on_b.ok);
    EXPECT_FALSE(on_b.server_reused);
    EXPECT_EQ(b.session_store_stats().rejected, 1u);
    // The same service elsewhere still resumes it (TLS 1.2: the id was not used up above).
    if (GetParam() == Kind::tls12_session_id) {
        EXPECT_TRUE(connect_once(client, a2, first.session).server_reused);
    }
}

TEST_P(SessionStoreTest, SessionForAnotherServerNameIsRejected) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context a = store_server(store);
    tls::Context client = tls::dangerous::create_unverified_context();
    if (GetParam() == Kind::tls12_session_id) {
        client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    Outcome first = connect_once(client, a, {}, "localhost");
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));
    Outcome other = connect_once(client, a, first.session, "other.example");
    ASSERT_TRUE(other.ok);
    EXPECT_FALSE(other.server_reused);
    EXPECT_EQ(a.session_store_stats().rejected, 1u);
}

TEST_P(SessionStoreTest, SessionForAnotherAlpnProtocolIsRejected) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context a = store_server(store);
    a.set_alpn_protocols({"h2", "http/1.1"});
    tls::Context h2_client = client_for(GetParam());
    h2_client.set_alpn_protocols({"h2"});
    tls::Context http1_client = client_for(GetParam());
    http1_client.set_alpn_protocols({"http/1.1"});
    Outcome first = connect_once(h2_client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(GetParam()));
    Outcome other = connect_once(http1_client, a, first.session);
    ASSERT_TRUE(other.ok);
    EXPECT_FALSE(other.server_reused);
    EXPECT_EQ(a.session_store_stats().rejected, 1u);
}

INSTANTIATE_TEST_SUITE_P(Kinds, SessionStoreTest,
                         ::testing::Values(Kind::tls12_session_id, Kind::tls13_stateful_ticket),
                         [](const auto& info) { return name_of(info.param); });

TEST(SessionStore, Tls13StatefulTicketIsUsedOnceAcrossTheFleet) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context a = store_server(store);
    tls::Context b = store_server(store);
    tls::Context client = client_for(Kind::tls13_stateful_ticket);
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(Kind::tls13_stateful_ticket));
    EXPECT_TRUE(connect_once(client, b, first.session).server_reused);
    // The same ticket again, on the other server: it was removed from the store once used.
    Outcome replay = connect_once(client, a, first.session);
    ASSERT_TRUE(replay.ok);
    EXPECT_FALSE(replay.server_reused);
    // Taken in the lookup (the memory store can take atomically), and not removed a second
    // time when OpenSSL's remove callback follows.
    EXPECT_EQ(b.session_store_stats().removes, 1u);
}

TEST(SessionStore, Tls13TicketFromAStoreThatCannotTakeIsRemovedInTheBackground) {
    auto store = std::make_shared<ScriptedStore>();  // keeps no deadlines, cannot take
    tls::Context a = store_server(store);
    tls::Context b = store_server(store);
    tls::Context client = client_for(Kind::tls13_stateful_ticket);
    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    wait_for_puts(a, stored_per_handshake(Kind::tls13_stateful_ticket));
    EXPECT_TRUE(connect_once(client, b, first.session).server_reused);
    const auto give_up = Clock::now() + 5s;
    while (b.session_store_stats().removes == 0 && Clock::now() < give_up) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_GE(b.session_store_stats().removes, 1u);
    EXPECT_FALSE(connect_once(client, a, first.session).server_reused);
}

TEST(SessionStore, InMemoryObjectsResumeAcrossContextsWithTls13StatefulTickets) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context a = store_server(store);
    tls::Context b = store_server(store);
    tls::Context client = client_for(Kind::tls13_stateful_ticket);

    tls::test::feature::Endpoint c1, s1;
    c1.object = client.wrap_bio(c1.incoming, c1.outgoing, tls::WrapOptions::client("localhost"));
    s1.object = a.wrap_bio(s1.incoming, s1.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(tls::test::feature::pump_handshake(c1, s1));
    std::error_code ec;
    char buf[16];
    EXPECT_EQ(c1.object.read(buf, sizeof buf, ec), 0u);  // takes in the tickets
    tls::Session session = c1.object.session();
    ASSERT_TRUE(session.is_resumable());
    wait_for_puts(a, stored_per_handshake(Kind::tls13_stateful_ticket));

    tls::WrapOptions options = tls::WrapOptions::client("localhost");
    options.session = session;
    tls::test::feature::Endpoint c2, s2;
    c2.object = client.wrap_bio(c2.incoming, c2.outgoing, options);
    s2.object = b.wrap_bio(s2.incoming, s2.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(tls::test::feature::pump_handshake(c2, s2));
    EXPECT_TRUE(c2.object.session_reused());
    EXPECT_TRUE(s2.object.session_reused());
    EXPECT_EQ(b.session_store_stats().hits, 1u);
}

// Resumes one TLS 1.2 session from `store` with in-memory Objects pumped on this thread; whether
// the server resumed.
bool resume_in_memory(const std::shared_ptr<ScriptedStore>& store,
                      tls::SessionStoreOptions options = store_options()) {
    tls::Context server = store_server(store, std::move(options));
    tls::Context client = client_for(Kind::tls12_session_id);
    tls::test::feature::Endpoint c1, s1;
    c1.object = client.wrap_bio(c1.incoming, c1.outgoing, tls::WrapOptions::client("localhost"));
    s1.object = server.wrap_bio(s1.incoming, s1.outgoing, tls::WrapOptions::server());
    EXPECT_FALSE(tls::test::feature::pump_handshake(c1, s1));
    wait_for_puts(server, 1);
    tls::WrapOptions resume = tls::WrapOptions::client("localhost");
    resume.session = c1.object.session();
    tls::test::feature::Endpoint c2, s2;
    c2.object = client.wrap_bio(c2.incoming, c2.outgoing, resume);
    s2.object = server.wrap_bio(s2.incoming, s2.outgoing, tls::WrapOptions::server());
    EXPECT_FALSE(tls::test::feature::pump_handshake(c2, s2));
    EXPECT_EQ(c2.object.session_reused(), s2.object.session_reused());
    return s2.object.session_reused();
}

TEST(SessionStore, LookupRunsOnTheHandshakesThreadOnlyForAStoreThatKeepsItsDeadlines) {
    auto keeps = std::make_shared<ScriptedStore>();
    keeps->keeps = true;
    EXPECT_TRUE(resume_in_memory(keeps));
    EXPECT_EQ(keeps->get_thread(), std::this_thread::get_id());

    auto unknown = std::make_shared<ScriptedStore>();
    EXPECT_TRUE(resume_in_memory(unknown));
    EXPECT_NE(unknown->get_thread(), std::this_thread::get_id());
    EXPECT_NE(unknown->get_thread(), std::thread::id());

    EXPECT_TRUE(tls::MemorySessionStore().keeps_deadlines());
}

TEST(SessionStore, StoreThatClaimsToKeepDeadlinesButOverrunsGetsAFullHandshakeCountedAsTimeout) {
    auto store = std::make_shared<ScriptedStore>();
    store->keeps = true;
    store->stall = 150ms;
    tls::SessionStoreOptions options = store_options();
    options.deadline = 50ms;
    tls::Context server = store_server(store, options);
    tls::Context client = client_for(Kind::tls12_session_id);
    Outcome first = connect_once(client, server);
    ASSERT_TRUE(first.ok);
    wait_for_puts(server, 1);
    store->mode = ScriptedStore::Mode::stall;
    Outcome late = connect_once(client, server, first.session);
    ASSERT_TRUE(late.ok);
    EXPECT_FALSE(late.server_reused) << "a value found past the deadline must not be used";
    tls::SessionStoreStats stats = server.session_store_stats();
    EXPECT_EQ(stats.timeouts, 1u);
    EXPECT_EQ(stats.hits, 0u);
    EXPECT_GE(stats.latency_p99, 150ms);
}

TEST(SessionStore, ManyConcurrentHandshakesThroughAFailingStoreAllSucceed) {
    auto store = std::make_shared<ScriptedStore>();
    tls::Context server = store_server(store);
    tls::Context client = client_for(Kind::tls12_session_id);
    Outcome first = connect_once(client, server);
    ASSERT_TRUE(first.ok);
    wait_for_puts(server, 1);
    store->mode = ScriptedStore::Mode::fail;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5; ++i) {
                ok += connect_once(client, server, first.session).ok ? 1 : 0;
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_EQ(ok.load(), 20);
    EXPECT_EQ(server.session_store_stats().hits, 0u);
    EXPECT_GE(server.session_store_stats().errors, 20u);
}

TEST(SessionStore, NullStoreGoesBackToTheContextsOwnCache) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context server = store_server(store);
    server.set_session_store(nullptr, {});
    tls::Context client = client_for(Kind::tls12_session_id);
    Outcome first = connect_once(client, server);
    ASSERT_TRUE(first.ok);
    EXPECT_TRUE(connect_once(client, server, first.session).server_reused);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_EQ(server.session_store_stats().hits, 0u);
}

TEST(SessionStore, BadSettingsThrowInvalidArgument) {
    auto store = std::make_shared<tls::MemorySessionStore>();
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    EXPECT_THROW(client.set_session_store(store, store_options()), std::invalid_argument);
    tls::Context server = server_context();
    tls::SessionStoreOptions options = store_options();
    options.fleet_key.resize(31);
    EXPECT_THROW(server.set_session_store(store, options), std::invalid_argument);
    options = store_options();
    options.key_prefix = std::string(33, 'p');
    EXPECT_THROW(server.set_session_store(store, options), std::invalid_argument);
    options = store_options();
    options.session_id_context = std::string(33, 'c');
    EXPECT_THROW(server.set_session_store(store, options), std::invalid_argument);
    options = store_options();
    options.deadline = 0ms;
    EXPECT_THROW(server.set_session_store(store, options), std::invalid_argument);
}

TEST(MemorySessionStore, PutGetRemoveAndReplace) {
    tls::MemorySessionStore store;
    std::error_code ec;
    const tls::Bytes key{1, 2, 3};
    EXPECT_TRUE(store.get(key, 50ms, ec).empty());
    EXPECT_FALSE(ec);
    store.put(key, {9, 9}, 60s, 50ms, ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(store.get(key, 50ms, ec), (tls::Bytes{9, 9}));
    store.put(key, {7}, 60s, 50ms, ec);
    EXPECT_EQ(store.get(key, 50ms, ec), (tls::Bytes{7}));
    EXPECT_EQ(store.size(), 1u);
    store.remove(key, 50ms, ec);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(store.get(key, 50ms, ec).empty());
    store.remove(key, 50ms, ec);  // not there: no error
    EXPECT_FALSE(ec);
    EXPECT_EQ(store.describe(), "memory");
}

TEST(MemorySessionStore, TakeHandsAValueOutOnceAndIsAtomic) {
    tls::MemorySessionStore store;
    EXPECT_TRUE(store.can_take());
    std::error_code ec;
    const tls::Bytes key{1, 2, 3};
    store.put(key, tls::Bytes{9, 9}, 60s, 50ms, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(store.take(key, 50ms, ec), (tls::Bytes{9, 9}));
    EXPECT_FALSE(ec);
    EXPECT_TRUE(store.take(key, 50ms, ec).empty());
    EXPECT_EQ(store.size(), 0u);
    // Sixteen threads race for one value: exactly one gets it.
    store.put(key, tls::Bytes{7}, 60s, 50ms, ec);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&] {
            std::error_code local;
            winners += store.take(key, 50ms, local).empty() ? 0 : 1;
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_EQ(winners.load(), 1);
}

TEST(MemorySessionStore, EntriesExpireAfterTheirTtl) {
    tls::MemorySessionStore store;
    std::error_code ec;
    store.put({1}, {1}, 1s, 50ms, ec);
    store.put({2}, {2}, 60s, 50ms, ec);
    std::this_thread::sleep_for(1100ms);
    EXPECT_TRUE(store.get({1}, 50ms, ec).empty());
    EXPECT_EQ(store.get({2}, 50ms, ec), (tls::Bytes{2}));
}

TEST(MemorySessionStore, FullStoreEvictsWhatExpiresSoonest) {
    tls::MemorySessionStore store(2);
    std::error_code ec;
    store.put({1}, {1}, 10s, 50ms, ec);
    store.put({2}, {2}, 100s, 50ms, ec);
    store.put({3}, {3}, 50s, 50ms, ec);
    EXPECT_EQ(store.size(), 2u);
    EXPECT_TRUE(store.get({1}, 50ms, ec).empty());
    EXPECT_EQ(store.get({2}, 50ms, ec), (tls::Bytes{2}));
    EXPECT_EQ(store.get({3}, 50ms, ec), (tls::Bytes{3}));
}

TEST(MemorySessionStore, ConcurrentUseFromManyThreadsStaysBounded) {
    tls::MemorySessionStore store(100);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&store, t] {
            std::error_code ec;
            for (int i = 0; i < 2000; ++i) {
                tls::Bytes key{static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(i % 251)};
                store.put(key, key, 60s, 50ms, ec);
                (void)store.get(key, 50ms, ec);
                if (i % 3 == 0) {
                    store.remove(key, 50ms, ec);
                }
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_LE(store.size(), 100u);
}

std::string temp_file(const std::string& name, const std::string& contents) {
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
}

TEST(FleetKey, LoadsRawAndHexFilesAndRefusesOthers) {
    std::string raw(32, '\0');
    for (std::size_t i = 0; i < raw.size(); ++i) {
        raw[i] = static_cast<char>(i);
    }
    tls::Bytes expected(raw.begin(), raw.end());
    EXPECT_EQ(tls::load_fleet_key(temp_file("fleet-raw", raw)), expected);
    std::string hex;
    for (unsigned char c : raw) {
        char two[3];
        std::snprintf(two, sizeof two, "%02x", c);
        hex += two;
    }
    EXPECT_EQ(tls::load_fleet_key(temp_file("fleet-hex", hex + "\n")), expected);
    EXPECT_THROW(tls::load_fleet_key(temp_file("fleet-short", std::string(31, 'a'))),
                 std::invalid_argument);
    EXPECT_THROW(tls::load_fleet_key(temp_file("fleet-nothex", std::string(64, 'z'))),
                 std::invalid_argument);
    EXPECT_THROW(tls::load_fleet_key("/nonexistent/fleet.key"), std::system_error);
}

}  // namespace
