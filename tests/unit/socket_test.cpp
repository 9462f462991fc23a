// tls::Socket end to end in one process: a tlsctx client and a tlsctx server over a real TCP
// connection on 127.0.0.1 (the server on a thread), no mocks. Handshakes, ALPN, client
// certificates, getpeercert, bulk I/O, unwrap, truncation, peers that vanish, timeouts,
// non-blocking mode, misuse that must fail before any byte is sent, descriptor ownership.
// Every test checks that it leaves no descriptor open.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"
#include "tlsctx/json_shapes.hpp"

namespace {

using namespace std::chrono_literals;
using tls::test::CertFiles;
using tls::test::TestPki;
using tls::test::TlsPair;

const TestPki& pki() {
    return TestPki::get();
}

// A server presenting `cert` and verifying client certificates against the test root.
tls::Context server_context(const CertFiles& cert = TestPki::get().localhost(),
                            tls::VerifyMode client_auth = tls::CERT_NONE) {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(cert.chain, cert.key);
    ctx.load_verify_locations(TestPki::get().ca_cert());
    ctx.set_verify_mode(client_auth);
    return ctx;
}

// A client trusting the test root, optionally presenting `cert`.
tls::Context client_context(const CertFiles* cert = nullptr) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(TestPki::get().ca_cert());
    if (cert != nullptr) {
        ctx.load_cert_chain(cert->chain, cert->key);
    }
    return ctx;
}

TlsPair handshake(const tls::Context& client, const tls::Context& server,
                  const std::string& hostname = "localhost") {
    return tls::test::handshake_pair(client, server, tls::WrapOptions::client(hostname));
}

#define ASSERT_HANDSHAKE_OK(pair)                                                      \
    do {                                                                               \
        ASSERT_FALSE((pair).client_error) << tls::test::describe((pair).client_error); \
        ASSERT_FALSE((pair).server_error) << tls::test::describe((pair).server_error); \
        ASSERT_TRUE((pair).client.handshake_done());                                   \
        ASSERT_TRUE((pair).server.handshake_done());                                   \
    } while (0)

// Certificates compare through their Python-shaped JSON (CertificateInfo has no operator==).
nlohmann::json as_json(const std::optional<tls::CertificateInfo>& info) {
    return info ? tlsctx_tool::certificate_to_json(*info) : nlohmann::json(nullptr);
}

nlohmann::json decoded_file(const std::string& path) {
    return tlsctx_tool::certificate_to_json(tls::decode_certificate_file(path));
}

tls::Bytes der_of(const std::string& pem_path) {
    return tls::PEM_cert_to_DER_cert(tls::test::read_file(pem_path));
}

// Reads exactly `n` bytes (or until end of stream).
std::string read_exactly(tls::Socket& socket, std::size_t n) {
    std::string out;
    while (out.size() < n) {
        std::string chunk = socket.recv(std::min<std::size_t>(65536, n - out.size()));
        if (chunk.empty()) {
            break;
        }
        out += chunk;
    }
    return out;
}

// A client over `fd` for "localhost" whose handshake has not started
// (WrapOptions::do_handshake_on_connect = false), so the test drives it.
tls::Socket unstarted_client(int fd, tls::FdOwnership ownership) {
    tls::WrapOptions options = tls::WrapOptions::client("localhost");
    options.do_handshake_on_connect = false;
    return client_context().wrap_socket(fd, ownership, options);
}

// Every test runs with a descriptor count check around it.
class SocketTest : public ::testing::Test {
  protected:
    void SetUp() override {
        (void)TestPki::get();  // made once per process; not part of any test's descriptors
        fds_before_ = tls::test::count_open_fds();
    }
    void TearDown() override {
        EXPECT_EQ(tls::test::count_open_fds(), fds_before_) << "a descriptor leaked";
    }

  private:
    int fds_before_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Handshakes

TEST_F(SocketTest, Tls12HandshakeNegotiatesEcdheEcdsaWithAes256Gcm) {
    tls::Context server = server_context();
    server.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair pair = handshake(client_context(), server);
    ASSERT_HANDSHAKE_OK(pair);
    for (tls::Socket* s : {&pair.client, &pair.server}) {
        EXPECT_EQ(s->version(), "TLSv1.2");
        ASSERT_TRUE(s->cipher().has_value());
        // The first suite of Python 3.10's policy for an ECDSA key, on both ends.
        EXPECT_EQ(s->cipher()->name, "ECDHE-ECDSA-AES256-GCM-SHA384");
        EXPECT_EQ(s->cipher()->protocol, "TLSv1.2");
        EXPECT_EQ(s->cipher()->secret_bits, 256);
    }
    EXPECT_FALSE(pair.client.server_side());
    EXPECT_TRUE(pair.server.server_side());
    EXPECT_EQ(pair.client.server_hostname(), "localhost");
}

TEST_F(SocketTest, Tls12WithAnRsaKeyNegotiatesEcdheRsa) {
    tls::Context server = server_context(pki().localhost_rsa());
    server.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair pair = handshake(client_context(), server);
    ASSERT_HANDSHAKE_OK(pair);
    EXPECT_EQ(pair.client.cipher()->name, "ECDHE-RSA-AES256-GCM-SHA384");
    EXPECT_EQ(pair.server.cipher()->name, "ECDHE-RSA-AES256-GCM-SHA384");
}

TEST_F(SocketTest, Tls13HandshakeNegotiatesAes256GcmByDefault) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    for (tls::Socket* s : {&pair.client, &pair.server}) {
        EXPECT_EQ(s->version(), "TLSv1.3");
        ASSERT_TRUE(s->cipher().has_value());
        EXPECT_EQ(s->cipher()->name, "TLS_AES_256_GCM_SHA384");
        EXPECT_EQ(s->cipher()->protocol, "TLSv1.3");
        EXPECT_EQ(s->cipher()->secret_bits, 256);
        EXPECT_EQ(s->compression(), std::nullopt);
    }
}

TEST_F(SocketTest, DisjointVersionRangesFailOnBothSides) {
    tls::Context client = client_context();
    client.set_minimum_version(tls::TLSVersion::TLSv1_3);
    tls::Context server = server_context();
    server.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair pair = handshake(client, server);
    EXPECT_THROW(tls::test::rethrow(pair.client_error), tls::SSLError);
    EXPECT_THROW(tls::test::rethrow(pair.server_error), tls::SSLError);
}

TEST_F(SocketTest, HandshakeRunsInsideWrapSocketOnABlockingDescriptor) {
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    tls::test::ServerThread server =
        tls::test::run_server_in_thread(listener, [](tls::Socket& s) { s.sendall("hi"); });
    tls::test::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(listener.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    tls::Socket client = client_context().wrap_socket(fd.release(), tls::FdOwnership::adopt,
                                                      tls::WrapOptions::client("localhost"));
    EXPECT_TRUE(client.handshake_done());
    client.settimeout(tls::test::kPeerTimeout);
    EXPECT_EQ(client.recv(), "hi");
    EXPECT_FALSE(server.join()) << tls::test::describe(server.join());
}

// ---------------------------------------------------------------------------------------------
// ALPN

TEST_F(SocketTest, AlpnPicksTheServersPreferenceOnBothSides) {
    struct Row {
        std::vector<std::string> client;
        std::vector<std::string> server;
        std::optional<std::string> selected;
    };
    const Row rows[] = {
        {{"http/1.1", "h2"}, {"h2", "http/1.1"}, "h2"},        // server order wins
        {{"h2", "http/1.1"}, {"http/1.1", "h2"}, "http/1.1"},  // ... in both directions
        {{"h2"}, {"h2", "http/1.1"}, "h2"},                    // the only common one
        {{"spdy/1"}, {"h2", "http/1.1"}, std::nullopt},        // none in common: no ALPN
        {{}, {"h2"}, std::nullopt},                            // client offers none
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.selected.value_or("none"));
        tls::Context client = client_context();
        if (!row.client.empty()) {
            client.set_alpn_protocols(row.client);
        }
        tls::Context server = server_context();
        server.set_alpn_protocols(row.server);
        TlsPair pair = handshake(client, server);
        ASSERT_HANDSHAKE_OK(pair);
        EXPECT_EQ(pair.client.selected_alpn_protocol(), row.selected);
        EXPECT_EQ(pair.server.selected_alpn_protocol(), row.selected);
    }
}

TEST_F(SocketTest, AlpnNamesMustBeOneTo255Bytes) {
    tls::Context ctx;
    EXPECT_THROW(ctx.set_alpn_protocols({"h2", ""}), std::invalid_argument);
    EXPECT_THROW(ctx.set_alpn_protocols({std::string(256, 'x')}), std::invalid_argument);
    EXPECT_NO_THROW(ctx.set_alpn_protocols({std::string(255, 'x')}));
}

// ---------------------------------------------------------------------------------------------
// Client certificates

TEST_F(SocketTest, OptionalClientCertificateIsVerifiedAndShownToTheServer) {
    const CertFiles client_cert = pki().client();
    TlsPair pair = handshake(client_context(&client_cert),
                             server_context(pki().localhost(), tls::CERT_OPTIONAL));
    ASSERT_HANDSHAKE_OK(pair);
    std::optional<tls::CertificateInfo> seen = pair.server.getpeercert();
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->subject, tls::decode_certificate_file(client_cert.cert).subject);
    EXPECT_EQ(pair.server.getpeercert_der(), der_of(client_cert.cert));
}

TEST_F(SocketTest, OptionalClientCertificateMayBeAbsent) {
    TlsPair pair =
        handshake(client_context(), server_context(pki().localhost(), tls::CERT_OPTIONAL));
    ASSERT_HANDSHAKE_OK(pair);
    EXPECT_EQ(pair.server.getpeercert(), std::nullopt);
    EXPECT_EQ(pair.server.getpeercert_der(), std::nullopt);
}

TEST_F(SocketTest, RequiredClientCertificateIsVerifiedAndShownToTheServer) {
    const CertFiles client_cert = pki().client();
    TlsPair pair = handshake(client_context(&client_cert),
                             server_context(pki().localhost(), tls::CERT_REQUIRED));
    ASSERT_HANDSHAKE_OK(pair);
    ASSERT_TRUE(pair.server.getpeercert().has_value());
    EXPECT_EQ(as_json(pair.server.getpeercert()), decoded_file(client_cert.cert));
}

TEST_F(SocketTest, RequiredClientCertificateMissingFailsBothSidesInTls13) {
    TlsPair pair =
        handshake(client_context(), server_context(pki().localhost(), tls::CERT_REQUIRED));
    // The server refuses in its handshake...
    try {
        tls::test::rethrow(pair.server_error);
        ADD_FAILURE() << "server handshake succeeded";
    } catch (const tls::SSLCertVerificationError& e) {
        ADD_FAILURE() << "no certificate is not a verification failure: " << e.what();
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::ssl);
        EXPECT_EQ(e.reason(), "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    }
    // ...while a TLS 1.3 client has finished its own and learns it from the alert when it reads.
    ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    char buf[16];
    try {
        (void)pair.client.read(buf, sizeof buf);
        ADD_FAILURE() << "client read succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::ssl);
        EXPECT_EQ(e.reason(), "TLSV13_ALERT_CERTIFICATE_REQUIRED");
    }
}

TEST_F(SocketTest, RequiredClientCertificateMissingFailsBothHandshakesInTls12) {
    tls::Context server = server_context(pki().localhost(), tls::CERT_REQUIRED);
    server.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair pair = handshake(client_context(), server);
    try {
        tls::test::rethrow(pair.server_error);
        ADD_FAILURE() << "server handshake succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(typeid(e), typeid(tls::SSLError));
        EXPECT_EQ(e.reason(), "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    }
    try {
        tls::test::rethrow(pair.client_error);
        ADD_FAILURE() << "client handshake succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(typeid(e), typeid(tls::SSLError));
        EXPECT_EQ(e.reason(), "SSLV3_ALERT_HANDSHAKE_FAILURE");
    }
}

TEST_F(SocketTest, ClientCertificatesThatFailVerificationAreRejectedWithTheirCode) {
    struct Row {
        const char* what;
        CertFiles cert;
        long verify_code;
    };
    const Row rows[] = {
        // Issued by a CA the server does not trust: X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY.
        {"untrusted issuer", pki().untrusted_localhost(), 20},
        // EKU serverAuth only: X509_V_ERR_INVALID_PURPOSE for a client.
        {"server-only EKU", pki().server_only_eku(), 26},
        // X509_V_ERR_CERT_HAS_EXPIRED.
        {"expired", pki().expired(), 10},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        TlsPair pair = handshake(client_context(&row.cert),
                                 server_context(pki().localhost(), tls::CERT_REQUIRED));
        try {
            tls::test::rethrow(pair.server_error);
            ADD_FAILURE() << "server accepted the client certificate";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.code(), tls::SSLErrc::cert_verification);
            EXPECT_EQ(e.verify_code(), row.verify_code) << e.verify_message();
        } catch (const std::exception&) {
            ADD_FAILURE() << tls::test::describe(std::current_exception());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// getpeercert

TEST_F(SocketTest, GetpeercertOnBothSidesEqualsTheDecodedFiles) {
    const CertFiles client_cert = pki().client();
    TlsPair pair = handshake(client_context(&client_cert),
                             server_context(pki().localhost(), tls::CERT_REQUIRED));
    ASSERT_HANDSHAKE_OK(pair);
    ASSERT_TRUE(pair.client.getpeercert().has_value());
    EXPECT_EQ(as_json(pair.client.getpeercert()), decoded_file(pki().localhost().cert));
    EXPECT_EQ(pair.client.getpeercert_der(), der_of(pki().localhost().cert));
    ASSERT_TRUE(pair.server.getpeercert().has_value());
    EXPECT_EQ(as_json(pair.server.getpeercert()), decoded_file(client_cert.cert));
    EXPECT_EQ(pair.server.getpeercert_der(), der_of(client_cert.cert));
}

TEST_F(SocketTest, GetpeercertIsEmptyWithoutVerificationButTheDerIsThere) {
    tls::Context client = tls::dangerous::create_unverified_context();
    TlsPair pair = handshake(client, server_context(pki().self_signed()));
    ASSERT_HANDSHAKE_OK(pair);
    std::optional<tls::CertificateInfo> cert = pair.client.getpeercert();
    ASSERT_TRUE(cert.has_value());  // Python: {} rather than None
    EXPECT_TRUE(cert->empty());
    EXPECT_EQ(pair.client.getpeercert_der(), der_of(pki().self_signed().cert));
}

TEST_F(SocketTest, GetpeercertIsNulloptWhenNoClientCertificateWasAskedFor) {
    const CertFiles client_cert = pki().client();
    TlsPair pair = handshake(client_context(&client_cert), server_context());  // CERT_NONE
    ASSERT_HANDSHAKE_OK(pair);
    EXPECT_EQ(pair.server.getpeercert(), std::nullopt);
    EXPECT_EQ(pair.server.getpeercert_der(), std::nullopt);
}

TEST_F(SocketTest, GetpeercertBeforeTheHandshakeThrowsLogicError) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    tls::Socket client = unstarted_client(fds.client.get(), tls::FdOwnership::borrow);
    EXPECT_FALSE(client.handshake_done());
    EXPECT_THROW((void)client.getpeercert(), std::logic_error);
    EXPECT_THROW((void)client.getpeercert_der(), std::logic_error);
    EXPECT_EQ(client.version(), std::nullopt);
    EXPECT_EQ(client.cipher(), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Data

TEST_F(SocketTest, OneMebibyteGoesBothWaysWithSendallReadRecvAndPending) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    const tls::Bytes random = tls::RAND_bytes(1 << 20);
    const std::string payload(random.begin(), random.end());

    std::future<std::string> server = std::async(std::launch::async, [&] {
        // A small read leaves the rest of the record decrypted and pending.
        std::string got(100, '\0');
        std::size_t n = pair.server.read(got.data(), got.size());
        got.resize(n);
        const std::size_t pending = pair.server.pending();
        EXPECT_GT(pending, 0u);
        std::string rest(pending, '\0');
        EXPECT_EQ(pair.server.read(rest.data(), rest.size()), pending);  // no transport I/O
        EXPECT_EQ(pair.server.pending(), 0u);
        got += rest;
        got += read_exactly(pair.server, payload.size() - got.size());
        pair.server.sendall(got);
        return got;
    });
    pair.client.sendall(payload);
    const std::string echoed = read_exactly(pair.client, payload.size());
    ASSERT_EQ(server.wait_for(tls::test::kPeerTimeout), std::future_status::ready);
    EXPECT_TRUE(server.get() == payload);
    EXPECT_TRUE(echoed == payload);
}

TEST_F(SocketTest, WriteAndSendReturnTheWholeLength) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    EXPECT_EQ(pair.client.write("abc", 3), 3u);
    EXPECT_EQ(pair.client.send("defg"), 4u);
    EXPECT_EQ(read_exactly(pair.server, 7), "abcdefg");
    std::error_code ec;
    EXPECT_EQ(pair.server.write("xyz", 3, ec), 3u);
    EXPECT_FALSE(ec);
    char buf[3];
    EXPECT_EQ(pair.client.read(buf, 3, ec), 3u);
    EXPECT_FALSE(ec);
    EXPECT_EQ(std::string(buf, 3), "xyz");
}

// ---------------------------------------------------------------------------------------------
// Closing

TEST_F(SocketTest, ClientUnwrapExchangesCloseNotifyAndLeavesTcpUsable) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    std::future<int> server = std::async(std::launch::async, [&] {
        char buf[16];
        EXPECT_EQ(pair.server.read(buf, sizeof buf), 0u);  // the client's close_notify
        return pair.server.unwrap();                       // ours goes back
    });
    const int client_fd = pair.client.unwrap();
    ASSERT_EQ(server.wait_for(tls::test::kPeerTimeout), std::future_status::ready);
    const int server_fd = server.get();
    tls::test::Fd client_tcp(client_fd);
    tls::test::Fd server_tcp(server_fd);
    EXPECT_FALSE(pair.client.is_open());
    EXPECT_EQ(pair.client.fileno(), -1);
    EXPECT_FALSE(pair.server.is_open());
    ASSERT_TRUE(tls::test::fd_is_open(client_fd));
    ASSERT_TRUE(tls::test::fd_is_open(server_fd));
    // Plain TCP from here on, nothing left over from TLS in either direction.
    ASSERT_EQ(::send(client_fd, "plain", 5, MSG_NOSIGNAL), 5);
    ASSERT_TRUE(tls::test::wait_readable(server_fd, tls::test::kPeerTimeout));
    char buf[16];
    EXPECT_EQ(::recv(server_fd, buf, sizeof buf, 0), 5);
    EXPECT_EQ(std::string(buf, 5), "plain");
}

TEST_F(SocketTest, ServerUnwrapExchangesCloseNotifyAndReadReturnsZero) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    std::future<int> server = std::async(std::launch::async, [&] { return pair.server.unwrap(); });
    char buf[16];
    EXPECT_EQ(pair.client.read(buf, sizeof buf), 0u);  // clean close, not an error
    EXPECT_EQ(pair.client.recv(), "");
    tls::test::Fd client_tcp(pair.client.unwrap());
    ASSERT_EQ(server.wait_for(tls::test::kPeerTimeout), std::future_status::ready);
    tls::test::Fd server_tcp(server.get());
    EXPECT_TRUE(client_tcp);
    EXPECT_TRUE(server_tcp);
}

TEST_F(SocketTest, CloseSendsCloseNotifySoThePeerSeesACleanEnd) {
    tls::WrapOptions strict = tls::WrapOptions::server();
    strict.suppress_ragged_eofs = false;  // the server's read must not hide a truncation
    TlsPair pair = tls::test::handshake_pair(client_context(), server_context(),
                                             tls::WrapOptions::client("localhost"), strict);
    ASSERT_HANDSHAKE_OK(pair);
    pair.client.close();
    EXPECT_FALSE(pair.client.is_open());
    char buf[16];
    std::error_code ec;
    EXPECT_EQ(pair.server.read(buf, sizeof buf, ec), 0u);
    EXPECT_FALSE(ec) << ec.message();
}

TEST_F(SocketTest, TruncationWithoutCloseNotifyIsSSLEOFErrorWhenNotSuppressed) {
    tls::WrapOptions options = tls::WrapOptions::client("localhost");
    options.suppress_ragged_eofs = false;
    TlsPair pair = tls::test::handshake_pair(client_context(), server_context(), options);
    ASSERT_HANDSHAKE_OK(pair);
    EXPECT_FALSE(pair.client.suppress_ragged_eofs());
    // The server's TCP ends without a close_notify.
    ASSERT_EQ(::shutdown(pair.server.fileno(), SHUT_WR), 0);
    char buf[16];
    try {
        (void)pair.client.read(buf, sizeof buf);
        ADD_FAILURE() << "read succeeded";
    } catch (const tls::SSLEOFError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::eof);
    } catch (const std::exception&) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
}

TEST_F(SocketTest, TruncationWithoutCloseNotifyReadsAsEndOfStreamWhenSuppressed) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    EXPECT_TRUE(pair.client.suppress_ragged_eofs());  // the default, as in Python
    ASSERT_EQ(::shutdown(pair.server.fileno(), SHUT_WR), 0);
    char buf[16];
    std::error_code ec;
    EXPECT_EQ(pair.client.read(buf, sizeof buf, ec), 0u);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(pair.client.read(buf, sizeof buf), 0u);
}

// ---------------------------------------------------------------------------------------------
// Peers that vanish

// Reads one whole TLS record (the ClientHello) from a raw descriptor.
std::size_t read_client_hello(int fd) {
    std::vector<unsigned char> buf;
    std::size_t want = 5;
    while (buf.size() < want) {
        if (!tls::test::wait_readable(fd, tls::test::kPeerTimeout)) {
            break;
        }
        unsigned char chunk[4096];
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
            break;
        }
        buf.insert(buf.end(), chunk, chunk + n);
        if (buf.size() >= 5) {
            want = 5 + (static_cast<std::size_t>(buf[3]) << 8 | buf[4]);
        }
    }
    return buf.size();
}

TEST_F(SocketTest, PeerClosingMidHandshakeIsSSLEOFError) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    std::thread peer([&] {
        EXPECT_GT(read_client_hello(fds.server.get()), 5u);
        fds.server.reset();  // everything was read: an orderly FIN
    });
    tls::Socket client = unstarted_client(fds.client.release(), tls::FdOwnership::adopt);
    client.settimeout(tls::test::kPeerTimeout);
    // OpenSSL 3 reports the EOF as SSL_R_UNEXPECTED_EOF_WHILE_READING, which maps to SSLEOFError.
    try {
        client.do_handshake();
        ADD_FAILURE() << "handshake succeeded";
    } catch (const tls::SSLEOFError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::eof);
    } catch (const std::exception&) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
    peer.join();
}

TEST_F(SocketTest, PeerResettingMidHandshakeIsSSLSyscallErrorWithEconnreset) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    std::thread peer([&] {
        EXPECT_TRUE(tls::test::wait_readable(fds.server.get(), tls::test::kPeerTimeout));
        fds.server.reset();  // unread data: the kernel answers with RST
    });
    tls::Socket client = unstarted_client(fds.client.release(), tls::FdOwnership::adopt);
    client.settimeout(tls::test::kPeerTimeout);
    try {
        client.do_handshake();
        ADD_FAILURE() << "handshake succeeded";
    } catch (const tls::SSLSyscallError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::syscall);
        EXPECT_EQ(e.os_errno(), ECONNRESET);
    } catch (const std::exception&) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
    peer.join();
}

// A peer that closes with SO_LINGER {on, 0} aborts the connection: the kernel sends RST at once.
void reset_connection(tls::test::Fd& fd) {
    linger abort{1, 0};
    ASSERT_EQ(::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort), 0);
    fd.reset();
}

TEST_F(SocketTest, ResetByThePeerIsSSLSyscallErrorThatEqualsErrcConnectionReset) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    std::thread peer([&] {
        EXPECT_TRUE(tls::test::wait_readable(fds.server.get(), tls::test::kPeerTimeout));
        reset_connection(fds.server);
    });
    tls::Socket client = unstarted_client(fds.client.release(), tls::FdOwnership::adopt);
    client.settimeout(tls::test::kPeerTimeout);
    try {
        client.do_handshake();
        ADD_FAILURE() << "handshake succeeded";
    } catch (const tls::SSLSyscallError& e) {
        // Python raises ConnectionResetError here; tlsctx keeps the SSL type and makes the code
        // compare equal to the errno's condition as well.
        EXPECT_EQ(e.code(), std::errc::connection_reset);
        EXPECT_EQ(e.code(), tls::SSLErrc::syscall);
        EXPECT_NE(e.code(), std::errc::connection_refused);
        EXPECT_EQ(e.os_errno(), ECONNRESET);
    } catch (const std::exception&) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
    EXPECT_EQ(client.last_error().code, std::errc::connection_reset);
    peer.join();
}

// ---------------------------------------------------------------------------------------------
// Timeouts and non-blocking mode

TEST_F(SocketTest, HandshakeWithASilentPeerTimesOut) {
    tls::test::SocketPair fds = tls::test::loopback_pair();  // the server end never answers
    tls::Socket client = unstarted_client(fds.client.release(), tls::FdOwnership::adopt);
    client.settimeout(100ms);
    EXPECT_EQ(client.gettimeout(), tls::Timeout(100ms));
    // Three attempts on the same socket (the handshake is still waiting for the ServerHello each
    // time): a timeout must never fire before its time, however the poll() rounding falls.
    for (int attempt = 0; attempt < 3; ++attempt) {
        SCOPED_TRACE(attempt);
        const auto start = std::chrono::steady_clock::now();
        try {
            client.do_handshake();
            ADD_FAILURE() << "handshake succeeded";
        } catch (const tls::SSLError&) {
            ADD_FAILURE() << "a timeout is not an SSLError: "
                          << tls::test::describe(std::current_exception());
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), std::errc::timed_out);
        }
        const auto elapsed = std::chrono::steady_clock::now() - start;
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
        EXPECT_GE(elapsed, 100ms) << "timed out early, after " << us << " us";
        EXPECT_LT(elapsed, 2s) << "timed out after " << us << " us";
        EXPECT_EQ(client.last_error().code, std::errc::timed_out);
    }
}

TEST_F(SocketTest, ReadFromASilentPeerTimesOutThroughBothOverloads) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    pair.client.settimeout(100ms);
    char buf[16];
    EXPECT_THROW(
        {
            try {
                (void)pair.client.read(buf, sizeof buf);
            } catch (const std::system_error& e) {
                EXPECT_EQ(e.code(), std::errc::timed_out);
                EXPECT_EQ(dynamic_cast<const tls::SSLError*>(&e), nullptr);
                throw;
            }
        },
        std::system_error);
    std::error_code ec;
    EXPECT_EQ(pair.client.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, std::errc::timed_out);
}

TEST_F(SocketTest, SettimeoutRejectsNegativeValues) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    EXPECT_THROW(pair.client.settimeout(std::chrono::milliseconds(-1)), std::invalid_argument);
}

TEST_F(SocketTest, NonBlockingHandshakeReportsWantReadThroughBothOverloads) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    ASSERT_EQ(::fcntl(fds.client.get(), F_SETFL, ::fcntl(fds.client.get(), F_GETFL) | O_NONBLOCK),
              0);
    tls::Socket client = unstarted_client(fds.client.release(), tls::FdOwnership::adopt);
    EXPECT_EQ(client.gettimeout(), tls::Timeout(0ms));  // the descriptor's mode

    std::error_code ec;
    client.do_handshake(ec);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    EXPECT_EQ(client.last_error().code, tls::SSLErrc::want_read);
    try {
        client.do_handshake();
        ADD_FAILURE() << "handshake completed without a peer";
    } catch (const tls::SSLWantReadError& e) {
        EXPECT_EQ(e.code(), tls::SSLErrc::want_read);
    }
    // The ClientHello did go out.
    EXPECT_TRUE(tls::test::wait_readable(fds.server.get(), 1000ms));
}

TEST_F(SocketTest, NonBlockingPeersCompleteAHandshakeAndExchangeDataInOneThread) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    for (int fd : {fds.client.get(), fds.server.get()}) {
        ASSERT_EQ(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    }
    tls::WrapOptions client_options = tls::WrapOptions::client("localhost");
    client_options.do_handshake_on_connect = false;
    tls::WrapOptions server_options = tls::WrapOptions::server();
    server_options.do_handshake_on_connect = false;
    tls::Socket client =
        client_context().wrap_socket(fds.client.release(), tls::FdOwnership::adopt, client_options);
    tls::Socket server =
        server_context().wrap_socket(fds.server.release(), tls::FdOwnership::adopt, server_options);

    // A tiny event loop: step whichever side is not done, then wait for either to be readable.
    for (int round = 0; round < 50 && !(client.handshake_done() && server.handshake_done());
         ++round) {
        for (tls::Socket* s : {&client, &server}) {
            std::error_code ec;
            if (!s->handshake_done()) {
                s->do_handshake(ec);
                ASSERT_TRUE(!ec || ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write)
                    << ec.message() << " " << s->last_error().message;
            }
        }
        pollfd p[2] = {{client.fileno(), POLLIN, 0}, {server.fileno(), POLLIN, 0}};
        ::poll(p, 2, 1000);
    }
    ASSERT_TRUE(client.handshake_done());
    ASSERT_TRUE(server.handshake_done());

    std::error_code ec;
    char buf[16];
    EXPECT_EQ(server.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::want_read);
    EXPECT_EQ(client.write("ping", 4, ec), 4u);
    EXPECT_FALSE(ec);
    ASSERT_TRUE(tls::test::wait_readable(server.fileno(), tls::test::kPeerTimeout));
    EXPECT_EQ(server.read(buf, sizeof buf, ec), 4u);
    EXPECT_FALSE(ec);
    EXPECT_EQ(std::string(buf, 4), "ping");

    // The descriptor BIO's retry flags are what tells a would-block from an error when other code
    // left an entry on the thread's error queue (tlsctx does not clear it before each call).
    ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
    EXPECT_EQ(server.read(buf, sizeof buf, ec), 0u);
    EXPECT_EQ(ec, tls::SSLErrc::want_read) << server.last_error().message;
    EXPECT_EQ(ERR_peek_error(), 0u);
    client.send_close_notify();
    ASSERT_TRUE(tls::test::wait_readable(server.fileno(), tls::test::kPeerTimeout));
    ERR_raise(ERR_LIB_X509, X509_R_CERT_ALREADY_IN_HASH_TABLE);
    EXPECT_EQ(server.read(buf, sizeof buf, ec), 0u);
    EXPECT_FALSE(ec) << "close_notify is a clean end: " << server.last_error().message;
    ERR_clear_error();
}

TEST_F(SocketTest, HandshakeOnConnectIsRefusedForANonBlockingDescriptor) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    ASSERT_EQ(::fcntl(fds.client.get(), F_SETFL, ::fcntl(fds.client.get(), F_GETFL) | O_NONBLOCK),
              0);
    EXPECT_THROW(client_context().wrap_socket(fds.client.get(), tls::FdOwnership::borrow,
                                              tls::WrapOptions::client("localhost")),
                 std::invalid_argument);
}

TEST_F(SocketTest, HandshakeOnConnectRefusalNamesTheWrapOptionToSet) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    ASSERT_EQ(::fcntl(fds.client.get(), F_SETFL, ::fcntl(fds.client.get(), F_GETFL) | O_NONBLOCK),
              0);
    try {
        client_context().wrap_socket(fds.client.get(), tls::FdOwnership::borrow,
                                     tls::WrapOptions::client("localhost"));
        ADD_FAILURE() << "a non-blocking descriptor was handshaken inside wrap_socket";
    } catch (const std::invalid_argument& e) {
        // The message is the feature here: C++ users set a field, they never "specify" it.
        EXPECT_NE(std::string(e.what()).find("WrapOptions::do_handshake_on_connect = false"),
                  std::string::npos)
            << e.what();
    }
}

// A tlsctx server over `fd` that completes the handshake and then neither sends nor reads until
// `done` is set.
std::thread silent_tls_server(int fd, std::shared_future<void> done) {
    return std::thread([fd, done] {
        tls::WrapOptions options = tls::WrapOptions::server();
        options.do_handshake_on_connect = false;
        tls::Socket server = server_context().wrap_socket(fd, tls::FdOwnership::borrow, options);
        server.settimeout(tls::test::kPeerTimeout);
        EXPECT_NO_THROW(server.do_handshake());
        EXPECT_EQ(done.wait_for(tls::test::kPeerTimeout), std::future_status::ready);
    });
}

void set_kernel_timeout(int fd, int option, std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv), 0);
}

TEST_F(SocketTest, BorrowedBlockingDescriptorWithSoRcvtimeoTimesOutReadsLikeTheSocketTimeout) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    std::promise<void> done;
    std::thread server = silent_tls_server(fds.server.get(), done.get_future().share());
    set_kernel_timeout(fds.client.get(), SO_RCVTIMEO, 200ms);
    {
        tls::Socket client = client_context().wrap_socket(
            fds.client.get(), tls::FdOwnership::borrow, tls::WrapOptions::client("localhost"));
        ASSERT_TRUE(client.handshake_done());
        EXPECT_EQ(client.gettimeout(), std::nullopt);
        char buf[16];
        auto start = std::chrono::steady_clock::now();
        try {
            (void)client.read(buf, sizeof buf);
            ADD_FAILURE() << "read returned from a silent peer";
        } catch (const tls::SSLError&) {
            ADD_FAILURE() << "a timeout is not an SSLError: "
                          << tls::test::describe(std::current_exception());
        } catch (const std::system_error& e) {
            EXPECT_EQ(e.code(), std::errc::timed_out);
        }
        auto elapsed = std::chrono::steady_clock::now() - start;
        EXPECT_GE(elapsed, 150ms);
        EXPECT_LT(elapsed, 400ms) << "SO_RCVTIMEO 200 ms was not honoured";
        std::error_code ec;
        start = std::chrono::steady_clock::now();
        EXPECT_EQ(client.read(buf, sizeof buf, ec), 0u);
        EXPECT_EQ(ec, std::errc::timed_out);
        EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
        EXPECT_EQ(client.last_error().code, std::errc::timed_out);
    }
    done.set_value();
    server.join();
}

TEST_F(SocketTest, BorrowedBlockingDescriptorWithSoSndtimeoTimesOutWritesToAPeerThatNeverReads) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    std::promise<void> done;
    std::thread server = silent_tls_server(fds.server.get(), done.get_future().share());
    {
        tls::Socket client = client_context().wrap_socket(
            fds.client.get(), tls::FdOwnership::borrow, tls::WrapOptions::client("localhost"));
        ASSERT_TRUE(client.handshake_done());
        set_kernel_timeout(fds.client.get(), SO_SNDTIMEO, 200ms);
        // Far more than the loopback buffers hold, so a write blocks once they are full.
        const std::string chunk(1 << 20, 'x');
        std::error_code ec;
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 256 && !ec; ++i) {
            start = std::chrono::steady_clock::now();
            (void)client.write(chunk.data(), chunk.size(), ec);
        }
        EXPECT_EQ(ec, std::errc::timed_out) << client.last_error().message;
        // The kernel bounds each send() call, and a send that still moved a few bytes starts the
        // next one afresh, so one write may wait several times 200 ms; without the option it
        // would wait until the peer gives up (kPeerTimeout) and fail with another error.
        EXPECT_LT(std::chrono::steady_clock::now() - start, 3s)
            << "SO_SNDTIMEO 200 ms was not honoured";
        // The destructor would try to deliver close_notify to the peer that never reads for the
        // whole close timeout (5 s; close_test.cpp covers that).
        client.set_close_timeout(0ms);
    }
    done.set_value();
    server.join();
}

// ---------------------------------------------------------------------------------------------
// Misuse is refused before any byte is sent

bool peer_received_nothing_yet(int fd) {
    char c;
    return ::recv(fd, &c, 1, MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

TEST_F(SocketTest, MissingServerHostnameWithCheckHostnameThrowsBeforeAnyByteIsSent) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    tls::WrapOptions options;  // a client without server_hostname
    EXPECT_THROW(client_context().wrap_socket(fds.client.get(), tls::FdOwnership::borrow, options),
                 std::invalid_argument);
    EXPECT_TRUE(peer_received_nothing_yet(fds.server.get()));
    EXPECT_TRUE(tls::test::fd_is_open(fds.client.get()));  // borrowed: still ours
    fds.client.reset();
    // The first thing the peer ever sees is the end of the stream.
    ASSERT_TRUE(tls::test::wait_readable(fds.server.get(), tls::test::kPeerTimeout));
    char c;
    EXPECT_EQ(::recv(fds.server.get(), &c, 1, 0), 0);
}

TEST_F(SocketTest, RefusedWrapClosesAnAdoptedDescriptorWithoutSendingAnything) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    const int fd = fds.client.release();
    EXPECT_THROW(client_context().wrap_socket(fd, tls::FdOwnership::adopt, tls::WrapOptions{}),
                 std::invalid_argument);
    EXPECT_FALSE(tls::test::fd_is_open(fd));
    ASSERT_TRUE(tls::test::wait_readable(fds.server.get(), tls::test::kPeerTimeout));
    char c;
    EXPECT_EQ(::recv(fds.server.get(), &c, 1, 0), 0);
}

TEST_F(SocketTest, RoleMismatchesAreRefusedBeforeAnyByteIsSent) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    const int fd = fds.client.get();
    tls::WrapOptions server_with_name = tls::WrapOptions::server();
    server_with_name.server_hostname = "localhost";
    EXPECT_THROW(server_context().wrap_socket(fd, tls::FdOwnership::borrow, server_with_name),
                 std::invalid_argument);
    EXPECT_THROW(server_context().wrap_socket(fd, tls::FdOwnership::borrow,
                                              tls::WrapOptions::client("localhost")),
                 std::invalid_argument);
    EXPECT_THROW(
        client_context().wrap_socket(fd, tls::FdOwnership::borrow, tls::WrapOptions::server()),
        std::invalid_argument);
    EXPECT_TRUE(peer_received_nothing_yet(fds.server.get()));
}

// ---------------------------------------------------------------------------------------------
// Descriptor ownership and moves

TEST_F(SocketTest, BorrowedDescriptorStaysOpenAfterTheSocketIsDestroyed) {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    const int client_fd = fds.client.get();
    std::thread server([&] {
        tls::WrapOptions options = tls::WrapOptions::server();
        options.do_handshake_on_connect = false;
        tls::Socket s =
            server_context().wrap_socket(fds.server.get(), tls::FdOwnership::borrow, options);
        s.settimeout(tls::test::kPeerTimeout);
        s.do_handshake();
        char buf[4];
        EXPECT_EQ(s.read(buf, sizeof buf), 0u);  // the client's close_notify
    });
    {
        tls::Socket client = unstarted_client(client_fd, tls::FdOwnership::borrow);
        client.settimeout(tls::test::kPeerTimeout);
        client.do_handshake();
    }
    server.join();
    EXPECT_TRUE(tls::test::fd_is_open(client_fd));
    EXPECT_TRUE(tls::test::fd_is_open(fds.server.get()));
}

TEST_F(SocketTest, DescriptorsHandedBackAreInTheBlockingModeTheyCameIn) {
    // settimeout() makes the descriptor non-blocking while the Socket drives it; a descriptor
    // the caller gets back (borrowed, or returned by unwrap) should be blocking again if it was
    // blocking when it was wrapped, or plain blocking reads on it fail with EAGAIN.
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    std::future<int> server = std::async(std::launch::async, [&] {
        char buf[4];
        EXPECT_EQ(pair.server.read(buf, sizeof buf), 0u);
        return pair.server.unwrap();
    });
    tls::test::Fd client_tcp(pair.client.unwrap());
    ASSERT_EQ(server.wait_for(tls::test::kPeerTimeout), std::future_status::ready);
    tls::test::Fd server_tcp(server.get());
    EXPECT_EQ(::fcntl(client_tcp.get(), F_GETFL) & O_NONBLOCK, 0) << "unwrap() on the client";
    EXPECT_EQ(::fcntl(server_tcp.get(), F_GETFL) & O_NONBLOCK, 0) << "unwrap() on the server";

    tls::test::SocketPair fds = tls::test::loopback_pair();
    std::thread peer([&] {
        tls::WrapOptions options = tls::WrapOptions::server();
        options.do_handshake_on_connect = false;
        tls::Socket s =
            server_context().wrap_socket(fds.server.get(), tls::FdOwnership::borrow, options);
        s.settimeout(tls::test::kPeerTimeout);
        s.do_handshake();
    });
    {
        tls::Socket client = unstarted_client(fds.client.get(), tls::FdOwnership::borrow);
        client.settimeout(tls::test::kPeerTimeout);
        client.do_handshake();
    }
    peer.join();
    EXPECT_EQ(::fcntl(fds.client.get(), F_GETFL) & O_NONBLOCK, 0) << "borrowed, client";
    EXPECT_EQ(::fcntl(fds.server.get(), F_GETFL) & O_NONBLOCK, 0) << "borrowed, server";
}

TEST_F(SocketTest, AdoptedDescriptorIsClosedWithTheSocket) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    const int client_fd = pair.client.fileno();
    const int server_fd = pair.server.fileno();
    pair.client = tls::Socket();
    pair.server.close();
    EXPECT_FALSE(tls::test::fd_is_open(client_fd));
    EXPECT_FALSE(tls::test::fd_is_open(server_fd));
}

TEST_F(SocketTest, MovedFromSocketIsEmptyAndTheMovedToOneWorks) {
    TlsPair pair = handshake(client_context(), server_context());
    ASSERT_HANDSHAKE_OK(pair);
    const int fd = pair.client.fileno();
    tls::Socket moved = std::move(pair.client);
    EXPECT_FALSE(pair.client.is_open());
    EXPECT_EQ(pair.client.fileno(), -1);
    EXPECT_FALSE(pair.client.handshake_done());
    EXPECT_EQ(pair.client.pending(), 0u);
    EXPECT_EQ(pair.client.version(), std::nullopt);
    EXPECT_EQ(moved.fileno(), fd);
    EXPECT_TRUE(moved.handshake_done());
    moved.sendall("after move");
    EXPECT_EQ(read_exactly(pair.server, 10), "after move");

    tls::Socket assigned;
    assigned = std::move(moved);
    EXPECT_FALSE(moved.is_open());
    EXPECT_EQ(assigned.fileno(), fd);
    pair.client = std::move(assigned);  // assigning into a moved-from socket is valid
    EXPECT_EQ(pair.client.version(), "TLSv1.3");
}

// ---------------------------------------------------------------------------------------------
// Listener

TEST_F(SocketTest, ListenerAcceptTimeoutAlsoBoundsTheWaitForAConnection) {
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    std::future<std::exception_ptr> accepted = std::async(std::launch::async, [&] {
        try {
            tls::Socket s = listener.accept(100ms);
        } catch (...) {
            return std::current_exception();
        }
        return std::exception_ptr();
    });
    const bool returned = accepted.wait_for(3s) == std::future_status::ready;
    EXPECT_TRUE(returned) << "Listener::accept(100ms) still waits for a connection after 3 s";
    if (!returned) {
        // Unblock it: a TCP client that sends nothing lets the handshake time out.
        tls::test::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(listener.port());
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        ASSERT_EQ(accepted.wait_for(tls::test::kPeerTimeout), std::future_status::ready);
    }
    std::exception_ptr error = accepted.get();
    EXPECT_THROW(
        {
            try {
                tls::test::rethrow(error);
            } catch (const std::system_error& e) {
                EXPECT_EQ(e.code(), std::errc::timed_out);
                throw;
            }
        },
        std::system_error);
}

TEST_F(SocketTest, ListenerServesATlsctxClientThroughConnect) {
    tls::Listener listener(server_context(), "127.0.0.1", 0);
    EXPECT_NE(listener.port(), 0);
    tls::test::ServerThread server = tls::test::run_server_in_thread(listener, [](tls::Socket& s) {
        s.sendall(s.recv() + "!");
        tls::test::Fd tcp(s.unwrap());
        EXPECT_TRUE(tcp);
    });
    {
        tls::Socket client = tls::connect(client_context(), "localhost", listener.port(), 10s);
        EXPECT_EQ(client.server_hostname(), "localhost");
        client.sendall("hello");
        EXPECT_EQ(client.recv(), "hello!");
        char buf[4];
        EXPECT_EQ(client.read(buf, sizeof buf), 0u);
    }
    std::exception_ptr error = server.join();
    EXPECT_FALSE(error) << tls::test::describe(error);
}

TEST_F(SocketTest, ConnectToANameThatDoesNotResolveIsGaierrorWithTheResolversCodeAlone) {
    // RFC 6761 section 6.4: names under .invalid never resolve, with or without a network.
    try {
        (void)tls::connect(client_context(), "no-such-host.invalid", 443, 10s);
        ADD_FAILURE() << "connected to a .invalid name";
    } catch (const tls::gaierror& e) {
        EXPECT_EQ(&e.code().category(), &tls::gai_category());
        // EAI_AGAIN only where no resolver answers at all.
        EXPECT_TRUE(e.code().value() == EAI_NONAME || e.code().value() == EAI_AGAIN)
            << e.code().value() << " " << e.what();
        EXPECT_NE(e.code(), std::errc::host_unreachable);
    } catch (const std::exception&) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
    EXPECT_THROW(tls::Listener(server_context(), "no-such-host.invalid", 0), tls::gaierror);
}

TEST_F(SocketTest, ConnectToAClosedPortIsConnectionRefusedNamingHostAndPort) {
    const std::uint16_t port = tls::test::pick_loopback_port();  // nothing listens there now
    try {
        (void)tls::connect(client_context(), "127.0.0.1", port, 10s);
        ADD_FAILURE() << "connected to a closed port";
    } catch (const tls::SSLError&) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::connection_refused);
        // Which endpoint failed is the feature under test.
        const std::string endpoint = "127.0.0.1:" + std::to_string(port);
        EXPECT_NE(std::string(e.what()).find(endpoint), std::string::npos) << e.what();
    }
}

TEST_F(SocketTest, WrongHostnameFailsInsideTheHandshakeAndTheServerGetsTheAlert) {
    TlsPair pair = handshake(client_context(), server_context(pki().wrong_host()));
    try {
        tls::test::rethrow(pair.client_error);
        ADD_FAILURE() << "client accepted a certificate for another host";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), 62);  // X509_V_ERR_HOSTNAME_MISMATCH
        EXPECT_NE(e.verify_message().find("localhost"), std::string::npos) << e.verify_message();
        EXPECT_EQ(e.reason(), "CERTIFICATE_VERIFY_FAILED");
    }
    EXPECT_FALSE(pair.client.handshake_done());
    try {
        tls::test::rethrow(pair.server_error);
        ADD_FAILURE() << "server finished a handshake the client refused";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "SSLV3_ALERT_BAD_CERTIFICATE");
    }
}

}  // namespace
