// tls::asio::stream as a server against real clients: openssl s_client (TLS 1.2 and 1.3, ALPN,
// client certificates), curl (HTTPS) and Python's ssl client. The clients run on a thread
// (they block until they end, under their own time limits); the test's thread runs the
// io_context with the server stream.
#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

#include "asio_support.hpp"

namespace {

using namespace tls::test::asio_support;
using tls::test::kPeerTimeout;
using tls::test::OpensslClientOptions;
using tls::test::OpensslClientResult;
using tls::test::PythonClientOptions;
using tls::test::more::common_name;
using tls::test::more::contains;

/// Accepts one connection on `acceptor` (bounded) and makes it a server stream.
std::unique_ptr<Stream> accept_stream(::asio::io_context& io, tcp::acceptor& acceptor,
                                      const tls::Context& ctx) {
    auto socket = std::make_shared<tcp::socket>(io);
    auto o = std::make_shared<EcOutcome>();
    acceptor.async_accept(*socket, record(o));
    const std::error_code ec = error_of(io, o);
    if (ec) {
        ADD_FAILURE() << "accept: " << ec.message();
        return nullptr;
    }
    return std::make_unique<Stream>(std::move(*socket), ctx);
}

struct VersionRow {
    const char* flag;
    const char* version;
};
const VersionRow kVersions[] = {{"-tls1_2", "TLSv1.2"}, {"-tls1_3", "TLSv1.3"}};

TEST(AsioServerStream, ServesOpensslClientAtTls12AndTls13WithAlpn) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.version);
        ::asio::io_context io;
        tcp::acceptor acceptor = loopback_acceptor(io);
        tls::Context ctx = server_context();
        ctx.set_alpn_protocols({"http/1.1"});
        OpensslClientOptions o;
        o.port = port_of(acceptor);
        o.cafile = pki().ca_cert();
        o.version_flag = row.flag;
        o.alpn = {"h2", "http/1.1"};
        o.input = "hello from s_client\n";
        std::optional<OpensslClientResult> client;
        Background peer([&] { client = tls::test::run_openssl_client(o); });

        auto s = accept_stream(io, acceptor, ctx);
        ASSERT_TRUE(s);
        ASSERT_FALSE(handshake(io, *s, Stream::server)) << s->last_error().message;
        EXPECT_TRUE(s->server_side());
        EXPECT_EQ(s->version(), row.version);
        EXPECT_EQ(s->selected_alpn_protocol(), "http/1.1");
        EXPECT_EQ(s->server_name(), "localhost");  // s_client's SNI
        const ReadResult r = read_until(io, *s, "\n");
        ASSERT_FALSE(r.ec) << r.ec.message();
        EXPECT_EQ(r.data, "hello from s_client\n");
        ASSERT_FALSE(write_all(io, *s, "hello from asio\n"));
        // s_client answers our close_notify with its own before it exits.
        EXPECT_FALSE(shutdown(io, *s)) << s->last_error().message;
        peer.join();
        ASSERT_TRUE(client);
        EXPECT_EQ(client->protocol, row.version) << client->process.out << client->process.err;
        EXPECT_EQ(client->alpn, "http/1.1");
        EXPECT_EQ(client->verify_code, 0L);
        EXPECT_TRUE(contains(client->process.out, "hello from asio"));
    }
}

TEST(AsioServerStream, RequiresAndReadsOpensslClientsCertificate) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    OpensslClientOptions o;
    o.port = port_of(acceptor);
    o.cafile = pki().ca_cert();
    o.cert = pki().client().cert;
    o.key = pki().client().key;
    o.cert_chain = pki().intermediate_cert();
    o.input = "mutual\n";
    std::optional<OpensslClientResult> client;
    Background peer([&] { client = tls::test::run_openssl_client(o); });

    auto s = accept_stream(io, acceptor, server_context(pki().localhost(), tls::CERT_REQUIRED));
    ASSERT_TRUE(s);
    ASSERT_FALSE(handshake(io, *s, Stream::server)) << s->last_error().message;
    const std::optional<tls::CertificateInfo> peer_cert = s->getpeercert();
    ASSERT_TRUE(peer_cert.has_value());
    EXPECT_EQ(common_name(peer_cert->subject), "tlsctx test client");
    EXPECT_EQ(read_until(io, *s, "\n").data, "mutual\n");
    ASSERT_FALSE(write_all(io, *s, "ok\n"));
    EXPECT_FALSE(shutdown(io, *s)) << s->last_error().message;
    peer.join();
    ASSERT_TRUE(client);
    EXPECT_EQ(client->verify_code, 0L);
}

TEST(AsioServerStream, RefusesOpensslClientWithoutACertificateWhenOneIsRequired) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    OpensslClientOptions o;
    o.port = port_of(acceptor);
    o.cafile = pki().ca_cert();
    o.input = "no cert\n";
    std::optional<OpensslClientResult> client;
    Background peer([&] { client = tls::test::run_openssl_client(o); });

    auto s = accept_stream(io, acceptor, server_context(pki().localhost(), tls::CERT_REQUIRED));
    ASSERT_TRUE(s);
    const std::error_code ec = handshake(io, *s, Stream::server);
    EXPECT_EQ(ec, tls::SSLErrc::ssl) << ec.message();
    EXPECT_TRUE(contains(s->last_error().reason, "PEER_DID_NOT_RETURN_A_CERTIFICATE"))
        << s->last_error().message;
    peer.join();
    ASSERT_TRUE(client);
    EXPECT_FALSE(contains(client->process.out, "no cert\n"));
}

TEST(AsioServerStream, AnswersCurlOverHttps) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    tls::Context ctx = server_context();
    ctx.set_alpn_protocols({"http/1.1"});
    const std::string port = std::to_string(port_of(acceptor));
    std::optional<tls::test::ProcessResult> curl;
    Background peer([&] {
        curl = tls::test::run_process({"curl", "--silent", "--show-error", "--verbose",
                                       "--max-time", "10", "--cacert", pki().ca_cert(), "--resolve",
                                       "localhost:" + port + ":127.0.0.1", "--write-out",
                                       "\n@@ verify=%{ssl_verify_result} code=%{http_code}\n",
                                       "https://localhost:" + port + "/asio"});
    });

    auto s = accept_stream(io, acceptor, ctx);
    ASSERT_TRUE(s);
    ASSERT_FALSE(handshake(io, *s, Stream::server)) << s->last_error().message;
    EXPECT_EQ(s->selected_alpn_protocol(), "http/1.1");
    const ReadResult request = read_until(io, *s, "\r\n\r\n");
    ASSERT_FALSE(request.ec) << request.ec.message();
    EXPECT_TRUE(contains(request.data, "GET /asio HTTP/1.1\r\n")) << request.data;
    const std::string body = "served by tls::asio::stream\n";
    ASSERT_FALSE(write_all(io, *s,
                           "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                               body));
    // curl may close without answering close_notify; the outcome of our shutdown is not
    // curl's verdict, which is what this test checks.
    (void)shutdown(io, *s);
    peer.join();
    ASSERT_TRUE(curl);
    EXPECT_EQ(curl->exit_code, 0) << curl->err;
    EXPECT_TRUE(contains(curl->out, body + "\n@@ verify=0 code=200")) << curl->out;
    EXPECT_TRUE(contains(curl->err, "SSL certificate verify ok.")) << curl->err;
}

TEST(AsioServerStream, ServesPythonSslClientAndExchangesCloseNotify) {
    for (const char* version : {"1.2", "1.3"}) {
        SCOPED_TRACE(version);
        ::asio::io_context io;
        tcp::acceptor acceptor = loopback_acceptor(io);
        PythonClientOptions o;
        o.port = port_of(acceptor);
        o.cafile = pki().ca_cert();
        o.certfile = pki().client().chain;
        o.keyfile = pki().client().key;
        o.min_version = version;
        o.max_version = version;
        o.alpn = {"h2"};
        std::optional<nlohmann::json> client;
        Background peer([&] { client = tls::test::run_python_client(o); });

        tls::Context ctx = server_context(pki().localhost(), tls::CERT_REQUIRED);
        ctx.set_alpn_protocols({"h2"});
        auto s = accept_stream(io, acceptor, ctx);
        ASSERT_TRUE(s);
        ASSERT_FALSE(handshake(io, *s, Stream::server)) << s->last_error().message;
        EXPECT_EQ(s->version(), std::string("TLSv") + version);
        ASSERT_TRUE(s->getpeercert().has_value());
        EXPECT_EQ(common_name(s->getpeercert()->subject), "tlsctx test client");
        EXPECT_EQ(read_until(io, *s, "\n").data, "ping\n");
        ASSERT_FALSE(write_all(io, *s, "pong\n"));
        EXPECT_FALSE(shutdown(io, *s)) << s->last_error().message;  // Python unwraps in reply
        peer.join();
        ASSERT_TRUE(client);
        EXPECT_EQ(client->value("handshake", ""), "ok") << client->dump();
        EXPECT_EQ(client->value("alpn", ""), "h2");
        EXPECT_EQ(client->value("received", ""), "pong\n");
        EXPECT_EQ(client->value("read_end", ""), "close_notify") << client->dump();
        EXPECT_EQ(client->value("shutdown", ""), "clean") << client->dump();
    }
}

// --- the buffered handshake: bytes read before the stream existed (Beast's detect_ssl)
// ------------

/// Reads at least `n` bytes of the connection raw, as a protocol detector does (bounded).
std::string read_raw(::asio::io_context& io, tcp::socket& socket, std::size_t n) {
    auto buf = std::make_shared<std::string>(n, '\0');
    auto o = std::make_shared<IoOutcome>();
    ::asio::async_read(socket, ::asio::buffer(*buf), record(o));
    if (!run_until(io, [&] { return o->done(); }) || std::get<0>(*o->result)) {
        ADD_FAILURE() << "no bytes from the client";
        return {};
    }
    return *buf;
}

TEST(AsioServerStream, BufferedAsyncHandshakeTakesTheBytesADetectorAlreadyRead) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    OpensslClientOptions o;
    o.port = port_of(acceptor);
    o.cafile = pki().ca_cert();
    o.input = "detected\n";
    std::optional<OpensslClientResult> client;
    Background peer([&] { client = tls::test::run_openssl_client(o); });

    auto socket = std::make_shared<tcp::socket>(io);
    auto accepted = std::make_shared<EcOutcome>();
    acceptor.async_accept(*socket, record(accepted));
    ASSERT_FALSE(error_of(io, accepted));
    // The record header and a little more: a handshake record (22) of TLS.
    const std::string head = read_raw(io, *socket, 11);
    ASSERT_EQ(head.size(), 11U);
    ASSERT_EQ(head[0], 22);
    ASSERT_EQ(head[5], 1);  // ClientHello
    Stream s(std::move(*socket), server_context());
    auto hs = std::make_shared<IoOutcome>();
    s.async_handshake(Stream::server, ::asio::buffer(head), record(hs));
    ASSERT_TRUE(run_until(io, [&] { return hs->done(); }));
    ASSERT_FALSE(std::get<0>(*hs->result)) << s.last_error().message;
    EXPECT_EQ(std::get<1>(*hs->result), head.size());
    EXPECT_EQ(read_until(io, s, "\n").data, "detected\n");
    ASSERT_FALSE(write_all(io, s, "seen\n"));
    EXPECT_FALSE(shutdown(io, s)) << s.last_error().message;
    peer.join();
    ASSERT_TRUE(client);
    EXPECT_EQ(client->verify_code, 0L);
    EXPECT_TRUE(contains(client->process.out, "seen"));
}

TEST(AsioServerStream, BufferedSyncHandshakeWithPythonClient) {
    ::asio::io_context io;
    tcp::acceptor acceptor = loopback_acceptor(io);
    PythonClientOptions o;
    o.port = port_of(acceptor);
    o.cafile = pki().ca_cert();
    std::optional<nlohmann::json> client;
    Background peer([&] { client = tls::test::run_python_client(o); });

    tcp::socket socket(io);
    auto accepted = std::make_shared<EcOutcome>();
    acceptor.async_accept(socket, record(accepted));
    ASSERT_FALSE(error_of(io, accepted));
    Watchdog dog(socket.native_handle(), kPeerTimeout);
    std::array<char, 3> head{};
    ::asio::read(socket, ::asio::buffer(head));
    ASSERT_EQ(head[0], 22);
    Stream s(std::move(socket), server_context());
    EXPECT_EQ(s.handshake(Stream::server, ::asio::buffer(head)), head.size());
    EXPECT_EQ(s.version(), "TLSv1.3");
    std::string line;
    std::array<char, 64> buf{};
    while (line.find('\n') == std::string::npos) {
        line.append(buf.data(), s.read_some(::asio::buffer(buf)));
    }
    EXPECT_EQ(line, "ping\n");
    ::asio::write(s, ::asio::buffer(std::string("pong\n")));
    s.shutdown();
    EXPECT_FALSE(dog.fired());
    peer.join();
    ASSERT_TRUE(client);
    EXPECT_EQ(client->value("received", ""), "pong\n") << client->dump();
    EXPECT_EQ(client->value("shutdown", ""), "clean") << client->dump();
}

}  // namespace
