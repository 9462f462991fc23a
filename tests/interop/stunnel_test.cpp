// stunnel as a TLS client of a tlsctx server: a plain TCP client writes to stunnel's accepting
// port on 127.0.0.1, stunnel wraps the stream in TLS (verifying the chain and the host name) and
// forwards it to a tlsctx server (tls::Listener in this process, and `tlsctx serve --echo`), which
// echoes. Each test asserts what the tlsctx server negotiated (version, suite, no ALPN, the
// client certificate, session reuse), what stunnel logged, and the echo itself.
//
// stunnel runs in the foreground (foreground = yes, no pid file, logging to stderr) under
// `timeout`; it cannot report a port 0 binding, so it gets a port picked for it and is ready when
// it logs "Service [...] (FD=n) bound to 127.0.0.1:PORT".
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::CertFiles;
using tls::test::Fd;
using tls::test::kPeerTimeout;
using tls::test::Millis;
using tls::test::Subprocess;
using tls::test::TestPki;
using tls::test::feature::ConnectionServer;
using tls::test::feature::server_context;
using tls::test::more::common_name;
using tls::test::more::contains;
using tls::test::more::observe;
using tls::test::more::ServerSeen;
using tls::test::more::TempDir;
using tls::test::more::write_file;

const TestPki& pki() {
    return TestPki::get();
}

struct StunnelOptions {
    std::uint16_t connect_port = 0;        // where the tlsctx server listens
    std::string check_host = "localhost";  // checkHost (and sni)
    std::string version_min = "TLSv1.2";   // sslVersionMin
    std::string version_max = "TLSv1.3";   // sslVersionMax
    std::optional<CertFiles> cert;         // cert / key: a client certificate (the chain)
};

std::string stunnel_conf(std::uint16_t accept_port, const StunnelOptions& o) {
    std::ostringstream conf;
    conf << "foreground = yes\n"
         << "pid =\n"
         << "syslog = no\n"
         << "debug = info\n"
         << "[tlsctx]\n"
         << "client = yes\n"
         << "accept = 127.0.0.1:" << accept_port << "\n"
         << "connect = 127.0.0.1:" << o.connect_port << "\n"
         << "CAfile = " << pki().ca_cert() << "\n"
         << "verifyChain = yes\n"
         << "checkHost = " << o.check_host << "\n"
         << "sni = " << o.check_host << "\n"
         << "sslVersionMin = " << o.version_min << "\n"
         << "sslVersionMax = " << o.version_max << "\n";
    if (o.cert) {
        conf << "cert = " << o.cert->chain << "\n"
             << "key = " << o.cert->key << "\n";
    }
    return conf.str();
}

// stunnel in client mode, running until the destructor kills it.
class StunnelClient {
  public:
    explicit StunnelClient(const StunnelOptions& options) {
        tls::test::more::DaemonStartup startup;
        startup.name = "stunnel";
        startup.command = [&](std::uint16_t port) {
            const std::string conf = dir_.path("stunnel.conf");
            write_file(conf, stunnel_conf(port, options));
            return std::vector<std::string>{"stunnel", conf};
        };
        startup.ready = [](const std::string& log, std::uint16_t port) {
            return contains(log, "bound to 127.0.0.1:" + std::to_string(port));
        };
        startup.port_taken = [](const std::string& log, std::uint16_t) {
            return contains(log, "Error binding service");
        };
        startup.failed = [](const std::string& log, std::uint16_t) {
            return contains(log, "Configuration failed");
        };
        port_ = tls::test::more::start_daemon(process_, startup);
    }

    std::uint16_t port() const noexcept { return port_; }
    // Waits (bounded) until stunnel has logged `text`; returns the whole log.
    std::string log_once(const std::string& text) {
        process_->wait_for_output(
            [&](const std::string&, const std::string& err) { return contains(err, text); },
            kPeerTimeout);
        return process_->stderr_text();
    }

  private:
    TempDir dir_;
    std::optional<Subprocess> process_;
    std::uint16_t port_ = 0;
};

// A plain TCP connection to 127.0.0.1:port: writes `data`, half-closes, and reads until the
// other side closes (each read bounded by kPeerTimeout).
std::string tcp_exchange(std::uint16_t port, const std::string& data) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::system_error(errno, std::generic_category(), "connect to stunnel");
    }
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            throw std::system_error(errno, std::generic_category(), "send to stunnel");
        }
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd.get(), SHUT_WR);
    std::string received;
    char buffer[4096];
    while (tls::test::wait_readable(fd.get(), kPeerTimeout)) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) {
            break;
        }
        received.append(buffer, static_cast<std::size_t>(n));
    }
    return received;
}

// The handler of the in-process tlsctx servers: record the connection, echo until stunnel closes
// (it forwards the TCP client's half-close as close_notify).
ConnectionServer::Handler echo(std::vector<ServerSeen>& seen) {
    return [&seen](std::size_t index, tls::Socket& socket) {
        seen[index] = observe(socket);
        for (std::string chunk = socket.recv(); !chunk.empty(); chunk = socket.recv()) {
            seen[index].received += chunk;
            socket.sendall(chunk);
        }
    };
}

void expect_no_errors(const std::vector<std::exception_ptr>& errors) {
    for (std::size_t i = 0; i < errors.size(); ++i) {
        EXPECT_FALSE(errors[i]) << "connection " << i << ": " << tls::test::describe(errors[i]);
    }
}

tls::Context server_offering_alpn() {
    tls::Context ctx = server_context();
    ctx.set_alpn_protocols({"h2", "http/1.1"});  // stunnel offers none: none is selected
    return ctx;
}

struct VersionRow {
    const char* what;
    const char* stunnel_max;
    const char* version;
    const char* cipher;
};

const VersionRow kVersions[] = {
    {"TLS 1.3", "TLSv1.3", "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
    {"TLS 1.2", "TLSv1.2", "TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"},
};

TEST(StunnelClientToTlsctxServer, EchoesThroughAVerifiedTunnelAtEachVersion) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Listener listener(server_offering_alpn(), "127.0.0.1", 0);
        std::vector<ServerSeen> seen(1);
        ConnectionServer server(listener, 1, echo(seen));
        StunnelOptions options;
        options.connect_port = listener.port();
        options.version_max = row.stunnel_max;
        StunnelClient stunnel(options);

        EXPECT_EQ(tcp_exchange(stunnel.port(), "hello through stunnel\n"),
                  "hello through stunnel\n");
        expect_no_errors(server.join());
        EXPECT_EQ(seen[0].version, row.version);
        EXPECT_EQ(seen[0].cipher, row.cipher);
        EXPECT_EQ(seen[0].alpn, std::nullopt);
        EXPECT_EQ(seen[0].peer, std::nullopt);
        EXPECT_EQ(seen[0].received, "hello through stunnel\n");

        // stunnel's side: it verified the chain and the name, and negotiated the same suite.
        const std::string log = stunnel.log_once("Connection closed");
        EXPECT_TRUE(contains(log, "CERT: Host name \"localhost\" matched")) << log;
        EXPECT_TRUE(contains(log, "Certificate accepted at depth=0: CN=localhost")) << log;
        EXPECT_TRUE(contains(log, std::string(row.version) + " ciphersuite: " + row.cipher)) << log;
        EXPECT_TRUE(contains(log, "TLS connected: new session negotiated")) << log;
    }
}

TEST(StunnelClientToTlsctxServer, ClientCertificateReachesARequiringServer) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Context ctx = server_context();
        ctx.load_verify_locations(pki().ca_cert());
        ctx.set_verify_mode(tls::CERT_REQUIRED);
        tls::Listener listener(ctx, "127.0.0.1", 0);
        std::vector<ServerSeen> seen(1);
        ConnectionServer server(listener, 1, echo(seen));
        StunnelOptions options;
        options.connect_port = listener.port();
        options.version_max = row.stunnel_max;
        options.cert = pki().client();
        StunnelClient stunnel(options);

        EXPECT_EQ(tcp_exchange(stunnel.port(), "authenticated\n"), "authenticated\n");
        expect_no_errors(server.join());
        EXPECT_EQ(seen[0].version, row.version);
        ASSERT_TRUE(seen[0].peer.has_value());
        EXPECT_EQ(common_name(seen[0].peer->subject), "tlsctx test client");
        EXPECT_EQ(seen[0].peer->subject, tls::decode_certificate_file(pki().client().cert).subject);
    }
}

TEST(StunnelClientToTlsctxServer, MissingClientCertificateIsRefusedByTheServer) {
    tls::Context ctx = server_context();
    ctx.load_verify_locations(pki().ca_cert());
    ctx.set_verify_mode(tls::CERT_REQUIRED);
    tls::Listener listener(ctx, "127.0.0.1", 0);
    std::vector<ServerSeen> seen(1);
    ConnectionServer server(listener, 1, echo(seen));
    StunnelOptions options;
    options.connect_port = listener.port();
    options.version_max = "TLSv1.2";  // the refusal then ends stunnel's handshake
    StunnelClient stunnel(options);

    EXPECT_EQ(tcp_exchange(stunnel.port(), "anonymous\n"), "");
    const std::vector<std::exception_ptr> errors = server.join();
    try {
        tls::test::rethrow(errors[0]);
        ADD_FAILURE() << "the server accepted a client without a certificate";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    }
    EXPECT_EQ(seen[0].received, "");
    // The server's handshake_failure alert ended stunnel's handshake.
    const std::string log = stunnel.log_once("Connection closed");
    EXPECT_TRUE(contains(log, "SSL_connect: ")) << log;
    EXPECT_TRUE(contains(log, "alert handshake failure")) << log;
}

TEST(StunnelClientToTlsctxServer, StunnelRefusesAServerCertificateForAnotherHost) {
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    std::vector<ServerSeen> seen(1);
    ConnectionServer server(listener, 1, echo(seen));
    StunnelOptions options;
    options.connect_port = listener.port();
    options.check_host = "other.example.test";
    StunnelClient stunnel(options);

    EXPECT_EQ(tcp_exchange(stunnel.port(), "nobody hears this\n"), "");
    const std::vector<std::exception_ptr> errors = server.join();
    // stunnel's verification failure reached the server as an alert inside its handshake.
    try {
        tls::test::rethrow(errors[0]);
        ADD_FAILURE() << "the server handshake succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_TRUE(contains(e.reason(), "ALERT")) << e.what();
    }
    EXPECT_EQ(seen[0].received, "");
    const std::string log = stunnel.log_once("Connection closed");
    EXPECT_TRUE(contains(log, "CERT: Subject checks failed")) << log;
    EXPECT_TRUE(contains(log, "Rejected by CERT at depth=0: CN=localhost")) << log;
    EXPECT_TRUE(contains(log, "certificate verify failed")) << log;
}

TEST(StunnelClientToTlsctxServer, SecondTunnelResumesTheSession) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Context ctx = server_context();
        tls::Listener listener(ctx, "127.0.0.1", 0);
        std::vector<ServerSeen> seen(2);
        ConnectionServer server(listener, 2, echo(seen));
        StunnelOptions options;
        options.connect_port = listener.port();
        options.version_max = row.stunnel_max;
        StunnelClient stunnel(options);

        EXPECT_EQ(tcp_exchange(stunnel.port(), "first\n"), "first\n");
        // The first tunnel is closed once its echo is back; stunnel has cached its session.
        stunnel.log_once("Connection closed");
        EXPECT_EQ(tcp_exchange(stunnel.port(), "second\n"), "second\n");
        expect_no_errors(server.join());
        EXPECT_FALSE(seen[0].reused);
        EXPECT_TRUE(seen[1].reused);
        EXPECT_EQ(seen[1].version, row.version);
        EXPECT_EQ(ctx.session_stats().hits, 1);
        const std::string log = stunnel.log_once("previous session reused");
        EXPECT_TRUE(contains(log, "TLS connected: previous session reused")) << log;
    }
}

TEST(StunnelClientToTlsctxServe, EchoServerAnswersThroughTheTunnel) {
    tls::test::more::TlsctxServe serve({"--cert", pki().localhost().chain, "--key",
                                        pki().localhost().key, "--echo", "--exit-after", "1"});
    StunnelOptions options;
    options.connect_port = serve.port();
    StunnelClient stunnel(options);
    EXPECT_EQ(tcp_exchange(stunnel.port(), "to tlsctx serve\n"), "to tlsctx serve\n");
    const tls::test::ProcessResult served = serve.finish();
    EXPECT_EQ(served.exit_code, 0) << served.err;
    EXPECT_TRUE(
        contains(served.err, "] TLSv1.3 TLS_AES_256_GCM_SHA384 alpn=(none) session_reused=no\n"))
        << served.err;
    EXPECT_TRUE(contains(served.err, "closed by the peer after 16 bytes echoed")) << served.err;
}

}  // namespace
