// curl against a Boost.Beast HTTPS server built on tls::boost_asio::stream<beast::tcp_stream>
// (issue 13; the server: beast_helpers.hpp's BeastServer on a thread of this process). curl
// verifies with --cacert at TLS 1.2 and 1.3 and both ends report the same version; a curl that
// cannot verify the server refuses it (exit 60) and the server's handshake fails on curl's alert.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "beast/beast_helpers.hpp"
#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::ProcessResult;
using tls::test::TestPki;
using tls::test::beast_support::BeastServer;
using tls::test::beast_support::ServedConnection;
using tls::test::feature::server_context;
using tls::test::more::contains;

const TestPki& pki() {
    return TestPki::get();
}

// curl -v for https://localhost:PORT/PATH at 127.0.0.1 (--resolve), printing the HTTP code last.
ProcessResult run_curl(std::uint16_t port, const std::string& path,
                       const std::vector<std::string>& args) {
    const std::string p = std::to_string(port);
    std::vector<std::string> argv{"curl",         "--silent",
                                  "--show-error", "--verbose",
                                  "--max-time",   "10",
                                  "--resolve",    "localhost:" + p + ":127.0.0.1",
                                  "--write-out",  "\ncode=%{http_code}\n"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("https://localhost:" + p + path);
    return tls::test::run_process(argv);
}

std::string describe(const ProcessResult& r) {
    return "curl exit " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
           "\n--- stderr ---\n" + r.err;
}

std::string describe(const ServedConnection& s) {
    return "server failed at '" + s.failed_step + "': " + s.ec.message() +
           (s.tls_error ? " (" + s.tls_error->message + ")" : "");
}

struct VersionRow {
    const char* what;
    std::vector<std::string> flags;
    const char* version;
};

const VersionRow kVersions[] = {
    {"default: TLS 1.3", {}, "TLSv1.3"},
    {"--tlsv1.2 --tls-max 1.2", {"--tlsv1.2", "--tls-max", "1.2"}, "TLSv1.2"},
};

TEST(CurlToBeastServer, VerifiesWithCacertAndGets200AtEachVersion) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Context ctx = server_context();
        ctx.set_alpn_protocols({"http/1.1"});  // Beast speaks no HTTP/2
        BeastServer server(ctx, 1);
        std::vector<std::string> args{"--cacert", pki().ca_cert()};
        args.insert(args.end(), row.flags.begin(), row.flags.end());
        const ProcessResult curl = run_curl(server.port(), "/hello", args);
        const ServedConnection seen = server.join().at(0);
        ASSERT_EQ(curl.exit_code, 0) << describe(curl);
        EXPECT_EQ(seen.failed_step, "") << describe(seen);
        EXPECT_TRUE(contains(curl.out, "version=" + std::string(row.version) + "\n")) << curl.out;
        EXPECT_TRUE(contains(curl.out, "sni=localhost\n")) << curl.out;
        EXPECT_TRUE(contains(curl.out, "code=200\n")) << curl.out;
        EXPECT_TRUE(contains(curl.err, "SSL certificate verify ok.")) << describe(curl);
        EXPECT_TRUE(contains(curl.err, "SSL connection using " + std::string(row.version) + " / " +
                                           seen.cipher.value_or("?")))
            << describe(curl);
        EXPECT_EQ(seen.version, row.version);
        EXPECT_EQ(seen.sni, "localhost");
        EXPECT_EQ(seen.alpn, "http/1.1");
        EXPECT_EQ(seen.request_line, "GET /hello HTTP/1.1");
    }
}

TEST(CurlToBeastServer, CurlRefusesAServerItCannotVerifyAndTheServerSeesItsAlert) {
    BeastServer server(server_context(pki().untrusted_localhost()), 1);
    const ProcessResult curl = run_curl(server.port(), "/", {"--cacert", pki().ca_cert()});
    const ServedConnection seen = server.join().at(0);
    EXPECT_EQ(curl.exit_code, 60) << describe(curl);  // CURLE_PEER_FAILED_VERIFICATION
    EXPECT_TRUE(contains(curl.err, "unable to get local issuer certificate")) << describe(curl);
    EXPECT_EQ(seen.failed_step, "handshake") << describe(seen);
    EXPECT_EQ(seen.ec, tls::SSLErrc::ssl) << describe(seen);
    ASSERT_TRUE(seen.tls_error.has_value());
    EXPECT_TRUE(contains(seen.tls_error->reason, "ALERT")) << seen.tls_error->reason;
    EXPECT_EQ(seen.request_line, "");
}

}  // namespace
