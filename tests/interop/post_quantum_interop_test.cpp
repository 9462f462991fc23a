// Post-quantum key exchange and certificate compression against the openssl command: tlsctx
// client -> `openssl s_server`, `openssl s_client` -> tlsctx server, and Debian's OpenSSL 3.0
// s_client (/usr/bin/openssl) as the classical client that must fall back to X25519.
//
// Linked with OpenSSL 3.5 the tests expect 3.5's openssl first in PATH (scripts/test.sh and
// docs/testing.md say how) and check the real thing: X25519MLKEM768 by default, the requirement
// refusing classical peers, compressed certificates both ways. Linked with 3.0 they check the
// other side: the defaults offer no post-quantum group, the new setters throw
// NotImplementedError, certificates travel uncompressed. Each test branches on the HAS_ flags.
#include <gtest/gtest.h>

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/negotiated_group.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::negotiated_group;
using tls::test::OpensslClientOptions;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::connect_loopback;
using tls::test::feature::server_context;

// Debian 12's own openssl command: OpenSSL 3.0, which has no ML-KEM.
constexpr const char* kDebianOpenssl = "/usr/bin/openssl";
constexpr int kCertificate = 11;
constexpr int kCompressedCertificate = 25;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// "OpenSSL 3.5.7 ..." from `<program> version`.
std::string version_of(const std::string& program) {
    return tls::test::run_process({program, "version"}).out;
}

// The openssl in PATH is 3.5 or later exactly when tlsctx is linked with ML-KEM: the peers of
// these tests must be able to do what the library can.
TEST(PostQuantumInterop, PeersInPathMatchTheLinkedOpenSSL) {
    const std::string peer = version_of("openssl");
    const bool peer_is_35 = contains(peer, "OpenSSL 3.5") || contains(peer, "OpenSSL 3.6");
    EXPECT_EQ(peer_is_35, tls::HAS_MLKEM())
        << "openssl in PATH: " << peer << "linked: " << tls::openssl_version()
        << " (put /root/.cache/tlsctx/openssl-3.5/bin first in PATH for a 3.5 build)";
    EXPECT_TRUE(contains(version_of(kDebianOpenssl), "OpenSSL 3.0")) << version_of(kDebianOpenssl);
}

OpensslServerOptions s_server(const std::vector<std::string>& extra = {}) {
    OpensslServerOptions o;
    o.cert = TestPki::get().localhost().cert;
    o.key = TestPki::get().localhost().key;
    o.cert_chain = TestPki::get().intermediate_cert();
    o.extra_args = extra;
    return o;
}

OpensslClientOptions s_client(std::uint16_t port, const std::vector<std::string>& extra = {}) {
    OpensslClientOptions o;
    o.port = port;
    o.cafile = TestPki::get().ca_cert();
    o.input = "ping\n";
    o.extra_args = extra;
    return o;
}

// A tlsctx server for one connection that records the group it negotiated.
struct GroupServer {
    tls::Listener listener;
    std::string group;
    std::optional<tls::test::ServerThread> thread;

    explicit GroupServer(const tls::Context& ctx) : listener(ctx, "127.0.0.1", 0) {
        thread.emplace(tls::test::run_server_in_thread(listener, [this](tls::Socket& s) {
            group = negotiated_group(s);
            std::string line;
            while (!contains(line, "\n")) {
                std::string chunk = s.recv();
                if (chunk.empty()) {
                    break;
                }
                line += chunk;
            }
            s.sendall("pong\n");
        }));
    }
    std::exception_ptr join() { return thread->join(); }
};

// ---------------------------------------------------------------------------------------------
// Key exchange

TEST(PostQuantumInterop, TlsctxClientAndOpensslServerAgreeOnTheDefaultGroup) {
    OpensslServer server(s_server());
    tls::Socket client = connect_loopback(client_context(), server.port(), "localhost");
    EXPECT_EQ(negotiated_group(client), tls::HAS_MLKEM() ? "x25519mlkem768" : "x25519");
    client.close();
    server.finish();
}

TEST(PostQuantumInterop, OpensslClientAndTlsctxServerAgreeOnTheDefaultGroup) {
    GroupServer server(server_context());
    const tls::test::OpensslClientResult client =
        tls::test::run_openssl_client(s_client(server.listener.port()));
    const std::exception_ptr error = server.join();
    ASSERT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(client.verify_code, 0) << client.process.out;
    EXPECT_EQ(server.group, tls::HAS_MLKEM() ? "x25519mlkem768" : "x25519");
    if (tls::HAS_MLKEM()) {
        // 3.5's s_client names the group it agreed on.
        EXPECT_TRUE(contains(client.process.out, "X25519MLKEM768")) << client.process.out;
    }
}

TEST(PostQuantumInterop, TlsctxPeersOverLoopbackAgreeOnTheDefaultGroup) {
    tls::test::TlsPair pair = tls::test::handshake_pair(client_context(), server_context(),
                                                        tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << tls::test::describe(pair.server_error);
    const std::string expected = tls::HAS_MLKEM() ? "x25519mlkem768" : "x25519";
    EXPECT_EQ(negotiated_group(pair.client), expected);
    EXPECT_EQ(negotiated_group(pair.server), expected);
}

TEST(PostQuantumInterop, RequiringServerRefusesOpensslClientOfferingOnlyX25519) {
    tls::Context ctx = server_context();
    if (!tls::HAS_MLKEM()) {
        EXPECT_THROW(ctx.set_require_post_quantum(true), tls::NotImplementedError);
        return;
    }
    ctx.set_require_post_quantum(true);
    GroupServer server(ctx);
    const tls::test::OpensslClientResult client =
        tls::test::run_openssl_client(s_client(server.listener.port(), {"-groups", "X25519"}));
    const std::exception_ptr error = server.join();
    ASSERT_TRUE(error) << client.process.out;
    try {
        std::rethrow_exception(error);
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "NO_SUITABLE_KEY_SHARE");
        EXPECT_TRUE(contains(e.what(), "offered no post-quantum key exchange group")) << e.what();
        std::cout << "[ message  ] " << e.what() << std::endl;
    }
    EXPECT_FALSE(client.protocol) << client.process.out;
    EXPECT_TRUE(contains(client.process.err, "handshake failure")) << client.process.err;
}

TEST(PostQuantumInterop, RequiringServerAcceptsOpensslClientDefaults) {
    tls::Context ctx = server_context();
    if (!tls::HAS_MLKEM()) {
        EXPECT_THROW(ctx.set_require_post_quantum(true), tls::NotImplementedError);
        return;
    }
    ctx.set_require_post_quantum(true);
    GroupServer server(ctx);
    const tls::test::OpensslClientResult client =
        tls::test::run_openssl_client(s_client(server.listener.port()));
    const std::exception_ptr error = server.join();
    ASSERT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(server.group, "x25519mlkem768");
    EXPECT_TRUE(contains(client.process.out, "pong")) << client.process.out;
}

TEST(PostQuantumInterop, RequiringClientRefusesClassicalOpensslServer) {
    tls::Context ctx = client_context();
    if (!tls::HAS_MLKEM()) {
        EXPECT_THROW(ctx.set_require_post_quantum(true), tls::NotImplementedError);
        return;
    }
    ctx.set_require_post_quantum(true);
    OpensslServer server(s_server({"-groups", "X25519:P-256"}));
    try {
        tls::Socket client = connect_loopback(ctx, server.port(), "localhost");
        ADD_FAILURE() << "the handshake succeeded with group " << negotiated_group(client);
    } catch (const tls::SSLError& e) {
        EXPECT_TRUE(contains(e.what(), "post-quantum")) << e.what();
    }
    server.finish();
}

// Debian's OpenSSL 3.0 client knows no ML-KEM: a tlsctx server falls back to X25519 with it
// (through a HelloRetryRequest-free match on its X25519 key share).
TEST(PostQuantumInterop, OpenSSL30ClientFallsBackToX25519) {
    GroupServer server(server_context());
    const std::vector<std::string> argv{kDebianOpenssl,
                                        "s_client",
                                        "-connect",
                                        "127.0.0.1:" + std::to_string(server.listener.port()),
                                        "-servername",
                                        "localhost",
                                        "-CAfile",
                                        TestPki::get().ca_cert(),
                                        "-verify_return_error",
                                        "-ign_eof"};
    const tls::test::ProcessResult client = tls::test::run_process(argv, "ping\n");
    const std::exception_ptr error = server.join();
    ASSERT_FALSE(error) << tls::test::describe(error) << client.err;
    EXPECT_EQ(server.group, "x25519");
    EXPECT_TRUE(contains(client.out, "Server Temp Key: X25519")) << client.out;
    EXPECT_TRUE(contains(client.out, "pong")) << client.out;
}

// ---------------------------------------------------------------------------------------------
// Certificate compression (RFC 8879)

// Watches one context's handshake messages for the certificate's type.
struct CertificateWatch {
    int sent = 0;
    int received = 0;
    void attach(tls::Context& ctx) {
        ctx.set_msg_callback([this](const tls::TlsMessage& m) {
            if (m.content_type == 22 && m.size > 0 &&
                (m.data[0] == kCertificate || m.data[0] == kCompressedCertificate)) {
                (m.outgoing ? sent : received) = m.data[0];
            }
        });
    }
};

TEST(CertCompressionInterop, TlsctxClientReceivesCompressedChainFromOpensslServer) {
    tls::Context ctx = client_context();
    CertificateWatch watch;
    watch.attach(ctx);
    // -cert_comp makes s_server compress its chain up front (3.2+); 3.0 has no such option.
    OpensslServer server(s_server(tls::HAS_CERT_COMPRESSION()
                                      ? std::vector<std::string>{"-cert_comp"}
                                      : std::vector<std::string>{}));
    tls::Socket client = connect_loopback(ctx, server.port(), "localhost");
    EXPECT_EQ(watch.received, tls::HAS_CERT_COMPRESSION() ? kCompressedCertificate : kCertificate);
    EXPECT_TRUE(client.getpeercert().has_value());
    client.close();
    server.finish();
}

TEST(CertCompressionInterop, OpensslClientReceivesCompressedChainFromTlsctxServer) {
    tls::Context ctx = server_context();
    CertificateWatch watch;
    watch.attach(ctx);
    GroupServer server(ctx);
    const tls::test::OpensslClientResult client =
        tls::test::run_openssl_client(s_client(server.listener.port()));
    const std::exception_ptr error = server.join();
    ASSERT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(client.verify_code, 0) << client.process.out;
    EXPECT_TRUE(contains(client.process.out, "pong")) << client.process.out;
    EXPECT_EQ(watch.sent, tls::HAS_CERT_COMPRESSION() ? kCompressedCertificate : kCertificate);
}

TEST(CertCompressionInterop, EachAlgorithmReachesOpensslClient) {
    if (!tls::HAS_CERT_COMPRESSION()) {
        EXPECT_THROW(server_context().set_certificate_compression({tls::CertCompression::zlib}),
                     tls::NotImplementedError);
        return;
    }
    for (tls::CertCompression algorithm : tls::Context().certificate_compression()) {
        SCOPED_TRACE(static_cast<int>(algorithm));
        tls::Context ctx = server_context();
        ctx.set_certificate_compression({algorithm});
        CertificateWatch watch;
        watch.attach(ctx);
        GroupServer server(ctx);
        const tls::test::OpensslClientResult client =
            tls::test::run_openssl_client(s_client(server.listener.port()));
        const std::exception_ptr error = server.join();
        ASSERT_FALSE(error) << tls::test::describe(error);
        EXPECT_EQ(client.verify_code, 0) << client.process.out;
        EXPECT_EQ(watch.sent, kCompressedCertificate);
    }
}

TEST(CertCompressionInterop, OpenSSL30ClientGetsThePlainChain) {
    tls::Context ctx = server_context();
    CertificateWatch watch;
    watch.attach(ctx);
    GroupServer server(ctx);
    const tls::test::ProcessResult client = tls::test::run_process(
        {kDebianOpenssl, "s_client", "-connect",
         "127.0.0.1:" + std::to_string(server.listener.port()), "-servername", "localhost",
         "-CAfile", TestPki::get().ca_cert(), "-verify_return_error", "-ign_eof"},
        "ping\n");
    const std::exception_ptr error = server.join();
    ASSERT_FALSE(error) << tls::test::describe(error) << client.err;
    // 3.0 does not ask for compression, so even a compressing server sends the plain chain.
    EXPECT_EQ(watch.sent, kCertificate);
    EXPECT_TRUE(contains(client.out, "pong")) << client.out;
}

}  // namespace
