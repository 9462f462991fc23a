// tls::asio::stream's refusals as typed errors (a certificate for another host, an expired one,
// one from an unknown CA: SSLErrc::cert_verification with the verify code, or
// SSLCertVerificationError from the throwing overload), and the blocking API (handshake,
// read_some, write_some, shutdown; throwing and error_code overloads) against openssl s_server.
// The blocking calls run under a Watchdog, which breaks the connection if one of them hangs.
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <array>
#include <future>
#include <string>

#include "asio_support.hpp"
#include "support/s_server_helpers.hpp"

namespace {

using namespace tls::test::asio_support;
using tls::test::CertFiles;
using tls::test::kPeerTimeout;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::serving;
using tls::test::more::contains;

struct RefusalRow {
    const char* what;
    CertFiles cert;
    long verify_code;
};

std::vector<RefusalRow> refusals() {
    return {
        {"wrong host", pki().wrong_host(), X509_V_ERR_HOSTNAME_MISMATCH},
        {"expired", pki().expired(), X509_V_ERR_CERT_HAS_EXPIRED},
        {"untrusted", pki().untrusted_localhost(), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
    };
}

OpensslServerOptions presenting(const CertFiles& cert) {
    OpensslServerOptions o;
    o.cert = cert.cert;
    o.key = cert.key;
    if (cert.chain != cert.cert) {
        o.cert_chain = pki().intermediate_cert();
    }
    o.mode = OpensslServerOptions::Mode::rev;
    return o;
}

TEST(AsioRefusal, AsyncHandshakeFailsWithCertVerificationAndTheVerifyCode) {
    for (const RefusalRow& row : refusals()) {
        SCOPED_TRACE(row.what);
        OpensslServer server(presenting(row.cert));
        ::asio::io_context io;
        auto s = client_stream(io, server.port(), client_context());
        const std::error_code ec = handshake(io, *s, Stream::client, "localhost");
        EXPECT_EQ(ec, tls::SSLErrc::cert_verification) << ec.message();
        EXPECT_EQ(ec.category(), tls::ssl_category());
        EXPECT_EQ(s->last_error().code, tls::SSLErrc::cert_verification);
        EXPECT_EQ(s->last_error().verify_code, row.verify_code) << s->last_error().message;
        EXPECT_FALSE(s->last_error().verify_message.empty());
        // The server saw the client's alert, not data.
        const tls::test::ProcessResult r = server.finish();
        EXPECT_FALSE(contains(r.out, "CONNECTION ESTABLISHED") && contains(r.out, "olleh"));
    }
}

TEST(AsioRefusal, ThrowingHandshakeThrowsSSLCertVerificationError) {
    for (const RefusalRow& row : refusals()) {
        SCOPED_TRACE(row.what);
        OpensslServer server(presenting(row.cert));
        ::asio::io_context io;
        Stream s(connect_tcp(io, server.port()), client_context());
        Watchdog dog(s.lowest_layer().native_handle(), kPeerTimeout);
        try {
            s.handshake(Stream::client, "localhost");
            ADD_FAILURE() << "the handshake succeeded";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), row.verify_code) << e.what();
            EXPECT_EQ(e.code(), tls::SSLErrc::cert_verification);
        } catch (const std::exception& e) {
            ADD_FAILURE() << "unexpected exception: " << e.what();
        }
        EXPECT_FALSE(dog.fired());
    }
}

TEST(AsioRefusal, ErrorCodeHandshakeReportsCertVerification) {
    OpensslServer server(presenting(pki().wrong_host()));
    ::asio::io_context io;
    Stream s(connect_tcp(io, server.port()), client_context());
    Watchdog dog(s.lowest_layer().native_handle(), kPeerTimeout);
    std::error_code ec;
    s.handshake(Stream::client, "localhost", ec);
    EXPECT_EQ(ec, tls::SSLErrc::cert_verification) << ec.message();
    EXPECT_EQ(s.last_error().verify_code, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST(AsioRefusal, HandshakeWithoutAHostNameOnAHostCheckingContextThrowsInvalidArgument) {
    ::asio::io_context io;
    auto [c, peer] = tcp_pair(io);
    Stream s(std::move(c), client_context());
    EXPECT_THROW(s.handshake(Stream::client), std::invalid_argument);
    EXPECT_THROW(s.async_handshake(Stream::client, [](std::error_code) {}), std::invalid_argument);
}

TEST(AsioRefusal, ConnectionQueriesBeforeTheHandshakeThrowLogicError) {
    ::asio::io_context io;
    auto [c, peer] = tcp_pair(io);
    Stream s(std::move(c), client_context());
    EXPECT_THROW((void)s.getpeercert(), std::logic_error);
}

// --- the blocking API against openssl s_server --------------------------------------------------

std::string read_line_sync(Stream& s) {
    std::string line;
    std::array<char, 256> buf{};
    while (line.find('\n') == std::string::npos) {
        const std::size_t n = s.read_some(::asio::buffer(buf));
        line.append(buf.data(), n);
    }
    return line;
}

TEST(AsioSyncStream, ThrowingOverloadsHandshakeWriteReadAndShutdownWithOpensslServer) {
    for (const char* flag : {"-tls1_2", "-tls1_3"}) {
        SCOPED_TRACE(flag);
        OpensslServerOptions o = presenting(pki().localhost());
        o.version_flag = flag;
        OpensslServer server(o);
        ::asio::io_context io;
        Stream s(connect_tcp(io, server.port()), client_context());
        Watchdog dog(s.lowest_layer().native_handle(), kPeerTimeout);
        s.set_server_hostname("localhost");
        s.handshake(Stream::client);
        EXPECT_EQ(s.version(), std::string(flag) == "-tls1_2" ? "TLSv1.2" : "TLSv1.3");
        const std::string line = "synchronous\n";
        EXPECT_EQ(s.write_some(::asio::buffer(line)), line.size());
        EXPECT_EQ(read_line_sync(s), "suonorhcnys\n");
        // asio::write/read over the stream's blocking members work too.
        ::asio::write(s, ::asio::buffer(std::string("CLOSE\n")));
        std::array<char, 64> buf{};
        std::error_code ec;
        const std::size_t n = s.read_some(::asio::buffer(buf), ec);
        EXPECT_EQ(ec, ::asio::error::eof) << ec.message();
        EXPECT_EQ(n, 0U);
        // The throwing read reports the same end as std::system_error with asio's eof.
        try {
            (void)s.read_some(::asio::buffer(buf));
            ADD_FAILURE() << "read after close_notify returned";
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), ::asio::error::eof) << e.what();
        }
        // Ours in return; the peer's already arrived, so this completes at once.
        s.shutdown();
        EXPECT_FALSE(dog.fired());
        EXPECT_EQ(server.finish().exit_code, 0) << server.process().describe();
    }
}

TEST(AsioSyncStream, ErrorCodeOverloadsHandshakeWriteReadAndShutdownWithOpensslServer) {
    OpensslServer server(presenting(pki().localhost()));
    ::asio::io_context io;
    Stream s(connect_tcp(io, server.port()), client_context());
    Watchdog dog(s.lowest_layer().native_handle(), kPeerTimeout);
    std::error_code ec;
    s.handshake(Stream::client, "localhost", ec);
    ASSERT_FALSE(ec) << ec.message() << " " << s.last_error().message;
    const std::string line = "with error codes\n";
    EXPECT_EQ(s.write_some(::asio::buffer(line), ec), line.size());
    ASSERT_FALSE(ec) << ec.message();
    std::string got;
    std::array<char, 256> buf{};
    while (!ec && got.find('\n') == std::string::npos) {
        got.append(buf.data(), s.read_some(::asio::buffer(buf), ec));
    }
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(got, "sedoc rorre htiw\n");
    ::asio::write(s, ::asio::buffer(std::string("CLOSE\n")), ec);
    ASSERT_FALSE(ec);
    (void)s.read_some(::asio::buffer(buf), ec);
    EXPECT_EQ(ec, ::asio::error::eof) << ec.message();
    s.shutdown(ec);
    EXPECT_FALSE(ec) << ec.message() << " " << s.last_error().message;
    EXPECT_FALSE(dog.fired());
}

TEST(AsioSyncStream, ShutdownWaitsForThePeersCloseNotify) {
    // A tlsctx server stream on a thread answers our close_notify with its own; the client's
    // blocking shutdown() returns once that arrived.
    ::asio::io_context io;
    auto [c, srv] = tcp_pair(io);
    Stream client(std::move(c), client_context());
    Stream server(std::move(srv), server_context());
    Watchdog dog_c(client.lowest_layer().native_handle(), kPeerTimeout);
    Watchdog dog_s(server.lowest_layer().native_handle(), kPeerTimeout);
    auto served = std::async(std::launch::async, [&server] {
        std::error_code ec;
        server.handshake(Stream::server, ec);
        std::array<char, 16> buf{};
        if (!ec) {
            (void)server.read_some(::asio::buffer(buf), ec);  // ends with the client's close
        }
        std::error_code shut;
        if (ec == ::asio::error::eof) {
            server.shutdown(shut);
        }
        return std::make_pair(ec, shut);
    });
    client.handshake(Stream::client, "localhost");
    client.shutdown();
    const auto [read_end, shut] = served.get();
    EXPECT_EQ(read_end, ::asio::error::eof) << read_end.message();
    EXPECT_FALSE(shut) << shut.message();
    EXPECT_FALSE(dog_c.fired() || dog_s.fired());
}

// --- use_future ---------------------------------------------------------------------------------

TEST(AsioFutureStream, UseFutureHandshakeWriteAndReadWithOpensslServer) {
    OpensslServer server(presenting(pki().localhost()));
    ::asio::io_context io;
    Stream s(connect_tcp(io, server.port()), client_context());
    IoThread runner(io);
    std::future<void> hs = s.async_handshake(Stream::client, "localhost", ::asio::use_future);
    ASSERT_EQ(hs.wait_for(kPeerTimeout), std::future_status::ready);
    EXPECT_NO_THROW(hs.get());
    const std::string line = "future\n";
    std::future<std::size_t> wrote =
        ::asio::async_write(s, ::asio::buffer(line), ::asio::use_future);
    ASSERT_EQ(wrote.wait_for(kPeerTimeout), std::future_status::ready);
    EXPECT_EQ(wrote.get(), line.size());
    std::string got;
    std::future<std::size_t> read =
        ::asio::async_read_until(s, ::asio::dynamic_buffer(got), "\n", ::asio::use_future);
    ASSERT_EQ(read.wait_for(kPeerTimeout), std::future_status::ready);
    EXPECT_EQ(read.get(), 7U);
    EXPECT_EQ(got, "erutuf\n");
    // s_server -rev answers our close_notify with its own.
    std::future<void> shut = s.async_shutdown(::asio::use_future);
    ASSERT_EQ(shut.wait_for(kPeerTimeout), std::future_status::ready);
    EXPECT_NO_THROW(shut.get());
}

TEST(AsioFutureStream, UseFutureHandshakeThrowsSSLCertVerificationError) {
    OpensslServer server(presenting(pki().expired()));
    ::asio::io_context io;
    Stream s(connect_tcp(io, server.port()), client_context());
    IoThread runner(io);
    std::future<void> hs = s.async_handshake(Stream::client, "localhost", ::asio::use_future);
    ASSERT_EQ(hs.wait_for(kPeerTimeout), std::future_status::ready);
    try {
        hs.get();
        ADD_FAILURE() << "the handshake succeeded";
    } catch (const std::system_error& e) {
        // use_future turns the handler's error_code into std::system_error with that code.
        EXPECT_EQ(e.code(), tls::SSLErrc::cert_verification) << e.what();
    }
}

}  // namespace
