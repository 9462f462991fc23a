// A tlsctx client (the library: tls::Context + a loopback connection) against nginx: TLS 1.2 and
// 1.3, ALPN h2 and http/1.1, client certificates required, optional and missing, and session
// reuse over a second connection. nginx answers every request with its own account of the
// connection ($ssl_protocol, $ssl_cipher, $ssl_session_reused, $ssl_client_verify, ...), which
// each test compares with what the tlsctx client reports.
//
// nginx runs in the foreground as one process (daemon off, master_process off) with everything
// (config, pid, logs, temp paths) in a private directory, under `timeout`, on a 127.0.0.1 port
// picked for it (nginx cannot report a port 0 binding); it is ready when it has logged its
// startup notices, which come after it listens.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::CertFiles;
using tls::test::kPeerTimeout;
using tls::test::Millis;
using tls::test::Subprocess;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::connect_loopback;
using tls::test::feature::read_to_end;
using tls::test::more::contains;
using tls::test::more::HttpResponse;
using tls::test::more::parse_http_response;
using tls::test::more::TempDir;
using tls::test::more::write_file;

const TestPki& pki() {
    return TestPki::get();
}

struct NginxOptions {
    CertFiles cert = TestPki::get().localhost();
    std::string verify_client;    // ssl_verify_client: "" (off), "on" or "optional"
    bool session_tickets = true;  // ssl_session_tickets (the shared session cache is always on)
};

// The page nginx serves: one "name=value" line per variable describing the connection.
constexpr const char* kReport =
    "protocol=$ssl_protocol\\n"
    "cipher=$ssl_cipher\\n"
    "reused=$ssl_session_reused\\n"
    "client_verify=$ssl_client_verify\\n"
    "client_dn=$ssl_client_s_dn\\n"
    "sni=$ssl_server_name\\n"
    "alpn=$ssl_alpn_protocol\\n";

std::string nginx_conf(const std::string& dir, std::uint16_t port, const NginxOptions& o) {
    std::ostringstream conf;
    conf << "daemon off;\n"
         << "master_process off;\n"
         << "pid " << dir << "/nginx.pid;\n"
         << "error_log stderr notice;\n"
         << "events { worker_connections 64; }\n"
         << "http {\n"
         << "    access_log off;\n"
         << "    client_body_temp_path " << dir << "/client_body;\n"
         << "    proxy_temp_path " << dir << "/proxy;\n"
         << "    fastcgi_temp_path " << dir << "/fastcgi;\n"
         << "    uwsgi_temp_path " << dir << "/uwsgi;\n"
         << "    scgi_temp_path " << dir << "/scgi;\n"
         << "    server {\n"
         << "        listen 127.0.0.1:" << port << " ssl http2;\n"
         << "        server_name localhost;\n"
         << "        ssl_certificate " << o.cert.chain << ";\n"
         << "        ssl_certificate_key " << o.cert.key << ";\n"
         << "        ssl_protocols TLSv1.2 TLSv1.3;\n"
         << "        ssl_session_cache shared:SSL:1m;\n"
         << "        ssl_session_tickets " << (o.session_tickets ? "on" : "off") << ";\n";
    if (!o.verify_client.empty()) {
        conf << "        ssl_client_certificate " << pki().ca_cert() << ";\n"
             << "        ssl_verify_client " << o.verify_client << ";\n";
    }
    conf << "        location / {\n"
         << "            default_type text/plain;\n"
         << "            add_header X-TLS-Protocol $ssl_protocol always;\n"
         << "            return 200 \"" << kReport << "\";\n"
         << "        }\n"
         << "    }\n"
         << "}\n";
    return conf.str();
}

// nginx in the foreground, serving until the destructor kills it.
class Nginx {
  public:
    explicit Nginx(const NginxOptions& options) {
        tls::test::more::DaemonStartup startup;
        startup.name = "nginx";
        startup.command = [&](std::uint16_t port) {
            const std::string conf = dir_.path("nginx.conf");
            write_file(conf, nginx_conf(dir_.dir(), port, options));
            return std::vector<std::string>{"nginx", "-p", dir_.dir() + "/", "-c",
                                            conf,    "-e", "stderr"};
        };
        // The startup notices ("using the epoll event method", "nginx/1.22.1", "OS: ...",
        // "getrlimit(RLIMIT_NOFILE): ...") follow the listen() calls; a port taken since
        // it was picked shows as "bind() ... failed (98: Address already in use)".
        startup.ready = [](const std::string& log, std::uint16_t) {
            return contains(log, "getrlimit(");
        };
        startup.port_taken = [](const std::string& log, std::uint16_t) {
            return contains(log, "Address already in use");
        };
        startup.failed = [](const std::string& log, std::uint16_t) {
            return contains(log, "[emerg]");
        };
        port_ = tls::test::more::start_daemon(process_, startup);
    }

    std::uint16_t port() const noexcept { return port_; }
    std::string describe() const { return process_->describe(); }

  private:
    TempDir dir_;
    std::optional<Subprocess> process_;
    std::uint16_t port_ = 0;
};

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
    std::map<std::string, std::string> fields;
    std::istringstream lines(response.body);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t eq = line.find('=');
        if (eq != std::string::npos) {
            fields[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return fields;
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
