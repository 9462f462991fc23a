// Sessions and resumption between a tlsctx client and a tlsctx server over loopback TCP (and
// in memory through tls::Object): TLS 1.2 session ids, TLS 1.2 tickets and TLS 1.3 tickets,
// counted on both sides; serialized sessions; the server's ticket and cache settings.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/native.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using tls::test::describe;
using tls::test::handshake_pair;
using tls::test::TestPki;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::Endpoint;
using tls::test::feature::pump_handshake;
using tls::test::feature::server_context;

enum class Resumption { tls12_session_id, tls12_ticket, tls13_ticket };

std::string name_of(Resumption kind) {
    switch (kind) {
        case Resumption::tls12_session_id:
            return "Tls12SessionId";
        case Resumption::tls12_ticket:
            return "Tls12Ticket";
        default:
            return "Tls13Ticket";
    }
}

// The server for `kind`: OP_NO_TICKET leaves TLS 1.2 the session id cache only.
tls::Context server_for(Resumption kind) {
    tls::Context ctx = server_context();
    if (kind == Resumption::tls12_session_id) {
        ctx.set_options(ctx.options() | tls::OP_NO_TICKET);
    }
    return ctx;
}

tls::Context client_for(Resumption kind) {
    tls::Context ctx = client_context();
    if (kind != Resumption::tls13_ticket) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    return ctx;
}

// What one connection showed. The client's session is taken after it read the server's first
// line, so TLS 1.3 tickets (sent after the handshake) have arrived.
struct Outcome {
    bool client_reused = false;
    bool server_reused = false;
    std::string version;
    tls::Session session;
    tls::Bytes client_unique, server_unique;
};

Outcome connect_once(const tls::Context& client, const tls::Context& server,
                     const tls::Session& session = {}) {
    tls::WrapOptions options = tls::WrapOptions::client("localhost");
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
    out.client_reused = pair.client.session_reused();
    out.server_reused = pair.server.session_reused();
    out.version = pair.client.version().value_or("");
    out.session = pair.client.session();
    if (out.version == "TLSv1.2") {
        out.client_unique = pair.client.get_channel_binding("tls-unique").value_or(tls::Bytes{});
        out.server_unique = pair.server.get_channel_binding("tls-unique").value_or(tls::Bytes{});
    }
    pair.client.close();
    pair.server.close();
    return out;
}

class ResumptionTest : public ::testing::TestWithParam<Resumption> {};

TEST_P(ResumptionTest, ClientResumesThreeTimesAndBothSidesCountIt) {
    const Resumption kind = GetParam();
    tls::Context server = server_for(kind);
    tls::Context client = client_for(kind);

    Outcome first = connect_once(client, server);
    EXPECT_FALSE(first.client_reused);
    EXPECT_FALSE(first.server_reused);
    EXPECT_EQ(first.version, kind == Resumption::tls13_ticket ? "TLSv1.3" : "TLSv1.2");
    ASSERT_FALSE(first.session.empty());
    EXPECT_TRUE(first.session.is_resumable());
    EXPECT_EQ(first.session.has_ticket(), kind != Resumption::tls12_session_id);

    tls::Session session = first.session;
    for (int reconnect = 1; reconnect <= 3; ++reconnect) {
        Outcome next = connect_once(client, server, session);
        EXPECT_TRUE(next.client_reused) << "reconnect " << reconnect;
        EXPECT_TRUE(next.server_reused) << "reconnect " << reconnect;
        ASSERT_FALSE(next.session.empty());
        session = next.session;
    }

    tls::SessionStats stats = server.session_stats();
    EXPECT_EQ(stats.accept, 4);
    EXPECT_EQ(stats.accept_good, 4);
    EXPECT_EQ(stats.hits, 3);
    EXPECT_EQ(stats.misses, 0);
    EXPECT_EQ(client.session_stats().connect_good, 4);
}

TEST_P(ResumptionTest, SessionSerializedToBytesKeepsResumingAfterTheClientRestarts) {
    const Resumption kind = GetParam();
    tls::Context server = server_for(kind);
    tls::Bytes stored = connect_once(client_for(kind), server).session.to_bytes();
    ASSERT_FALSE(stored.empty());
    for (int restart = 1; restart <= 3; ++restart) {
        // A new process: a new context, and nothing but the stored bytes.
        tls::Context client = client_for(kind);
        tls::Session restored = tls::Session::from_bytes(stored);
        EXPECT_TRUE(restored.is_resumable());
        Outcome next = connect_once(client, server, restored);
        EXPECT_TRUE(next.client_reused) << "restart " << restart;
        EXPECT_TRUE(next.server_reused) << "restart " << restart;
        stored = next.session.to_bytes();
    }
    EXPECT_EQ(server.session_stats().hits, 3);
}

TEST_P(ResumptionTest, SessionSetBeforeTheHandshakeOfAnInMemoryObjectResumes) {
    const Resumption kind = GetParam();
    tls::Context server = server_for(kind);
    tls::Context client = client_for(kind);
    tls::Session session = connect_once(client, server).session;

    tls::test::feature::Endpoint c, s;
    c.object = client.wrap_bio(c.incoming, c.outgoing, tls::WrapOptions::client("localhost"));
    s.object = server.wrap_bio(s.incoming, s.outgoing, tls::WrapOptions::server());
    c.object.set_session(session);
    ASSERT_FALSE(tls::test::feature::pump_handshake(c, s));
    EXPECT_TRUE(c.object.session_reused());
    EXPECT_TRUE(s.object.session_reused());
}

// OpenSSL's SSL_free marks the session of a connection that ended without close_notify
// unresumable (TLS 1.0's rule, dropped by RFC 5246 7.2.1), also the copy the user holds: an Asio
// stream or Object destroyed without unwrap() lost resumption. tlsctx keeps it, unless the
// connection failed.
TEST_P(ResumptionTest, SessionOfObjectsDestroyedWithoutCloseNotifyStillResumes) {
    const Resumption kind = GetParam();
    tls::Context server = server_for(kind);
    tls::Context client = client_for(kind);
    tls::Session session;
    {
        tls::test::feature::Endpoint c, s;
        c.object = client.wrap_bio(c.incoming, c.outgoing, tls::WrapOptions::client("localhost"));
        s.object = server.wrap_bio(s.incoming, s.outgoing, tls::WrapOptions::server());
        ASSERT_FALSE(tls::test::feature::pump_handshake(c, s));
        ASSERT_EQ(s.object.write("hi", 2), 2u);
        tls::test::feature::transfer(s, c);
        char buf[8];
        ASSERT_EQ(c.object.read(buf, sizeof buf), 2u);  // takes in TLS 1.3's tickets too
        session = c.object.session();
        ASSERT_TRUE(session.is_resumable());
    }  // both Objects freed here, no close_notify either way
    EXPECT_TRUE(session.is_resumable());
    tls::test::feature::Endpoint c, s;
    c.object = client.wrap_bio(c.incoming, c.outgoing, tls::WrapOptions::client("localhost"));
    s.object = server.wrap_bio(s.incoming, s.outgoing, tls::WrapOptions::server());
    c.object.set_session(session);
    ASSERT_FALSE(tls::test::feature::pump_handshake(c, s));
    EXPECT_TRUE(c.object.session_reused());
    EXPECT_TRUE(s.object.session_reused());
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ResumptionTest,
                         ::testing::Values(Resumption::tls12_session_id, Resumption::tls12_ticket,
                                           Resumption::tls13_ticket),
                         [](const auto& info) { return name_of(info.param); });

TEST(Session, Tls12SessionIdSessionHasAnIdNoTicketAndTheTimeOfTheHandshake) {
    tls::Context server = server_for(Resumption::tls12_session_id);
    const auto before = std::chrono::system_clock::now() - 1s;
    tls::Session s = connect_once(client_for(Resumption::tls12_session_id), server).session;
    const auto after = std::chrono::system_clock::now() + 1s;
    EXPECT_EQ(s.id().size(), 32u);
    EXPECT_FALSE(s.has_ticket());
    EXPECT_EQ(s.ticket_lifetime_hint(), 0s);
    EXPECT_GE(s.time(), before);
    EXPECT_LE(s.time(), after);
    EXPECT_GT(s.timeout(), 0s);
}

TEST(Session, Tls13TicketSessionCarriesTheServersLifetimeHint) {
    tls::Context server = server_for(Resumption::tls13_ticket);
    tls::Session s = connect_once(client_for(Resumption::tls13_ticket), server).session;
    EXPECT_TRUE(s.has_ticket());
    // OpenSSL servers advertise their session timeout, 2 hours by default.
    EXPECT_EQ(s.ticket_lifetime_hint(), 7200s);
    EXPECT_EQ(s.timeout(), 7200s);
}

TEST(Session, ResumedTls12SessionEqualsTheOriginalAndFreshSessionsDiffer) {
    tls::Context server = server_for(Resumption::tls12_session_id);
    tls::Context client = client_for(Resumption::tls12_session_id);
    tls::Session first = connect_once(client, server).session;
    tls::Session other = connect_once(client, server).session;
    tls::Session resumed = connect_once(client, server, first).session;
    EXPECT_TRUE(first == resumed);
    EXPECT_TRUE(first != other);
    tls::Session copy = first;
    EXPECT_EQ(copy.native_handle(), first.native_handle());
}

TEST(Session, EmptySessionHasNoFieldsAndSerializesToNothing) {
    tls::Session s;
    EXPECT_TRUE(s.empty());
    EXPECT_TRUE(s.id().empty());
    EXPECT_FALSE(s.has_ticket());
    EXPECT_FALSE(s.is_resumable());
    EXPECT_TRUE(s.to_bytes().empty());
}

TEST(Session, MalformedSerializedSessionThrowsSslError) {
    EXPECT_THROW(tls::Session::from_bytes(tls::Bytes{0x30, 0x03, 0x02, 0x01}), tls::SSLError);
    EXPECT_THROW(tls::Session::from_bytes(tls::Bytes{}), tls::SSLError);
}

TEST(Session, ConnectionHasNoSessionBeforeItsHandshake) {
    tls::test::feature::Endpoint c;
    c.object =
        client_context().wrap_bio(c.incoming, c.outgoing, tls::WrapOptions::client("localhost"));
    EXPECT_FALSE(c.object.session_reused());
    EXPECT_FALSE(c.object.session().is_resumable());
}

TEST(Session, SettingASessionAfterTheHandshakeThrowsLogicError) {
    tls::Context server = server_context();
    tls::Context client = client_context();
    tls::Session session = connect_once(client, server).session;
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_THROW(pair.client.set_session(session), std::logic_error);
    EXPECT_THROW(pair.server.set_session(session), std::logic_error);
}

TEST(Session, SessionInTheWrapOptionsOfAServerThrowsInvalidArgument) {
    tls::Context server = server_context();
    tls::Session session = connect_once(client_context(), server).session;
    ASSERT_FALSE(session.empty());
    tls::WrapOptions options = tls::WrapOptions::server();
    options.session = session;
    options.do_handshake_on_connect = false;
    tls::test::SocketPair fds = tls::test::loopback_pair();
    EXPECT_THROW(server.wrap_socket(fds.server.get(), tls::FdOwnership::borrow, options),
                 std::invalid_argument);
    tls::MemoryBIO in, out;
    EXPECT_THROW(server.wrap_bio(in, out, options), std::invalid_argument);
}

TEST(Session, ServerWithZeroTicketsLeavesATls13ClientNothingToResume) {
    tls::Context server = server_context();
    EXPECT_EQ(server.num_tickets(), 2u);
    server.set_num_tickets(0);
    EXPECT_EQ(server.num_tickets(), 0u);
    tls::Context client = client_context();
    Outcome first = connect_once(client, server);
    EXPECT_EQ(first.version, "TLSv1.3");
    EXPECT_FALSE(first.session.has_ticket());
    EXPECT_FALSE(first.session.is_resumable());
    Outcome second = connect_once(client, server, first.session);
    EXPECT_FALSE(second.client_reused);
    EXPECT_FALSE(second.server_reused);
    EXPECT_EQ(server.session_stats().hits, 0);
}

// --- when the session exists: TLS 1.3 tickets come after the handshake
// ----------------------------

// A client Object and a server Object over `client` and `server`, after a handshake in memory.
struct MemoryPair {
    Endpoint c, s;
};

void handshake_in_memory(MemoryPair& p, const tls::Context& client, const tls::Context& server,
                         const tls::Session& session = {}) {
    tls::WrapOptions options = tls::WrapOptions::client("localhost");
    options.session = session;
    p.c.object = client.wrap_bio(p.c.incoming, p.c.outgoing, options);
    p.s.object = server.wrap_bio(p.s.incoming, p.s.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(pump_handshake(p.c, p.s));
}

// The server's tickets are in the client's incoming buffer after the handshake; a read takes
// them in (and, with no application data, reports want_read).
void read_tickets(Endpoint& client) {
    ASSERT_GT(client.incoming.pending(), 0u);
    std::error_code ec;
    char buf[16];
    EXPECT_EQ(client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
}

TEST(SessionTiming, Tls13InMemorySessionIsEmptyUntilAReadTakesInTheTicketThenResumes) {
    tls::Context server = server_for(Resumption::tls13_ticket);
    tls::Context client = client_for(Resumption::tls13_ticket);
    MemoryPair first;
    handshake_in_memory(first, client, server);
    ASSERT_EQ(first.c.object.version(), "TLSv1.3");
    EXPECT_TRUE(first.c.object.session().empty());
    EXPECT_TRUE(first.c.object.session().to_bytes().empty());

    read_tickets(first.c);
    tls::Session session = first.c.object.session();
    ASSERT_FALSE(session.empty());
    EXPECT_TRUE(session.is_resumable());
    EXPECT_TRUE(session.has_ticket());

    MemoryPair second;
    handshake_in_memory(second, client, server, session);
    EXPECT_TRUE(second.c.object.session_reused());
    EXPECT_TRUE(second.s.object.session_reused());
}

TEST(SessionTiming, Tls13LoopbackSessionIsEmptyRightAfterTheHandshakeAndResumesAfterARead) {
    tls::Context server = server_for(Resumption::tls13_ticket);
    tls::Context client = client_for(Resumption::tls13_ticket);
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    ASSERT_EQ(pair.client.version(), "TLSv1.3");
    EXPECT_TRUE(pair.client.session().empty());

    pair.server.sendall("hello\n");
    EXPECT_EQ(tls::test::feature::read_until(pair.client), "hello\n");
    tls::Session session = pair.client.session();
    ASSERT_FALSE(session.empty());
    EXPECT_TRUE(session.is_resumable());
    pair.client.close();
    pair.server.close();

    Outcome next = connect_once(client, server, session);
    EXPECT_TRUE(next.client_reused);
    EXPECT_TRUE(next.server_reused);
}

TEST(SessionTiming, Tls12SessionTakenRightAfterTheHandshakeResumes) {
    for (Resumption kind : {Resumption::tls12_session_id, Resumption::tls12_ticket}) {
        SCOPED_TRACE(name_of(kind));
        tls::Context server = server_for(kind);
        tls::Context client = client_for(kind);
        MemoryPair first;
        handshake_in_memory(first, client, server);
        ASSERT_EQ(first.c.object.version(), "TLSv1.2");
        tls::Session session = first.c.object.session();
        ASSERT_FALSE(session.empty());
        EXPECT_TRUE(session.is_resumable());

        MemoryPair second;
        handshake_in_memory(second, client, server, session);
        EXPECT_TRUE(second.c.object.session_reused());
        EXPECT_TRUE(second.s.object.session_reused());
    }
}

TEST(SessionTiming, SessionWithNothingToResumeIsRefusedByWrapOptionsAndSetSession) {
    tls::Context server = server_for(Resumption::tls13_ticket);
    tls::Context client = client_for(Resumption::tls13_ticket);
    MemoryPair first;
    handshake_in_memory(first, client, server);
    // What earlier tlsctx versions handed out from session() here and a client may have stored:
    // the connection's own session, serialized before the ticket arrived.
    const SSL_SESSION* raw = SSL_get0_session(tls::native::handle(first.c.object));
    ASSERT_NE(raw, nullptr);
    tls::Bytes stored(static_cast<std::size_t>(i2d_SSL_SESSION(raw, nullptr)));
    unsigned char* out = stored.data();
    ASSERT_EQ(i2d_SSL_SESSION(raw, &out), static_cast<int>(stored.size()));
    tls::Session restored = tls::Session::from_bytes(stored);
    ASSERT_FALSE(restored.empty());
    EXPECT_FALSE(restored.is_resumable());

    tls::WrapOptions options = tls::WrapOptions::client("localhost");
    options.session = restored;
    options.do_handshake_on_connect = false;
    tls::MemoryBIO in, out_bio;
    EXPECT_THROW(client.wrap_bio(in, out_bio, options), std::invalid_argument);
    tls::test::SocketPair fds = tls::test::loopback_pair();
    EXPECT_THROW(client.wrap_socket(fds.client.get(), tls::FdOwnership::borrow, options),
                 std::invalid_argument);
    Endpoint fresh;
    fresh.object =
        client.wrap_bio(fresh.incoming, fresh.outgoing, tls::WrapOptions::client("localhost"));
    EXPECT_THROW(fresh.object.set_session(restored), std::invalid_argument);
}

// The library-internal ways in are closed to user code: no Session wraps a pointer of the user's
// (Session::adopt is gone) and no ServerNameRequest is made from a stray engine pointer.
template <typename T, typename = void>
struct HasAdopt : std::false_type {};
template <typename T>
struct HasAdopt<T, std::void_t<decltype(T::adopt(static_cast<void*>(nullptr)))>> : std::true_type {
};
static_assert(!HasAdopt<tls::Session>::value);
static_assert(!std::is_constructible_v<tls::ServerNameRequest, void*, std::optional<std::string>>);

TEST(Session, NumTicketsOnAClientOnlyContextThrowsInvalidArgument) {
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    EXPECT_THROW(client.set_num_tickets(1), std::invalid_argument);
}

class SharedTicketKeysTest : public ::testing::TestWithParam<Resumption> {};

TEST_P(SharedTicketKeysTest, TicketFromOneServerResumesOnAnotherWithTheSameKeys) {
    const Resumption kind = GetParam();
    tls::Bytes keys(80);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        keys[i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    tls::Context server_a = server_for(kind);
    tls::Context server_b = server_for(kind);
    tls::Context unrelated = server_for(kind);
    server_a.set_ticket_keys(keys);
    server_b.set_ticket_keys(keys);
    tls::Context client = client_for(kind);

    tls::Session from_a = connect_once(client, server_a).session;
    ASSERT_TRUE(from_a.has_ticket());
    Outcome on_b = connect_once(client, server_b, from_a);
    EXPECT_TRUE(on_b.client_reused);
    EXPECT_TRUE(on_b.server_reused);
    // A server with its own random keys cannot open the ticket.
    Outcome on_unrelated = connect_once(client, unrelated, from_a);
    EXPECT_FALSE(on_unrelated.client_reused);
    EXPECT_FALSE(on_unrelated.server_reused);
}

INSTANTIATE_TEST_SUITE_P(Tickets, SharedTicketKeysTest,
                         ::testing::Values(Resumption::tls12_ticket, Resumption::tls13_ticket),
                         [](const auto& info) { return name_of(info.param); });

TEST(Session, TicketKeysOfAnyLengthButEightyBytesThrowInvalidArgument) {
    tls::Context server = server_context();
    EXPECT_THROW(server.set_ticket_keys(tls::Bytes(48)), std::invalid_argument);
    EXPECT_THROW(server.set_ticket_keys(tls::Bytes(81)), std::invalid_argument);
    EXPECT_NO_THROW(server.set_ticket_keys(tls::Bytes(80, 1)));
}

TEST(Session, DisabledSessionCacheStopsTls12SessionIdResumption) {
    tls::Context server = server_for(Resumption::tls12_session_id);
    server.set_session_cache_enabled(false);
    tls::Context client = client_for(Resumption::tls12_session_id);
    Outcome first = connect_once(client, server);
    Outcome second = connect_once(client, server, first.session);
    EXPECT_FALSE(second.client_reused);
    EXPECT_FALSE(second.server_reused);
    EXPECT_EQ(server.session_stats().hits, 0);

    // Turned back on, the same server resumes again.
    server.set_session_cache_enabled(true);
    Outcome third = connect_once(client, server);
    Outcome fourth = connect_once(client, server, third.session);
    EXPECT_TRUE(fourth.client_reused);
    EXPECT_TRUE(fourth.server_reused);
}

TEST(Session, SessionCacheSizeDefaultsToOpensslsAndCanBeSet) {
    tls::Context server = server_context();
    EXPECT_EQ(server.session_cache_size(), 20480);  // SSL_SESSION_CACHE_MAX_SIZE_DEFAULT
    server.set_session_cache_size(10);
    EXPECT_EQ(server.session_cache_size(), 10);
}

TEST(Session, FullServerSessionCacheCountsOverflows) {
    tls::Context server = server_for(Resumption::tls12_session_id);
    server.set_session_cache_size(1);
    tls::Context client = client_for(Resumption::tls12_session_id);
    for (int i = 0; i < 3; ++i) {
        connect_once(client, server);
    }
    tls::SessionStats stats = server.session_stats();
    EXPECT_EQ(stats.number, 1);
    EXPECT_GE(stats.cache_full, 1);
}

TEST(Session, ServerThatVerifiesClientCertificatesStillResumes) {
    // Resuming on a verifying server needs a session id context, which Python sets for every
    // context; without it OpenSSL refuses the resumption.
    for (Resumption kind : {Resumption::tls12_session_id, Resumption::tls13_ticket}) {
        tls::Context server = server_for(kind);
        server.set_verify_mode(tls::CERT_REQUIRED);
        server.load_verify_locations(TestPki::get().ca_cert());
        tls::Context client = client_for(kind);
        client.load_cert_chain(TestPki::get().client().chain, TestPki::get().client().key);
        Outcome first = connect_once(client, server);
        Outcome second = connect_once(client, server, first.session);
        EXPECT_TRUE(second.client_reused) << name_of(kind);
        EXPECT_TRUE(second.server_reused) << name_of(kind);
    }
}

TEST(Session, Tls12ChannelBindingStaysEqualOnBothEndsWhenResumed) {
    // tls-unique is the first Finished of the handshake: the client's in a full handshake, the
    // server's in an abbreviated one.
    tls::Context server = server_for(Resumption::tls12_session_id);
    tls::Context client = client_for(Resumption::tls12_session_id);
    Outcome full = connect_once(client, server);
    Outcome resumed = connect_once(client, server, full.session);
    ASSERT_TRUE(resumed.client_reused);
    EXPECT_EQ(full.client_unique.size(), 12u);
    EXPECT_EQ(full.client_unique, full.server_unique);
    EXPECT_EQ(resumed.client_unique.size(), 12u);
    EXPECT_EQ(resumed.client_unique, resumed.server_unique);
    EXPECT_NE(full.client_unique, resumed.client_unique);
}

}  // namespace
