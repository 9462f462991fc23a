// SNI on a tlsctx server: one listener whose sni_callback switches each connection to the
// context holding the certificate for the requested name, refuses unknown names with an alert,
// and hands a throwing callback's exception back to the server's handshake call. Real tlsctx
// clients over loopback TCP.
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "tls/pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::describe;
using tls::test::handshake_pair;
using tls::test::rethrow;
using tls::test::TlsPair;

// Two virtual hosts under one CA, plus the listener's own default certificate.
struct SniPki {
    tls::pki::CertificateAuthority ca{"tlsctx SNI test CA"};
    tls::pki::IssuedCert a = ca.issue_cert(std::vector<std::string>{"a.example.test"});
    tls::pki::IssuedCert b = ca.issue_cert(std::vector<std::string>{"b.example.test"});
    tls::pki::IssuedCert fallback = ca.issue_cert(std::vector<std::string>{"default.example.test"});
};

const SniPki& pki() {
    static const SniPki p;
    return p;
}

tls::Context server_with(const tls::pki::IssuedCert& cert) {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain_pem(cert.cert_chain_pem(), cert.private_key_pem());
    return ctx;
}

tls::Context sni_client() {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.load_verify_cadata(pki().ca.cert_pem());
    return ctx;
}

class SniTest : public ::testing::Test {
  protected:
    SniTest() {
        listener_ctx.set_sni_callback(
            [this](tls::ServerNameRequest& request) -> std::optional<tls::AlertDescription> {
                {
                    std::lock_guard<std::mutex> lock(mutex);
                    seen.push_back(request.server_name());
                    seen_context = request.context().native_handle();
                }
                if (!request.server_name()) {
                    return std::nullopt;  // keep the default certificate
                }
                if (*request.server_name() == "a.example.test") {
                    request.set_context(ctx_a);
                } else if (*request.server_name() == "b.example.test") {
                    request.set_context(ctx_b);
                } else if (*request.server_name() == "throw.example.test") {
                    throw HostRefused("no such host");
                } else {
                    return tls::AlertDescription::ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
                }
                return std::nullopt;
            });
    }

    struct HostRefused : std::runtime_error {
        using std::runtime_error::runtime_error;
    };

    TlsPair connect(const std::string& name) {
        return handshake_pair(sni_client(), listener_ctx, tls::WrapOptions::client(name));
    }

    tls::Context ctx_a = server_with(pki().a);
    tls::Context ctx_b = server_with(pki().b);
    tls::Context listener_ctx = server_with(pki().fallback);
    std::mutex mutex;
    std::vector<std::optional<std::string>> seen;
    void* seen_context = nullptr;
};

std::vector<tls::GeneralName> dns(const std::string& name) {
    return {tls::GeneralName{"DNS", name, {}}};
}

TEST_F(SniTest, ServerPresentsTheCertificateOfEachRequestedName) {
    for (const std::string name : {"a.example.test", "b.example.test", "a.example.test"}) {
        TlsPair pair = connect(name);
        ASSERT_FALSE(pair.client_error) << name << ": " << describe(pair.client_error);
        ASSERT_FALSE(pair.server_error) << name << ": " << describe(pair.server_error);
        std::optional<tls::CertificateInfo> cert = pair.client.getpeercert();
        ASSERT_TRUE(cert.has_value());
        EXPECT_EQ(cert->subject_alt_name, dns(name));
        // The server's connection now uses the context chosen by the callback.
        const tls::Context& chosen = name == "a.example.test" ? ctx_a : ctx_b;
        EXPECT_EQ(pair.server.context().native_handle(), chosen.native_handle());
    }
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(seen.size(), 3u);
    EXPECT_EQ(seen[1], std::optional<std::string>("b.example.test"));
    // The callback runs on the context the connection was made with.
    EXPECT_EQ(seen_context, listener_ctx.native_handle());
}

TEST_F(SniTest, ConnectionsThroughTheSameListenerEachGetTheirOwnCertificate) {
    tls::Listener listener(listener_ctx, "127.0.0.1", 0);
    tls::test::feature::ConnectionServer server(
        listener, 2, [](std::size_t, tls::Socket& s) { s.sendall("hi\n"); });
    for (const std::string name : {"b.example.test", "a.example.test"}) {
        tls::Socket client =
            tls::test::feature::connect_loopback(sni_client(), listener.port(), name);
        ASSERT_TRUE(client.getpeercert().has_value());
        EXPECT_EQ(client.getpeercert()->subject_alt_name, dns(name));
        EXPECT_EQ(tls::test::feature::read_until(client), "hi\n");
    }
    for (const std::exception_ptr& e : server.join()) {
        EXPECT_FALSE(e) << describe(e);
    }
}

TEST_F(SniTest, UnknownNameIsRefusedWithUnrecognizedNameAlert) {
    TlsPair pair = connect("c.example.test");
    ASSERT_TRUE(pair.client_error);
    ASSERT_TRUE(pair.server_error);
    try {
        rethrow(pair.client_error);
    } catch (const tls::SSLCertVerificationError&) {
        FAIL() << "refused by the alert, not by verification: " << describe(pair.client_error);
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "TLSV1_UNRECOGNIZED_NAME");
    }
    EXPECT_THROW(rethrow(pair.server_error), tls::SSLError);
    EXPECT_FALSE(pair.client.handshake_done());
}

TEST_F(SniTest, ExceptionThrownByTheCallbackIsRethrownFromTheServersHandshake) {
    TlsPair pair = connect("throw.example.test");
    EXPECT_THROW(rethrow(pair.server_error), HostRefused) << describe(pair.server_error);
    EXPECT_THROW(rethrow(pair.client_error), tls::SSLError) << describe(pair.client_error);
}

TEST_F(SniTest, ServerAcceptsTheNextConnectionAfterACallbackThrew) {
    TlsPair refused = connect("throw.example.test");
    ASSERT_TRUE(refused.server_error);
    TlsPair pair = connect("a.example.test");
    EXPECT_FALSE(pair.server_error) << describe(pair.server_error);
    EXPECT_FALSE(pair.client_error) << describe(pair.client_error);
}

TEST_F(SniTest, ClientConnectingByIpAddressSendsNoServerName) {
    // RFC 6066: no literal addresses in SNI. The callback sees "no name" and keeps the
    // default context; the client then verifies the address against IP SANs (none here).
    TlsPair pair = connect("127.0.0.1");
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], std::nullopt);
}

TEST_F(SniTest, RemovedCallbackIsNoLongerCalled) {
    listener_ctx.set_sni_callback({});
    TlsPair pair = connect("a.example.test");
    // The default certificate is for another name: the client's host name check refuses it.
    EXPECT_THROW(rethrow(pair.client_error), tls::SSLCertVerificationError)
        << describe(pair.client_error);
    std::lock_guard<std::mutex> lock(mutex);
    EXPECT_TRUE(seen.empty());
}

TEST(Sni, CallbackCanRefuseWithAnyAlert) {
    tls::Context server = server_with(pki().fallback);
    server.set_sni_callback([](tls::ServerNameRequest&) -> std::optional<tls::AlertDescription> {
        return tls::AlertDescription::ALERT_DESCRIPTION_ACCESS_DENIED;
    });
    TlsPair pair =
        handshake_pair(sni_client(), server, tls::WrapOptions::client("default.example.test"));
    try {
        rethrow(pair.client_error);
        FAIL() << "the handshake succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "TLSV1_ALERT_ACCESS_DENIED");
    }
}

// --- Which name the client asked for, and why a refusal happened (issue 11) ------------------

TEST_F(SniTest, ServerReadsTheNameTheClientAskedForAfterTheHandshake) {
    TlsPair pair = connect("b.example.test");
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_EQ(pair.server.server_name(), std::optional<std::string>("b.example.test"));
    // The client reports the name it sent.
    EXPECT_EQ(pair.client.server_name(), std::optional<std::string>("b.example.test"));
}

TEST_F(SniTest, ServerOfAClientConnectingByIpAddressHasNoServerName) {
    TlsPair pair = connect("127.0.0.1");
    EXPECT_EQ(pair.server.server_name(), std::nullopt);
    EXPECT_EQ(pair.client.server_name(), std::nullopt);
}

TEST_F(SniTest, RefusedNameIsKeptOnTheServersConnectionAndNamedInItsError) {
    TlsPair pair = connect("c.example.test");
    ASSERT_TRUE(pair.server_error);
    EXPECT_EQ(pair.server.server_name(), std::optional<std::string>("c.example.test"));
    try {
        rethrow(pair.server_error);
        FAIL() << "the server's handshake succeeded";
    } catch (const tls::SSLError& e) {
        // The type and OpenSSL's reason stay; the message, which is what a server logs, says
        // which name was refused and with which alert instead of CALLBACK_FAILED alone. (This
        // test reads the message because the message is the feature.)
        EXPECT_EQ(e.reason(), "CALLBACK_FAILED");
        const std::string what = e.what();
        EXPECT_NE(what.find("'c.example.test'"), std::string::npos) << what;
        EXPECT_NE(what.find("alert 112"), std::string::npos) << what;
        EXPECT_EQ(pair.server.last_error().message, what);
    }
    // The client sees the alert itself.
    try {
        rethrow(pair.client_error);
        FAIL() << "the client's handshake succeeded";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "TLSV1_UNRECOGNIZED_NAME");
    }
}

TEST_F(SniTest, CallbackExceptionKeepsItsTypeAndLastErrorNamesTheServerName) {
    TlsPair pair = connect("throw.example.test");
    EXPECT_THROW(rethrow(pair.server_error), HostRefused);
    EXPECT_EQ(pair.server.server_name(), std::optional<std::string>("throw.example.test"));
    const std::string message = pair.server.last_error().message;
    EXPECT_NE(message.find("'throw.example.test'"), std::string::npos) << message;
}

// A client and a server tls::Object pumped in memory until both are done or one fails.
struct MemoryPair {
    tls::MemoryBIO client_in, client_out, server_in, server_out;
    tls::Object client, server;
    std::error_code client_ec, server_ec;

    MemoryPair(const tls::Context& client_ctx, const tls::Context& server_ctx,
               const tls::WrapOptions& client_options) {
        client = client_ctx.wrap_bio(client_in, client_out, client_options);
        server = server_ctx.wrap_bio(server_in, server_out, tls::WrapOptions::server());
        auto pending = [](std::error_code ec) {
            return ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write;
        };
        client_ec = server_ec = make_error_code(tls::SSLErrc::want_read);
        for (int round = 0; round < 20 && (pending(client_ec) || pending(server_ec)); ++round) {
            if (pending(client_ec)) {
                client.do_handshake(client_ec);
            }
            server_in.write(client_out.read());
            if (pending(server_ec)) {
                server.do_handshake(server_ec);
            }
            client_in.write(server_out.read());
        }
    }
};

TEST(Sni, ServerWithoutACallbackReadsTheRequestedNameInMemory) {
    // No SNI callback: the name comes from OpenSSL's record of the ClientHello alone.
    tls::Context server = server_with(pki().a);
    MemoryPair pair(sni_client(), server, tls::WrapOptions::client("a.example.test"));
    ASSERT_FALSE(pair.client_ec) << pair.client.last_error().message;
    ASSERT_FALSE(pair.server_ec) << pair.server.last_error().message;
    EXPECT_EQ(pair.server.server_name(), std::optional<std::string>("a.example.test"));
}

TEST(Sni, ServerNameIsEmptyBeforeTheClientHelloArrives) {
    tls::MemoryBIO in, out;
    tls::Object server = server_with(pki().a).wrap_bio(in, out, tls::WrapOptions::server());
    EXPECT_EQ(server.server_name(), std::nullopt);
}

TEST(Sni, InternationalNameArrivesAsTheALabelTheClientSent) {
    tls::Context server = server_with(pki().a);
    std::optional<std::string> seen;
    server.set_sni_callback(
        [&seen](tls::ServerNameRequest& request) -> std::optional<tls::AlertDescription> {
            seen = request.server_name();
            return tls::AlertDescription::ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
        });
    MemoryPair pair(sni_client(), server, tls::WrapOptions::client("bücher.example.test"));
    ASSERT_TRUE(pair.server_ec);
    EXPECT_EQ(seen, std::optional<std::string>("xn--bcher-kva.example.test"));
    EXPECT_EQ(pair.server.server_name(), seen);
    EXPECT_NE(pair.server.last_error().message.find("'xn--bcher-kva.example.test'"),
              std::string::npos)
        << pair.server.last_error().message;
}

TEST_F(SniTest, ServerReadsTheNameOpensslSClientSentWithServername) {
    tls::Listener listener(listener_ctx, "127.0.0.1", 0);
    std::optional<std::string> server_name;
    tls::test::feature::ConnectionServer server(listener, 1,
                                                [&server_name](std::size_t, tls::Socket& s) {
                                                    server_name = s.server_name();
                                                    s.sendall("hi\n");
                                                });
    tls::test::OpensslClientOptions options;
    options.port = listener.port();
    options.servername = "a.example.test";
    tls::test::OpensslClientResult result = tls::test::run_openssl_client(options);
    for (const std::exception_ptr& e : server.join()) {
        ASSERT_FALSE(e) << describe(e);
    }
    EXPECT_TRUE(result.protocol.has_value()) << result.process.out << result.process.err;
    EXPECT_EQ(server_name, std::optional<std::string>("a.example.test"));
}

}  // namespace
