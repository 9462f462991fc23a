// tlsctx against the openssl command on 127.0.0.1: a tlsctx client talking to `openssl s_server`
// and a tlsctx server (tls::Listener) answering `openssl s_client`, over TLS 1.2 and 1.3, with
// ALPN and client certificates. Each test asserts what both ends report they negotiated
// (version, suite, ALPN, verification result), not just that bytes flowed; failures assert the
// verify code on the refusing side and the alert the other side received during the handshake.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"
#include "tlsctx/json_shapes.hpp"

namespace {

using namespace std::chrono_literals;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
using tls::test::more::ping_pong;
using ServerView = tls::test::more::ServerSeen;
using tls::test::CertFiles;
using tls::test::OpensslClientOptions;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::TestPki;
using tls::test::feature::wrap_loopback;

const TestPki& pki() {
    return TestPki::get();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

using tls::test::fetch_status_page;
using tls::test::serving;

// ---------------------------------------------------------------------------------------------
// tlsctx client -> openssl s_server

struct VersionRow {
    const char* flag;
    const char* version;
    const char* suite;
};

const VersionRow kVersions[] = {
    {"-tls1_3", "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
    {"-tls1_2", "TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"},
};

TEST(TlsctxClientToOpensslServer, BothEndsReportTheSameVersionAndSuite) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.version);
        OpensslServerOptions options = serving(pki().localhost());
        options.version_flag = row.flag;
        OpensslServer server(options);
        tls::Socket client = wrap_loopback(client_context(), server.port());
        client.do_handshake();
        EXPECT_EQ(client.version(), row.version);
        EXPECT_EQ(client.cipher()->name, row.suite);
        const std::string page = fetch_status_page(client);
        client.close();
        const tls::test::ProcessResult done = server.finish();
        EXPECT_EQ(tls::test::find_line_value(page, "Protocol  : "), row.version) << page;
        EXPECT_EQ(tls::test::find_line_value(page, "Cipher    : "), row.suite) << page;
        EXPECT_EQ(done.exit_code, 0) << done.err;
    }
}

TEST(TlsctxClientToOpensslServer, AlpnFollowsTheServersPreference) {
    OpensslServerOptions options = serving(pki().localhost());
    options.alpn = {"h2", "http/1.1"};
    OpensslServer server(options);
    tls::Context ctx = client_context();
    ctx.set_alpn_protocols({"http/1.1", "h2"});
    tls::Socket client = wrap_loopback(ctx, server.port());
    client.do_handshake();
    EXPECT_EQ(client.selected_alpn_protocol(), "h2");
    (void)fetch_status_page(client);
    client.close();
    const tls::test::ProcessResult done = server.finish();
    EXPECT_EQ(tls::test::find_line_value(done.out, "ALPN protocols advertised by the client: "),
              "http/1.1, h2")
        << done.out;
    EXPECT_EQ(tls::test::find_line_value(done.out, "ALPN protocols selected: "), "h2") << done.out;
}

TEST(TlsctxClientToOpensslServer, RequiredClientCertificateIsVerifiedByTheServer) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.version);
        OpensslServerOptions options = serving(pki().localhost());
        options.version_flag = row.flag;
        options.cafile = pki().ca_cert();
        options.client_auth = OpensslServerOptions::ClientAuth::required;
        OpensslServer server(options);
        const CertFiles client_cert = pki().client();
        tls::Socket client = wrap_loopback(client_context(&client_cert), server.port());
        client.do_handshake();
        const std::string page = fetch_status_page(client);
        client.close();
        const tls::test::ProcessResult done = server.finish();
        // s_server verified the chain the tlsctx client sent (leaf + intermediate).
        EXPECT_EQ(tls::test::find_line_value(page, "Verify return code: "), "0 (ok)") << page;
        const std::string chain = tls::test::normalize_dn(done.err);
        EXPECT_TRUE(contains(chain, "depth=0 CN=tlsctx test client")) << done.err;
        EXPECT_TRUE(contains(chain, "CN=tlsctx test intermediate CA\nverify return:1")) << done.err;
    }
}

TEST(TlsctxClientToOpensslServer, MissingRequiredClientCertificateIsRefusedWithAnAlert) {
    OpensslServerOptions options = serving(pki().localhost());
    options.cafile = pki().ca_cert();
    options.client_auth = OpensslServerOptions::ClientAuth::required;
    OpensslServer server(options);
    tls::Socket client = wrap_loopback(client_context(), server.port());
    // TLS 1.3: the client's handshake ends before the server has judged it; the refusal arrives
    // as an alert on the first read.
    client.do_handshake();
    try {
        // Read before writing: a request sent now would reach a server that has already closed,
        // and the reset it answers with could overtake the alert.
        (void)client.recv();
        ADD_FAILURE() << "the server answered without a client certificate";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "TLSV13_ALERT_CERTIFICATE_REQUIRED");
    }
    client.close();
    const tls::test::ProcessResult done = server.finish();
    EXPECT_TRUE(contains(done.err, "peer did not return a certificate")) << done.err;
}

TEST(TlsctxClientToOpensslServer, OptionalClientCertificateMayBeOmitted) {
    OpensslServerOptions options = serving(pki().localhost());
    options.cafile = pki().ca_cert();
    options.client_auth = OpensslServerOptions::ClientAuth::optional;
    OpensslServer server(options);
    tls::Socket client = wrap_loopback(client_context(), server.port());
    client.do_handshake();
    const std::string page = fetch_status_page(client);
    client.close();
    server.finish();
    EXPECT_TRUE(contains(page, "no client certificate available")) << page;
}

// A certificate the tlsctx client must refuse, the verify code it must report and the alert
// OpenSSL sends for that code (ssl_x509err2alert), which the server must have received.
struct RefusedServer {
    const char* what;
    CertFiles cert;
    std::string hostname;  // what the client connects as
    long verify_code;
    int alert;
    bool from_intermediate = true;  // else self-contained: send no intermediate
    // OpenSSL's own X509_check_host falls back to the subject CN when there is no SAN, and so
    // does Python by default; tlsctx does not (RFC 9525).
    bool cn_fallback_accepts = false;
};

std::vector<RefusedServer> refused_servers() {
    return {
        // The SAN names another host: X509_V_ERR_HOSTNAME_MISMATCH, bad_certificate.
        {"wrong host", pki().wrong_host(), "localhost", 62, 42},
        // IP literal not among the IP SANs: X509_V_ERR_IP_ADDRESS_MISMATCH.
        {"wrong IP", pki().wrong_host(), "127.0.0.1", 64, 42},
        // CN=localhost but no SAN: the CN is not consulted (stricter than Python).
        {"no SAN", pki().no_san(), "localhost", 62, 42, true, true},
        // X509_V_ERR_CERT_HAS_EXPIRED, certificate_expired.
        {"expired", pki().expired(), "localhost", 10, 45},
        // X509_V_ERR_CERT_NOT_YET_VALID, bad_certificate.
        {"not yet valid", pki().not_yet_valid(), "localhost", 9, 42},
        // Issued by a CA the client does not trust: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY.
        {"untrusted issuer", pki().untrusted_localhost(), "localhost", 20, 48, false},
        // Self-signed leaf: X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, unknown_ca.
        {"self-signed", pki().self_signed(), "localhost", 18, 48, false},
    };
}

TEST(TlsctxClientToOpensslServer, RefusedCertificatesFailInsideTheHandshakeWithAnAlert) {
    for (const RefusedServer& row : refused_servers()) {
        SCOPED_TRACE(row.what);
        OpensslServerOptions options = serving(row.cert);
        if (!row.from_intermediate) {
            options.cert_chain.clear();
        }
        OpensslServer server(options);
        tls::Socket client = wrap_loopback(client_context(), server.port(), row.hostname);
        try {
            client.do_handshake();
            ADD_FAILURE() << "handshake succeeded";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), row.verify_code) << e.verify_message();
            if (row.verify_code == 62 || row.verify_code == 64) {
                EXPECT_TRUE(contains(e.verify_message(), "'" + row.hostname + "'"))
                    << e.verify_message();
            }
        } catch (const std::exception&) {
            ADD_FAILURE() << tls::test::describe(std::current_exception());
        }
        EXPECT_FALSE(client.handshake_done());
        client.close();  // s_server waits up to 500 ms for its peer to close first
        const tls::test::ProcessResult done = server.finish();
        // The server learnt of it from the alert, during its handshake.
        EXPECT_TRUE(contains(done.err, "SSL alert number " + std::to_string(row.alert)))
            << done.err;
        EXPECT_TRUE(contains(done.out, "CONNECTION FAILURE") ||
                    contains(done.err, "ssl3_read_bytes"))
            << done.out;
    }
}

// ---------------------------------------------------------------------------------------------
// openssl s_client -> tlsctx server

OpensslClientOptions s_client_to(std::uint16_t port) {
    OpensslClientOptions o;
    o.port = port;
    o.cafile = pki().ca_cert();
    o.input = "ping\n";
    return o;
}

TEST(OpensslClientToTlsctxServer, BothEndsReportTheSameVersionAndSuite) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.version);
        tls::Listener listener(server_context(), "127.0.0.1", 0);
        ServerView view;
        tls::test::ServerThread server = tls::test::run_server_in_thread(listener, ping_pong(view));
        OpensslClientOptions options = s_client_to(listener.port());
        options.version_flag = row.flag;
        const tls::test::OpensslClientResult client = tls::test::run_openssl_client(options);
        std::exception_ptr error = server.join();
        ASSERT_FALSE(error) << tls::test::describe(error);
        EXPECT_EQ(client.protocol, row.version) << client.process.out;
        EXPECT_EQ(client.cipher, row.suite);
        EXPECT_EQ(client.verify_code, 0);
        EXPECT_EQ(client.process.exit_code, 0) << client.process.err;
        EXPECT_TRUE(contains(client.process.out, "pong"));
        EXPECT_EQ(view.version, row.version);
        EXPECT_EQ(view.cipher, row.suite);
        EXPECT_EQ(view.received, "ping\n");
        EXPECT_EQ(view.peer, std::nullopt);
    }
}

TEST(OpensslClientToTlsctxServer, AlpnFollowsTheServersPreference) {
    tls::Context ctx = server_context();
    ctx.set_alpn_protocols({"h2", "http/1.1"});
    tls::Listener listener(ctx, "127.0.0.1", 0);
    ServerView view;
    tls::test::ServerThread server = tls::test::run_server_in_thread(listener, ping_pong(view));
    OpensslClientOptions options = s_client_to(listener.port());
    options.alpn = {"http/1.1", "h2"};
    const tls::test::OpensslClientResult client = tls::test::run_openssl_client(options);
    std::exception_ptr error = server.join();
    ASSERT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(client.alpn, "h2") << client.process.out;
    EXPECT_EQ(view.alpn, "h2");
}

TEST(OpensslClientToTlsctxServer, RequiredClientCertificateReachesTheServer) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.version);
        tls::Listener listener(server_context(pki().localhost(), tls::CERT_REQUIRED), "127.0.0.1",
                               0);
        ServerView view;
        tls::test::ServerThread server = tls::test::run_server_in_thread(listener, ping_pong(view));
        OpensslClientOptions options = s_client_to(listener.port());
        options.version_flag = row.flag;
        options.cert = pki().client().cert;
        options.key = pki().client().key;
        options.cert_chain = pki().intermediate_cert();
        const tls::test::OpensslClientResult client = tls::test::run_openssl_client(options);
        std::exception_ptr error = server.join();
        ASSERT_FALSE(error) << tls::test::describe(error);
        EXPECT_EQ(client.protocol, row.version);
        ASSERT_TRUE(view.peer.has_value());
        EXPECT_EQ(
            tlsctx_tool::certificate_to_json(*view.peer),
            tlsctx_tool::certificate_to_json(tls::decode_certificate_file(pki().client().cert)));
    }
}

TEST(OpensslClientToTlsctxServer, MissingRequiredClientCertificateFailsTheServerHandshake) {
    tls::Listener listener(server_context(pki().localhost(), tls::CERT_REQUIRED), "127.0.0.1", 0);
    ServerView view;
    tls::test::ServerThread server = tls::test::run_server_in_thread(listener, ping_pong(view));
    OpensslClientOptions options = s_client_to(listener.port());
    options.input.clear();  // send nothing: data racing the server's close could reset the alert
    const tls::test::OpensslClientResult client = tls::test::run_openssl_client(options);
    std::exception_ptr error = server.join();
    try {
        tls::test::rethrow(error);
        ADD_FAILURE() << "server accepted a client without a certificate";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    }
    // TLS 1.3 alert certificate_required (116) reaches s_client after its handshake.
    EXPECT_TRUE(contains(client.process.err, "SSL alert number 116")) << client.process.err;
    EXPECT_FALSE(contains(client.process.out, "pong"));
}

TEST(OpensslClientToTlsctxServer, OptionalClientCertificateMayBeOmitted) {
    tls::Listener listener(server_context(pki().localhost(), tls::CERT_OPTIONAL), "127.0.0.1", 0);
    ServerView view;
    tls::test::ServerThread server = tls::test::run_server_in_thread(listener, ping_pong(view));
    const tls::test::OpensslClientResult client =
        tls::test::run_openssl_client(s_client_to(listener.port()));
    std::exception_ptr error = server.join();
    ASSERT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(view.peer, std::nullopt);
    EXPECT_EQ(view.received, "ping\n");
    EXPECT_EQ(client.verify_code, 0);
}

TEST(OpensslClientToTlsctxServer, ClientRefusingTheServersCertificateIsSeenAsAnAlert) {
    for (const RefusedServer& row : refused_servers()) {
        SCOPED_TRACE(row.what);
        tls::Listener listener(server_context(row.cert), "127.0.0.1", 0);
        ServerView view;
        tls::test::ServerThread server = tls::test::run_server_in_thread(listener, ping_pong(view));
        OpensslClientOptions options = s_client_to(listener.port());
        if (row.hostname == "127.0.0.1") {
            options.verify_ip = row.hostname;
        } else {
            options.servername = row.hostname;
        }
        const tls::test::OpensslClientResult client = tls::test::run_openssl_client(options);
        std::exception_ptr error = server.join();
        if (row.cn_fallback_accepts) {
            EXPECT_EQ(client.verify_code, 0) << client.process.out;
            EXPECT_FALSE(error) << tls::test::describe(error);
            continue;
        }
        EXPECT_NE(client.process.exit_code, 0);
        EXPECT_EQ(client.verify_code, row.verify_code) << client.process.out;
        try {
            tls::test::rethrow(error);
            ADD_FAILURE() << "server handshake succeeded";
        } catch (const tls::SSLCertVerificationError&) {
            ADD_FAILURE() << "the server verified nothing: " << tls::test::describe(error);
        } catch (const tls::SSLError& e) {
            EXPECT_EQ(e.code(), tls::SSLErrc::ssl);
            EXPECT_TRUE(contains(e.reason(), "ALERT")) << e.reason();
        }
        EXPECT_EQ(view.received, "");
    }
}

}  // namespace
