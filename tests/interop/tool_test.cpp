// The `tlsctx` command, run as a subprocess against itself, Python's ssl module, curl and
// `openssl s_client`. Every subprocess runs under `timeout`, every server is stopped by
// --exit-after or by SIGTERM in its destructor, and servers listen on port 0 and report the port
// through --port-file. Depends only on GoogleTest, the public API and nlohmann-json.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tls/ciphers.hpp"
#include "tls/pki.hpp"

extern char** environ;

#ifndef TLSCTX_BINARY_DIR
#error "TLSCTX_BINARY_DIR must name the build directory"
#endif

namespace {

const std::string kTool = TLSCTX_BINARY_DIR "/tools/tlsctx/tlsctx";
// Upper bound for any one subprocess; a hang shows up as exit status 124.
const std::vector<std::string> kTimeoutPrefix = {"timeout", "-k", "5", "20"};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.flush()) << path;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// A directory under $TMPDIR, removed with its files at the end of the test.
class TempDir {
  public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tlsctx-tool-XXXXXX";
        std::vector<char> buffer(pattern.begin(), pattern.end());
        buffer.push_back('\0');
        if (::mkdtemp(buffer.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = buffer.data();
    }
    ~TempDir() {
        std::string command = "rm -rf '" + path_ + "'";
        if (std::system(command.c_str()) != 0) {
            // Best effort; a leftover directory in $TMPDIR is harmless.
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

// A child process under `timeout`, stdin from /dev/null, stdout and stderr captured in files.
// The destructor sends SIGTERM if it is still running and reaps it.
class Subprocess {
  public:
    Subprocess(const std::vector<std::string>& argv, const TempDir& dir, const std::string& name)
        : out_path_(dir.file(name + ".out")), err_path_(dir.file(name + ".err")) {
        std::vector<std::string> full = kTimeoutPrefix;
        full.insert(full.end(), argv.begin(), argv.end());
        std::vector<char*> cargv;
        for (std::string& arg : full) {
            cargv.push_back(arg.data());
        }
        cargv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int rc = ::posix_spawnp(&pid_, cargv[0], &actions, nullptr, cargv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            pid_ = -1;
            throw std::runtime_error("posix_spawnp failed for " + argv.front());
        }
    }
    ~Subprocess() {
        if (running()) {
            terminate();
        }
        wait();
    }
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    bool running() {
        if (pid_ < 0 || status_) {
            return false;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            status_ = decode(status);
            return false;
        }
        return true;
    }
    void terminate() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGTERM);
        }
    }
    /// The exit status (128 + signal when killed by one); blocks at most until `timeout` fires.
    int wait() {
        if (pid_ < 0) {
            return -1;
        }
        if (!status_) {
            int status = 0;
            while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            status_ = decode(status);
        }
        return *status_;
    }
    std::string out() const { return read_file(out_path_); }
    std::string err() const { return read_file(err_path_); }

  private:
    static int decode(int status) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::string out_path_;
    std::string err_path_;
    pid_t pid_ = -1;
    std::optional<int> status_;
};

struct Result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

Result run(const std::vector<std::string>& argv, const TempDir& dir, const std::string& name) {
    Subprocess process(argv, dir, name);
    Result result;
    result.exit_code = process.wait();
    result.out = process.out();
    result.err = process.err();
    return result;
}

std::string describe(const Result& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
           "\n--- stderr ---\n" + r.err;
}

// The files a server and its clients need: ca.pem, <name>.chain.pem, <name>.key.pem.
struct ServerFiles {
    std::string ca;
    std::string chain;
    std::string key;
};

ServerFiles write_pki(const TempDir& dir, const tls::pki::CertificateAuthority& ca,
                      const std::vector<std::string>& names, const std::string& name) {
    tls::pki::IssuedCert leaf = ca.issue_cert(names);
    ServerFiles files{dir.file("ca.pem"), dir.file(name + ".chain.pem"),
                      dir.file(name + ".key.pem")};
    write_file(files.ca, ca.cert_pem());
    write_file(files.chain, leaf.cert_chain_pem());
    write_file(files.key, leaf.private_key_pem());
    return files;
}

// A `tlsctx serve` on 127.0.0.1 port 0. Waits (bounded) until the port file appears.
class ToolServer {
  public:
    ToolServer(const TempDir& dir, const ServerFiles& files, std::vector<std::string> extra,
               const std::string& name = "server")
        : port_file_(dir.file(name + ".port")) {
        std::vector<std::string> argv = {kTool,    "serve",   "--cert",      files.chain,
                                         "--key",  files.key, "--host",      "127.0.0.1",
                                         "--port", "0",       "--port-file", port_file_};
        argv.insert(argv.end(), extra.begin(), extra.end());
        process_.emplace(argv, dir, name);
    }

    /// The port, or 0 when the server died or never wrote it within 10 s.
    int wait_for_port() {
        // The only sleep in this file: a bounded poll for the port file.
        for (int i = 0; i < 1000; ++i) {
            std::string text = read_file(port_file_);
            if (!text.empty() && text.back() == '\n') {
                return std::stoi(text);
            }
            if (!process_->running()) {
                return 0;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return 0;
    }
    Subprocess& process() { return *process_; }

  private:
    std::string port_file_;
    std::optional<Subprocess> process_;
};

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
    TempDir dir;
    Result r = run({kTool, "demo"}, dir, "demo");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "TLSv1.3")) << r.out;
    EXPECT_TRUE(contains(r.out, "h2")) << r.out;
    // Both refusals are reported with their verify codes: hostname mismatch and unknown issuer.
    EXPECT_TRUE(contains(r.out, "verify_code:    62")) << r.out;
    EXPECT_TRUE(contains(r.out, "verify_code:    20")) << r.out;
}

TEST(TlsctxTool, EveryCommandHasHelp) {
    TempDir dir;
    for (const char* command : {"demo", "connect", "serve", "verify", "decode-cert", "ciphers"}) {
        SCOPED_TRACE(command);
        Result r = run({kTool, command, "--help"}, dir, "help");
        EXPECT_EQ(r.exit_code, 0) << describe(r);
        EXPECT_TRUE(contains(r.out, "Usage:")) << r.out;
    }
}

TEST(TlsctxTool, CiphersJsonMatchesPythonGetCiphersForEveryPolicy) {
    TempDir dir;
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
    Result python = run(python_argv, dir, "python");
    ASSERT_EQ(python.exit_code, 0) << describe(python);
    std::istringstream python_lines(python.out);

    for (const std::string& name : policies) {
        SCOPED_TRACE(name);
        std::string expected;
        ASSERT_TRUE(std::getline(python_lines, expected));
        Result tool = run({kTool, "ciphers", "--policy", name, "--json"}, dir, "ciphers");
        ASSERT_EQ(tool.exit_code, 0) << describe(tool);
        EXPECT_EQ(nlohmann::json::parse(tool.out), nlohmann::json::parse(expected));
        // The tool prints json.dumps' exact text, not just equal JSON.
        EXPECT_EQ(tool.out, expected + "\n");
    }
}

TEST(TlsctxTool, CiphersRejectsAStringThatSelectsNothingWithSSLError) {
    TempDir dir;
    Result r = run({kTool, "ciphers", "--string", "NO-SUCH-CIPHER"}, dir, "ciphers");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "SSLError")) << r.err;
}

TEST(TlsctxTool, DecodeCertPrintsWhatPythonTestDecodeCertPrints) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost", "127.0.0.1", "::1"}, "leaf");
    Result tool = run({kTool, "decode-cert", files.chain}, dir, "decode");
    ASSERT_EQ(tool.exit_code, 0) << describe(tool);
    Result python = run({"python3", "-c", kPythonDecodeCert, files.chain}, dir, "python");
    ASSERT_EQ(python.exit_code, 0) << describe(python);
    EXPECT_EQ(tool.out, python.out);
}

TEST(TlsctxTool, ConnectWithoutAPortIsAUsageError) {
    TempDir dir;
    Result r = run({kTool, "connect", "localhost"}, dir, "connect");
    EXPECT_EQ(r.exit_code, 2) << describe(r);
}

TEST(TlsctxTool, EchoServerAnswersConnectSendWithJsonNamingVersionCipherAndAlpn) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost", "127.0.0.1"}, "server");
    ToolServer server(dir, files, {"--echo", "--alpn", "h2,http/1.1", "--exit-after", "1"});
    const int port = server.wait_for_port();
    ASSERT_GT(port, 0) << server.process().err();

    Result r = run({kTool, "connect", "localhost:" + std::to_string(port), "--cafile", files.ca,
                    "--alpn", "http/1.1", "--send", "hello", "--json"},
                   dir, "connect");
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
    EXPECT_EQ(server.process().wait(), 0) << server.process().err();
}

TEST(TlsctxTool, ConnectOverIpv4LiteralWithServernameAndTls12Maximum) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    ToolServer server(dir, files, {"--echo", "--exit-after", "1"});
    const int port = server.wait_for_port();
    ASSERT_GT(port, 0) << server.process().err();

    Result r = run({kTool, "connect", "127.0.0.1:" + std::to_string(port), "--cafile", files.ca,
                    "--servername", "localhost", "--tls-max", "1.2", "--json"},
                   dir, "connect");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["version"], "TLSv1.2");
    EXPECT_TRUE(j["alpn"].is_null());
    EXPECT_EQ(j["server_hostname"], "localhost");
    EXPECT_EQ(server.process().wait(), 0) << server.process().err();
}

TEST(TlsctxTool, ConnectRefusesAServerWhoseCertificateNamesAnotherHost) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"other.example"}, "server");
    ToolServer server(dir, files, {"--echo", "--exit-after", "1"});
    const int port = server.wait_for_port();
    ASSERT_GT(port, 0) << server.process().err();

    Result r = run({kTool, "connect", "localhost:" + std::to_string(port), "--cafile", files.ca},
                   dir, "connect");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "SSLCertVerificationError")) << r.err;
    EXPECT_TRUE(contains(r.err, "verify_code=62")) << r.err;
    EXPECT_EQ(server.process().wait(), 0) << server.process().err();
}

TEST(TlsctxTool, WwwServerAnswersCurlWith200AndABodyNamingTheTlsVersion) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    ToolServer server(dir, files, {"--www", "--exit-after", "1"});
    const int port = server.wait_for_port();
    ASSERT_GT(port, 0) << server.process().err();

    const std::string p = std::to_string(port);
    Result r = run({"curl", "--silent", "--show-error", "--max-time", "15", "--cacert", files.ca,
                    "--resolve", "localhost:" + p + ":127.0.0.1", "--write-out",
                    "\nstatus=%{http_code}", "https://localhost:" + p + "/"},
                   dir, "curl");
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "status=200")) << r.out;
    EXPECT_TRUE(contains(r.out, "version: TLSv1.3")) << r.out;
    EXPECT_TRUE(contains(r.out, "alpn: http/1.1")) << r.out;
    EXPECT_EQ(server.process().wait(), 0) << server.process().err();
}

TEST(TlsctxTool, OpensslSClientVerifiesServe) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    ToolServer server(dir, files, {"--echo", "--exit-after", "1"});
    const int port = server.wait_for_port();
    ASSERT_GT(port, 0) << server.process().err();

    Result r = run(
        {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-servername",
         "localhost", "-verify_hostname", "localhost", "-verify_return_error", "-CAfile", files.ca},
        dir, "s_client");
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(contains(r.out, "Verify return code: 0 (ok)")) << describe(r);
    EXPECT_EQ(server.process().wait(), 0) << server.process().err();
}

TEST(TlsctxTool, ServerKeepsServingAfterGarbageAndAnAbortedConnectionAndStopsOnSigterm) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    ToolServer server(dir, files, {"--echo", "--idle-timeout", "5"});
    const int port = server.wait_for_port();
    ASSERT_GT(port, 0) << server.process().err();

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

    Result r = run({kTool, "connect", "localhost:" + std::to_string(port), "--cafile", files.ca,
                    "--send", "still here", "--json"},
                   dir, "connect");
    ASSERT_EQ(r.exit_code, 0) << describe(r) << server.process().err();
    EXPECT_EQ(nlohmann::json::parse(r.out)["response"], "still here");

    server.process().terminate();
    EXPECT_EQ(server.process().wait(), 0) << server.process().err();
    EXPECT_TRUE(contains(server.process().err(), "SSLError")) << server.process().err();
}

TEST(TlsctxTool, ServerDropsAConnectionThatStaysIdlePastTheIdleTimeout) {
    TempDir dir;
    tls::pki::CertificateAuthority ca;
    ServerFiles files = write_pki(dir, ca, {"localhost"}, "server");
    ToolServer server(dir, files, {"--echo", "--idle-timeout", "0.3", "--exit-after", "1"});
    const int port = server.wait_for_port();
    ASSERT_GT(port, 0) << server.process().err();

    // Connect and send nothing: the handshake must time out on the server's side, well before
    // this socket's own 10 s receive timeout.
    int idle = tcp_connect(port);
    ASSERT_GE(idle, 0);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(read_until_closed(idle));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    ::close(idle);
    EXPECT_EQ(server.process().wait(), 0) << server.process().err();
    EXPECT_TRUE(contains(server.process().err(), "TimeoutError")) << server.process().err();
}

}  // namespace
