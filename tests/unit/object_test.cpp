// tls::Object over MemoryBIOs, pumped in memory: no sockets, no threads.
#include <gtest/gtest.h>
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

}  // namespace
