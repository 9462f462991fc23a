// TLS 1.3 KeyUpdate and keying material exporters against openssl s_client / s_server on
// 127.0.0.1. The openssl tools send a KeyUpdate on their "k" / "K" stdin commands (s_client(1)
// "CONNECTED COMMANDS"; "K" asks the peer to update too) and print "Keying material: HEX" for
// -keymatexport LABEL; tlsctx must count what it receives, answer a request, keep data flowing,
// and export the same bytes for the same label.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::kPeerTimeout;
using tls::test::Millis;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::Subprocess;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::hex;
using tls::test::feature::read_until;
using tls::test::feature::server_context;
using tls::test::feature::wrap_loopback;

const TestPki& pki() {
    return TestPki::get();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// "Keying material: 0A1B..." as lower-case hex.
std::string keying_material(const std::string& output) {
    std::string value = tls::test::find_line_value(output, "Keying material: ").value_or("");
    for (char& c : value) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
        value.pop_back();
    }
    return value;
}

// An interactive s_client (no -ign_eof, so its command letters work) against 127.0.0.1:port.
std::vector<std::string> s_client_argv(std::uint16_t port, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"openssl",
                                  "s_client",
                                  "-connect",
                                  "127.0.0.1:" + std::to_string(port),
                                  "-servername",
                                  "localhost",
                                  "-verify_hostname",
                                  "localhost",
                                  "-CAfile",
                                  pki().ca_cert(),
                                  "-verify_return_error"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

bool stderr_has(Subprocess& p, const std::string& needle) {
    return p.wait_for_output(
        [&](const std::string&, const std::string& err) { return contains(err, needle); },
        kPeerTimeout);
}

TEST(KeyUpdateInterop, OpensslClientKeyUpdateRequestIsAnsweredByTlsctxServer) {
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    tls::ConnectionStats stats;
    tls::test::feature::ConnectionServer server(listener, 1, [&](std::size_t, tls::Socket& s) {
        EXPECT_EQ(read_until(s), "one\n");
        s.sendall("first\n");
        EXPECT_EQ(read_until(s), "two\n");  // came after s_client's KeyUpdate
        s.sendall("second\n");              // carries our answer first
        EXPECT_EQ(read_until(s), "three\n");
        stats = s.stats();
    });
    Subprocess client(s_client_argv(listener.port()), Millis(20000));
    ASSERT_TRUE(client.wait_for_stdout("Verify return code: 0", kPeerTimeout)) << client.describe();
    client.write_stdin("one\n");
    ASSERT_TRUE(client.wait_for_stdout("first", kPeerTimeout)) << client.describe();
    client.write_stdin("K\n");  // alone in its read, or it is sent as data
    ASSERT_TRUE(stderr_has(client, "KEYUPDATE")) << client.describe();
    client.write_stdin("two\n");
    ASSERT_TRUE(client.wait_for_stdout("second", kPeerTimeout)) << client.describe();
    client.write_stdin("three\n");
    const std::exception_ptr error = server.join().at(0);
    client.close_stdin();
    client.wait();
    ASSERT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(stats.key_updates_received, 1U);
    EXPECT_EQ(stats.key_updates_sent, 1U);  // the answer the request asked for
}

TEST(KeyUpdateInterop, TlsctxServerKeyUpdateReachesOpensslClient) {
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    tls::ConnectionStats stats;
    tls::test::feature::ConnectionServer server(listener, 1, [&](std::size_t, tls::Socket& s) {
        EXPECT_EQ(read_until(s), "one\n");
        s.update_keys(true);
        s.sendall("updated\n");
        EXPECT_EQ(read_until(s), "two\n");  // s_client answered with its own KeyUpdate first
        stats = s.stats();
    });
    Subprocess client(s_client_argv(listener.port(), {"-msg"}), Millis(20000));
    ASSERT_TRUE(client.wait_for_stdout("Verify return code: 0", kPeerTimeout)) << client.describe();
    client.write_stdin("one\n");
    ASSERT_TRUE(client.wait_for_stdout("updated", kPeerTimeout)) << client.describe();
    client.write_stdin("two\n");
    const std::exception_ptr error = server.join().at(0);
    client.close_stdin();
    const tls::test::ProcessResult r = client.wait();
    ASSERT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(stats.key_updates_sent, 1U);
    EXPECT_EQ(stats.key_updates_received, 1U);
    // -msg: "<<< TLS 1.3, Handshake [length 0005], KeyUpdate" received, then its own sent.
    EXPECT_TRUE(contains(r.out, "<<< TLS 1.3, Handshake [length 0005], KeyUpdate")) << r.out;
    EXPECT_TRUE(contains(r.out, ">>> TLS 1.3, Handshake [length 0005], KeyUpdate")) << r.out;
}

TEST(KeyUpdateInterop, TlsctxClientAndOpensslServerUpdateBothWays) {
    OpensslServerOptions options = tls::test::serving(pki().localhost());
    options.mode = OpensslServerOptions::Mode::echo;
    OpensslServer server(options);
    tls::Socket client = wrap_loopback(client_context(), server.port());
    client.do_handshake();
    client.update_keys(true);
    client.sendall("ping\n");
    ASSERT_TRUE(server.process().wait_for_stdout("ping", kPeerTimeout));
    server.process().write_stdin("pong1\n");  // OpenSSL's answer to our request goes first
    EXPECT_EQ(read_until(client), "pong1\n");
    EXPECT_EQ(client.stats().key_updates_received, 1U);
    server.process().write_stdin("K\n");  // s_server's own KeyUpdate, asking us to update too
    // s_server's note on it sits in its stdio buffer, so wait for the message itself: read
    // without blocking until the KeyUpdate has been taken in (it carries no data).
    client.settimeout(Millis(0));
    const auto deadline = std::chrono::steady_clock::now() + kPeerTimeout;
    while (client.stats().key_updates_received < 2 && std::chrono::steady_clock::now() < deadline) {
        tls::test::wait_readable(client.fileno(), Millis(100));
        char byte = 0;
        std::error_code ec;
        EXPECT_EQ(client.read(&byte, 1, ec), 0U);
        ASSERT_TRUE(!ec || ec == tls::SSLErrc::want_read) << ec.message();
    }
    client.settimeout(kPeerTimeout);
    EXPECT_EQ(client.stats().key_updates_received, 2U);
    server.process().write_stdin("pong2\n");
    EXPECT_EQ(read_until(client), "pong2\n");
    client.sendall("after\n");  // our answer goes first
    ASSERT_TRUE(server.process().wait_for_stdout("after", kPeerTimeout));
    const tls::ConnectionStats stats = client.stats();
    // Ours, and the answer to s_server's request; s_server's answer to ours and its own.
    EXPECT_EQ(stats.key_updates_sent, 2U);
    EXPECT_EQ(stats.key_updates_received, 2U);
    client.close();
    server.finish();
}

TEST(KeyUpdateInterop, TlsOnePointTwoWithOpensslServerRefusesKeyUpdate) {
    OpensslServerOptions options = tls::test::serving(pki().localhost());
    options.version_flag = "-tls1_2";
    OpensslServer server(options);
    tls::Socket client = wrap_loopback(client_context(), server.port());
    client.do_handshake();
    ASSERT_EQ(client.version(), std::optional<std::string>("TLSv1.2"));
    try {
        client.update_keys();
        FAIL() << "update_keys succeeded on TLS 1.2";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "WRONG_SSL_VERSION");
    }
    const std::string page = tls::test::fetch_status_page(client);  // still usable
    EXPECT_TRUE(contains(page, "TLSv1.2")) << page;
    client.close();
    server.finish();
}

TEST(ExporterInterop, TlsctxServerExportsWhatOpensslClientExports) {
    for (const char* version : {"-tls1_3", "-tls1_2"}) {
        SCOPED_TRACE(version);
        tls::Listener listener(server_context(), "127.0.0.1", 0);
        std::string ours, other_label;
        tls::test::feature::ConnectionServer server(listener, 1, [&](std::size_t, tls::Socket& s) {
            ours = hex(s.export_keying_material("EXPORTER-tlsctx-test", std::nullopt, 24));
            other_label = hex(s.export_keying_material("EXPORTER-tlsctx-other", std::nullopt, 24));
            (void)read_until(s);
            s.sendall("pong\n");
        });
        tls::test::OpensslClientOptions options;
        options.port = listener.port();
        options.cafile = pki().ca_cert();
        options.input = "ping\n";
        options.version_flag = version;
        options.extra_args = {"-keymatexport", "EXPORTER-tlsctx-test", "-keymatexportlen", "24"};
        const tls::test::OpensslClientResult run = tls::test::run_openssl_client(options);
        EXPECT_FALSE(server.join().at(0)) << tls::test::describe(server.join().at(0));
        ASSERT_EQ(ours.size(), 48U);
        EXPECT_EQ(keying_material(run.process.out), ours) << run.process.out;
        EXPECT_NE(ours, other_label);
    }
}

TEST(ExporterInterop, TlsctxClientExportsWhatOpensslServerExports) {
    for (const char* version : {"-tls1_3", "-tls1_2"}) {
        SCOPED_TRACE(version);
        OpensslServerOptions options = tls::test::serving(pki().localhost());
        options.mode = OpensslServerOptions::Mode::echo;
        options.version_flag = version;
        options.extra_args = {"-keymatexport", "EXPORTER-tlsctx-test", "-keymatexportlen", "32"};
        OpensslServer server(options);
        tls::Socket client = wrap_loopback(client_context(), server.port());
        client.do_handshake();
        const std::string ours =
            hex(client.export_keying_material("EXPORTER-tlsctx-test", std::nullopt, 32));
        client.sendall("ping\n");
        ASSERT_TRUE(server.process().wait_for_stdout("ping", kPeerTimeout));
        client.close();
        const tls::test::ProcessResult r = server.finish();
        EXPECT_EQ(keying_material(r.out), ours) << r.out;
    }
}

}  // namespace
