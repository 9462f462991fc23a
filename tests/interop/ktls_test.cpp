// kTLS and Socket::sendfile against real peers (docs/server.md "kTLS"). Where the kernel has no
// "tls" ULP (/proc/sys/net/ipv4/tcp_available_ulp) or the linked OpenSSL was built without kTLS,
// OP_ENABLE_KTLS is accepted, both queries say false and sendfile falls back to pread + TLS
// writes; where kTLS can engage, a handshake with an AES-GCM suite must turn send offload on
// and sendfile goes through SSL_sendfile. Either way a 5 MiB file of random bytes must reach a
// Python reader and `openssl s_client` byte for byte, over TLS 1.2 and 1.3, with offset and
// count respected.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <system_error>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tls::test::Fd;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
using tls::test::feature::TempDir;

constexpr std::size_t kFileSize = std::size_t{5} * 1024 * 1024;

bool kernel_has_tls_ulp() {
    std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
    std::string word;
    while (in >> word) {
        if (word == "tls") {
            return true;
        }
    }
    return false;
}

tls::Context ktls_server_context() {
    tls::Context ctx = server_context();
    ctx.set_options(ctx.options() | tls::OP_ENABLE_KTLS);
    return ctx;
}

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 0xf];
    }
    return out;
}

// A file of random bytes (a fixed seed: failures reproduce) and its contents.
struct PatternFile {
    TempDir dir;
    std::string path = dir.path("pattern.bin");
    std::string content;

    PatternFile() {
        std::mt19937_64 random(20261206);
        content.resize(kFileSize);
        for (char& c : content) {
            c = static_cast<char>(random() & 0xff);
        }
        tls::test::feature::write_file(path, content);
    }
    Fd open() const {
        Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            throw std::system_error(errno, std::generic_category(), "open " + path);
        }
        return fd;
    }
};

// What the server saw of kTLS, checked against what this machine can do.
struct KtlsSeen {
    bool send = false;
    bool recv = false;
    std::string cipher;
};

void expect_ktls_state(const KtlsSeen& seen) {
    if (tls::ktls_available()) {
        // The kernel and OpenSSL can: an AES-GCM suite must be offloaded for sending.
        EXPECT_TRUE(seen.send) << seen.cipher;
    } else {
        EXPECT_FALSE(seen.send);
        EXPECT_FALSE(seen.recv);
    }
}

TEST(Ktls, AvailabilityFollowsTheKernelsUlpList) {
    if (!kernel_has_tls_ulp()) {
        EXPECT_FALSE(tls::ktls_available()) << "no \"tls\" ULP in tcp_available_ulp";
    } else {
        std::cout << "kernel has the tls ULP; ktls_available() = " << tls::ktls_available()
                  << " with " << tls::openssl_version() << "\n";
        SUCCEED();
    }
}

TEST(Ktls, SendfileDeliversEveryByteToPythonWithTheOptionOn) {
    const PatternFile file;
    const std::uint64_t offset = 12345;
    const std::size_t count = kFileSize - offset - 777;
    for (const char* version : {"1.2", "1.3"}) {
        SCOPED_TRACE(version);
        tls::Listener listener(ktls_server_context(), "127.0.0.1", 0);
        KtlsSeen seen;
        std::size_t sent = 0;
        tls::test::ServerThread server = tls::test::run_server_in_thread(listener, [&](tls::Socket&
                                                                                           socket) {
            seen = {socket.ktls_send_active(), socket.ktls_recv_active(), socket.cipher()->name};
            Fd fd = file.open();
            sent = socket.sendfile(fd.get(), offset, count);
            socket.close();
        });
        const json result = tls::test::run_python_json(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], "
            "run_name='__main__')",
            {tls::test::python_script("tls_reader.py"), "--port", std::to_string(listener.port()),
             "--cafile", TestPki::get().ca_cert(), "--version", version},
            tls::test::Millis(30000));
        EXPECT_FALSE(server.join()) << tls::test::describe(server.join());
        EXPECT_EQ(sent, count);
        EXPECT_EQ(result.value("version", ""), std::string("TLSv") + version);
        EXPECT_TRUE(tls::test::more::contains(result.value("cipher", ""), "GCM")) << result.dump();
        EXPECT_EQ(result.value("length", std::size_t{0}), count) << result.dump();
        EXPECT_EQ(result.value("sha256", ""),
                  sha256_hex(std::string_view(file.content).substr(offset, count)));
        EXPECT_EQ(result.value("end", ""), "close_notify") << result.dump();
        expect_ktls_state(seen);
    }
}

TEST(Ktls, SendfileDeliversEveryByteToOpensslClient) {
    const PatternFile file;
    for (const char* flag : {"-tls1_2", "-tls1_3"}) {
        SCOPED_TRACE(flag);
        tls::Listener listener(ktls_server_context(), "127.0.0.1", 0);
        KtlsSeen seen;
        std::size_t sent = 0;
        tls::test::ServerThread server = tls::test::run_server_in_thread(listener, [&](tls::Socket&
                                                                                           socket) {
            seen = {socket.ktls_send_active(), socket.ktls_recv_active(), socket.cipher()->name};
            Fd fd = file.open();
            sent = socket.sendfile(fd.get(), 0, kFileSize);
            socket.close();
        });
        tls::test::OpensslClientOptions options;
        options.port = listener.port();
        options.cafile = TestPki::get().ca_cert();
        options.version_flag = flag;
        options.extra_args = {"-quiet"};
        options.limit = tls::test::Millis(30000);
        const tls::test::OpensslClientResult client = tls::test::run_openssl_client(options);
        EXPECT_FALSE(server.join()) << tls::test::describe(server.join());
        EXPECT_EQ(sent, kFileSize);
        ASSERT_EQ(client.process.out.size(), kFileSize) << client.process.err;
        EXPECT_TRUE(client.process.out == file.content) << "the bytes differ";
        expect_ktls_state(seen);
    }
}

TEST(Ktls, SendfileWithoutTheOptionAndPastTheEndOfTheFile) {
    const PatternFile file;
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    std::size_t past_end = 1;
    std::size_t at_end = 1;
    KtlsSeen seen;
    tls::test::ServerThread server =
        tls::test::run_server_in_thread(listener, [&](tls::Socket& socket) {
            seen = {socket.ktls_send_active(), socket.ktls_recv_active(), socket.cipher()->name};
            Fd fd = file.open();
            // Asks for 1 MiB more than the file holds after the offset: the rest is sent.
            past_end = socket.sendfile(fd.get(), kFileSize - 1000, 1024 * 1024);
            at_end = socket.sendfile(fd.get(), kFileSize, 10);
            socket.close();
        });
    const json result = tls::test::run_python_json(
        "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], "
        "run_name='__main__')",
        {tls::test::python_script("tls_reader.py"), "--port", std::to_string(listener.port()),
         "--cafile", TestPki::get().ca_cert()});
    EXPECT_FALSE(server.join()) << tls::test::describe(server.join());
    EXPECT_FALSE(seen.send) << "no OP_ENABLE_KTLS, no offload";
    EXPECT_FALSE(seen.recv);
    EXPECT_EQ(past_end, 1000u);
    EXPECT_EQ(at_end, 0u);
    EXPECT_EQ(result.value("length", std::size_t{0}), 1000u) << result.dump();
    EXPECT_EQ(result.value("sha256", ""),
              sha256_hex(std::string_view(file.content).substr(kFileSize - 1000)));
}

TEST(Ktls, AKtlsCapableSocketKeepsTimeoutsAndNeverRaisesSigpipe) {
    tls::test::TlsPair pair = tls::test::handshake_pair(client_context(), ktls_server_context(),
                                                        tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << tls::test::describe(pair.server_error);
    expect_ktls_state({pair.server.ktls_send_active(), pair.server.ktls_recv_active(),
                       pair.server.cipher()->name});

    // settimeout still bounds a read on OpenSSL's socket BIO.
    pair.server.settimeout(200ms);
    char buffer[16];
    try {
        (void)pair.server.read(buffer, sizeof buffer);
        ADD_FAILURE() << "read returned although the client sent nothing";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out);
    }

    // The client vanishes; writing on must fail with an error, not kill the process.
    pair.client.set_close_timeout(0ms);
    pair.client.close();
    pair.server.settimeout(2000ms);
    const std::string chunk(16384, 'k');
    std::error_code ec;
    for (int i = 0; i < 1000 && !ec; ++i) {
        (void)pair.server.write(chunk.data(), chunk.size(), ec);
    }
    EXPECT_TRUE(ec) << "writing to a closed peer kept succeeding";
    sigset_t pending;
    sigemptyset(&pending);
    ASSERT_EQ(::sigpending(&pending), 0);
    EXPECT_EQ(sigismember(&pending, SIGPIPE), 0) << "a SIGPIPE was left pending";
}

}  // namespace
