// A tlsctx client (the library: tls::Context + a loopback connection) against nginx: TLS 1.2 and
// 1.3, ALPN h2 and http/1.1, client certificates required, optional and missing, and session
// reuse over a second connection. nginx answers every request with its own account of the
// connection ($ssl_protocol, $ssl_cipher, $ssl_session_reused, $ssl_client_verify, ...), which
// each test compares with what the tlsctx client reports.
//
// nginx runs as support/nginx.hpp starts it: in the foreground, under `timeout`, on a 127.0.0.1
// port picked for it.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/nginx.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::connect_loopback;
using tls::test::feature::read_to_end;
using tls::test::more::contains;
using tls::test::more::HttpResponse;
using tls::test::more::parse_http_response;
using tls::test::nginx::Nginx;
using tls::test::nginx::NginxOptions;

const TestPki& pki() {
    return TestPki::get();
}

const char kRequest[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

// Sends one request on `socket` and reads the response until nginx closes.
HttpResponse get(tls::Socket& socket) {
    socket.sendall(kRequest);
    const std::string raw = read_to_end(socket);
    std::optional<HttpResponse> response = parse_http_response(raw);
    if (!response) {
        throw std::runtime_error("not an HTTP response: " + raw);
    }
    return *response;
}

// The "name=value" lines of nginx's report page.
std::map<std::string, std::string> report_of(const HttpResponse& response) {
    return tls::test::nginx::report_fields(response.body);
}

tls::Context client_with_maximum(tls::TLSVersion maximum) {
    tls::Context ctx = client_context();
    ctx.set_maximum_version(maximum);
    return ctx;
}

struct VersionRow {
    const char* what;
    tls::TLSVersion maximum;
    const char* version;
    const char* cipher;
};

const VersionRow kVersions[] = {
    {"TLS 1.3", tls::TLSVersion::TLSv1_3, "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
    {"TLS 1.2", tls::TLSVersion::TLSv1_2, "TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"},
};

TEST(TlsctxClientToNginx, BothEndsAgreeOnEachVersionAndSuite) {
    Nginx nginx(NginxOptions{});
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Socket client =
            connect_loopback(client_with_maximum(row.maximum), nginx.port(), "localhost");
        EXPECT_EQ(client.version(), row.version);
        EXPECT_EQ(client.cipher()->name, row.cipher);
        EXPECT_FALSE(client.session_reused());
        EXPECT_EQ(client.getpeercert()->subject,
                  tls::decode_certificate_file(pki().localhost().cert).subject);
        const HttpResponse response = get(client);
        EXPECT_EQ(response.status, 200) << response.status_line;
        EXPECT_TRUE(contains(response.head, "X-TLS-Protocol: " + std::string(row.version)))
            << response.head;
        std::map<std::string, std::string> seen = report_of(response);
        EXPECT_EQ(seen["protocol"], client.version());
        EXPECT_EQ(seen["cipher"], client.cipher()->name);
        EXPECT_EQ(seen["reused"], ".");
        EXPECT_EQ(seen["client_verify"], "NONE");
        EXPECT_EQ(seen["sni"], "localhost");
        EXPECT_EQ(seen["alpn"], "");
    }
}

TEST(TlsctxClientToNginx, OfferingH2AndHttp11GetsH2) {
    Nginx nginx(NginxOptions{});
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Context ctx = client_with_maximum(row.maximum);
        ctx.set_alpn_protocols({"h2", "http/1.1"});
        tls::Socket client = connect_loopback(ctx, nginx.port(), "localhost");
        // nginx speaks HTTP/2 now; the test speaks no HTTP/2 and just closes.
        EXPECT_EQ(client.selected_alpn_protocol(), "h2");
        EXPECT_EQ(client.version(), row.version);
        client.close();
    }
}

TEST(TlsctxClientToNginx, OfferingOnlyHttp11GetsAnHttp11Answer) {
    Nginx nginx(NginxOptions{});
    tls::Context ctx = client_context();
    ctx.set_alpn_protocols({"http/1.1"});
    tls::Socket client = connect_loopback(ctx, nginx.port(), "localhost");
    EXPECT_EQ(client.selected_alpn_protocol(), "http/1.1");
    const HttpResponse response = get(client);
    EXPECT_EQ(response.status_line, "HTTP/1.1 200 OK");
    std::map<std::string, std::string> seen = report_of(response);
    EXPECT_EQ(seen["alpn"], "http/1.1");
    EXPECT_EQ(seen["protocol"], client.version());
    EXPECT_EQ(seen["cipher"], client.cipher()->name);
}

TEST(TlsctxClientToNginx, RequiredClientCertificateIsVerifiedByNginx) {
    NginxOptions options;
    options.verify_client = "on";
    Nginx nginx(options);
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Context ctx = client_with_maximum(row.maximum);
        ctx.load_cert_chain(pki().client().chain, pki().client().key);
        tls::Socket client = connect_loopback(ctx, nginx.port(), "localhost");
        const HttpResponse response = get(client);
        EXPECT_EQ(response.status, 200) << response.body;
        std::map<std::string, std::string> seen = report_of(response);
        EXPECT_EQ(seen["protocol"], row.version);
        EXPECT_EQ(seen["client_verify"], "SUCCESS");
        EXPECT_EQ(seen["client_dn"], "CN=tlsctx test client");
    }
}

TEST(TlsctxClientToNginx, MissingRequiredClientCertificateGets400) {
    NginxOptions options;
    options.verify_client = "on";
    Nginx nginx(options);
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        // nginx completes the handshake without a certificate and refuses at the HTTP level.
        tls::Socket client =
            connect_loopback(client_with_maximum(row.maximum), nginx.port(), "localhost");
        EXPECT_EQ(client.version(), row.version);
        const HttpResponse response = get(client);
        EXPECT_EQ(response.status, 400) << response.status_line;
        EXPECT_TRUE(contains(response.body, "No required SSL certificate was sent"))
            << response.body;
    }
}

TEST(TlsctxClientToNginx, OptionalClientCertificateMayBeOmittedOrSent) {
    NginxOptions options;
    options.verify_client = "optional";
    Nginx nginx(options);
    {
        SCOPED_TRACE("without a certificate");
        tls::Socket client = connect_loopback(client_context(), nginx.port(), "localhost");
        std::map<std::string, std::string> seen = report_of(get(client));
        EXPECT_EQ(seen["client_verify"], "NONE");
        EXPECT_EQ(seen["client_dn"], "");
    }
    {
        SCOPED_TRACE("with one");
        tls::Context ctx = client_context();
        ctx.load_cert_chain(pki().client().chain, pki().client().key);
        tls::Socket client = connect_loopback(ctx, nginx.port(), "localhost");
        std::map<std::string, std::string> seen = report_of(get(client));
        EXPECT_EQ(seen["client_verify"], "SUCCESS");
        EXPECT_EQ(seen["client_dn"], "CN=tlsctx test client");
    }
}

TEST(TlsctxClientToNginx, SecondConnectionReusesTheFirstConnectionsSession) {
    struct Row {
        const char* what;
        tls::TLSVersion maximum;
        bool tickets;
    };
    const Row rows[] = {
        {"TLS 1.3 ticket", tls::TLSVersion::TLSv1_3, true},
        {"TLS 1.2 ticket", tls::TLSVersion::TLSv1_2, true},
        {"TLS 1.2 session id from nginx's shared cache", tls::TLSVersion::TLSv1_2, false},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        NginxOptions options;
        options.session_tickets = row.tickets;
        Nginx nginx(options);
        const tls::Context ctx = client_with_maximum(row.maximum);

        tls::Socket first = connect_loopback(ctx, nginx.port(), "localhost");
        // TLS 1.3 tickets arrive after the handshake: read the response before taking it.
        const std::map<std::string, std::string> first_seen = report_of(get(first));
        const tls::Session session = first.session();
        ASSERT_FALSE(session.empty());
        EXPECT_TRUE(session.is_resumable());
        EXPECT_EQ(session.has_ticket(), row.tickets);
        EXPECT_FALSE(first.session_reused());
        EXPECT_EQ(first_seen.at("reused"), ".");

        tls::Socket second = connect_loopback(ctx, nginx.port(), "localhost", session);
        EXPECT_TRUE(second.session_reused());
        const std::map<std::string, std::string> second_seen = report_of(get(second));
        EXPECT_EQ(second_seen.at("reused"), "r");
        EXPECT_EQ(second_seen.at("protocol"), first_seen.at("protocol"));
        EXPECT_EQ(second_seen.at("protocol"), second.version());
        EXPECT_EQ(second_seen.at("cipher"), second.cipher()->name);
    }
}

TEST(TlsctxClientToNginx, ClientRefusesNginxsCertificateForAnotherHost) {
    NginxOptions options;
    options.cert = pki().wrong_host();
    Nginx nginx(options);
    try {
        connect_loopback(client_context(), nginx.port(), "localhost");
        ADD_FAILURE() << "the handshake succeeded";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), 62) << e.verify_message();  // X509_V_ERR_HOSTNAME_MISMATCH
    }
}

}  // namespace
