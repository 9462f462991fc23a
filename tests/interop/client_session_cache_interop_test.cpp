// tls::ClientSessionCache against other servers: openssl s_server, Python's ssl and
// `tlsctx serve`, for TLS 1.2 and 1.3. The second connection resumes without the caller passing
// a session, TLS 1.3 tickets are never offered twice (one ticket per handshake makes every
// resumption depend on the ticket of the connection before), different SNI or ALPN do not
// share, and `tlsctx connect --session-cache FILE` run twice resumes in the second process.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::read_until;
using tls::test::feature::wrap_loopback;
using tls::test::more::contains;

int count_of(const std::string& text, const std::string& needle) {
    int n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

tls::Context cached_client(const tls::ClientSessionCache& cache, bool tls13) {
    tls::Context ctx = client_context();
    if (!tls13) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    ctx.set_client_session_cache(cache);
    return ctx;
}

struct Seen {
    bool reused = false;
    tls::Bytes offered_id;
    std::string reply;
};

// A connection that sends `request` and reads until the server closes (s_server -www) or
// until a line arrived.
Seen talk(const tls::Context& client, std::uint16_t port, const std::string& request, bool to_end,
          const std::string& host = "localhost") {
    tls::Socket s = wrap_loopback(client, port, host);
    Seen seen;
    seen.offered_id = s.session().id();
    s.do_handshake();
    if (!request.empty()) {
        s.sendall(request);
    }
    seen.reply = to_end ? tls::test::feature::read_to_end(s) : read_until(s);
    seen.reused = s.session_reused();
    s.close();
    return seen;
}

class ClientCacheVersions : public ::testing::TestWithParam<bool> {};  // true: TLS 1.3

TEST_P(ClientCacheVersions, OpensslServerResumesAutomaticallyAndTicketsAreNotReused) {
    const bool tls13 = GetParam();
    tls::test::OpensslServerOptions options;
    options.cert = TestPki::get().localhost().cert;
    options.key = TestPki::get().localhost().key;
    options.cert_chain = TestPki::get().intermediate_cert();
    options.version_flag = tls13 ? "-tls1_3" : "-tls1_2";
    options.mode = tls::test::OpensslServerOptions::Mode::www;
    // One ticket per TLS 1.3 handshake: connection n resumes only with connection n-1's ticket.
    options.extra_args = {"-naccept", "4", "-num_tickets", "1"};
    tls::test::OpensslServer server(options);
    tls::ClientSessionCache cache;
    tls::Context client = cached_client(cache, tls13);
    std::set<tls::Bytes> offered;
    for (int i = 0; i < 4; ++i) {
        const Seen seen = talk(client, server.port(), "GET / HTTP/1.0\r\n\r\n", true);
        EXPECT_EQ(seen.reused, i > 0) << "connection " << i;
        // The server's own view of the connection.
        EXPECT_EQ(count_of(seen.reply, i > 0 ? "Reused, " : "New, "), 1)
            << "connection " << i << ":\n"
            << seen.reply;
        if (i > 0) {
            offered.insert(seen.offered_id);
        }
    }
    // TLS 1.3: three resumptions with three different tickets. TLS 1.2: one session, reused.
    EXPECT_EQ(offered.size(), tls13 ? 3u : 1u);
    EXPECT_EQ(server.finish().exit_code, 0);
}

TEST_P(ClientCacheVersions, PythonServerResumesAutomaticallyAndTicketsAreNotReused) {
    const bool tls13 = GetParam();
    tls::test::Subprocess server({"python3", tls::test::python_script("resuming_server.py"),
                                  "--certfile", TestPki::get().localhost().chain, "--keyfile",
                                  TestPki::get().localhost().key, "--connections", "4",
                                  "--num-tickets", "1", "--max-version", tls13 ? "1.3" : "1.2"});
    ASSERT_TRUE(server.wait_for_stdout("\n", tls::test::kPeerTimeout)) << server.describe();
    const auto port = nlohmann::json::parse(
                          server.stdout_text().substr(0, server.stdout_text().find('\n')))["port"]
                          .get<std::uint16_t>();
    tls::ClientSessionCache cache;
    tls::Context client = cached_client(cache, tls13);
    std::set<tls::Bytes> offered;
    for (int i = 0; i < 4; ++i) {
        const Seen seen = talk(client, port, "", false);
        EXPECT_EQ(seen.reply, "hello\n");
        EXPECT_EQ(seen.reused, i > 0) << "connection " << i;
        if (i > 0) {
            offered.insert(seen.offered_id);
        }
    }
    EXPECT_EQ(offered.size(), tls13 ? 3u : 1u);
    const tls::test::ProcessResult done = server.wait();
    std::vector<bool> server_reused;
    std::istringstream lines(done.out);
    for (std::string line; std::getline(lines, line);) {
        const nlohmann::json j = nlohmann::json::parse(line);
        if (j["event"] == "connection") {
            ASSERT_TRUE(j.contains("reused")) << line;
            server_reused.push_back(j["reused"].get<bool>());
            EXPECT_EQ(j["version"], tls13 ? "TLSv1.3" : "TLSv1.2");
        }
    }
    EXPECT_EQ(server_reused, (std::vector<bool>{false, true, true, true})) << done.out << done.err;
}

TEST_P(ClientCacheVersions, TlsctxConnectRunTwiceResumesThroughTheFile) {
    const bool tls13 = GetParam();
    tls::test::more::TlsctxServe serve({"--cert", TestPki::get().localhost().chain, "--key",
                                        TestPki::get().localhost().key, "--echo", "--exit-after",
                                        "3"});
    tls::test::feature::TempDir dir;
    const std::string file = dir.path("sessions.bin");
    auto run = [&] {
        std::vector<std::string> argv{tls::test::more::tlsctx_tool(),
                                      "connect",
                                      "127.0.0.1:" + std::to_string(serve.port()),
                                      "--servername",
                                      "localhost",
                                      "--cafile",
                                      TestPki::get().ca_cert(),
                                      "--session-cache",
                                      file,
                                      "--json"};
        if (!tls13) {
            argv.insert(argv.end(), {"--tls-max", "1.2"});
        }
        tls::test::ProcessResult r = tls::test::run_process(argv);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return nlohmann::json::parse(r.out);
    };
    EXPECT_FALSE(run()["session_reused"].get<bool>());
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_TRUE(run()["session_reused"].get<bool>());
    EXPECT_TRUE(run()["session_reused"].get<bool>());
    const tls::test::ProcessResult served = serve.finish();
    EXPECT_EQ(count_of(served.err, "session_reused=yes"), 2) << served.out << served.err;
    EXPECT_EQ(count_of(served.err, tls13 ? "TLSv1.3" : "TLSv1.2"), 3) << served.err;

    // A damaged file is refused with its own error, and the command fails.
    tls::test::feature::write_file(file, "TLSCTXSC garbage");
    std::vector<std::string> argv{tls::test::more::tlsctx_tool(), "connect", "127.0.0.1:1",
                                  "--session-cache", file};
    const tls::test::ProcessResult bad = tls::test::run_process(argv);
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_TRUE(contains(bad.err, "ClientSessionCache::load")) << bad.err;
}

INSTANTIATE_TEST_SUITE_P(Versions, ClientCacheVersions, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                             return info.param ? "Tls13" : "Tls12";
                         });

TEST(ClientCacheInteropTest, DifferentSniOrAlpnDoNotShareAgainstOpensslServer) {
    tls::test::OpensslServerOptions options;
    options.cert = TestPki::get().localhost().cert;
    options.key = TestPki::get().localhost().key;
    options.cert_chain = TestPki::get().intermediate_cert();
    options.mode = tls::test::OpensslServerOptions::Mode::www;
    options.alpn = {"h2", "http/1.1"};
    options.extra_args = {"-naccept", "5"};
    tls::test::OpensslServer server(options);
    tls::ClientSessionCache cache;
    tls::Context plain = cached_client(cache, true);
    tls::Context h2 = cached_client(cache, true);
    h2.set_alpn_protocols({"h2"});
    const std::string get = "GET / HTTP/1.0\r\n\r\n";
    EXPECT_FALSE(talk(plain, server.port(), get, true).reused);
    // Same server, other ALPN list: a full handshake.
    Seen other = talk(h2, server.port(), get, true);
    EXPECT_TRUE(other.offered_id.empty());
    EXPECT_FALSE(other.reused);
    // Same port, other name: nothing is offered (no handshake needed to see that).
    tls::Socket by_ip = wrap_loopback(plain, server.port(), "127.0.0.1");
    EXPECT_TRUE(by_ip.session().empty());
    by_ip.close();
    // Each key resumes its own.
    EXPECT_TRUE(talk(plain, server.port(), get, true).reused);
    EXPECT_TRUE(talk(h2, server.port(), get, true).reused);
    server.process().kill();
}

}  // namespace
