// The tls::asio::stream examples (issue 13) as subprocesses against each other and against real
// peers: the echo server's self-test, the Beast client and the Asio client against the Beast
// server example, the Asio client against nginx, curl against the Beast server example (two
// requests on one kept-alive connection), and the clients' refusal of a server they cannot
// verify. Each server example runs under `timeout`, reports its port on its first line and, with
// --exit-after, exits by itself.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/more_peers.hpp"
#include "support/nginx.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"

#ifndef TLSCTX_EXAMPLES_DIR
#error "TLSCTX_EXAMPLES_DIR must name the built examples"
#endif

namespace {

using tls::test::CertFiles;
using tls::test::kPeerTimeout;
using tls::test::Millis;
using tls::test::ProcessResult;
using tls::test::Subprocess;
using tls::test::TestPki;
using tls::test::more::contains;
using tls::test::nginx::Nginx;
using tls::test::nginx::NginxOptions;

const TestPki& pki() {
    return TestPki::get();
}

std::string example(const std::string& name) {
    return std::string(TLSCTX_EXAMPLES_DIR) + "/example_" + name;
}

std::string describe(const ProcessResult& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
           "\n--- stderr ---\n" + r.err;
}

// A server example that prints "listening on 127.0.0.1:PORT" as its first line, ready once it
// did.
class ServerExample {
  public:
    explicit ServerExample(std::vector<std::string> argv)
        : process_(std::move(argv), Millis(30000)) {
        constexpr std::string_view kListening = "listening on 127.0.0.1:";
        auto has_port = [&](const std::string& out, const std::string&) {
            const std::size_t at = out.find(kListening);
            return at != std::string::npos && out.find('\n', at) != std::string::npos;
        };
        if (!process_.wait_for_output(has_port, kPeerTimeout)) {
            throw std::runtime_error("the server example did not start\n" + process_.describe());
        }
        const std::string out = process_.stdout_text();
        EXPECT_EQ(out.find(kListening), 0u) << "the port is not on the first line: " << out;
        port_ = std::stoi(out.substr(out.find(kListening) + kListening.size()));
    }

    std::string port() const { return std::to_string(port_); }
    ProcessResult finish() { return process_.wait(kPeerTimeout); }

  private:
    Subprocess process_;
    int port_ = 0;
};

// example_beast_https_server --port 0 with `cert`, exiting after `exit_after` requests.
class BeastServerExample : public ServerExample {
  public:
    BeastServerExample(const CertFiles& cert, int exit_after)
        : ServerExample({example("beast_https_server"), "--port", "0", "--cert", cert.chain,
                         "--key", cert.key, "--exit-after", std::to_string(exit_after)}) {}
};

TEST(StreamExamples, AsioEchoServerSelfTestEchoesAndExchangesCloseNotify) {
    const ProcessResult r = tls::test::run_process({example("asio_echo_server"), "--self-test"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out,
              "asio_echo_server: self-test: 100010 bytes echoed over TLSv1.3; close_notify both "
              "ways\n");
    EXPECT_EQ(r.err, "");
}

// Python's ssl client: sends a line, reads its echo, then close_notify both ways (unwrap()).
constexpr const char* kPythonEchoClient = R"(
import json, socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    version = s.version()
    s.sendall(b"ping from python\n")
    echo = b""
    while not echo.endswith(b"\n"):
        chunk = s.recv(100)
        if not chunk:
            break
        echo += chunk
    s.unwrap()
print(json.dumps({"echo": echo.decode(), "version": version}))
)";

TEST(StreamExamples, AsioEchoServerEchoesForAPythonClientAndAnswersItsCloseNotify) {
    ServerExample server({example("asio_echo_server"), "--port", "0", "--cert",
                          pki().localhost().chain, "--key", pki().localhost().key, "--connections",
                          "1"});
    const nlohmann::json seen =
        tls::test::run_python_json(kPythonEchoClient, {server.port(), pki().ca_cert()});
    const ProcessResult served = server.finish();
    EXPECT_EQ(seen.at("echo"), "ping from python\n");
    EXPECT_EQ(seen.at("version"), "TLSv1.3");
    // unwrap() returned, so the server answered the client's close_notify with its own.
    EXPECT_EQ(served.exit_code, 0) << describe(served);
    EXPECT_EQ(served.err, "");
}

TEST(StreamExamples, BeastClientFetchesFromTheBeastServer) {
    BeastServerExample server(pki().localhost(), 1);
    const ProcessResult client =
        tls::test::run_process({example("beast_https_client"), "localhost", server.port(),
                                "/from-beast", "--cafile", pki().ca_cert()});
    const ProcessResult served = server.finish();
    ASSERT_EQ(client.exit_code, 0) << describe(client) << describe(served);
    EXPECT_TRUE(contains(client.out, "HTTP/1.1 200 OK\ntls: TLSv1.3 TLS_AES_256_GCM_SHA384\n"))
        << client.out;
    EXPECT_TRUE(contains(client.out, "path: /from-beast\nversion: TLSv1.3\n")) << client.out;
    EXPECT_TRUE(contains(client.out, "sni: localhost\n")) << client.out;
    EXPECT_EQ(served.exit_code, 0) << describe(served);
    EXPECT_EQ(served.err, "");
}

TEST(StreamExamples, AsioClientFetchesFromTheBeastServer) {
    BeastServerExample server(pki().localhost(), 1);
    const ProcessResult client =
        tls::test::run_process({example("asio_https_client"), "localhost", server.port(),
                                "/from-asio", "--cafile", pki().ca_cert()});
    const ProcessResult served = server.finish();
    ASSERT_EQ(client.exit_code, 0) << describe(client) << describe(served);
    EXPECT_TRUE(contains(client.out, "HTTP/1.0 200 OK\ntls: TLSv1.3 TLS_AES_256_GCM_SHA384\n"))
        << client.out;
    EXPECT_TRUE(contains(client.out, "body: ")) << client.out;
    EXPECT_EQ(served.exit_code, 0) << describe(served);
}

TEST(StreamExamples, AsioClientFetchesFromNginx) {
    Nginx nginx(NginxOptions{});
    const ProcessResult client =
        tls::test::run_process({example("asio_https_client"), "localhost",
                                std::to_string(nginx.port()), "/", "--cafile", pki().ca_cert()});
    ASSERT_EQ(client.exit_code, 0) << describe(client) << nginx.describe();
    EXPECT_TRUE(contains(client.out, "HTTP/1.1 200 OK\ntls: TLSv1.3 TLS_AES_256_GCM_SHA384\n"))
        << client.out;
}

TEST(StreamExamples, ClientsRefuseAServerTheyCannotVerify) {
    for (const char* name : {"beast_https_client", "asio_https_client"}) {
        SCOPED_TRACE(name);
        BeastServerExample server(pki().untrusted_localhost(), 1);
        const ProcessResult client = tls::test::run_process(
            {example(name), "localhost", server.port(), "/", "--cafile", pki().ca_cert()});
        EXPECT_EQ(client.exit_code, 1) << describe(client);
        EXPECT_EQ(client.out, "");
        EXPECT_EQ(client.err, "certificate refused: unable to get local issuer certificate\n")
            << describe(client);
    }
}

TEST(StreamExamples, CurlGetsTwoPagesOverOneConnectionFromTheBeastServer) {
    BeastServerExample server(pki().localhost(), 2);
    const std::string base = "https://localhost:" + server.port();
    const ProcessResult curl =
        tls::test::run_process({"curl", "--silent", "--show-error", "--verbose", "--max-time", "10",
                                "--resolve", "localhost:" + server.port() + ":127.0.0.1",
                                "--cacert", pki().ca_cert(), base + "/one", base + "/two"});
    const ProcessResult served = server.finish();
    ASSERT_EQ(curl.exit_code, 0) << describe(curl);
    EXPECT_TRUE(contains(curl.out, "path: /one\n")) << curl.out;
    EXPECT_TRUE(contains(curl.out, "path: /two\n")) << curl.out;
    EXPECT_TRUE(contains(curl.err, "Re-using existing connection")) << curl.err;
    EXPECT_TRUE(contains(curl.err, "ALPN: server accepted http/1.1")) << curl.err;
    EXPECT_EQ(served.exit_code, 0) << describe(served);
}

}  // namespace
