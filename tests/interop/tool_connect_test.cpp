// `tlsctx connect` as an everyday debugger, against `openssl s_server`: --showcerts, --resume,
// --sess-out/--sess-in and --keylog, each checked against what the server itself saw or wrote.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "support/tool_runner.hpp"

namespace {

using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::ProcessResult;
using tls::test::TestPki;
using tls::test::more::contains;
using tls::test::more::TempDir;
using tls::test::tool::describe;
using tls::test::tool::run;

const std::string kTool = tls::test::more::tlsctx_tool();
// s_server presenting localhost with the intermediate (two certificates sent), answering
// `connections` connections in the given mode; `version_flag` "-tls1_2" / "-tls1_3".
OpensslServerOptions server_options(const std::string& version_flag, int connections,
                                    std::vector<std::string> extra = {}) {
    OpensslServerOptions o = tls::test::serving(TestPki::get().localhost());
    o.version_flag = version_flag;
    o.mode = OpensslServerOptions::Mode::echo;
    o.extra_args = {"-naccept", std::to_string(connections)};
    o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
    return o;
}

std::vector<std::string> connect_argv(const OpensslServer& server, std::vector<std::string> extra) {
    std::vector<std::string> argv = {kTool,
                                     "connect",
                                     "127.0.0.1:" + std::to_string(server.port()),
                                     "--servername",
                                     "localhost",
                                     "--cafile",
                                     TestPki::get().ca_cert()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

// The lines of a key log file that start with `label`.
std::vector<std::string> keylog_lines(const std::string& text, const std::string& label) {
    std::vector<std::string> out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(label + " ", 0) == 0) {
            out.push_back(line);
        }
    }
    return out;
}

TEST(TlsctxToolConnect, ShowcertsMarksBothCertificatesTheServerSentAsVerified) {
    OpensslServer server(server_options("-tls1_3", 1));
    ProcessResult r = run(connect_argv(server, {"--showcerts", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    const nlohmann::json& sent = j.at("peer_certificates");
    ASSERT_EQ(sent.size(), 2u) << r.out;
    // Leaf and intermediate, as sent, at depths 0 and 1; the root came from --cafile.
    EXPECT_EQ(sent[0]["verified_depth"], 0);
    EXPECT_EQ(sent[0]["certificate"]["subject"], j["peer_certificate"]["subject"]);
    EXPECT_EQ(sent[1]["verified_depth"], 1);
    EXPECT_TRUE(contains(sent[1]["pem"].get<std::string>(), "-----BEGIN CERTIFICATE-----"));
    EXPECT_EQ(tls::test::read_file(TestPki::get().intermediate_cert())
                      .find(sent[1]["pem"].get<std::string>().substr(28, 64)) != std::string::npos,
              true);
    // The fingerprint is the one `openssl x509` gives the leaf file.
    ProcessResult openssl = run({"openssl", "x509", "-in", TestPki::get().localhost().cert,
                                 "-noout", "-fingerprint", "-sha256"});
    ASSERT_EQ(openssl.exit_code, 0) << describe(openssl);
    EXPECT_EQ(sent[0]["sha256_fingerprint"].get<std::string>() + "\n",
              openssl.out.substr(openssl.out.find('=') + 1));
    ASSERT_EQ(j.at("trust_store_certificates").size(), 1u) << r.out;
    EXPECT_EQ(j["trust_store_certificates"][0]["verified_depth"], 2);
    EXPECT_EQ(j["verified_chain_length"], 3);
    EXPECT_EQ(j["peer_chain_length"], 2);
    server.finish();

    OpensslServer human_server(server_options("-tls1_3", 1));
    ProcessResult human = run(connect_argv(human_server, {"--showcerts"}));
    ASSERT_EQ(human.exit_code, 0) << describe(human);
    EXPECT_TRUE(contains(human.out, "certificates sent by the peer: 2")) << human.out;
    EXPECT_TRUE(contains(human.out, "#0: verified chain depth 0")) << human.out;
    EXPECT_TRUE(contains(human.out, "#1: verified chain depth 1")) << human.out;
    EXPECT_TRUE(contains(human.out, "trust store: verified chain depth 2")) << human.out;
    human_server.finish();
}

TEST(TlsctxToolConnect, InsecureNoVerifyClaimsNoVerifiedChain) {
    OpensslServer server(server_options("-tls1_3", 1));
    ProcessResult r = run({kTool, "connect", "127.0.0.1:" + std::to_string(server.port()),
                           "--insecure-no-verify", "--showcerts"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "verified:    NO")) << r.out;
    EXPECT_TRUE(contains(r.out, "chain:       not verified; the peer sent 2 certificate(s)"))
        << r.out;
    EXPECT_FALSE(contains(r.out, "verified certificate(s)")) << r.out;
    EXPECT_FALSE(contains(r.out, "verified chain depth")) << r.out;
    EXPECT_TRUE(contains(r.out, "#1: not in the verified chain")) << r.out;
    server.finish();

    OpensslServer json_server(server_options("-tls1_3", 1));
    ProcessResult j = run({kTool, "connect", "127.0.0.1:" + std::to_string(json_server.port()),
                           "--insecure-no-verify", "--showcerts", "--json"});
    ASSERT_EQ(j.exit_code, 0) << describe(j);
    const nlohmann::json parsed = nlohmann::json::parse(j.out);
    EXPECT_EQ(parsed["verified"], false);
    EXPECT_TRUE(parsed["verified_chain_length"].is_null()) << j.out;
    EXPECT_EQ(parsed["peer_chain_length"], 2);
    EXPECT_TRUE(parsed["peer_certificates"][0]["verified_depth"].is_null()) << j.out;
    EXPECT_TRUE(parsed["trust_store_certificates"].empty()) << j.out;
    json_server.finish();
}

TEST(TlsctxToolConnect, ResumeReportsTheSecondConnectionResumedOnTls12AndTls13) {
    for (const std::string version : {"-tls1_2", "-tls1_3"}) {
        SCOPED_TRACE(version);
        OpensslServer server(server_options(version, 2));
        ProcessResult r = run(connect_argv(server, {"--resume", "--json"}));
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        const nlohmann::json j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j["session_reused"], false);
        EXPECT_EQ(j["resume"]["session_offered"], true) << r.out;
        EXPECT_EQ(j["resume"]["resumed"], true) << r.out;
        EXPECT_EQ(j["resume"]["version"], version == "-tls1_2" ? "TLSv1.2" : "TLSv1.3");
        // The server counts the same: one full handshake, one resumed.
        const ProcessResult served = server.finish();
        EXPECT_TRUE(contains(served.out, "Reused session-id")) << describe(served);
    }
}

TEST(TlsctxToolConnect, ResumeReportsNotResumedWhenTheServerKeepsNoSession) {
    // TLS 1.2 without tickets or a session cache: the server cannot resume anything. TLS 1.3
    // with no tickets sent: the client has nothing to offer.
    const std::vector<std::pair<std::string, std::vector<std::string>>> rows = {
        {"-tls1_2", {"-no_ticket", "-no_cache"}},
        {"-tls1_3", {"-num_tickets", "0"}},
    };
    for (const auto& [version, extra] : rows) {
        SCOPED_TRACE(version);
        OpensslServer server(server_options(version, 2, extra));
        ProcessResult r = run(connect_argv(server, {"--resume", "--json"}));
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        const nlohmann::json j = nlohmann::json::parse(r.out);
        EXPECT_EQ(j["resume"]["resumed"], false) << r.out;
        // The second handshake did happen, in full.
        EXPECT_EQ(j["resume"]["version"], version == "-tls1_2" ? "TLSv1.2" : "TLSv1.3");
        server.finish();

        OpensslServer human_server(server_options(version, 2, extra));
        ProcessResult human = run(connect_argv(human_server, {"--resume"}));
        ASSERT_EQ(human.exit_code, 0) << describe(human);
        EXPECT_TRUE(contains(human.out, "second connection: NOT resumed")) << human.out;
        human_server.finish();
    }
}

TEST(TlsctxToolConnect, SessOutThenSessInResumesAndOpensslReadsTheFile) {
    for (const std::string version : {"-tls1_2", "-tls1_3"}) {
        SCOPED_TRACE(version);
        TempDir dir;
        const std::string file = dir.path("session.pem");
        OpensslServer server(server_options(version, 2));
        ProcessResult first = run(connect_argv(server, {"--sess-out", file, "--json"}));
        ASSERT_EQ(first.exit_code, 0) << describe(first);
        EXPECT_EQ(nlohmann::json::parse(first.out)["session_reused"], false);
        const std::string saved = tls::test::read_file(file);
        EXPECT_EQ(saved.rfind("-----BEGIN SSL SESSION PARAMETERS-----\n", 0), 0u) << saved;
        struct stat st {};
        ASSERT_EQ(::stat(file.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        // openssl reads it as its own -sess_out file.
        ProcessResult parsed = run({"openssl", "sess_id", "-in", file, "-noout", "-text"});
        EXPECT_EQ(parsed.exit_code, 0) << describe(parsed);
        EXPECT_TRUE(contains(parsed.out, version == "-tls1_2" ? "TLSv1.2" : "TLSv1.3"))
            << parsed.out;

        ProcessResult second = run(connect_argv(server, {"--sess-in", file, "--json"}));
        ASSERT_EQ(second.exit_code, 0) << describe(second);
        EXPECT_EQ(nlohmann::json::parse(second.out)["session_reused"], true) << second.out;
        const ProcessResult served = server.finish();
        EXPECT_TRUE(contains(served.out, "Reused session-id")) << describe(served);
    }
}

TEST(TlsctxToolConnect, KeylogWritesTheSecretsTheServerLogsForEachConnection) {
    // Each row: the version and the label that proves each connection's secret was logged.
    const std::vector<std::pair<std::string, std::string>> rows = {
        {"-tls1_2", "CLIENT_RANDOM"},
        {"-tls1_3", "CLIENT_HANDSHAKE_TRAFFIC_SECRET"},
    };
    for (const auto& [version, label] : rows) {
        SCOPED_TRACE(version);
        TempDir dir;
        const std::string client_log = dir.path("client.keylog");
        const std::string server_log = dir.path("server.keylog");
        OpensslServer server(server_options(version, 2, {"-keylogfile", server_log}));
        ProcessResult r = run(connect_argv(server, {"--resume", "--keylog", client_log}));
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        server.finish();
        const std::vector<std::string> ours = keylog_lines(tls::test::read_file(client_log), label);
        const std::vector<std::string> theirs =
            keylog_lines(tls::test::read_file(server_log), label);
        // Two connections, two client randoms, the same secrets on both ends.
        ASSERT_EQ(ours.size(), 2u) << tls::test::read_file(client_log);
        std::set<std::string> randoms;
        for (const std::string& line : ours) {
            randoms.insert(line.substr(label.size() + 1, 64));
        }
        EXPECT_EQ(randoms.size(), 2u);
        EXPECT_EQ(std::set<std::string>(ours.begin(), ours.end()),
                  std::set<std::string>(theirs.begin(), theirs.end()));
    }
}

}  // namespace
