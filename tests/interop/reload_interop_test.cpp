// Live reload and several certificates per context against real peers: `openssl s_client`
// choosing by its signature algorithms, and `tlsctx serve` reloading on SIGHUP.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::CertFiles;
using tls::test::TestPki;
namespace feature = tls::test::feature;

const TestPki& pki() {
    return TestPki::get();
}

tls::Bytes leaf_der(const CertFiles& files) {
    return feature::der_certificates_of_file(files.cert).at(0);
}

// The certificate `openssl s_client` printed as the server's ("Server certificate" PEM block).
tls::Bytes printed_server_cert(const std::string& out) {
    const std::string begin = "-----BEGIN CERTIFICATE-----";
    const std::string end = "-----END CERTIFICATE-----";
    const std::size_t from = out.find(begin);
    const std::size_t to = out.find(end, from == std::string::npos ? 0 : from);
    if (from == std::string::npos || to == std::string::npos) {
        return {};
    }
    return tls::PEM_cert_to_DER_cert(out.substr(from, to + end.size() - from));
}

// `openssl s_client` offering only `sigalgs` at `version_flag`; returns the leaf it got.
tls::Bytes s_client_leaf(std::uint16_t port, const std::string& sigalgs,
                         const std::string& version_flag, const std::string& input = {}) {
    tls::test::OpensslClientOptions options;
    options.port = port;
    options.cafile = pki().ca_cert();
    options.version_flag = version_flag;
    options.extra_args = {"-sigalgs", sigalgs};
    options.input = input;
    tls::test::OpensslClientResult r = tls::test::run_openssl_client(options);
    EXPECT_EQ(r.verify_code, 0L) << r.process.out << r.process.err;
    return printed_server_cert(r.process.out);
}

// A tlsctx server on `context` for `count` connections, each closed right after its handshake.
struct OneShotServer {
    OneShotServer(const tls::Context& context, std::size_t count)
        : listener(context, "127.0.0.1", 0),
          server(listener, count, [](std::size_t, tls::Socket&) {}) {}
    tls::Listener listener;
    feature::ConnectionServer server;
};

class SeveralCertificatesInterop : public ::testing::TestWithParam<std::string> {};

TEST_P(SeveralCertificatesInterop, OpensslClientGetsTheChainItsSigalgsAllow) {
    tls::Context context = feature::server_context(pki().localhost_rsa());
    context.load_cert_chain(pki().localhost().chain, pki().localhost().key);
    context.load_cert_chain(pki().localhost_ed25519().chain, pki().localhost_ed25519().key);
    OneShotServer s(context, 3);
    const std::uint16_t port = s.listener.port();
    EXPECT_EQ(s_client_leaf(port, "ECDSA+SHA256", GetParam()), leaf_der(pki().localhost()));
    EXPECT_EQ(s_client_leaf(port, "rsa_pss_rsae_sha256:RSA+SHA256", GetParam()),
              leaf_der(pki().localhost_rsa()));
    EXPECT_EQ(s_client_leaf(port, "ed25519", GetParam()), leaf_der(pki().localhost_ed25519()));
    for (const std::exception_ptr& e : s.server.join()) {
        EXPECT_EQ(e, nullptr) << tls::test::describe(e);
    }
}

TEST_P(SeveralCertificatesInterop, AReloadReachesTheNextOpensslClient) {
    tls::Context context = feature::server_context(pki().localhost());
    OneShotServer s(context, 3);
    const std::uint16_t port = s.listener.port();
    EXPECT_EQ(s_client_leaf(port, "ECDSA+SHA256", GetParam()), leaf_der(pki().localhost()));
    context.set_cert_chains(
        {tls::CertChain::load(pki().localhost_renewed().chain, pki().localhost_renewed().key),
         tls::CertChain::load(pki().localhost_rsa().chain, pki().localhost_rsa().key)});
    EXPECT_EQ(s_client_leaf(port, "ECDSA+SHA256", GetParam()), leaf_der(pki().localhost_renewed()));
    EXPECT_EQ(s_client_leaf(port, "rsa_pss_rsae_sha256:RSA+SHA256", GetParam()),
              leaf_der(pki().localhost_rsa()));
    for (const std::exception_ptr& e : s.server.join()) {
        EXPECT_EQ(e, nullptr) << tls::test::describe(e);
    }
}

INSTANTIATE_TEST_SUITE_P(Versions, SeveralCertificatesInterop,
                         ::testing::Values("-tls1_2", "-tls1_3"), [](const auto& info) {
                             return info.param == "-tls1_2" ? "TLSv1_2" : "TLSv1_3";
                         });

// Waits until the server's stderr holds `needle` `times` times.
bool wait_for_log(tls::test::Subprocess& process, const std::string& needle, std::size_t times) {
    return process.wait_for_output(
        [&](const std::string&, const std::string& err) {
            std::size_t found = 0;
            for (std::size_t at = err.find(needle); at != std::string::npos;
                 at = err.find(needle, at + 1)) {
                ++found;
            }
            return found >= times;
        },
        tls::test::kPeerTimeout);
}

TEST(TlsctxServeReload, TwoCertificatesAndSighupReloadWithAFailedReloadChangingNothing) {
    tls::test::more::TempDir dir;
    const std::string ec_chain = dir.path("ec.chain.pem"), ec_key = dir.path("ec.key.pem");
    tls::test::more::write_file(ec_chain, tls::test::read_file(pki().localhost().chain));
    tls::test::more::write_file(ec_key, tls::test::read_file(pki().localhost().key));
    tls::test::more::TlsctxServe server(
        {"--cert", pki().localhost_rsa().chain, "--key", pki().localhost_rsa().key, "--cert",
         ec_chain, "--key", ec_key, "--www"},
        tls::test::Millis(60000));
    const std::string get = "GET / HTTP/1.0\r\n\r\n";
    const std::uint16_t port = server.port();
    EXPECT_EQ(s_client_leaf(port, "ECDSA+SHA256", "", get), leaf_der(pki().localhost()));
    EXPECT_EQ(s_client_leaf(port, "rsa_pss_rsae_sha256:RSA+SHA256", "", get),
              leaf_der(pki().localhost_rsa()));

    // Renewal: new files in place, then SIGHUP, as certbot's deploy hook does.
    tls::test::more::write_file(ec_chain, tls::test::read_file(pki().localhost_renewed().chain));
    tls::test::more::write_file(ec_key, tls::test::read_file(pki().localhost_renewed().key));
    server.process().send_signal(SIGHUP);
    ASSERT_TRUE(
        wait_for_log(server.process(), "reloaded EC certificate \"localhost\" notAfter=", 1))
        << server.process().describe();
    EXPECT_TRUE(wait_for_log(server.process(), "reloaded RSA certificate \"localhost\"", 1));
    EXPECT_EQ(s_client_leaf(port, "ECDSA+SHA256", "-tls1_3", get),
              leaf_der(pki().localhost_renewed()));
    EXPECT_EQ(s_client_leaf(port, "rsa_pss_rsae_sha256:RSA+SHA256", "-tls1_2", get),
              leaf_der(pki().localhost_rsa()));

    // A half-written file: the reload fails, is logged, and the server keeps the renewed chain.
    tls::test::more::write_file(ec_chain,
                                tls::test::read_file(pki().localhost().chain).substr(0, 200));
    server.process().send_signal(SIGHUP);
    ASSERT_TRUE(
        wait_for_log(server.process(), "reload failed, still serving the previous certificates", 1))
        << server.process().describe();
    EXPECT_EQ(s_client_leaf(port, "ECDSA+SHA256", "", get), leaf_der(pki().localhost_renewed()));

    server.process().terminate();
    tls::test::ProcessResult done = server.finish();
    EXPECT_EQ(done.exit_code, 0) << done.err;
}

}  // namespace
