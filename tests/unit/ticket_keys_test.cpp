// tls::TicketKeyRing between tlsctx clients and servers over loopback: contexts sharing a ring
// resume each other's tickets (TLS 1.2 and 1.3), rotation renews old-key tickets under the newest
// key (seen in the ticket's key-name prefix on the client), dropped keys mean a full handshake,
// key files are checked whole, and derived (fleet) rings agree across "processes" and epochs.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "tls/native.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using tls::test::describe;
using tls::test::handshake_pair;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
using tls::test::feature::TempDir;

struct Outcome {
    bool ok = false;
    bool client_reused = false;
    bool server_reused = false;
    tls::Session session;
};

// One connection; the session is taken after a read, so TLS 1.3 tickets have arrived.
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
    out.ok = true;
    out.client_reused = pair.client.session_reused();
    out.server_reused = pair.server.session_reused();
    out.session = pair.client.session();
    pair.client.close();
    pair.server.close();
    return out;
}

// The first 16 bytes of the session's ticket: the name of the key that encrypted it.
tls::Bytes ticket_key_name(const tls::Session& session) {
    if (session.empty()) {
        return {};
    }
    const unsigned char* ticket = nullptr;
    std::size_t size = 0;
    SSL_SESSION_get0_ticket(static_cast<SSL_SESSION*>(session.native_handle()), &ticket, &size);
    if (ticket == nullptr || size < 16) {
        return {};
    }
    return tls::Bytes(ticket, ticket + 16);
}

tls::Bytes pattern(std::size_t size, int seed) {
    tls::Bytes b(size);
    for (std::size_t i = 0; i < size; ++i) {
        b[i] = static_cast<std::uint8_t>(i * 13 + static_cast<std::size_t>(seed) * 101 + 1);
    }
    return b;
}

// The key name: the first 16 bytes of a key in file layout.
tls::Bytes name_of(const tls::Bytes& key) {
    return tls::Bytes(key.begin(), key.begin() + 16);
}

enum class Version { tls12, tls13 };

tls::Context client_for(Version v) {
    tls::Context ctx = client_context();
    if (v == Version::tls12) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    return ctx;
}

tls::Context server_with(const tls::TicketKeyRing& ring) {
    tls::Context ctx = server_context();
    ctx.set_ticket_key_ring(ring);
    return ctx;
}

// A clock the test moves by hand.
struct FakeClock {
    std::shared_ptr<std::chrono::system_clock::time_point> now =
        std::make_shared<std::chrono::system_clock::time_point>(
            std::chrono::seconds(1'800'000'000));
    tls::TicketKeyRing::Clock clock() const {
        auto n = now;
        return [n] { return *n; };
    }
    void advance(std::chrono::seconds s) { *now += s; }
};

class TicketKeyRingTest : public ::testing::TestWithParam<Version> {};

TEST_P(TicketKeyRingTest, TwoContextsSharingARingResumeEachOthersTickets) {
    tls::TicketKeyRing ring;
    tls::Context a = server_with(ring);
    tls::Context b = server_with(ring);
    tls::Context other = server_with(tls::TicketKeyRing());
    tls::Context client = client_for(GetParam());

    Outcome first = connect_once(client, a);
    ASSERT_TRUE(first.ok);
    ASSERT_TRUE(first.session.has_ticket());
    EXPECT_EQ(ticket_key_name(first.session), ring.key_names().front());
    Outcome on_b = connect_once(client, b, first.session);
    EXPECT_TRUE(on_b.client_reused);
    EXPECT_TRUE(on_b.server_reused);
    Outcome back_on_a = connect_once(client, a, on_b.session);
    EXPECT_TRUE(back_on_a.server_reused);
    // A ring of its own cannot open the ticket: a full handshake, no failure.
    Outcome on_other = connect_once(client, other, first.session);
    EXPECT_TRUE(on_other.ok);
    EXPECT_FALSE(on_other.server_reused);

    const tls::TicketKeyStats s = ring.stats();
    EXPECT_EQ(s.decrypted_current, 2U);
    EXPECT_EQ(s.renewed, 0U);
    // Only the full handshake issued tickets (one in TLS 1.2, num_tickets() in 1.3): OpenSSL
    // issues none when a ticket under the current key resumes.
    EXPECT_EQ(s.issued, GetParam() == Version::tls12 ? 1U : 2U);
}

TEST_P(TicketKeyRingTest, TicketUnderAnOlderKeyResumesAndIsRenewedUnderTheNewest) {
    tls::TicketKeyRing ring;
    tls::Context server = server_with(ring);
    tls::Context client = client_for(GetParam());

    Outcome first = connect_once(client, server);
    ASSERT_TRUE(first.ok);
    const tls::Bytes old_name = ring.key_names().front();
    ASSERT_EQ(ticket_key_name(first.session), old_name);

    ring.rotate();
    const tls::Bytes new_name = ring.key_names().front();
    ASSERT_NE(new_name, old_name);
    ASSERT_EQ(ring.key_names().size(), 2U);

    Outcome second = connect_once(client, server, first.session);
    EXPECT_TRUE(second.client_reused);
    EXPECT_TRUE(second.server_reused);
    EXPECT_EQ(ticket_key_name(second.session), new_name);
    EXPECT_EQ(ring.stats().renewed, 1U);

    Outcome third = connect_once(client, server, second.session);
    EXPECT_TRUE(third.server_reused);
    EXPECT_EQ(ring.stats().decrypted_current, 1U);
}

TEST_P(TicketKeyRingTest, TicketWhoseKeyWasDroppedGetsAFullHandshakeNotAFailure) {
    tls::TicketKeyRing ring(2);
    tls::Context server = server_with(ring);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, server);
    ASSERT_TRUE(first.ok);
    ring.rotate();
    ring.rotate();  // keep 2: the first key is gone
    EXPECT_EQ(ring.key_names().size(), 2U);

    Outcome second = connect_once(client, server, first.session);
    EXPECT_TRUE(second.ok);
    EXPECT_FALSE(second.client_reused);
    EXPECT_FALSE(second.server_reused);
    EXPECT_EQ(ring.stats().unknown, 1U);
    EXPECT_EQ(ticket_key_name(second.session), ring.key_names().front());
}

TEST_P(TicketKeyRingTest, DerivedRingsInTwoProcessesAgreeAndOpenEachOthersTickets) {
    const tls::Bytes secret = pattern(32, 7);
    FakeClock clock;
    tls::TicketKeyRing one, two, stranger;
    for (tls::TicketKeyRing* r : {&one, &two}) {
        r->set_clock(clock.clock());
        r->derive_from_secret(secret, 3600s);
    }
    stranger.set_clock(clock.clock());
    stranger.derive_from_secret(pattern(32, 8), 3600s);
    EXPECT_EQ(one.key_names(), two.key_names());
    EXPECT_EQ(one.key_names().size(), 3U);
    EXPECT_NE(one.key_names().front(), stranger.key_names().front());

    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, server_with(one));
    ASSERT_TRUE(first.ok);
    Outcome on_two = connect_once(client, server_with(two), first.session);
    EXPECT_TRUE(on_two.server_reused);
    Outcome on_stranger = connect_once(client, server_with(stranger), first.session);
    EXPECT_TRUE(on_stranger.ok);
    EXPECT_FALSE(on_stranger.server_reused);
}

TEST_P(TicketKeyRingTest, NextEpochStillOpensThePreviousEpochsTicketsButNotOlderOnes) {
    FakeClock clock;
    tls::TicketKeyRing ring;
    ring.set_clock(clock.clock());
    ring.derive_from_secret(pattern(48, 1), 600s);
    tls::Context server = server_with(ring);
    tls::Context client = client_for(GetParam());

    Outcome first = connect_once(client, server);
    ASSERT_TRUE(first.ok);
    const tls::Bytes epoch0 = ring.key_names().front();
    EXPECT_EQ(ticket_key_name(first.session), epoch0);

    clock.advance(600s);
    EXPECT_NE(ring.key_names().front(), epoch0);
    Outcome second = connect_once(client, server, first.session);
    EXPECT_TRUE(second.server_reused);
    EXPECT_EQ(ring.stats().renewed, 1U);
    EXPECT_EQ(ticket_key_name(second.session), ring.key_names().front());

    clock.advance(1200s);  // epoch 3: epoch 0's key is gone
    Outcome third = connect_once(client, server, first.session);
    EXPECT_TRUE(third.ok);
    EXPECT_FALSE(third.server_reused);
    EXPECT_EQ(ring.stats().unknown, 1U);
}

TEST_P(TicketKeyRingTest, ProcessWhoseClockIsLessThanAPeriodBehindOpensTheOthersTickets) {
    const tls::Bytes secret = pattern(32, 3);
    FakeClock ahead, behind;
    ahead.advance(3599s);  // `behind` is still in the previous epoch (1'800'000'000 % 3600 == 0)
    tls::TicketKeyRing fast, slow;
    fast.set_clock(ahead.clock());
    slow.set_clock(behind.clock());
    fast.derive_from_secret(secret, 3600s);
    slow.derive_from_secret(secret, 3600s);
    ASSERT_EQ(fast.key_names().front(), slow.key_names().front());
    ahead.advance(2s);
    ASSERT_NE(fast.key_names().front(), slow.key_names().front());

    tls::Context client = client_for(GetParam());
    Outcome from_fast = connect_once(client, server_with(fast));
    Outcome on_slow = connect_once(client, server_with(slow), from_fast.session);
    EXPECT_TRUE(on_slow.server_reused);
    Outcome from_slow = connect_once(client, server_with(slow));
    Outcome on_fast = connect_once(client, server_with(fast), from_slow.session);
    EXPECT_TRUE(on_fast.server_reused);
}

TEST_P(TicketKeyRingTest, RotateEveryRotatesAtTheFirstHandshakeAfterThePeriod) {
    FakeClock clock;
    tls::TicketKeyRing ring;
    ring.set_clock(clock.clock());
    ring.rotate();  // stamps the rotation time with the fake clock
    ring.rotate_every(60s);
    tls::Context server = server_with(ring);
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, server);
    ASSERT_TRUE(first.ok);
    const tls::Bytes before = ticket_key_name(first.session);

    clock.advance(59s);
    Outcome second = connect_once(client, server, first.session);
    EXPECT_TRUE(second.server_reused);
    EXPECT_EQ(ticket_key_name(second.session), before);

    clock.advance(2s);
    Outcome third = connect_once(client, server, second.session);
    EXPECT_TRUE(third.server_reused);
    EXPECT_NE(ticket_key_name(third.session), before);
    EXPECT_EQ(ticket_key_name(third.session), ring.key_names().front());
    EXPECT_EQ(ring.stats().renewed, 1U);
}

TEST_P(TicketKeyRingTest, EightyByteKeyHasOpensslsOwnTicketKeyLayout) {
    // OpenSSL's SSL_CTX_set_tlsext_ticket_keys takes name, HMAC secret, AES key: the same bytes
    // in a ring must open OpenSSL's own tickets.
    const tls::Bytes key = pattern(80, 5);
    tls::Context native = server_context();
    tls::Bytes copy = key;
    ASSERT_EQ(SSL_CTX_set_tlsext_ticket_keys(tls::native::handle(native), copy.data(),
                                             static_cast<long>(copy.size())),
              1);
    tls::TicketKeyRing ring;
    ring.set_keys({key});
    tls::Context client = client_for(GetParam());
    Outcome from_native = connect_once(client, native);
    ASSERT_TRUE(from_native.ok);
    EXPECT_EQ(ticket_key_name(from_native.session), name_of(key));
    EXPECT_TRUE(connect_once(client, server_with(ring), from_native.session).server_reused);
    Outcome from_ring = connect_once(client, server_with(ring));
    EXPECT_TRUE(connect_once(client, native, from_ring.session).server_reused);
}

TEST_P(TicketKeyRingTest, FortyEightByteKeysIssueAndOpenTickets) {
    tls::TicketKeyRing ring;
    ring.set_keys({pattern(48, 2), pattern(80, 3)});
    EXPECT_EQ(ring.key_names().front(), name_of(pattern(48, 2)));
    tls::Context client = client_for(GetParam());
    Outcome first = connect_once(client, server_with(ring));
    ASSERT_TRUE(first.ok);
    EXPECT_EQ(ticket_key_name(first.session), ring.key_names().front());
    tls::TicketKeyRing same;
    same.set_keys({pattern(48, 2)});
    EXPECT_TRUE(connect_once(client, server_with(same), first.session).server_reused);
    // The same bytes read with the halves swapped are a different key: no resumption.
    tls::Bytes swapped = pattern(48, 2);
    std::swap_ranges(swapped.begin() + 16, swapped.begin() + 32, swapped.begin() + 32);
    tls::TicketKeyRing wrong;
    wrong.set_keys({swapped});
    EXPECT_FALSE(connect_once(client, server_with(wrong), first.session).server_reused);
}

INSTANTIATE_TEST_SUITE_P(Versions, TicketKeyRingTest,
                         ::testing::Values(Version::tls12, Version::tls13), [](const auto& info) {
                             return info.param == Version::tls12 ? "Tls12" : "Tls13";
                         });

TEST(TicketKeyRing, KeyFileOfTheWrongSizeThrowsATypedErrorAndChangesNothing) {
    TempDir dir;
    const std::string good = dir.path("good.key"), bad = dir.path("bad.key");
    const tls::Bytes key = pattern(80, 9);
    tls::test::feature::write_file(good, std::string(key.begin(), key.end()));
    tls::test::feature::write_file(bad, std::string(50, 'x'));
    tls::TicketKeyRing ring;
    const std::vector<tls::Bytes> before = ring.key_names();
    try {
        ring.load_files({good, bad});
        FAIL() << "a 50-byte key file was accepted";
    } catch (const tls::TicketKeyFileError& e) {
        EXPECT_EQ(e.path(), bad);
        EXPECT_EQ(e.size(), 50U);
    }
    EXPECT_EQ(ring.key_names(), before);
    try {
        ring.load_files({good, dir.path("missing.key")});
        FAIL() << "a missing key file was accepted";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    }
    EXPECT_EQ(ring.key_names(), before);
    EXPECT_THROW(ring.set_keys({key, tls::Bytes(79)}), tls::TicketKeyFileError);
    EXPECT_THROW(ring.rotate(tls::Bytes(81)), tls::TicketKeyFileError);
    EXPECT_EQ(ring.key_names(), before);

    ring.load_files({good});
    EXPECT_EQ(ring.key_names(), std::vector<tls::Bytes>{name_of(key)});
}

TEST(TicketKeyRing, RotationKeepsTheNewestKeysAndCopiesShareThem) {
    tls::TicketKeyRing ring(3);
    tls::TicketKeyRing copy = ring;
    for (int i = 0; i < 5; ++i) {
        ring.rotate(pattern(80, i));
    }
    ASSERT_EQ(copy.key_names().size(), 3U);
    EXPECT_EQ(copy.key_names().front(), name_of(pattern(80, 4)));
    EXPECT_EQ(copy.key_names_hex().front().size(), 32U);
    copy.set_keep(1);
    EXPECT_EQ(ring.key_names().size(), 1U);
    EXPECT_THROW(tls::TicketKeyRing(0), std::invalid_argument);
    EXPECT_THROW(ring.derive_from_secret(tls::Bytes(31), 60s), std::invalid_argument);
    EXPECT_THROW(ring.derive_from_secret(tls::Bytes(32), 0s), std::invalid_argument);
    EXPECT_THROW(ring.set_keys({}), std::invalid_argument);
}

TEST(TicketKeyRing, ClientContextRefusesARing) {
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    EXPECT_THROW(client.set_ticket_key_ring(tls::TicketKeyRing()), std::invalid_argument);
}

}  // namespace
