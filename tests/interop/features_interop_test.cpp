// Server features of a tlsctx server (and client) against other TLS stacks: SNI with
// `openssl s_client` and Python; DHE and key-exchange groups as `openssl s_client` reports them;
// post-handshake authentication, chains, channel binding and the key log with Python's ssl on
// the same connection; key log lines that let tshark decrypt a loopback capture.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using tls::test::describe;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::connect_loopback;
using tls::test::feature::ConnectionServer;
using tls::test::feature::hex;
using tls::test::feature::read_until;
using tls::test::feature::server_context;
using tls::test::feature::TempDir;

// Runs tests/support/python/feature_client.py; one JSON object per connection.
std::vector<nlohmann::json> run_feature_client(std::uint16_t port,
                                               const std::vector<std::string>& args) {
    std::vector<std::string> argv{"python3",  tls::test::python_script("feature_client.py"),
                                  "--port",   std::to_string(port),
                                  "--cafile", TestPki::get().ca_cert()};
    argv.insert(argv.end(), args.begin(), args.end());
    tls::test::ProcessResult run = tls::test::run_process(argv);
    std::vector<nlohmann::json> out;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
        if (parsed.is_object()) {
            out.push_back(parsed);
        }
    }
    if (out.empty()) {
        ADD_FAILURE() << "feature_client.py reported nothing\n" << run.out << run.err;
    }
    return out;
}

std::vector<std::string> hex_all(const std::vector<tls::Bytes>& chain) {
    std::vector<std::string> out;
    for (const tls::Bytes& der : chain) {
        out.push_back(hex(der));
    }
    return out;
}

std::vector<std::string> hex_chain(const std::string& pem_file) {
    return hex_all(tls::test::feature::der_certificates_of_file(pem_file));
}

std::string common_name(const tls::CertificateInfo& cert) {
    for (const auto& rdn : cert.subject) {
        for (const auto& [key, value] : rdn) {
            if (key == "commonName") {
                return value;
            }
        }
    }
    return {};
}

bool has_error(const std::exception_ptr& e) {
    return static_cast<bool>(e);
}

// --- SNI -------------------------------------------------------------------------------------

class SniInterop : public ::testing::Test {
  protected:
    SniInterop() {
        tls::test::feature::write_file(ca_file, ca.cert_pem());
        listener_ctx.set_sni_callback(
            [this](tls::ServerNameRequest& r) -> std::optional<tls::AlertDescription> {
                if (!r.server_name()) {
                    return std::nullopt;
                }
                if (*r.server_name() == "a.example.test") {
                    r.set_context(ctx_a);
                } else if (*r.server_name() == "b.example.test") {
                    r.set_context(ctx_b);
                } else {
                    return tls::AlertDescription::ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
                }
                return std::nullopt;
            });
    }

    static tls::Context serving(const tls::pki::IssuedCert& cert) {
        tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
        ctx.load_cert_chain_pem(cert.cert_chain_pem(), cert.private_key_pem());
        return ctx;
    }

    TempDir dir;
    std::string ca_file = dir.path("sni-ca.pem");
    tls::pki::CertificateAuthority ca{"tlsctx SNI interop CA"};
    tls::Context ctx_a = serving(ca.issue_cert(std::vector<std::string>{"a.example.test"}));
    tls::Context ctx_b = serving(ca.issue_cert(std::vector<std::string>{"b.example.test"}));
    tls::Context listener_ctx =
        serving(ca.issue_cert(std::vector<std::string>{"default.example.test"}));
    tls::Listener listener{listener_ctx, "127.0.0.1", 0};
};

TEST_F(SniInterop, OpensslClientGetsTheCertificateOfTheNameItSendsAndAnAlertForAThird) {
    ConnectionServer server(listener, 3, [](std::size_t, tls::Socket& s) { s.sendall("hi\n"); });
    for (const std::string name : {"a.example.test", "b.example.test"}) {
        tls::test::OpensslClientOptions options;
        options.port = listener.port();
        options.servername = name;  // -servername and -verify_hostname
        options.cafile = ca_file;
        tls::test::OpensslClientResult r = tls::test::run_openssl_client(options);
        EXPECT_EQ(r.verify_code, 0) << r.process.out << r.process.err;
        EXPECT_EQ(tls::test::normalize_dn(
                      tls::test::find_line_value(r.process.out, "subject=").value_or("(none)")),
                  "CN=" + name)
            << r.process.out;
    }
    tls::test::OpensslClientOptions options;
    options.port = listener.port();
    options.servername = "c.example.test";
    options.cafile = ca_file;
    tls::test::OpensslClientResult r = tls::test::run_openssl_client(options);
    EXPECT_FALSE(r.protocol.has_value()) << r.process.out;
    EXPECT_NE(r.process.err.find("alert number 112"), std::string::npos) << r.process.err;

    const std::vector<std::exception_ptr>& errors = server.join();
    EXPECT_FALSE(has_error(errors[0])) << describe(errors[0]);
    EXPECT_FALSE(has_error(errors[1])) << describe(errors[1]);
    EXPECT_THROW(tls::test::rethrow(errors[2]), tls::SSLError);
}

TEST_F(SniInterop, PythonClientGetsTheRightCertificateAndUnrecognizedNameForAThird) {
    ConnectionServer server(listener, 3, [](std::size_t, tls::Socket& s) {
        read_until(s);
        s.sendall("hi\n");
    });
    for (const std::string name : {"b.example.test", "a.example.test"}) {
        tls::test::PythonClientOptions options;
        options.port = listener.port();
        options.server_hostname = name;
        options.cafile = ca_file;
        nlohmann::json r = tls::test::run_python_client(options);
        ASSERT_EQ(r["handshake"], "ok") << r.dump();
        EXPECT_EQ(r["peercert"]["subjectAltName"],
                  nlohmann::json::parse(R"([["DNS", ")" + name + R"("]])"));
        EXPECT_EQ(r["received"], "hi\n");
    }
    tls::test::PythonClientOptions options;
    options.port = listener.port();
    options.server_hostname = "c.example.test";
    options.cafile = ca_file;
    nlohmann::json r = tls::test::run_python_client(options);
    EXPECT_EQ(r["handshake"], "failed") << r.dump();
    EXPECT_EQ(r["error"]["type"], "SSLError") << r.dump();
    EXPECT_EQ(r["error"]["reason"], "TLSV1_UNRECOGNIZED_NAME") << r.dump();
    server.join();
}

// --- Key exchange ----------------------------------------------------------------------------

// One s_client connection to a tlsctx server made from `server_ctx`; returns what s_client
// printed and the suite the server chose.
struct KeyExchangeRun {
    tls::test::OpensslClientResult client;
    std::string server_cipher;
};

KeyExchangeRun run_against(const tls::Context& server_ctx, const std::string& version_flag,
                           const std::vector<std::string>& extra_args) {
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    KeyExchangeRun run;
    std::mutex mutex;
    ConnectionServer server(listener, 1, [&](std::size_t, tls::Socket& s) {
        std::lock_guard<std::mutex> lock(mutex);
        run.server_cipher = s.cipher()->name;
    });
    tls::test::OpensslClientOptions options;
    options.port = listener.port();
    options.cafile = TestPki::get().ca_cert();
    options.version_flag = version_flag;
    options.extra_args = extra_args;
    run.client = tls::test::run_openssl_client(options);
    EXPECT_FALSE(has_error(server.join()[0])) << describe(server.join()[0]);
    return run;
}

TEST(KeyExchangeInterop, DheSuiteUsesTheLoadedDhParametersWithOpensslClient) {
    TempDir dir;
    const std::string params = dir.path("ffdhe3072.pem");
    tls::test::ProcessResult gen =
        tls::test::run_process({"openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                                "group:ffdhe3072", "-out", params});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;

    tls::Context server = server_context(TestPki::get().localhost_rsa());
    server.set_ciphers("DHE-RSA-AES128-GCM-SHA256");
    server.load_dh_params(params);
    KeyExchangeRun run = run_against(server, "-tls1_2", {"-cipher", "DHE-RSA-AES128-GCM-SHA256"});
    EXPECT_EQ(run.client.cipher, "DHE-RSA-AES128-GCM-SHA256") << run.client.process.out;
    EXPECT_EQ(run.server_cipher, "DHE-RSA-AES128-GCM-SHA256");
    // 3072 bits: the loaded group, not one OpenSSL would pick by itself for an RSA-2048 key.
    EXPECT_EQ(tls::test::find_temp_key(run.client.process.out), "DH, 3072 bits");
}

TEST(KeyExchangeInterop, OpensslClientReportsTheGroupTheServerWasLimitedTo) {
    struct Row {
        std::string groups;  // set_groups when not empty
        std::string curve;   // set_ecdh_curve when not empty
        std::string version_flag;
        std::vector<std::string> client_args;
        std::string temp_key;  // "Server Temp Key: ..." (3.0), "Peer Temp Key: ..." (3.2+)
        const char* why;
    };
    const Row rows[] = {
        {"P-384", "", "-tls1_3", {}, "ECDH, secp384r1, 384 bits", "TLS 1.3 group list"},
        {"X25519",
         "",
         "-tls1_3",
         {"-groups", "P-256:X25519"},
         "X25519, 253 bits",
         "client's first key share is refused: HelloRetryRequest for X25519"},
        {"", "prime256v1", "-tls1_2", {}, "ECDH, prime256v1, 256 bits", "TLS 1.2 ECDHE curve"},
        {"", "secp384r1", "-tls1_3", {}, "ECDH, secp384r1, 384 bits", "the curve limits 1.3 too"},
    };
    for (const Row& row : rows) {
        tls::Context server = server_context();
        if (!row.groups.empty()) {
            server.set_groups(row.groups);
        }
        if (!row.curve.empty()) {
            server.set_ecdh_curve(row.curve);
        }
        KeyExchangeRun run = run_against(server, row.version_flag, row.client_args);
        EXPECT_EQ(tls::test::find_temp_key(run.client.process.out), row.temp_key)
            << row.why << "\n"
            << run.client.process.out << run.client.process.err;
    }
}

TEST(SharedCiphersInterop, ServerListsExactlyTheSuitesOpensslClientOfferedThatItHas) {
    struct Row {
        std::string version_flag;
        std::vector<std::string> client_args;
        std::set<std::string> shared;
        const char* why;
    };
    const Row rows[] = {
        {"-tls1_2",
         {"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:AES128-SHA"},
         {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
         "AES128-SHA is offered but not in the server's (Python's) list"},
        {"",
         {"-ciphersuites", "TLS_AES_128_GCM_SHA256", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"},
         {"TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"},
         "one TLS 1.3 suite and one TLS 1.2 suite"},
    };
    for (const Row& row : rows) {
        tls::Listener listener(server_context(), "127.0.0.1", 0);
        std::set<std::string> shared;
        std::mutex mutex;
        ConnectionServer server(listener, 1, [&](std::size_t, tls::Socket& s) {
            const std::optional<std::vector<tls::CipherDescription>> offered = s.shared_ciphers();
            if (!offered) {
                throw std::logic_error("no shared ciphers on a server");
            }
            std::lock_guard<std::mutex> lock(mutex);
            for (const tls::CipherDescription& c : *offered) {
                shared.insert(c.name);
            }
        });
        tls::test::OpensslClientOptions options;
        options.port = listener.port();
        options.cafile = TestPki::get().ca_cert();
        options.version_flag = row.version_flag;
        options.extra_args = row.client_args;
        tls::test::OpensslClientResult r = tls::test::run_openssl_client(options);
        EXPECT_FALSE(has_error(server.join()[0])) << row.why << ": " << describe(server.join()[0]);
        EXPECT_EQ(shared, row.shared) << row.why << "\n" << r.process.out;
    }
}

// --- Post-handshake authentication with Python's client --------------------------------------

tls::Context pha_server() {
    tls::Context ctx = server_context();
    ctx.set_verify_mode(tls::CERT_REQUIRED);
    ctx.load_verify_locations(TestPki::get().ca_cert());
    ctx.set_post_handshake_auth(true);
    return ctx;
}

struct PhaLog {
    std::mutex mutex;
    bool cert_before = true;
    bool request_failed = false;
    std::string line;
    std::string cn_after;
};

ConnectionServer::Handler pha_handler(PhaLog& log) {
    return [&log](std::size_t, tls::Socket& s) {
        std::lock_guard<std::mutex> lock(log.mutex);
        log.cert_before = s.getpeercert().has_value();
        try {
            s.verify_client_post_handshake();
        } catch (const tls::SSLError&) {
            log.request_failed = true;
        }
        s.sendall("hello\n");
        log.line = read_until(s);
        if (std::optional<tls::CertificateInfo> cert = s.getpeercert()) {
            log.cn_after = common_name(*cert);
        }
        s.sendall("bye\n");
    };
}

TEST(PostHandshakeAuthInterop, PythonClientSendsItsCertificateWhenAskedAfterTheHandshake) {
    tls::Listener listener(pha_server(), "127.0.0.1", 0);
    PhaLog log;
    ConnectionServer server(listener, 1, pha_handler(log));
    std::vector<nlohmann::json> r = run_feature_client(
        listener.port(), {"--post-handshake-auth", "--read-first", "--cert",
                          TestPki::get().client().chain, "--key", TestPki::get().client().key});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0]["handshake"], "ok") << r[0].dump();
    EXPECT_EQ(r[0]["version"], "TLSv1.3");
    EXPECT_EQ(r[0]["first_line"], "hello\n") << r[0].dump();
    EXPECT_EQ(r[0]["received"], "bye\n") << r[0].dump();
    EXPECT_FALSE(has_error(server.join()[0])) << describe(server.join()[0]);
    EXPECT_FALSE(log.cert_before);
    EXPECT_FALSE(log.request_failed);
    EXPECT_EQ(log.line, "ping\n");
    EXPECT_EQ(log.cn_after, "tlsctx test client");
}

TEST(PostHandshakeAuthInterop, PythonClientThatDidNotOfferItMakesTheRequestThrowSslError) {
    tls::Listener listener(pha_server(), "127.0.0.1", 0);
    PhaLog log;
    ConnectionServer server(listener, 1, pha_handler(log));
    std::vector<nlohmann::json> r = run_feature_client(
        listener.port(), {"--read-first", "--cert", TestPki::get().client().chain, "--key",
                          TestPki::get().client().key});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0]["handshake"], "ok") << r[0].dump();
    server.join();
    EXPECT_TRUE(log.request_failed);
    EXPECT_EQ(log.cn_after, "");
}

// --- Chains and channel binding with Python on the same connection ----------------------------

TEST(ChainsInterop, PythonAndTlsctxSeeTheExpectedChainsOnBothEnds) {
    tls::Context server_ctx = server_context();
    server_ctx.set_verify_mode(tls::CERT_REQUIRED);
    server_ctx.load_verify_locations(TestPki::get().ca_cert());
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    std::mutex mutex;
    std::vector<std::string> verified, unverified;
    ConnectionServer server(listener, 1, [&](std::size_t, tls::Socket& s) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            verified = hex_all(s.get_verified_chain());
            unverified = hex_all(s.get_unverified_chain());
        }
        read_until(s);
        s.sendall("hi\n");
    });
    std::vector<nlohmann::json> r = run_feature_client(
        listener.port(),
        {"--cert", TestPki::get().client().chain, "--key", TestPki::get().client().key});
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0]["handshake"], "ok") << r[0].dump();
    EXPECT_FALSE(has_error(server.join()[0])) << describe(server.join()[0]);

    const std::vector<std::string> root = hex_chain(TestPki::get().ca_cert());
    std::vector<std::string> server_sent = hex_chain(TestPki::get().localhost().chain);
    std::vector<std::string> client_sent = hex_chain(TestPki::get().client().chain);
    ASSERT_FALSE(r[0]["unverified_chain"].is_null()) << "this Python has no chain accessors";
    // Python's view of the tlsctx server.
    EXPECT_EQ(r[0]["unverified_chain"].get<std::vector<std::string>>(), server_sent);
    server_sent.push_back(root.at(0));
    EXPECT_EQ(r[0]["verified_chain"].get<std::vector<std::string>>(), server_sent);
    // The tlsctx server's view of Python.
    EXPECT_EQ(unverified, client_sent);
    client_sent.push_back(root.at(0));
    EXPECT_EQ(verified, client_sent);
}

TEST(ChannelBindingInterop, PythonsTlsUniqueEqualsTheTlsctxServersOnTheSameConnection) {
    tls::Context server_ctx = server_context();
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    std::mutex mutex;
    std::vector<std::string> server_values;
    ConnectionServer server(listener, 2, [&](std::size_t, tls::Socket& s) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            server_values.push_back(hex(s.get_channel_binding("tls-unique").value()));
        }
        read_until(s);
        s.sendall("hi\n");
    });
    // A full handshake, then a resumed one (where the server's Finished comes first).
    std::vector<nlohmann::json> r =
        run_feature_client(listener.port(), {"--max-version", "1.2", "--connections", "2"});
    ASSERT_EQ(r.size(), 2u);
    server.join();
    ASSERT_EQ(server_values.size(), 2u);
    EXPECT_EQ(r[0]["session_reused"], false);
    EXPECT_EQ(r[1]["session_reused"], true);
    EXPECT_EQ(r[0]["tls_unique"], server_values[0]);
    EXPECT_EQ(r[1]["tls_unique"], server_values[1]);
    EXPECT_EQ(server_values[0].size(), 24u);
    EXPECT_NE(server_values[0], server_values[1]);
}

// --- Key log ---------------------------------------------------------------------------------

std::set<std::string> secret_lines(const std::string& path) {
    std::ifstream in(path);
    std::set<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != '#') {
            lines.insert(line);
        }
    }
    return lines;
}

bool any_starts_with(const std::set<std::string>& lines, const std::string& prefix) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

class KeyLogInterop : public ::testing::TestWithParam<std::string> {};

TEST_P(KeyLogInterop, PythonClientLogsTheSameSecretsAsTheTlsctxServer) {
    TempDir dir;
    tls::Context server_ctx = server_context();
    server_ctx.dangerous().set_keylog_filename(dir.path("server.keys"));
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    ConnectionServer server(listener, 1, [](std::size_t, tls::Socket& s) {
        read_until(s);
        s.sendall("hi\n");
    });
    std::vector<nlohmann::json> r = run_feature_client(
        listener.port(), {"--keylog", dir.path("python.keys"), "--max-version", GetParam()});
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0]["received"], "hi\n");
    server.join();
    std::set<std::string> ours = secret_lines(dir.path("server.keys"));
    std::set<std::string> python = secret_lines(dir.path("python.keys"));
    EXPECT_EQ(ours, python);
    EXPECT_TRUE(
        any_starts_with(ours, GetParam() == "1.3" ? "CLIENT_TRAFFIC_SECRET_0 " : "CLIENT_RANDOM "));
}

bool on_path(const std::string& program) {
    return tls::test::run_process({"sh", "-c", "command -v " + program}).exit_code == 0;
}

// Sends one UDP datagram to 127.0.0.1:port (a capture marker).
void send_probe(int udp, std::uint16_t port) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(udp, "probe", 5, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
}

int reports(const std::string& dumpcap_stderr) {
    int n = 0;
    for (std::size_t at = dumpcap_stderr.find("Packets: "); at != std::string::npos;
         at = dumpcap_stderr.find("Packets: ", at + 1)) {
        ++n;
    }
    return n;
}

TEST_P(KeyLogInterop, TsharkDecryptsALoopbackCaptureWithTheKeyLog) {
    if (!on_path("dumpcap") || !on_path("tshark")) {
        // scripts/install-deps.sh installs tshark for the test suite: missing is a set-up defect.
        FAIL() << "dumpcap/tshark are not installed (Debian package tshark)";
    }
    TempDir dir;
    const std::string capture = dir.path("loopback.pcapng"), keys = dir.path("client.keys");
    tls::Listener listener(server_context(), "127.0.0.1", 0);

    // The UDP marker: a bound socket receives the probes, so nothing answers with ICMP.
    tls::test::Fd sink(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    tls::test::Fd probe(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(sink.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(sink.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const std::uint16_t marker_port = ntohs(addr.sin_port);

    tls::test::Subprocess dumpcap({"dumpcap", "-i", "lo", "-f",
                                   "tcp port " + std::to_string(listener.port()) + " or udp port " +
                                       std::to_string(marker_port),
                                   "-w", capture},
                                  30000ms);
    // Capturing has begun once a probe shows up in dumpcap's packet count.
    bool live = false;
    for (int i = 0; i < 100 && !live; ++i) {
        send_probe(probe.get(), marker_port);
        live = dumpcap.wait_for_output(
            [](const std::string&, const std::string& err) { return reports(err) > 0; }, 50ms);
    }
    if (!live) {
        GTEST_SKIP() << "cannot capture on lo here\n" << dumpcap.describe();
    }

    const std::string request = "tlsctx capture request " + GetParam();
    const std::string reply = "tlsctx capture reply " + GetParam();
    ConnectionServer server(listener, 1, [&](std::size_t, tls::Socket& s) {
        read_until(s);
        s.sendall(reply + "\n");
    });
    tls::Context client = client_context();
    if (GetParam() == "1.2") {
        client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    client.dangerous().set_keylog_filename(keys);
    {
        tls::Socket socket = connect_loopback(client, listener.port(), "localhost");
        socket.sendall(request + "\n");
        EXPECT_EQ(read_until(socket), reply + "\n");
    }
    EXPECT_FALSE(has_error(server.join()[0])) << describe(server.join()[0]);

    // Packets reach dumpcap in order: once two more reports came in while marker probes were
    // sent after the connection ended, the connection's packets are all in the file.
    const int seen = reports(dumpcap.stderr_text());
    for (int i = 0; i < 40 && reports(dumpcap.stderr_text()) < seen + 2; ++i) {
        send_probe(probe.get(), marker_port);
        dumpcap.wait_for_output(
            [&](const std::string&, const std::string& err) { return reports(err) >= seen + 2; },
            100ms);
    }
    ::kill(dumpcap.pid(), SIGTERM);  // `timeout` passes it on; dumpcap closes the file cleanly
    tls::test::ProcessResult captured = dumpcap.wait(10000ms);

    auto follow = [&](bool with_keys) {
        std::vector<std::string> argv{"tshark", "-r", capture, "-q", "-z", "follow,tls,ascii,0"};
        if (with_keys) {
            argv.insert(argv.begin() + 3, {"-o", "tls.keylog_file:" + keys});
        }
        return tls::test::run_process(argv, {}, 20000ms);
    };
    tls::test::ProcessResult decrypted = follow(true);
    EXPECT_NE(decrypted.out.find(request), std::string::npos)
        << decrypted.out << decrypted.err << captured.err;
    EXPECT_NE(decrypted.out.find(reply), std::string::npos) << decrypted.out;
    // Without the key log the same capture shows nothing: the check can fail.
    tls::test::ProcessResult opaque = follow(false);
    EXPECT_EQ(opaque.out.find(request), std::string::npos) << opaque.out;
}

INSTANTIATE_TEST_SUITE_P(Versions, KeyLogInterop, ::testing::Values("1.3", "1.2"),
                         [](const auto& info) {
                             return info.param == "1.3" ? std::string("Tls13")
                                                        : std::string("Tls12");
                         });

}  // namespace
