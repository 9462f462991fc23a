// `tlsctx serve --session-store` against `openssl s_client`: a session saved with -sess_out
// resumes with -sess_in through the store (TLS 1.2 session ids; TLS 1.3 stateful tickets with
// --no-tickets), SIGUSR1 prints the resumption stats, and the shared backends not built are
// refused by name.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"

namespace {

using tls::test::TestPki;

const std::string kGet = "GET / HTTP/1.0\r\n\r\n";

tls::test::OpensslClientResult s_client(std::uint16_t port, const std::string& version,
                                        std::vector<std::string> args) {
    tls::test::OpensslClientOptions options;
    options.port = port;
    options.cafile = TestPki::get().ca_cert();
    options.version_flag = version;
    options.input = kGet;
    options.extra_args = std::move(args);
    return tls::test::run_openssl_client(options);
}

class SessionStoreServeInterop : public ::testing::TestWithParam<std::string> {};

TEST_P(SessionStoreServeInterop, OpensslClientResumesThroughTheStoreAndSigusr1PrintsStats) {
    tls::test::more::TempDir dir;
    const std::string session_file = dir.path("session.pem");
    tls::test::more::TlsctxServe server(
        {"--cert", TestPki::get().localhost().chain, "--key", TestPki::get().localhost().key,
         "--www", "--session-store", "memory", "--no-tickets"},
        tls::test::Millis(60000));
    const auto first = s_client(server.port(), GetParam(), {"-sess_out", session_file});
    EXPECT_NE(first.process.out.find("New,"), std::string::npos) << first.process.out;
    const auto second = s_client(server.port(), GetParam(), {"-sess_in", session_file});
    EXPECT_NE(second.process.out.find("Reused,"), std::string::npos) << second.process.out;

    server.process().send_signal(SIGUSR1);
    EXPECT_TRUE(server.process().wait_for_stdout(
        "stats: resumed=1 full=1 store_errors=0 store_latency_p99=", tls::test::kPeerTimeout))
        << server.process().describe();
    server.process().send_signal(SIGTERM);
    const tls::test::ProcessResult end = server.finish();
    EXPECT_EQ(end.exit_code, 0) << end.err;
    // At exit too: the same counts, printed a second time.
    const std::string stats = "stats: resumed=1 full=1 store_errors=0";
    const std::size_t at = end.out.find(stats);
    ASSERT_NE(at, std::string::npos) << end.out;
    EXPECT_NE(end.out.find(stats, at + 1), std::string::npos) << end.out;
}

INSTANTIATE_TEST_SUITE_P(Versions, SessionStoreServeInterop,
                         ::testing::Values("-tls1_2", "-tls1_3"), [](const auto& info) {
                             return info.param == "-tls1_2" ? "TLSv1_2" : "TLSv1_3";
                         });

// A backend the tool was not linked with is refused by name; one it was linked with checks its
// URL (the fleet tests, fleet_store_test.cpp, run the real thing).
TEST(SessionStoreServe, SharedBackendsAreRefusedByNameOrCheckTheirUrl) {
    for (const std::string scheme : {"redis", "memcached"}) {
        SCOPED_TRACE(scheme);
#if defined(TLSCTX_TEST_HAS_REDIS)
        const bool redis = true;
#else
        const bool redis = false;
#endif
#if defined(TLSCTX_TEST_HAS_MEMCACHED)
        const bool memcached = true;
#else
        const bool memcached = false;
#endif
        const bool built = scheme == "redis" ? redis : memcached;
        const tls::test::ProcessResult r = tls::test::run_process(
            {tls::test::more::tlsctx_tool(), "serve", "--cert", TestPki::get().localhost().chain,
             "--key", TestPki::get().localhost().key, "--port", "0", "--session-store",
             scheme + "://127.0.0.1:notaport"});
        EXPECT_EQ(r.exit_code, 2) << r.err;
        EXPECT_NE(r.err.find("--session-store"), std::string::npos) << r.err;
        if (built) {
            EXPECT_EQ(r.err.find("not built with"), std::string::npos) << r.err;
        } else {
            EXPECT_NE(r.err.find("not built with the " + scheme + " session store"),
                      std::string::npos)
                << r.err;
        }
    }
}

}  // namespace
