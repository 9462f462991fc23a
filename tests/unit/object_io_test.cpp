// tls::Object pairs pumped in memory through every way a transport can deliver bytes: whole
// flights, one byte at a time and random chunks; both TLS versions, ALPN, client certificates,
// post-handshake messages (session tickets, KeyUpdate), closes clean and unclean.
// Helpers follow rustls-test: make_pair() builds a connected-but-unhandshaken pair,
// do_handshake_until_error() runs it to the end or to the first real error.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <tls/pki.hpp>
#include <tls/tls.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "support/memory_pair.hpp"

namespace {

using Names = std::vector<std::string>;

// Root -> intermediate -> leaves, so chains really carry an intermediate.
struct Pki {
    tls::pki::CertificateAuthority root;
    tls::pki::CertificateAuthority intermediate = root.create_child_ca();
    tls::pki::IssuedCert server = intermediate.issue_cert(Names{"localhost"});
    tls::pki::IssuedCert client = client_cert(intermediate);
    // A client certificate from a root nobody here trusts.
    tls::pki::CertificateAuthority stranger{"untrusted root"};
    tls::pki::IssuedCert stranger_client = client_cert(stranger);

    static tls::pki::IssuedCert client_cert(const tls::pki::CertificateAuthority& ca) {
        tls::pki::CertificateOptions o;
        o.common_name = "tlsctx test client";
        o.extended_key_usages = {tls::pki::ExtendedKeyUsage::client_auth};
        return ca.issue_cert(o);
    }
};

const Pki& pki() {
    static const Pki p;
    return p;
}

tls::Context server_context() {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain_pem(pki().server.cert_chain_pem(), pki().server.private_key_pem());
    return ctx;
}

tls::Context client_context() {
    tls::Context ctx;
    ctx.load_verify_cadata(pki().root.cert_pem());
    return ctx;
}

// A server that requires a client certificate from the test root.
tls::Context mutual_server_context() {
    tls::Context ctx = server_context();
    ctx.set_verify_mode(tls::CERT_REQUIRED);
    ctx.load_verify_cadata(pki().root.cert_pem());
    return ctx;
}

using tls::test::memory::Chunker;
using tls::test::memory::deliver;
using tls::test::memory::do_handshake_until_error;
using tls::test::memory::Endpoint;
using tls::test::memory::HandshakeResult;
using tls::test::memory::is_want;
using tls::test::memory::make_pair;
using tls::test::memory::one_byte;
using tls::test::memory::Pair;
using tls::test::memory::random_chunks;
using tls::test::memory::read_available;
using tls::test::memory::send;
using tls::test::memory::whole;

std::string pattern(std::size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(size, '\0');
    for (char& c : s) {
        c = static_cast<char>(rng());
    }
    return s;
}

SSL* ssl_of(const tls::Object& o) {
    // tls/native.hpp has overloads for Context and Socket only.
    return static_cast<SSL*>(o.native_handle());
}

// --- versions and ALPN -------------------------------------------------------------------------

TEST(ObjectIo, Tls13HandshakeCompletesAndCarriesDataBothWays) {
    tls::Context client = client_context();
    client.set_minimum_version(tls::TLSVersion::TLSv1_3);
    Pair p = make_pair(client, server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    EXPECT_EQ(p.client.object.version(), "TLSv1.3");
    EXPECT_EQ(p.server.object.version(), "TLSv1.3");
    EXPECT_EQ(send(p.client, p.server, "ping"), "ping");
    EXPECT_EQ(send(p.server, p.client, "pong"), "pong");
}

TEST(ObjectIo, Tls12HandshakeCompletesAndCarriesDataBothWays) {
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    Pair p = make_pair(client, server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    EXPECT_EQ(p.client.object.version(), "TLSv1.2");
    EXPECT_EQ(p.server.object.version(), "TLSv1.2");
    ASSERT_TRUE(p.client.object.cipher().has_value());
    EXPECT_EQ(p.client.object.cipher()->protocol, "TLSv1.2");
    EXPECT_EQ(send(p.client, p.server, "ping"), "ping");
    EXPECT_EQ(send(p.server, p.client, "pong"), "pong");
}

TEST(ObjectIo, ServerPicksTheAlpnProtocolByItsOwnPreference) {
    tls::Context client = client_context();
    client.set_alpn_protocols({"h2", "http/1.1"});
    tls::Context server = server_context();
    server.set_alpn_protocols({"http/1.1", "h2"});
    Pair p = make_pair(client, server);
    ASSERT_TRUE(do_handshake_until_error(p).done());
    EXPECT_EQ(p.client.object.selected_alpn_protocol(), "http/1.1");
    EXPECT_EQ(p.server.object.selected_alpn_protocol(), "http/1.1");
}

TEST(ObjectIo, AlpnWithoutACommonProtocolCompletesWithNoneSelected) {
    tls::Context client = client_context();
    client.set_alpn_protocols({"h2"});
    tls::Context server = server_context();
    server.set_alpn_protocols({"http/1.1"});
    Pair p = make_pair(client, server);
    ASSERT_TRUE(do_handshake_until_error(p).done());
    EXPECT_EQ(p.client.object.selected_alpn_protocol(), std::nullopt);
    EXPECT_EQ(p.server.object.selected_alpn_protocol(), std::nullopt);
}

// --- client certificates -----------------------------------------------------------------------

TEST(ObjectIo, RequiredClientCertificateIsVerifiedAndVisibleToTheServer) {
    tls::Context client = client_context();
    client.load_cert_chain_pem(pki().client.cert_chain_pem(), pki().client.private_key_pem());
    Pair p = make_pair(client, mutual_server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    auto peer = p.server.object.getpeercert();
    ASSERT_TRUE(peer.has_value());
    EXPECT_FALSE(peer->empty());
    auto der = p.server.object.getpeercert_der();
    ASSERT_TRUE(der.has_value());
    EXPECT_EQ(*der, pki().client.cert_der());
    EXPECT_EQ(send(p.client, p.server, "from a known client"), "from a known client");
}

TEST(ObjectIo, MissingClientCertificateFailsTheServerAndThenTheClientWithTypedErrors) {
    Pair p = make_pair(client_context(), mutual_server_context());
    HandshakeResult r = do_handshake_until_error(p);
    // TLS 1.3: the client's Finished is already sent when the server notices, so the client
    // learns of it from the alert, on its next read.
    EXPECT_EQ(r.server, tls::SSLErrc::ssl);
    EXPECT_EQ(p.server.object.last_error().reason, "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    EXPECT_THROW(tls::throw_error(p.server.object.last_error()), tls::SSLError);
    deliver(p.server, p.client, whole);
    std::error_code ec;
    char buf[16];
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::ssl);
    EXPECT_EQ(p.client.object.last_error().reason, "TLSV13_ALERT_CERTIFICATE_REQUIRED");
}

TEST(ObjectIo, MissingClientCertificateOverTls12FailsBothHandshakes) {
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    Pair p = make_pair(client, mutual_server_context());
    HandshakeResult r = do_handshake_until_error(p);
    EXPECT_EQ(r.server, tls::SSLErrc::ssl);
    EXPECT_EQ(p.server.object.last_error().reason, "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    EXPECT_EQ(r.client, tls::SSLErrc::ssl);
    EXPECT_EQ(p.client.object.last_error().reason, "SSLV3_ALERT_HANDSHAKE_FAILURE");
    EXPECT_FALSE(p.client.object.handshake_done());
}

TEST(ObjectIo, ClientCertificateFromAnUntrustedRootFailsVerificationOnTheServer) {
    tls::Context client = client_context();
    client.load_cert_chain_pem(pki().stranger_client.cert_chain_pem(),
                               pki().stranger_client.private_key_pem());
    Pair p = make_pair(client, mutual_server_context());
    HandshakeResult r = do_handshake_until_error(p);
    EXPECT_EQ(r.server, tls::SSLErrc::cert_verification);
    EXPECT_EQ(p.server.object.last_error().verify_code, 20);  // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    EXPECT_THROW(tls::throw_error(p.server.object.last_error()), tls::SSLCertVerificationError);
}

// --- how the bytes arrive ----------------------------------------------------------------------

TEST(ObjectIo, ByteAtATimeDeliveryCompletesTheHandshakeAndTransfersDataIdentically) {
    for (auto version : {tls::TLSVersion::TLSv1_2, tls::TLSVersion::TLSv1_3}) {
        SCOPED_TRACE(static_cast<int>(version));
        tls::Context client = client_context();
        client.set_maximum_version(version);
        client.set_minimum_version(tls::TLSVersion::TLSv1_2);
        Pair p = make_pair(client, server_context());
        ASSERT_TRUE(do_handshake_until_error(p, one_byte).done());
        const std::string message = pattern(5000, 7);
        EXPECT_EQ(send(p.client, p.server, message, one_byte), message);
        EXPECT_EQ(send(p.server, p.client, message, one_byte), message);
    }
}

TEST(ObjectIo, OneMebibyteInRandomChunksArrivesIntactInBothDirections) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p, random_chunks(1)).done());
    const std::string data = pattern(1 << 20, 42);
    for (auto* dir : {&p.client, &p.server}) {
        Endpoint& from = *dir;
        Endpoint& to = dir == &p.client ? p.server : p.client;
        std::mt19937 rng(dir == &p.client ? 3 : 4);
        Chunker chunker = random_chunks(dir == &p.client ? 5 : 6, 40000);
        std::string received;
        for (std::size_t off = 0; off < data.size();) {
            std::size_t n = std::min(data.size() - off,
                                     std::uniform_int_distribution<std::size_t>(1, 70000)(rng));
            ASSERT_EQ(from.object.write(data.data() + off, n), n);
            off += n;
            deliver(from, to, chunker, [&] { received += read_available(to); });
        }
        EXPECT_EQ(received.size(), data.size());
        EXPECT_TRUE(received == data) << "the bytes differ";
    }
}

// --- post-handshake messages -------------------------------------------------------------------

TEST(ObjectIo, SessionTicketsArrivingAfterTheHandshakeMakeReadReportWantRead) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    ASSERT_EQ(p.client.object.version(), "TLSv1.3");
    // The server wrote its NewSessionTickets after the client's Finished: they are the only
    // bytes in flight, and no application data is pending.
    deliver(p.server, p.client, whole);
    ASSERT_GT(p.client.incoming.pending(), 0u);
    EXPECT_EQ(SSL_SESSION_is_resumable(SSL_get0_session(ssl_of(p.client.object))), 0);

    std::error_code ec;
    char buf[64];
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::want_read) << p.client.object.last_error().message;
    EXPECT_EQ(p.client.incoming.pending(), 0u) << "the tickets were consumed";
    EXPECT_EQ(SSL_SESSION_is_resumable(SSL_get0_session(ssl_of(p.client.object))), 1);
    EXPECT_THROW((void)p.client.object.read(buf, sizeof buf), tls::SSLWantReadError);
    EXPECT_EQ(send(p.server, p.client, "after tickets"), "after tickets");
}

TEST(ObjectIo, KeyUpdatesInBothDirectionsKeepDataFlowing) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);  // session tickets
    for (int round = 0; round < 3; ++round) {
        SCOPED_TRACE(round);
        Endpoint& updater = round % 2 == 0 ? p.client : p.server;
        Endpoint& other = round % 2 == 0 ? p.server : p.client;
        ASSERT_EQ(SSL_key_update(ssl_of(updater.object), SSL_KEY_UPDATE_REQUESTED), 1);
        // The KeyUpdate goes out in front of the next record; the peer answers with its own
        // in front of its next write.
        const std::string there = "after update " + std::to_string(round);
        EXPECT_EQ(send(updater, other, there), there);
        const std::string back = "answer " + std::to_string(round);
        EXPECT_EQ(send(other, updater, back), back);
        EXPECT_EQ(SSL_get_key_update_type(ssl_of(updater.object)), SSL_KEY_UPDATE_NONE);
        EXPECT_EQ(SSL_get_key_update_type(ssl_of(other.object)), SSL_KEY_UPDATE_NONE);
    }
}

TEST(ObjectIo, KeyUpdateDeliveredOneByteAtATimeIsProcessedDuringRead) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    ASSERT_EQ(SSL_key_update(ssl_of(p.server.object), SSL_KEY_UPDATE_NOT_REQUESTED), 1);
    std::error_code ec;
    p.server.object.do_handshake(ec);  // sends the pending KeyUpdate on its own
    EXPECT_FALSE(ec);
    std::string received;
    deliver(p.server, p.client, one_byte, [&] { received += read_available(p.client); });
    EXPECT_EQ(received, "");
    EXPECT_EQ(send(p.server, p.client, "new keys", one_byte), "new keys");
}

// --- closing -----------------------------------------------------------------------------------

TEST(ObjectIo, CloseNotifyFromTheClientIsAnsweredAndBothUnwrapsComplete) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    std::error_code ec;
    p.client.object.unwrap(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read) << "close_notify sent, the server's not yet read";
    deliver(p.client, p.server, whole);
    char buf[16];
    EXPECT_EQ(p.server.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_FALSE(ec) << "close_notify reads as a clean end of stream";
    p.server.object.unwrap(ec);
    EXPECT_FALSE(ec) << "both alerts exchanged on the server";
    deliver(p.server, p.client, whole);
    p.client.object.unwrap(ec);
    EXPECT_FALSE(ec) << p.client.object.last_error().message;
}

TEST(ObjectIo, CloseNotifyFromTheServerEndsTheClientsReadsCleanly) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    EXPECT_EQ(p.server.object.write("last words"), 10u);
    std::error_code ec;
    p.server.object.unwrap(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    deliver(p.server, p.client, whole);
    EXPECT_EQ(read_available(p.client), "last words");
    EXPECT_EQ(p.client.object.read(), "");
    p.client.object.unwrap();
    deliver(p.client, p.server, whole);
    p.server.object.unwrap();
}

TEST(ObjectIo, SendCloseNotifyHalfClosesSoThePeerReadsACleanEndAndCanStillAnswer) {
    Pair p = make_pair(client_context(), server_context());
    std::error_code ec;
    p.client.object.send_close_notify(ec);
    EXPECT_EQ(ec, std::errc::not_connected) << "before the handshake there is nothing to close";
    EXPECT_EQ(p.client.outgoing.pending(), 0u);
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    EXPECT_EQ(read_available(p.client), "");

    p.client.object.send_close_notify();
    const std::size_t alert = p.client.outgoing.pending();
    EXPECT_GT(alert, 0u);
    p.client.object.send_close_notify(ec);  // once only
    EXPECT_FALSE(ec);
    EXPECT_EQ(p.client.outgoing.pending(), alert);
    deliver(p.client, p.server, whole);
    char buf[16];
    EXPECT_EQ(p.server.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_FALSE(ec) << "a close_notify is a clean end: " << p.server.object.last_error().message;
    EXPECT_EQ(p.server.object.read(buf, sizeof buf), 0u);

    // The other direction stays open: the server answers and the client reads it.
    EXPECT_EQ(send(p.server, p.client, "after the half-close"), "after the half-close");
    // The server's own unwrap completes at once (it already has the client's close_notify) and
    // the client then reads a clean end too.
    p.server.object.unwrap(ec);
    EXPECT_FALSE(ec) << p.server.object.last_error().message;
    deliver(p.server, p.client, whole);
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_FALSE(ec) << p.client.object.last_error().message;
    p.client.object.unwrap(ec);
    EXPECT_FALSE(ec) << p.client.object.last_error().message;
    // Our direction is closed: writing after the close_notify is an error.
    EXPECT_EQ(p.client.object.write("late", 4, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::ssl);
}

TEST(ObjectIo, SendCloseNotifyBeforeTheHandshakeThrowsNotConnected) {
    Pair p = make_pair(client_context(), server_context());
    try {
        p.client.object.send_close_notify();
        ADD_FAILURE() << "nothing thrown";
    } catch (const tls::SSLError&) {
        ADD_FAILURE() << "not an SSL failure: the connection is still usable";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::not_connected);
    }
    ASSERT_TRUE(do_handshake_until_error(p).done());
}

TEST(ObjectIo, SimultaneousUnwrapsCompleteOnBothSides) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    std::error_code ce, se;
    p.client.object.unwrap(ce);
    p.server.object.unwrap(se);
    EXPECT_EQ(ce, tls::SSLErrc::want_read);
    EXPECT_EQ(se, tls::SSLErrc::want_read);
    deliver(p.client, p.server, whole);
    deliver(p.server, p.client, whole);
    p.client.object.unwrap(ce);
    p.server.object.unwrap(se);
    EXPECT_FALSE(ce) << p.client.object.last_error().message;
    EXPECT_FALSE(se) << p.server.object.last_error().message;
}

TEST(ObjectIo, EofWithoutCloseNotifyIsAnEofErrorEvenThoughSocketsWouldSuppressIt) {
    tls::WrapOptions options = tls::WrapOptions::client("localhost");
    ASSERT_TRUE(options.suppress_ragged_eofs) << "the default a Socket would honour";
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    p.client.incoming.write_eof();
    std::error_code ec;
    char buf[16];
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::eof);
    EXPECT_THROW((void)p.client.object.read(buf, sizeof buf), tls::SSLEOFError);
}

TEST(ObjectIo, EofInTheMiddleOfARecordIsAnEofError) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    EXPECT_EQ(p.server.object.write("truncated"), 9u);
    std::string record = p.server.outgoing.read();
    p.client.incoming.write(record.substr(0, record.size() / 2));
    p.client.incoming.write_eof();
    try {
        (void)p.client.object.read();
        FAIL() << "read returned";
    } catch (const tls::SSLEOFError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::eof);
    }
}

TEST(ObjectIo, EofDuringTheHandshakeIsAnEofError) {
    Pair p = make_pair(client_context(), server_context());
    std::error_code ec;
    p.client.object.do_handshake(ec);
    ASSERT_EQ(ec, tls::SSLErrc::want_read);
    p.client.incoming.write_eof();
    p.client.object.do_handshake(ec);
    EXPECT_EQ(ec, tls::SSLErrc::eof);
    EXPECT_THROW(tls::throw_error(p.client.object.last_error()), tls::SSLEOFError);
}

// --- buffering and the want path ---------------------------------------------------------------

TEST(ObjectIo, PendingSurfacesPlaintextAlreadyDecryptedButNotYetRead) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    EXPECT_EQ(read_available(p.client), "");
    EXPECT_EQ(p.client.object.pending(), 0u);
    EXPECT_EQ(p.server.object.write("abc"), 3u);  // two writes: two records
    EXPECT_EQ(p.server.object.write("def"), 3u);
    deliver(p.server, p.client, whole);
    EXPECT_EQ(p.client.object.read(1), "a");
    EXPECT_EQ(p.client.object.pending(), 2u) << "the rest of the first record";
    EXPECT_EQ(p.client.object.read(p.client.object.pending()), "bc");
    EXPECT_EQ(read_available(p.client), "def");
    EXPECT_EQ(p.client.object.pending(), 0u);
}

TEST(ObjectIo, WantReadComesBackAsAnErrorCodeWithNoMessageOnEveryOperation) {
    Pair p = make_pair(client_context(), server_context());
    std::error_code ec;
    p.server.object.do_handshake(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    EXPECT_EQ(p.server.object.last_error().code, tls::SSLErrc::want_read);
    EXPECT_TRUE(p.server.object.last_error().message.empty());
    EXPECT_TRUE(p.server.object.last_error().reason.empty());
    EXPECT_EQ(p.server.outgoing.pending(), 0u) << "a server speaks second";

    ASSERT_TRUE(do_handshake_until_error(p).done());
    char buf[8];
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(p.server.object.read(buf, sizeof buf, ec), 0u);
        EXPECT_EQ(ec, tls::SSLErrc::want_read);
        EXPECT_TRUE(p.server.object.last_error().message.empty());
    }
    p.server.object.unwrap(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    EXPECT_TRUE(p.server.object.last_error().message.empty());
}

TEST(ObjectIo, WritesNeverWantWriteBecauseMemoryBiosAlwaysAcceptBytes) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    const std::string block(100000, 'x');
    std::error_code ec;
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(p.client.object.write(block.data(), block.size(), ec), block.size());
        EXPECT_FALSE(ec);
    }
    EXPECT_GT(p.client.outgoing.pending(), 20 * block.size());
}

// --- callbacks set after a connection was made ---------------------------------------------------

TEST(ObjectIo, SniCallbackSetAfterWrappingStillRunsAndItsExceptionReachesTheServer) {
    tls::Context server = server_context();
    Pair p = make_pair(client_context(), server);
    std::string seen;
    server.set_sni_callback(
        [&](tls::ServerNameRequest& request) -> std::optional<tls::AlertDescription> {
            seen = request.server_name().value_or("(none)");
            throw std::runtime_error("from the SNI callback");
        });
    std::error_code ec;
    p.client.object.do_handshake(ec);
    ASSERT_EQ(ec, tls::SSLErrc::want_read);
    deliver(p.client, p.server, whole);
    EXPECT_THROW(p.server.object.do_handshake(), std::runtime_error);
    EXPECT_EQ(seen, "localhost");
}

// --- errors other code left on the thread's OpenSSL error queue --------------------------------
// tlsctx does not clear the queue before each call (that costs ~1 % of bulk throughput); these
// pin down that what other code left there never changes what a call reports.

void leave_stale_error() {
    ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
    ASSERT_NE(ERR_peek_error(), 0u);
}

TEST(ObjectIo, TlsctxLeavesTheErrorQueueEmptyAfterEveryOutcome) {
    ERR_clear_error();
    for (tls::TLSVersion version : {tls::TLSVersion::TLSv1_2, tls::TLSVersion::TLSv1_3}) {
        tls::Context client = client_context();
        client.set_maximum_version(version);
        Pair p = make_pair(client, server_context());
        ASSERT_TRUE(do_handshake_until_error(p).done());
        EXPECT_EQ(ERR_peek_error(), 0u) << "after the handshakes";
        EXPECT_EQ(send(p.client, p.server, "ping"), "ping");
        EXPECT_EQ(send(p.server, p.client, "pong"), "pong");
        std::error_code ec;
        p.client.object.unwrap(ec);
        deliver(p.client, p.server, whole);
        p.server.object.unwrap(ec);
        deliver(p.server, p.client, whole);
        p.client.object.unwrap(ec);
        EXPECT_FALSE(ec);
        EXPECT_EQ(ERR_peek_error(), 0u) << "after data and a clean close";
    }
    Pair bad = make_pair(client_context(), mutual_server_context());
    HandshakeResult r = do_handshake_until_error(bad);
    EXPECT_FALSE(r.done()) << "no client certificate";
    EXPECT_EQ(ERR_peek_error(), 0u) << "after a failed handshake";
    EXPECT_THROW(client_context().load_verify_cadata("garbage"), tls::SSLError);
    EXPECT_EQ(ERR_peek_error(), 0u) << "after a failed load";
}

TEST(ObjectIo, StaleQueueEntriesDoNotTurnWantReadIntoAnErrorAndAreDropped) {
    Pair p = make_pair(client_context(), server_context());
    std::error_code ec;
    leave_stale_error();
    p.client.object.do_handshake(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    char buf[8];
    leave_stale_error();
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::want_read) << p.client.object.last_error().message;
    EXPECT_EQ(ERR_peek_error(), 0u) << "a would-block drops what other code left";
    leave_stale_error();
    p.server.object.unwrap(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read) << p.server.object.last_error().message;
    ERR_clear_error();
}

TEST(ObjectIo, StaleQueueEntriesDoNotDisturbDataOrACleanClose) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    leave_stale_error();
    EXPECT_EQ(p.server.object.write("data"), 4u);
    deliver(p.server, p.client, whole);
    EXPECT_EQ(p.client.object.read(), "data");

    std::error_code ec;
    p.server.object.unwrap(ec);
    ASSERT_EQ(ec, tls::SSLErrc::want_read);
    deliver(p.server, p.client, whole);
    leave_stale_error();
    char buf[8];
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_FALSE(ec) << "close_notify is a clean end of stream: "
                     << p.client.object.last_error().message;
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(ObjectIo, WithStaleQueueEntriesARealFailureStillReportsItsOwnReason) {
    Pair p = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(p).done());
    deliver(p.server, p.client, whole);
    // A record whose last byte (part of the AEAD tag) was flipped in transit.
    EXPECT_EQ(p.client.object.write("tampered"), 8u);
    std::string record = p.client.outgoing.read();
    record.back() = static_cast<char>(record.back() ^ 1);
    p.server.incoming.write(record);
    leave_stale_error();
    std::error_code ec;
    char buf[16];
    EXPECT_EQ(p.server.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::ssl);
    EXPECT_EQ(p.server.object.last_error().reason, "DECRYPTION_FAILED_OR_BAD_RECORD_MAC")
        << p.server.object.last_error().message;

    // The server's fatal alert reaches the client, which must not take it for a close_notify.
    deliver(p.server, p.client, whole);
    leave_stale_error();
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::ssl);
    EXPECT_EQ(p.client.object.last_error().reason, "SSLV3_ALERT_BAD_RECORD_MAC")
        << p.client.object.last_error().message;

    Pair q = make_pair(client_context(), server_context());
    ASSERT_TRUE(do_handshake_until_error(q).done());
    deliver(q.server, q.client, whole);
    q.client.incoming.write_eof();
    leave_stale_error();
    EXPECT_EQ(q.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::eof);
    ERR_clear_error();
}

// --- moves -------------------------------------------------------------------------------------

TEST(ObjectIo, MovedFromObjectIsEmptyAndRefusesUse) {
    Pair p = make_pair(client_context(), server_context());
    tls::Object moved = std::move(p.client.object);
    EXPECT_EQ(p.client.object.native_handle(), nullptr);
    EXPECT_FALSE(p.client.object.handshake_done());
    EXPECT_EQ(p.client.object.pending(), 0u);
    EXPECT_EQ(p.client.object.version(), std::nullopt);

    std::error_code ec;
    p.client.object.do_handshake(ec);
    EXPECT_TRUE(ec);
    EXPECT_FALSE(is_want(ec));
    char buf[4];
    EXPECT_EQ(p.client.object.read(buf, sizeof buf, ec), 0u);
    EXPECT_TRUE(ec);
    EXPECT_EQ(p.client.object.write("x", 1, ec), 0u);
    EXPECT_TRUE(ec);
    p.client.object.unwrap(ec);
    EXPECT_TRUE(ec);
    EXPECT_THROW(p.client.object.do_handshake(), std::logic_error);
    EXPECT_THROW((void)p.client.object.read(), std::logic_error);
    EXPECT_THROW(p.client.object.write("x"), std::logic_error);
    EXPECT_THROW(p.client.object.unwrap(), std::logic_error);
    EXPECT_THROW((void)p.client.object.getpeercert(), std::logic_error);

    // The moved-to object carries on with the same buffers, and the empty one can be assigned.
    p.client.object = std::move(moved);
    ASSERT_TRUE(do_handshake_until_error(p).done());
    EXPECT_EQ(send(p.client, p.server, "still here"), "still here");
}

}  // namespace
