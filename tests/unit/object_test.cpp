// tls::Object over MemoryBIOs, pumped in memory: no sockets, no threads.
#include <gtest/gtest.h>

#include <cstring>
#include <tls/pki.hpp>
#include <tls/tls.hpp>

#include <string>

#include "support/memory_pair.hpp"

namespace {

using Names = std::vector<std::string>;

struct Pki {
    tls::pki::CertificateAuthority ca;
    tls::pki::IssuedCert leaf = ca.issue_cert(Names{"localhost"});
};

const Pki& pki() {
    static const Pki p;
    return p;
}

tls::Context server_context() {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain_pem(pki().leaf.cert_chain_pem(), pki().leaf.private_key_pem());
    return ctx;
}

tls::Context client_context() {
    tls::Context ctx;
    ctx.load_verify_cadata(pki().ca.cert_pem());
    return ctx;
}

using tls::test::memory::Endpoint;
using tls::test::memory::handshake;
using tls::test::memory::pump;

TEST(Object, ClientAndServerObjectsCompleteAVerifiedHandshakeInMemory) {
    Endpoint client, server;
    client.object = client_context().wrap_bio(client.incoming, client.outgoing,
                                              tls::WrapOptions::client("localhost"));
    server.object =
        server_context().wrap_bio(server.incoming, server.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(handshake(client, server));
    EXPECT_EQ(client.object.version(), "TLSv1.3");
    EXPECT_EQ(server.object.version(), "TLSv1.3");
    ASSERT_TRUE(client.object.getpeercert().has_value());
    EXPECT_FALSE(client.object.getpeercert()->empty());

    EXPECT_EQ(client.object.write("ping"), 4u);
    pump(client, server);
    EXPECT_EQ(server.object.read(), "ping");
}

TEST(Object, ReadWithNoInputReportsWantReadWithoutThrowingOnTheErrorCodePath) {
    Endpoint client;
    client.object = client_context().wrap_bio(client.incoming, client.outgoing,
                                              tls::WrapOptions::client("localhost"));
    std::error_code ec;
    client.object.do_handshake(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    EXPECT_GT(client.outgoing.pending(), 0u) << "the ClientHello is waiting to be sent";
    EXPECT_THROW(client.object.do_handshake(), tls::SSLWantReadError);
}

TEST(Object, WrongHostNameFailsTheHandshakeWithTheVerificationCode) {
    Endpoint client, server;
    client.object = client_context().wrap_bio(client.incoming, client.outgoing,
                                              tls::WrapOptions::client("wrong.example"));
    server.object =
        server_context().wrap_bio(server.incoming, server.outgoing, tls::WrapOptions::server());
    std::error_code ec = handshake(client, server);
    EXPECT_EQ(ec, tls::SSLErrc::cert_verification);
    EXPECT_EQ(client.object.last_error().verify_code, 62);  // X509_V_ERR_HOSTNAME_MISMATCH
    EXPECT_THROW(tls::throw_error(client.object.last_error()), tls::SSLCertVerificationError);
}

TEST(Object, EofWithoutCloseNotifyIsAnEofErrorNotACleanClose) {
    Endpoint client, server;
    client.object = client_context().wrap_bio(client.incoming, client.outgoing,
                                              tls::WrapOptions::client("localhost"));
    server.object =
        server_context().wrap_bio(server.incoming, server.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(handshake(client, server));
    client.incoming.write_eof();
    EXPECT_THROW((void)client.object.read(), tls::SSLEOFError);
}

TEST(Object, CloseNotifyInBothDirectionsEndsReadsCleanly) {
    Endpoint client, server;
    client.object = client_context().wrap_bio(client.incoming, client.outgoing,
                                              tls::WrapOptions::client("localhost"));
    server.object =
        server_context().wrap_bio(server.incoming, server.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(handshake(client, server));
    std::error_code ec;
    client.object.unwrap(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read) << "sent close_notify, waiting for the server's";
    pump(client, server);
    EXPECT_EQ(server.object.read(), "") << "close_notify reads as a clean end of stream";
    server.object.unwrap();
    pump(client, server);
    client.object.unwrap();
}

TEST(MemoryBIO, WriteAfterWriteEofThrowsAndEofIsReportedOnceDrained) {
    tls::MemoryBIO bio;
    bio.write("abc");
    bio.write_eof();
    EXPECT_FALSE(bio.eof());
    EXPECT_THROW(bio.write("x"), tls::SSLError);
    EXPECT_EQ(bio.read(2), "ab");
    EXPECT_EQ(bio.pending(), 1u);
    EXPECT_EQ(bio.read(), "c");
    EXPECT_TRUE(bio.eof());
}

TEST(MemoryBIO, PrepareAndCommitAppendWithoutACopyAndSurviveReadsInBetween) {
    tls::MemoryBIO bio;
    bio.write("head-");
    auto* room = static_cast<char*>(bio.prepare(64));
    ASSERT_NE(room, nullptr);
    EXPECT_EQ(bio.pending(), 5u) << "prepared room is not data until committed";
    EXPECT_EQ(bio.read(2), "he") << "reading in between leaves the room where it is";
    std::memcpy(room, "tail!unused", 11);
    bio.commit(5);
    EXPECT_EQ(bio.read(), "ad-tail!");
    // Many small appends and reads, past several regrowths and compactions.
    std::string expected, got;
    for (int i = 0; i < 2000; ++i) {
        std::string chunk(static_cast<std::size_t>(i % 97 + 1), static_cast<char>('a' + i % 26));
        if (i % 3 == 0) {
            auto* p = static_cast<char*>(bio.prepare(chunk.size() + 10));
            std::memcpy(p, chunk.data(), chunk.size());
            bio.commit(chunk.size());
        } else {
            bio.write(chunk);
        }
        expected += chunk;
        got += bio.read(static_cast<std::size_t>(i % 50));
    }
    got += bio.read();
    EXPECT_EQ(got, expected);
    bio.write_eof();
    EXPECT_THROW((void)bio.prepare(1), tls::SSLError);
    EXPECT_TRUE(bio.eof());
}

TEST(MemoryBIO, HandshakeThroughPreparedRoomWorksAsThroughWrite) {
    Endpoint client, server;
    client.object = client_context().wrap_bio(client.incoming, client.outgoing,
                                              tls::WrapOptions::client("localhost"));
    server.object =
        server_context().wrap_bio(server.incoming, server.outgoing, tls::WrapOptions::server());
    // Deliver every flight through prepare/commit, a byte-sized room at a time for the first.
    std::error_code cec, sec;
    for (int round = 0; round < 10; ++round) {
        client.object.do_handshake(cec);
        std::string flight = client.outgoing.read();
        for (std::size_t i = 0; i < flight.size(); ++i) {
            *static_cast<char*>(server.incoming.prepare(1)) = flight[i];
            server.incoming.commit(1);
        }
        server.object.do_handshake(sec);
        flight = server.outgoing.read();
        std::memcpy(client.incoming.prepare(flight.size() + 100), flight.data(), flight.size());
        client.incoming.commit(flight.size());
        if (!cec && !sec) {
            break;
        }
    }
    client.object.do_handshake(cec);
    EXPECT_FALSE(cec) << cec.message();
    EXPECT_FALSE(sec) << sec.message();
    EXPECT_TRUE(client.object.handshake_done());
}

}  // namespace
