// curl against a tlsctx server: an HTTPS server in this process (tls::Listener answering one
// request per connection with its own account of the connection) and `tlsctx serve --www`.
// Covered: verification with --cacert, --resolve (SNI and the name check go by the URL's name,
// the address by --resolve), wildcard names, client certificates, TLS 1.2 vs 1.3, session reuse
// across the connections of one curl run, and curl's refusals (exit 60). Each test asserts what
// both ends report: curl's %{ssl_verify_result}, %{http_code} and its -v "SSL connection using"
// line, and the server's version(), cipher(), ALPN, SNI, peer certificate and session_reused().
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::CertFiles;
using tls::test::find_line_value;
using tls::test::ProcessResult;
using tls::test::TestPki;
using tls::test::feature::ConnectionServer;
using tls::test::feature::read_until;
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

// What the in-process server saw on one connection, plus the SNI its callback was given.
struct Seen : ServerSeen {
    std::optional<std::string> sni;
    std::string request_line;
};

// A tlsctx HTTPS server in this process for `count` connections in a row. It offers only
// http/1.1 (it speaks no HTTP/2), records each connection and the name the client asked for, and
// answers one request per connection with a page naming what it negotiated, then closes
// (close_notify).
class HttpsServer {
  public:
    HttpsServer(tls::Context context, std::size_t count)
        : context_(std::move(context)), seen_(count), names_(std::make_shared<Names>()) {
        context_.set_alpn_protocols({"http/1.1"});
        context_.set_sni_callback([names = names_](tls::ServerNameRequest& request) {
            names->push_back(request.server_name());
            return std::optional<tls::AlertDescription>();
        });
        listener_.emplace(context_, "127.0.0.1", 0);
        server_.emplace(*listener_, count, [this](std::size_t index, tls::Socket& socket) {
            Seen& seen = seen_[index];
            static_cast<ServerSeen&>(seen) = observe(socket);
            seen.received = read_until(socket, "\r\n\r\n");
            seen.request_line = seen.received.substr(0, seen.received.find("\r\n"));
            std::string body =
                "version=" + seen.version.value_or("") + "\ncipher=" + seen.cipher.value_or("") +
                "\nalpn=" + seen.alpn.value_or("") + "\nreused=" + (seen.reused ? "yes" : "no") +
                "\nclient=" + (seen.peer ? common_name(seen.peer->subject) : "") + "\n";
            socket.sendall("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        });
    }

    std::uint16_t port() const noexcept { return listener_->port(); }
    const tls::Context& context() const noexcept { return context_; }

    // Waits for every connection; returns what each saw, with the SNI names in order.
    const std::vector<Seen>& join() {
        const std::vector<std::exception_ptr>& errors = server_->join();
        errors_ = errors;
        for (std::size_t i = 0; i < seen_.size() && i < names_->size(); ++i) {
            seen_[i].sni = (*names_)[i];
        }
        return seen_;
    }
    // The errors of the connections (after join()).
    const std::vector<std::exception_ptr>& errors() const noexcept { return errors_; }

  private:
    using Names = std::vector<std::optional<std::string>>;
    tls::Context context_;
    std::vector<Seen> seen_;
    std::shared_ptr<Names> names_;
    std::vector<std::exception_ptr> errors_;
    std::optional<tls::Listener> listener_;
    std::optional<ConnectionServer> server_;
};

void expect_no_errors(const std::vector<std::exception_ptr>& errors) {
    for (std::size_t i = 0; i < errors.size(); ++i) {
        EXPECT_FALSE(errors[i]) << "connection " << i << ": " << tls::test::describe(errors[i]);
    }
}

// How curl ended, with the --write-out record of each transfer.
struct CurlResult {
    ProcessResult process;
    std::vector<std::string> verify_results;  // %{ssl_verify_result} per transfer
    std::vector<std::string> http_codes;      // %{http_code} per transfer
    std::vector<std::string> bodies;          // what came before each record
    std::vector<std::string> negotiated;      // "TLSv1.3 / TLS_AES_256_GCM_SHA384" per connection
};

// Runs curl -v on `urls` for `hostname` at 127.0.0.1:port (--resolve), with `args`.
CurlResult run_curl(const std::string& hostname, std::uint16_t port,
                    const std::vector<std::string>& paths, const std::vector<std::string>& args) {
    const std::string p = std::to_string(port);
    std::vector<std::string> argv{
        "curl",         "--silent",
        "--show-error", "--verbose",
        "--max-time",   "10",
        "--resolve",    hostname + ":" + p + ":127.0.0.1",
        "--write-out",  "\n@@ verify=%{ssl_verify_result} code=%{http_code}\n"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& path : paths) {
        argv.push_back("https://" + hostname + ":" + p + path);
    }
    CurlResult result;
    result.process = tls::test::run_process(argv);
    std::istringstream out(result.process.out);
    std::string line;
    std::string body;
    while (std::getline(out, line)) {
        std::smatch m;
        if (std::regex_match(line, m, std::regex(R"(@@ verify=(\d+) code=(\d+))"))) {
            result.verify_results.push_back(m[1]);
            result.http_codes.push_back(m[2]);
            result.bodies.push_back(body);
            body.clear();
        } else if (!line.empty()) {
            body += line + "\n";
        }
    }
    std::istringstream err(result.process.err);
    while (std::getline(err, line)) {
        if (auto v = find_line_value(line, "* SSL connection using ")) {
            result.negotiated.push_back(*v);
        }
    }
    return result;
}

std::string describe(const CurlResult& r) {
    return "exit " + std::to_string(r.process.exit_code) + "\n--- stdout ---\n" + r.process.out +
           "\n--- stderr ---\n" + r.process.err;
}

struct VersionRow {
    const char* what;
    std::vector<std::string> flags;
    const char* version;
    const char* cipher;
};

const VersionRow kVersions[] = {
    {"default: TLS 1.3", {}, "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
    {"--tlsv1.2 --tls-max 1.2",
     {"--tlsv1.2", "--tls-max", "1.2"},
     "TLSv1.2",
     "ECDHE-ECDSA-AES256-GCM-SHA384"},
};

TEST(CurlClientToTlsctxServer, VerifiesWithCacertAndGets200AtEachVersion) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        HttpsServer server(server_context(), 1);
        std::vector<std::string> args{"--cacert", pki().ca_cert()};
        args.insert(args.end(), row.flags.begin(), row.flags.end());
        const CurlResult curl = run_curl("localhost", server.port(), {"/hello"}, args);
        const std::vector<Seen>& seen = server.join();
        expect_no_errors(server.errors());
        ASSERT_EQ(curl.process.exit_code, 0) << describe(curl);
        EXPECT_EQ(curl.verify_results, std::vector<std::string>{"0"});
        EXPECT_EQ(curl.http_codes, std::vector<std::string>{"200"});
        EXPECT_EQ(curl.negotiated,
                  std::vector<std::string>{std::string(row.version) + " / " + row.cipher});
        EXPECT_TRUE(contains(curl.process.err, "SSL certificate verify ok.")) << describe(curl);
        EXPECT_TRUE(contains(curl.process.err, "ALPN: server accepted http/1.1"));
        EXPECT_EQ(seen[0].version, row.version);
        EXPECT_EQ(seen[0].cipher, row.cipher);
        EXPECT_EQ(seen[0].alpn, "http/1.1");  // curl offered h2 too; the server has only this
        EXPECT_EQ(seen[0].sni, "localhost");
        EXPECT_EQ(seen[0].request_line, "GET /hello HTTP/1.1");
        EXPECT_TRUE(contains(curl.bodies.at(0), "version=" + std::string(row.version) + "\n"));
    }
}

TEST(CurlClientToTlsctxServer, ResolveKeepsTheUrlsNameForSniAndTheNameCheck) {
    // A leaf for example.test only, from a CA of its own.
    TempDir dir;
    tls::pki::CertificateAuthority ca("curl test CA");
    tls::pki::CertificateOptions leaf_options;
    leaf_options.common_name = "example.test";
    leaf_options.dns_names = {"example.test"};
    const tls::pki::IssuedCert leaf = ca.issue_cert(leaf_options);
    const CertFiles example{dir.path("example.pem"), dir.path("example-chain.pem"),
                            dir.path("example-key.pem")};
    write_file(dir.path("ca.pem"), ca.cert_pem());
    write_file(example.cert, leaf.cert_pem());
    write_file(example.chain, leaf.cert_chain_pem());
    write_file(example.key, leaf.private_key_pem());

    struct Row {
        const char* what;
        CertFiles cert;
        std::string cafile;
        std::string hostname;  // the URL's host, mapped to 127.0.0.1 by --resolve
        std::string matched;   // the certificate name curl reports it matched
    };
    const Row rows[] = {
        {"exact name", example, dir.path("ca.pem"), "example.test", "example.test"},
        {"wildcard", pki().wildcard(), pki().ca_cert(), "www.example.test", "*.example.test"},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        HttpsServer server(server_context(row.cert), 1);
        const CurlResult curl =
            run_curl(row.hostname, server.port(), {"/"}, {"--cacert", row.cafile});
        const std::vector<Seen>& seen = server.join();
        expect_no_errors(server.errors());
        ASSERT_EQ(curl.process.exit_code, 0) << describe(curl);
        EXPECT_EQ(curl.verify_results, std::vector<std::string>{"0"});
        EXPECT_EQ(curl.http_codes, std::vector<std::string>{"200"});
        EXPECT_TRUE(contains(curl.process.err, "subjectAltName: host \"" + row.hostname +
                                                   "\" matched cert's \"" + row.matched + "\""))
            << describe(curl);
        EXPECT_EQ(seen[0].sni, row.hostname);
    }
}

TEST(CurlClientToTlsctxServer, ClientCertificateReachesARequiringServer) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Context ctx = server_context();
        ctx.load_verify_locations(pki().ca_cert());
        ctx.set_verify_mode(tls::CERT_REQUIRED);
        HttpsServer server(ctx, 1);
        std::vector<std::string> args{"--cacert",           pki().ca_cert(), "--cert",
                                      pki().client().chain, "--key",         pki().client().key};
        args.insert(args.end(), row.flags.begin(), row.flags.end());
        const CurlResult curl = run_curl("localhost", server.port(), {"/"}, args);
        const std::vector<Seen>& seen = server.join();
        expect_no_errors(server.errors());
        ASSERT_EQ(curl.process.exit_code, 0) << describe(curl);
        EXPECT_EQ(curl.http_codes, std::vector<std::string>{"200"});
        EXPECT_EQ(seen[0].version, row.version);
        ASSERT_TRUE(seen[0].peer.has_value());
        EXPECT_EQ(common_name(seen[0].peer->subject), "tlsctx test client");
        EXPECT_EQ(common_name(seen[0].peer->issuer), "tlsctx test intermediate CA");
        EXPECT_TRUE(contains(curl.bodies.at(0), "client=tlsctx test client\n"));
    }
}

TEST(CurlClientToTlsctxServer, MissingClientCertificateIsRefusedByTheServer) {
    tls::Context ctx = server_context();
    ctx.load_verify_locations(pki().ca_cert());
    ctx.set_verify_mode(tls::CERT_REQUIRED);
    HttpsServer server(ctx, 1);
    const CurlResult curl =
        run_curl("localhost", server.port(), {"/"}, {"--cacert", pki().ca_cert()});
    server.join();
    try {
        tls::test::rethrow(server.errors().at(0));
        ADD_FAILURE() << "the server accepted a client without a certificate";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    }
    // TLS 1.3: curl's handshake completed before the server judged it, so curl learns of the
    // refusal after sending its request: from the certificate_required alert when it reads
    // (exit 56), or from the reset of a server that had closed when the request arrived (55).
    EXPECT_TRUE(curl.process.exit_code == 55 || curl.process.exit_code == 56) << describe(curl);
    EXPECT_TRUE(contains(curl.process.err, "alert certificate required") ||
                contains(curl.process.err, "Connection reset by peer"))
        << describe(curl);
    EXPECT_EQ(curl.http_codes, std::vector<std::string>{"000"});
}

TEST(CurlClientToTlsctxServer, CurlRefusesCertificatesItCannotVerifyWithExit60) {
    struct Row {
        const char* what;
        CertFiles cert;
        std::string cafile;
        const char* complaint;  // curl's words
        // OpenSSL's chain verification fails inside curl's handshake and sends an alert; curl
        // checks the host name itself once the handshake is done, then just closes.
        bool alert_in_handshake;
    };
    const Row rows[] = {
        {"names another host", pki().wrong_host(), pki().ca_cert(),
         "no alternative certificate subject name matches target host name 'localhost'", false},
        {"issued by an untrusted CA", pki().localhost(), pki().other_ca_cert(),
         "unable to get local issuer certificate", true},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        HttpsServer server(server_context(row.cert), 1);
        const CurlResult curl =
            run_curl("localhost", server.port(), {"/"}, {"--cacert", row.cafile});
        const std::vector<Seen>& seen = server.join();
        EXPECT_EQ(curl.process.exit_code, 60) << describe(curl);  // CURLE_PEER_FAILED_VERIFICATION
        EXPECT_TRUE(contains(curl.process.err, row.complaint)) << describe(curl);
        EXPECT_EQ(curl.http_codes, std::vector<std::string>{"000"});
        if (row.alert_in_handshake) {
            try {
                tls::test::rethrow(server.errors().at(0));
                ADD_FAILURE() << "the server handshake succeeded";
            } catch (const tls::SSLError& e) {
                EXPECT_TRUE(contains(e.reason(), "ALERT")) << e.what();
            }
        }
        // Either way no request reached the server.
        EXPECT_EQ(seen[0].received, "");
    }
}

TEST(CurlClientToTlsctxServer, SecondConnectionOfOneRunResumesTheSession) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        HttpsServer server(server_context(), 2);
        std::vector<std::string> args{"--cacert", pki().ca_cert()};
        args.insert(args.end(), row.flags.begin(), row.flags.end());
        // The server closes after each response, so the second URL needs a new connection.
        const CurlResult curl = run_curl("localhost", server.port(), {"/one", "/two"}, args);
        const std::vector<Seen>& seen = server.join();
        expect_no_errors(server.errors());
        ASSERT_EQ(curl.process.exit_code, 0) << describe(curl);
        EXPECT_EQ(curl.http_codes, (std::vector<std::string>{"200", "200"}));
        EXPECT_TRUE(contains(curl.process.err, "SSL re-using session ID")) << describe(curl);
        EXPECT_FALSE(seen[0].reused);
        EXPECT_TRUE(seen[1].reused);
        EXPECT_EQ(seen[1].version, row.version);
        EXPECT_EQ(seen[1].request_line, "GET /two HTTP/1.1");
        EXPECT_EQ(server.context().session_stats().hits, 1);
        EXPECT_TRUE(contains(curl.bodies.at(1), "reused=yes\n")) << curl.bodies.at(1);
    }
}

// ---------------------------------------------------------------------------------------------
// curl -> `tlsctx serve --www`

std::vector<std::string> www_args(std::vector<std::string> extra) {
    std::vector<std::string> args{"--cert", pki().localhost().chain, "--key", pki().localhost().key,
                                  "--www"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

TEST(CurlClientToTlsctxServe, WwwPageNamesWhatWasNegotiatedAtEachVersion) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::test::more::TlsctxServe serve(www_args({"--exit-after", "1"}));
        std::vector<std::string> args{"--cacert", pki().ca_cert()};
        args.insert(args.end(), row.flags.begin(), row.flags.end());
        const CurlResult curl = run_curl("localhost", serve.port(), {"/page"}, args);
        const ProcessResult served = serve.finish();
        ASSERT_EQ(curl.process.exit_code, 0) << describe(curl);
        EXPECT_EQ(curl.verify_results, std::vector<std::string>{"0"});
        EXPECT_EQ(curl.http_codes, std::vector<std::string>{"200"});
        EXPECT_EQ(curl.negotiated,
                  std::vector<std::string>{std::string(row.version) + " / " + row.cipher});
        const std::string& page = curl.bodies.at(0);
        EXPECT_EQ(find_line_value(page, "version: "), row.version) << page;
        EXPECT_TRUE(contains(page, "cipher: " + std::string(row.cipher) + " (")) << page;
        EXPECT_EQ(find_line_value(page, "alpn: "), "http/1.1") << page;
        EXPECT_EQ(find_line_value(page, "request: "), "GET /page HTTP/1.1") << page;
        EXPECT_EQ(served.exit_code, 0) << served.err;
    }
}

TEST(CurlClientToTlsctxServe, WwwPageNamesTheRequiredClientCertificate) {
    tls::test::more::TlsctxServe serve(www_args(
        {"--cafile", pki().ca_cert(), "--verify-client", "required", "--exit-after", "1"}));
    const CurlResult curl = run_curl(
        "localhost", serve.port(), {"/"},
        {"--cacert", pki().ca_cert(), "--cert", pki().client().chain, "--key", pki().client().key});
    const ProcessResult served = serve.finish();
    ASSERT_EQ(curl.process.exit_code, 0) << describe(curl);
    EXPECT_EQ(find_line_value(curl.bodies.at(0), "client certificate: "), "tlsctx test client")
        << curl.bodies.at(0);
    EXPECT_TRUE(contains(served.err, "client=\"tlsctx test client\"")) << served.err;
}

// Issue 4 specifies the --www page as naming "version, cipher, ALPN, reuse". The page has no
// reuse line. KNOWN TOOL GAP (tools/tlsctx/serve_command.cpp, serve_www() and
// describe_connection()): add e.g. "session reused: yes|no" from socket.session_reused().
TEST(CurlClientToTlsctxServe, WwwPageSaysTheSecondConnectionResumed) {
    tls::test::more::TlsctxServe serve(www_args({"--exit-after", "2"}));
    const CurlResult curl =
        run_curl("localhost", serve.port(), {"/one", "/two"}, {"--cacert", pki().ca_cert()});
    serve.finish();
    ASSERT_EQ(curl.process.exit_code, 0) << describe(curl);
    ASSERT_EQ(curl.bodies.size(), 2u) << describe(curl);
    EXPECT_TRUE(contains(curl.process.err, "SSL re-using session ID")) << describe(curl);
    const std::regex reuse_line(R"((reuse|resum)[a-z ]*:\s*(yes|true))", std::regex::icase);
    EXPECT_FALSE(std::regex_search(curl.bodies[0], reuse_line)) << curl.bodies[0];
    EXPECT_TRUE(std::regex_search(curl.bodies[1], reuse_line))
        << "the page of a resumed connection does not say so:\n"
        << curl.bodies[1];
}

}  // namespace
