// The `tlsctx` command, run as a subprocess against itself, Python's ssl module, curl and
// `openssl s_client`, through the support pieces every interop suite uses (support/peers.hpp:
// each subprocess under `timeout` in its own process group, killed by its owner's destructor;
// support/more_peers.hpp: `tlsctx serve` on port 0, which reports the port it got).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/tool_runner.hpp"
#include "tls/ciphers.hpp"
#include "tls/pki.hpp"
#include "tls/version.hpp"

namespace {

using tls::test::ProcessResult;
using tls::test::more::contains;
using tls::test::more::TempDir;
using tls::test::more::TlsctxServe;
using tls::test::more::write_file;
using tls::test::tool::describe;
using tls::test::tool::kLimit;
using tls::test::tool::run;

const std::string kTool = tls::test::more::tlsctx_tool();
// The files a server and its clients need: ca.pem, <name>.chain.pem, <name>.key.pem.
struct ServerFiles {
    std::string ca;
    std::string chain;
    std::string key;
};

ServerFiles write_pki(const TempDir& dir, const tls::pki::CertificateAuthority& ca,
                      const std::vector<std::string>& names, const std::string& name) {
    tls::pki::IssuedCert leaf = ca.issue_cert(names);
    ServerFiles files{dir.path("ca.pem"), dir.path(name + ".chain.pem"),
                      dir.path(name + ".key.pem")};
    write_file(files.ca, ca.cert_pem());
    write_file(files.chain, leaf.cert_chain_pem());
    write_file(files.key, leaf.private_key_pem());
    return files;
}

// `tlsctx serve --cert --key` for `files` on 127.0.0.1 port 0, plus `extra` arguments.
TlsctxServe serve(const ServerFiles& files, std::vector<std::string> extra) {
    std::vector<std::string> args = {"--cert", files.chain, "--key", files.key};
    args.insert(args.end(), extra.begin(), extra.end());
    return TlsctxServe(args, kLimit);
}

// A plain TCP connection to 127.0.0.1:port with a 10 s receive timeout.
int tcp_connect(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (fd >= 0) {
            ::close(fd);
        }
        return -1;
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Reads until EOF, reset or the receive timeout; true unless it was the timeout.
bool read_until_closed(int fd) {
    char buffer[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n > 0) {
            continue;
        }
        if (n == 0) {
            return true;
        }
        if (errno == EINTR) {
            continue;
        }
        return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

// One line per argument: json.dumps(get_ciphers()) of a client context using that string.
const char* const kPythonGetCiphers =
    "import json, ssl, sys\n"
    "for cipher_string in sys.argv[1:]:\n"
    "    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
    "    ctx.set_ciphers(cipher_string)\n"
    "    print(json.dumps(ctx.get_ciphers()))\n";

const char* const kPythonDecodeCert =
    "import json, ssl, sys\n"
    "print(json.dumps(ssl._ssl._test_decode_cert(sys.argv[1])))\n";

TEST(TlsctxTool, DemoRunsAVerifiedHandshakeAndShowsBothRefusals) {
    ProcessResult r = run({kTool, "demo"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "TLSv1.3")) << r.out;
    EXPECT_TRUE(contains(r.out, "h2")) << r.out;
    // Both refusals are reported with their verify codes: hostname mismatch and unknown issuer.
    EXPECT_TRUE(contains(r.out, "verify_code:    62")) << r.out;
    EXPECT_TRUE(contains(r.out, "verify_code:    20")) << r.out;
}

TEST(TlsctxTool, DemoPassesWhereLocalhostDoesNotResolve) {
    // The preload makes every name lookup of the process fail, as on a minimal container without
    // /etc/hosts. First proof that "localhost" does not resolve there: connect reports the
    // resolver's error. Then the demo, which must connect to the address and verify the name.
    const std::string preload = std::string("LD_PRELOAD=") + TLSCTX_NO_NAME_RESOLUTION;
    ProcessResult lookup = run({"env", preload, kTool, "connect", "localhost:1"});
    ASSERT_TRUE(contains(lookup.err, "error: tls::gaierror (EAI_")) << describe(lookup);

    ProcessResult r = run({"env", preload, kTool, "demo"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "demo: OK")) << r.out;
    EXPECT_TRUE(contains(r.out, "verify_code:    62")) << r.out;
    EXPECT_TRUE(contains(r.out, "verify_code:    20")) << r.out;
}

TEST(TlsctxTool, VersionNamesTheLinkedOpenSSL) {
    ProcessResult r = run({kTool, "--version"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "tlsctx 0.")) << r.out;
    EXPECT_TRUE(contains(r.out, tls::openssl_version() + " (linked; built with " +
                                    tls::openssl_build_version() + ")"))
        << r.out;
}

TEST(TlsctxTool, EveryCommandHasHelp) {
    for (const char* command : {"demo", "connect", "serve", "verify", "decode-cert", "ciphers"}) {
        SCOPED_TRACE(command);
        ProcessResult r = run({kTool, command, "--help"});
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_TRUE(contains(r.out, "Usage:")) << r.out;
    }
}

TEST(TlsctxTool, CiphersJsonMatchesPythonGetCiphersForEveryPolicy) {
    // Every policy name the command accepts; "default" is python3.10.
    const std::vector<std::string> policies = {"python2.7",         "python3.3",  "python3.4",
                                               "python3.5",         "python3.6",  "python3.7",
                                               "python3.7-builtin", "python3.10", "default"};
    std::vector<std::string> python_argv = {"python3", "-c", kPythonGetCiphers};
    for (const std::string& name : policies) {
        std::optional<tls::CipherPolicy> policy = tls::cipher_policy_from_name(name);
        ASSERT_TRUE(policy.has_value()) << name;
        python_argv.emplace_back(tls::cipher_string(*policy));
    }
    ProcessResult python = run(python_argv);
    ASSERT_EQ(python.exit_code, 0) << describe(python);
    std::istringstream python_lines(python.out);

    for (const std::string& name : policies) {
        SCOPED_TRACE(name);
        std::string expected;
        ASSERT_TRUE(std::getline(python_lines, expected));
        ProcessResult tool = run({kTool, "ciphers", "--policy", name, "--json"});
        ASSERT_EQ(tool.exit_code, 0) << describe(tool);
        EXPECT_EQ(nlohmann::json::parse(tool.out), nlohmann::json::parse(expected));
        // The tool prints json.dumps' exact text, not just equal JSON.
        EXPECT_EQ(tool.out, expected + "\n");
    }
}

TEST(TlsctxTool, CiphersJsonEqualsPythonGetCiphersByteForByteForManyCipherStrings) {
    // Both sides start from a client context (Python: SSLContext(PROTOCOL_TLS_CLIENT)) and call
    // set_ciphers(s) then get_ciphers(). The result depends only on OpenSSL: the TLS 1.2 list is
    // what the string selects, and the TLS 1.3 suites are OpenSSL's default on both sides
    // (Python has no setter for them), so no interpreter-specific default enters the comparison.
    std::vector<std::string> strings = {"ALL",
                                        "DEFAULT",
                                        "ALL:@SECLEVEL=0",
                                        "aRSA",
                                        "kECDHE+AESGCM",
                                        "COMPLEMENTOFALL",
                                        "COMPLEMENTOFDEFAULT",
                                        "ALL:COMPLEMENTOFALL",
                                        "eNULL",
                                        "NULL",
                                        "aNULL",
                                        "ADH",
                                        "HIGH",
                                        "PSK",
                                        "kPSK:@SECLEVEL=0",
                                        "SRP",
                                        "CAMELLIA",
                                        "ARIA",
                                        "CHACHA20",
                                        "AESCCM",
                                        "SHA1",
                                        "kRSA",
                                        "DHE",
                                        "aECDSA",
                                        "SSLv3",
                                        "TLSv1.2",
                                        "@STRENGTH:ALL",
                                        "ECDHE-RSA-AES128-SHA"};
    for (const char* policy :
         {"python2.7", "python3.3", "python3.4", "python3.6", "python3.7-builtin", "python3.10"}) {
        strings.emplace_back(tls::cipher_string(*tls::cipher_policy_from_name(policy)));
    }
    std::vector<std::string> python_argv = {"python3", "-c", kPythonGetCiphers};
    python_argv.insert(python_argv.end(), strings.begin(), strings.end());
    ProcessResult python = run(python_argv);
    // Python accepts every string above; a refusal would make its row compare nothing.
    ASSERT_EQ(python.exit_code, 0) << describe(python);
    std::istringstream python_lines(python.out);

    for (const std::string& cipher_string : strings) {
        SCOPED_TRACE(cipher_string);
        std::string expected;
        ASSERT_TRUE(std::getline(python_lines, expected));
        ProcessResult tool = run({kTool, "ciphers", "--string", cipher_string, "--json"});
        ASSERT_EQ(tool.exit_code, 0) << describe(tool);
        const nlohmann::json ours = nlohmann::json::parse(tool.out);
        const nlohmann::json theirs = nlohmann::json::parse(expected);
        ASSERT_FALSE(theirs.empty());
        ASSERT_EQ(ours.size(), theirs.size());
        for (std::size_t i = 0; i < theirs.size(); ++i) {
            SCOPED_TRACE(theirs[i].value("name", "?"));
            ASSERT_EQ(ours[i].size(), theirs[i].size()) << ours[i].dump();
            for (const auto& [key, value] : theirs[i].items()) {
                ASSERT_TRUE(ours[i].contains(key)) << key;
                EXPECT_EQ(ours[i][key], value) << key;
            }
        }
        // The tool prints json.dumps' exact text, not just equal JSON.
        EXPECT_EQ(tool.out, expected + "\n");
    }
}

TEST(TlsctxTool, CiphersRejectsAStringThatSelectsNothingWithSSLError) {
    ProcessResult r = run({kTool, "ciphers", "--string", "NO-SUCH-CIPHER"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "error: tls::SSLError: ")) << r.err;
}

TEST(TlsctxTool, DecodeCertPrintsWhatPythonTestDecodeCertPrints) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost", "127.0.0.1", "::1"}, "leaf");
    ProcessResult tool = run({kTool, "decode-cert", "--python", files.chain});
    ASSERT_EQ(tool.exit_code, 0) << describe(tool);
    ProcessResult python = run({"python3", "-c", kPythonDecodeCert, files.chain});
    ASSERT_EQ(python.exit_code, 0) << describe(python);
    EXPECT_EQ(tool.out, python.out);
}

TEST(TlsctxTool, DecodeCertPprintPrintsWhatPythonPprintPrints) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost", "127.0.0.1", "::1"}, "leaf");
    ProcessResult tool = run({kTool, "decode-cert", "--pprint", files.chain});
    ASSERT_EQ(tool.exit_code, 0) << describe(tool);
    ProcessResult python =
        run({"python3", "-c",
             "import pprint, ssl, sys\npprint.pprint(ssl._ssl._test_decode_cert(sys.argv[1]))\n",
             files.chain});
    ASSERT_EQ(python.exit_code, 0) << describe(python);
    EXPECT_EQ(tool.out, python.out);
    EXPECT_NE(tool.out.find("\n 'subjectAltName': "), std::string::npos) << tool.out;
}

TEST(TlsctxTool, VerifyTakesAnEmptyIntermediatesFileAsNoIntermediates) {
    TempDir dir;
    tls::pki::CertificateAuthority root;
    tls::pki::CertificateAuthority intermediate = root.create_child_ca();
    write_file(dir.path("root.pem"), root.cert_pem());
    write_file(dir.path("intermediate.pem"), intermediate.cert_pem());
    write_file(dir.path("empty.pem"), "");
    write_file(dir.path("direct.pem"), root.issue_cert({"localhost"}).cert_pem());
    write_file(dir.path("indirect.pem"), intermediate.issue_cert({"localhost"}).cert_pem());
    // Each row: the leaf, the --intermediates files; every chain is complete and valid.
    const std::vector<std::pair<std::string, std::vector<std::string>>> rows = {
        // A leaf issued by the root itself, with only the empty bundle.
        {"direct.pem", {"empty.pem"}},
        // The empty bundle beside the one that holds the needed intermediate.
        {"indirect.pem", {"empty.pem", "intermediate.pem"}},
    };
    for (const auto& [leaf, intermediates] : rows) {
        SCOPED_TRACE(leaf);
        std::vector<std::string> argv = {kTool,    "verify",       "--roots", dir.path("root.pem"),
                                         "--leaf", dir.path(leaf), "--dns",   "localhost",
                                         "--json"};
        for (const std::string& bundle : intermediates) {
            argv.insert(argv.end(), {"--intermediates", dir.path(bundle)});
        }
        ProcessResult r = run(argv);
        ASSERT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_EQ(nlohmann::json::parse(r.out).at("ok"), true) << r.out;
    }
}

TEST(TlsctxTool, ConnectWithoutAPortIsAUsageError) {
    ProcessResult r = run({kTool, "connect", "localhost"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
}

TEST(TlsctxTool, ConnectToANameThatDoesNotResolveReportsTheResolversErrorAlone) {
    // RFC 6761: names under .invalid never resolve, with or without a network.
    ProcessResult r = run({kTool, "connect", "no-such-host.invalid:443"});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "error: tls::gaierror (EAI_")) << r.err;
    EXPECT_TRUE(contains(r.err, "no-such-host.invalid")) << r.err;
    EXPECT_FALSE(contains(r.err, "No route to host")) << r.err;  // no unrelated errno glued on
}

TEST(TlsctxTool, ConnectToAClosedPortNamesTheHostAndPortThatRefused) {
    // A port that was just free: bind, read it, close; nothing listens there now.
    tls::Listener probe(tls::Context(tls::PROTOCOL_TLS_SERVER), "127.0.0.1", 0);
    const std::string target = "127.0.0.1:" + std::to_string(probe.port());
    probe.close();
    ProcessResult r = run({kTool, "connect", target});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "error: std::system_error (ECONNREFUSED): ")) << r.err;
    EXPECT_TRUE(contains(r.err, "connect to " + target)) << r.err;
}

TEST(TlsctxTool, EchoServerAnswersConnectSendWithJsonNamingVersionCipherAndAlpn) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost", "127.0.0.1"}, "server");
    const std::string port_file = dir.path("server.port");
    TlsctxServe server = serve(
        files, {"--echo", "--alpn", "h2,http/1.1", "--exit-after", "1", "--port-file", port_file});
    const int port = server.port();

    ProcessResult r = run({kTool, "connect", "localhost:" + std::to_string(port), "--cafile",
                           files.ca, "--alpn", "http/1.1", "--send", "hello", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["version"], "TLSv1.3");
    EXPECT_EQ(j["cipher"]["protocol"], "TLSv1.3");
    EXPECT_FALSE(j["cipher"]["name"].get<std::string>().empty());
    EXPECT_GE(j["cipher"]["secret_bits"].get<int>(), 128);
    EXPECT_EQ(j["alpn"], "http/1.1");
    EXPECT_EQ(j["server_hostname"], "localhost");
    EXPECT_EQ(j["response"], "hello");
    EXPECT_EQ(j["verified_chain_length"], 2);  // the leaf and the CA that anchors it
    EXPECT_EQ(j["session_reused"], false);
    EXPECT_EQ(j["peer_certificate"]["subject"],
              nlohmann::json::parse(R"([[["commonName", "localhost"]]])"));
    // --port-file names the same port, for scripts that cannot read the output.
    EXPECT_EQ(tls::test::read_file(port_file), std::to_string(port) + "\n");
    const ProcessResult served = server.finish();
    EXPECT_EQ(served.exit_code, 0) << describe(served);
}

TEST(TlsctxTool, ConnectOverIpv4LiteralWithServernameAndTls12Maximum) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    TlsctxServe server = serve(files, {"--echo", "--exit-after", "1"});
    const int port = server.port();

    ProcessResult r = run({kTool, "connect", "127.0.0.1:" + std::to_string(port), "--cafile",
                           files.ca, "--servername", "localhost", "--tls-max", "1.2", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["version"], "TLSv1.2");
    EXPECT_TRUE(j["alpn"].is_null());
    EXPECT_EQ(j["server_hostname"], "localhost");
    const ProcessResult served = server.finish();
    EXPECT_EQ(served.exit_code, 0) << describe(served);
}

TEST(TlsctxTool, ConnectRefusesAServerWhoseCertificateNamesAnotherHost) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"other.example"}, "server");
    TlsctxServe server = serve(files, {"--echo", "--exit-after", "1"});
    const int port = server.port();

    ProcessResult r =
        run({kTool, "connect", "localhost:" + std::to_string(port), "--cafile", files.ca});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "SSLCertVerificationError")) << r.err;
    EXPECT_TRUE(contains(r.err, "verify_code=62")) << r.err;
    const ProcessResult served = server.finish();
    EXPECT_EQ(served.exit_code, 0) << describe(served);
}

TEST(TlsctxTool, WwwServerAnswersCurlWith200AndABodyNamingTheTlsVersion) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    TlsctxServe server = serve(files, {"--www", "--exit-after", "1"});
    const int port = server.port();

    const std::string p = std::to_string(port);
    ProcessResult r = run({"curl", "--silent", "--show-error", "--max-time", "15", "--cacert",
                           files.ca, "--resolve", "localhost:" + p + ":127.0.0.1", "--write-out",
                           "\nstatus=%{http_code}", "https://localhost:" + p + "/"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "status=200")) << r.out;
    EXPECT_TRUE(contains(r.out, "version: TLSv1.3")) << r.out;
    EXPECT_TRUE(contains(r.out, "alpn: http/1.1")) << r.out;
    const ProcessResult served = server.finish();
    EXPECT_EQ(served.exit_code, 0) << describe(served);
}

TEST(TlsctxTool, OpensslSClientVerifiesServe) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    TlsctxServe server = serve(files, {"--echo", "--exit-after", "1"});
    const int port = server.port();

    ProcessResult r = run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port),
                           "-servername", "localhost", "-verify_hostname", "localhost",
                           "-verify_return_error", "-CAfile", files.ca});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "Verify return code: 0 (ok)")) << describe(r);
    const ProcessResult served = server.finish();
    EXPECT_EQ(served.exit_code, 0) << describe(served);
}

TEST(TlsctxTool, ServerKeepsServingAfterGarbageAndAnAbortedConnectionAndStopsOnSigterm) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    TlsctxServe server = serve(files, {"--echo", "--idle-timeout", "5"});
    const int port = server.port();

    // Plain text where a ClientHello belongs: the server must answer with an alert and close.
    int garbage = tcp_connect(port);
    ASSERT_GE(garbage, 0);
    const char request[] = "GET / HTTP/1.0\r\n\r\n";
    ASSERT_EQ(::send(garbage, request, sizeof request - 1, MSG_NOSIGNAL),
              static_cast<ssize_t>(sizeof request - 1));
    EXPECT_TRUE(read_until_closed(garbage));
    ::close(garbage);

    // A connection reset before any byte (SO_LINGER 0 makes close() send RST).
    int aborted = tcp_connect(port);
    ASSERT_GE(aborted, 0);
    linger reset{1, 0};
    ::setsockopt(aborted, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(aborted);

    ProcessResult r = run({kTool, "connect", "localhost:" + std::to_string(port), "--cafile",
                           files.ca, "--send", "still here", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r) << server.process().stderr_text();
    EXPECT_EQ(nlohmann::json::parse(r.out)["response"], "still here");

    server.process().terminate();
    const ProcessResult served = server.finish();
    EXPECT_EQ(served.exit_code, 0) << describe(served);
    EXPECT_TRUE(contains(served.err, "SSLError")) << served.err;
}

TEST(TlsctxTool, ServerDropsAConnectionThatStaysIdlePastTheIdleTimeout) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    TlsctxServe server = serve(files, {"--echo", "--idle-timeout", "0.3", "--exit-after", "1"});
    const int port = server.port();

    // Connect and send nothing: the handshake must time out on the server's side, well before
    // this socket's own 10 s receive timeout.
    int idle = tcp_connect(port);
    ASSERT_GE(idle, 0);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(read_until_closed(idle));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    ::close(idle);
    const ProcessResult served = server.finish();
    EXPECT_EQ(served.exit_code, 0) << describe(served);
    EXPECT_TRUE(contains(served.err, "std::system_error (ETIMEDOUT): ")) << served.err;
}

}  // namespace
