// Output of the `tlsctx` command a person can trust: verify names the depth and certificate
// that failed, JSON is one line unless --pretty, decode-cert shows every certificate of a
// bundle with fingerprints (checked against `openssl x509`) and extensions, ciphers has column
// headers, and errors name the C++ type, never a Python class.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/tool_runner.hpp"
#include "tls/certificate.hpp"
#include "tls/pki.hpp"

namespace {

using tls::test::ProcessResult;
using tls::test::more::contains;
using tls::test::more::TempDir;
using tls::test::more::write_file;
using tls::test::tool::describe;
using tls::test::tool::run;

const std::string kTool = tls::test::more::tlsctx_tool();
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

// A root, an intermediate under it and a leaf for localhost issued by the intermediate.
struct Chain {
    TempDir dir;
    tls::pki::CertificateAuthority root;
    tls::pki::CertificateAuthority intermediate = root.create_child_ca();
    tls::pki::IssuedCert leaf = intermediate.issue_cert({"localhost", "127.0.0.1"});
    Chain() {
        write_file(dir.path("root.pem"), root.cert_pem());
        write_file(dir.path("intermediate.pem"), intermediate.cert_pem());
        write_file(dir.path("leaf.pem"), leaf.cert_pem());
        write_file(dir.path("bundle.pem"),
                   leaf.cert_pem() + intermediate.cert_pem() + root.cert_pem());
    }
};

std::string subject_text(const std::string& pem) {
    std::string out;
    for (const auto& rdn : tls::decode_certificate(pem).subject) {
        for (const auto& [key, value] : rdn) {
            out += (out.empty() ? "" : ", ") + key + "=" + value;
        }
    }
    return out;
}

TEST(TlsctxToolOutput, VerifyFailureNamesTheDepthTheSubjectAndTheReason) {
    Chain chain;
    tls::pki::CertificateAuthority stranger;
    TempDir dir;
    write_file(dir.path("stranger.pem"), stranger.cert_pem());
    // Each row: roots, intermediates, the depth that fails, the certificate there, verify code.
    struct Row {
        std::string roots;
        std::vector<std::string> intermediates;
        int depth;
        std::string subject_pem;
        int code;
    };
    const std::vector<Row> rows = {
        // The intermediate is missing: the leaf's issuer cannot be found (20).
        {chain.dir.path("root.pem"), {}, 0, chain.leaf.cert_pem(), 20},
        // Everything sent, but the root is not trusted: the chain stops at the intermediate,
        // whose issuer is unknown (20 at depth 1).
        {dir.path("stranger.pem"),
         {chain.dir.path("intermediate.pem")},
         1,
         chain.intermediate.cert_pem(),
         20},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.depth);
        std::vector<std::string> argv = {kTool,     "verify",   "--roots",
                                         row.roots, "--leaf",   chain.dir.path("leaf.pem"),
                                         "--dns",   "localhost"};
        for (const std::string& bundle : row.intermediates) {
            argv.insert(argv.end(), {"--intermediates", bundle});
        }
        ProcessResult r = run(argv);
        EXPECT_EQ(r.exit_code, 1) << describe(r);
        const std::string subject = subject_text(row.subject_pem);
        EXPECT_TRUE(contains(r.err, "error: rejected at depth " + std::to_string(row.depth) + " (" +
                                        subject + "): " + std::to_string(row.code) + " "))
            << describe(r);
        EXPECT_TRUE(contains(r.out, "REJECTED at depth " + std::to_string(row.depth))) << r.out;
        EXPECT_TRUE(contains(r.out, subject + "  <- failed here")) << r.out;

        argv.emplace_back("--json");
        ProcessResult j = run(argv);
        EXPECT_EQ(j.exit_code, 1) << describe(j);
        const nlohmann::json parsed = nlohmann::json::parse(j.out);
        EXPECT_EQ(parsed["error_depth"], row.depth);
        EXPECT_EQ(parsed["error_subject"], subject);
        EXPECT_EQ(parsed["verify_code"], row.code);
    }
}

TEST(TlsctxToolOutput, JsonIsOneLineByDefaultAndIndentedWithPretty) {
    Chain chain;
    const std::vector<std::string> verify = {kTool,
                                             "verify",
                                             "--roots",
                                             chain.dir.path("root.pem"),
                                             "--intermediates",
                                             chain.dir.path("intermediate.pem"),
                                             "--leaf",
                                             chain.dir.path("leaf.pem"),
                                             "--dns",
                                             "localhost"};
    // Each row: a command printing JSON; the same with --pretty.
    const std::vector<std::vector<std::string>> rows = {
        {kTool, "ciphers", "--json"},
        {kTool, "decode-cert", chain.dir.path("leaf.pem")},
        [&] {
            auto v = verify;
            v.emplace_back("--json");
            return v;
        }(),
    };
    for (const std::vector<std::string>& argv : rows) {
        SCOPED_TRACE(argv[1]);
        ProcessResult one = run(argv);
        ASSERT_EQ(one.exit_code, 0) << describe(one);
        EXPECT_EQ(lines_of(one.out).size(), 1u) << one.out;
        std::vector<std::string> pretty_argv = argv;
        pretty_argv.emplace_back("--pretty");
        ProcessResult pretty = run(pretty_argv);
        ASSERT_EQ(pretty.exit_code, 0) << describe(pretty);
        EXPECT_GT(lines_of(pretty.out).size(), 3u) << pretty.out;
        EXPECT_EQ(nlohmann::json::parse(one.out), nlohmann::json::parse(pretty.out));
    }
    // --pretty alone asks for JSON.
    std::vector<std::string> pretty_verify = verify;
    pretty_verify.emplace_back("--pretty");
    ProcessResult r = run(pretty_verify);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(nlohmann::json::parse(r.out)["ok"], true);
}

TEST(TlsctxToolOutput, DecodeCertDecodesEveryCertificateOfABundleWithFingerprintsAndExtensions) {
    Chain chain;
    ProcessResult r = run({kTool, "decode-cert", chain.dir.path("bundle.pem")});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const std::vector<std::string> lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 3u) << r.out;
    const std::vector<std::string> pems = {chain.leaf.cert_pem(), chain.intermediate.cert_pem(),
                                           chain.root.cert_pem()};
    for (std::size_t i = 0; i < pems.size(); ++i) {
        SCOPED_TRACE(i);
        const nlohmann::json j = nlohmann::json::parse(lines[i]);
        TempDir dir;
        write_file(dir.path("one.pem"), pems[i]);
        // The subject is the i-th certificate's, in file order.
        ProcessResult python = run({"python3", "-c",
                                    "import json, ssl, sys\n"
                                    "print(json.dumps(ssl._ssl._test_decode_cert(sys.argv[1])))\n",
                                    dir.path("one.pem")});
        ASSERT_EQ(python.exit_code, 0) << describe(python);
        const nlohmann::json dict = nlohmann::json::parse(python.out);
        for (const auto& [key, value] : dict.items()) {
            EXPECT_EQ(j.at(key), value) << key;
        }
        // Fingerprints as `openssl x509 -fingerprint` prints them.
        for (const std::string digest : {"sha256", "sha1"}) {
            ProcessResult openssl = run({"openssl", "x509", "-in", dir.path("one.pem"), "-noout",
                                         "-fingerprint", "-" + digest});
            ASSERT_EQ(openssl.exit_code, 0) << describe(openssl);
            const std::string expected = openssl.out.substr(openssl.out.find('=') + 1);
            EXPECT_EQ(j["fingerprints"][digest].get<std::string>() + "\n", expected) << digest;
        }
        std::vector<std::string> names;
        for (const nlohmann::json& extension : j.at("extensions")) {
            names.push_back(extension.at("name"));
        }
        for (const char* name :
             {"basicConstraints", "keyUsage", "subjectKeyIdentifier", "authorityKeyIdentifier"}) {
            EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
        }
    }
    const nlohmann::json leaf = nlohmann::json::parse(lines[0]);
    bool saw_san = false;
    for (const nlohmann::json& extension : leaf.at("extensions")) {
        if (extension["name"] == "subjectAltName") {
            saw_san = true;
            EXPECT_TRUE(contains(extension["value"].get<std::string>(), "DNS:localhost"));
        }
        if (extension["name"] == "basicConstraints") {
            EXPECT_EQ(extension["value"], "CA:FALSE");
            EXPECT_EQ(extension["critical"], true);
        }
    }
    EXPECT_TRUE(saw_san) << lines[0];

    // --pprint prints every certificate, each after a comment line naming which it is.
    ProcessResult pprint = run({kTool, "decode-cert", "--pprint", chain.dir.path("bundle.pem")});
    ASSERT_EQ(pprint.exit_code, 0) << describe(pprint);
    EXPECT_TRUE(contains(pprint.out, "# certificate 3 of 3\n")) << pprint.out;
}

TEST(TlsctxToolOutput, CiphersTableHasHeadersAndNamesTheProtocolAsAMinimumVersion) {
    ProcessResult r = run({kTool, "ciphers", "--string", "AES128-SHA"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const std::vector<std::string> lines = lines_of(r.out);
    ASSERT_GE(lines.size(), 3u) << r.out;
    EXPECT_EQ(lines[0].rfind("# ", 0), 0u) << r.out;
    EXPECT_TRUE(contains(lines[0], "negotiates TLSv1.2 to TLSv1.3")) << r.out;
    EXPECT_EQ(lines[1].rfind("NAME ", 0), 0u) << r.out;
    EXPECT_TRUE(contains(lines[1], "MIN-VERSION")) << r.out;
    const auto row = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
        return line.rfind("AES128-SHA ", 0) == 0;
    });
    ASSERT_NE(row, lines.end()) << r.out;
    EXPECT_TRUE(contains(*row, "SSLv3")) << *row;
}

TEST(TlsctxToolOutput, ErrorsNameTheCppTypeAndNeverAPythonClass) {
    TempDir dir;
    // Each row: arguments, the exit code, the start of the error line.
    struct Row {
        std::vector<std::string> args;
        int exit_code;
        std::string error;
    };
    const std::vector<Row> rows = {
        // A bad option value the library refuses: std::invalid_argument, a usage error.
        {{"connect", "127.0.0.1:1", "--alpn", "h2,,x"}, 2, "error: std::invalid_argument: "},
        // A file that is not there.
        {{"decode-cert", dir.path("missing.pem")}, 1, "error: std::system_error (ENOENT): "},
        // A cipher string that selects nothing.
        {{"ciphers", "--string", "NO-SUCH-CIPHER"}, 1, "error: tls::SSLError: "},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.args[0]);
        std::vector<std::string> argv = {kTool};
        argv.insert(argv.end(), row.args.begin(), row.args.end());
        ProcessResult r = run(argv);
        EXPECT_EQ(r.exit_code, row.exit_code) << describe(r);
        EXPECT_EQ(r.err.rfind(row.error, 0), 0u) << r.err;
        for (const char* python : {"ValueError", "OSError", "FileNotFoundError", "RuntimeError"}) {
            EXPECT_FALSE(contains(r.err, python)) << r.err;
        }
    }
}

}  // namespace
