// Connection features between real tlsctx peers over loopback TCP: post-handshake client
// authentication, shared ciphers, verified and unverified chains, channel binding, the message
// callback and key-exchange groups.
#include <gtest/gtest.h>
#include <openssl/obj_mac.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::describe;
using tls::test::handshake_pair;
using tls::test::rethrow;
using tls::test::TestPki;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::der_certificates_of_file;
using tls::test::feature::read_until;
using tls::test::feature::server_context;

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

// --- Post-handshake authentication -----------------------------------------------------------

tls::Context pha_server() {
    tls::Context ctx = server_context();
    ctx.set_verify_mode(tls::CERT_REQUIRED);
    ctx.load_verify_locations(TestPki::get().ca_cert());
    ctx.set_post_handshake_auth(true);
    return ctx;
}

tls::Context pha_client(bool offer, bool with_certificate = true) {
    tls::Context ctx = client_context();
    if (with_certificate) {
        ctx.load_cert_chain(TestPki::get().client().chain, TestPki::get().client().key);
    }
    ctx.set_post_handshake_auth(offer);
    return ctx;
}

TEST(PostHandshakeAuth, ServerAsksForTheClientCertificateAfterTheHandshake) {
    tls::Context server = pha_server();
    EXPECT_TRUE(server.post_handshake_auth());
    TlsPair pair = handshake_pair(pha_client(true), server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    EXPECT_EQ(pair.server.version(), "TLSv1.3");
    // CERT_REQUIRED, yet the handshake asked for nothing.
    EXPECT_FALSE(pair.server.getpeercert().has_value());

    pair.server.verify_client_post_handshake();
    pair.server.sendall("hello\n");
    EXPECT_EQ(read_until(pair.client), "hello\n");  // answers the CertificateRequest
    pair.client.sendall("ping\n");
    EXPECT_EQ(read_until(pair.server), "ping\n");  // verifies the answer

    std::optional<tls::CertificateInfo> cert = pair.server.getpeercert();
    ASSERT_TRUE(cert.has_value());
    EXPECT_EQ(common_name(*cert), "tlsctx test client");
    EXPECT_EQ(pair.server.get_unverified_chain(),
              der_certificates_of_file(TestPki::get().client().chain));
}

TEST(PostHandshakeAuth, ClientThatDidNotOfferItMakesTheRequestThrowSslError) {
    TlsPair pair =
        handshake_pair(pha_client(false), pha_server(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    EXPECT_THROW(pair.server.verify_client_post_handshake(), tls::SSLError);
}

TEST(PostHandshakeAuth, RequestOverTls12ThrowsSslError) {
    tls::Context client = pha_client(true);
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    tls::Context server = pha_server();
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    // TLS 1.2 has no post-handshake authentication: the certificate came in the handshake.
    EXPECT_TRUE(pair.server.getpeercert().has_value());
    EXPECT_THROW(pair.server.verify_client_post_handshake(), tls::SSLError);
}

TEST(PostHandshakeAuth, RequestOnAClientThrowsLogicError) {
    TlsPair pair =
        handshake_pair(pha_client(true), pha_server(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_THROW(pair.client.verify_client_post_handshake(), std::logic_error);
}

TEST(PostHandshakeAuth, ClientWithoutACertificateFailsTheServersNextRead) {
    TlsPair pair = handshake_pair(pha_client(true, false), pha_server(),
                                  tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    pair.server.verify_client_post_handshake();
    pair.server.sendall("hello\n");
    EXPECT_EQ(read_until(pair.client), "hello\n");
    pair.client.sendall("ping\n");
    EXPECT_THROW(pair.server.recv(), tls::SSLError);
}

// --- Shared ciphers and chains ---------------------------------------------------------------

std::vector<std::string> cipher_names(const tls::Context& ctx) {
    std::vector<std::string> names;
    for (const tls::CipherInfo& c : ctx.get_ciphers()) {
        names.push_back(c.name);
    }
    return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SharedCiphers, ServerListsSuitesThatBothSidesEnabled) {
    tls::Context client = client_context();
    tls::Context server = server_context();
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    std::optional<std::vector<tls::CipherDescription>> shared = pair.server.shared_ciphers();
    ASSERT_TRUE(shared.has_value());
    ASSERT_FALSE(shared->empty());
    for (const tls::CipherDescription& c : *shared) {
        EXPECT_TRUE(contains(cipher_names(client), c.name)) << c.name;
        EXPECT_TRUE(contains(cipher_names(server), c.name)) << c.name;
        EXPECT_GT(c.secret_bits, 0) << c.name;
    }
    EXPECT_TRUE(contains(cipher_names(client), pair.server.cipher()->name));
    EXPECT_FALSE(pair.client.shared_ciphers().has_value());
}

TEST(SharedCiphers, OnlyTheOneSuiteATls12ClientOffersIsShared) {
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256");
    TlsPair pair = handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    std::optional<std::vector<tls::CipherDescription>> shared = pair.server.shared_ciphers();
    ASSERT_TRUE(shared.has_value());
    ASSERT_EQ(shared->size(), 1u);
    EXPECT_EQ(shared->at(0).name, "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(shared->at(0).protocol, "TLSv1.2");
    EXPECT_EQ(shared->at(0).secret_bits, 128);
}

TEST(Chains, BothSidesSeeThePeersChainLeafFirst) {
    tls::Context server = server_context();
    server.set_verify_mode(tls::CERT_REQUIRED);
    server.load_verify_locations(TestPki::get().ca_cert());
    tls::Context client = client_context();
    client.load_cert_chain(TestPki::get().client().chain, TestPki::get().client().key);
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);

    const tls::Bytes root = der_certificates_of_file(TestPki::get().ca_cert()).at(0);
    std::vector<tls::Bytes> server_sent =
        der_certificates_of_file(TestPki::get().localhost().chain);
    std::vector<tls::Bytes> client_sent = der_certificates_of_file(TestPki::get().client().chain);
    ASSERT_EQ(server_sent.size(), 2u);  // leaf, intermediate
    ASSERT_EQ(client_sent.size(), 2u);

    EXPECT_EQ(pair.client.get_unverified_chain(), server_sent);
    EXPECT_EQ(pair.server.get_unverified_chain(), client_sent);
    server_sent.push_back(root);
    client_sent.push_back(root);
    EXPECT_EQ(pair.client.get_verified_chain(), server_sent);
    EXPECT_EQ(pair.server.get_verified_chain(), client_sent);
}

TEST(Chains, ServerThatAskedForNoCertificateHasEmptyChains) {
    TlsPair pair =
        handshake_pair(client_context(), server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    EXPECT_TRUE(pair.server.get_unverified_chain().empty());
    EXPECT_TRUE(pair.server.get_verified_chain().empty());
}

TEST(Chains, ConnectionBeforeItsHandshakeHasEmptyChains) {
    tls::test::feature::Endpoint c;
    c.object =
        client_context().wrap_bio(c.incoming, c.outgoing, tls::WrapOptions::client("localhost"));
    EXPECT_TRUE(c.object.get_unverified_chain().empty());
    EXPECT_TRUE(c.object.get_verified_chain().empty());
    EXPECT_FALSE(c.object.get_channel_binding("tls-unique").has_value());
    EXPECT_FALSE(c.object.get_channel_binding("tls-exporter").has_value());
}

// --- Channel binding -------------------------------------------------------------------------

TEST(ChannelBinding, TlsUniqueIsEqualOnBothEndsOfATls12Connection) {
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair one = handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"));
    TlsPair two = handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(one.client_error) << describe(one.client_error);
    ASSERT_FALSE(two.client_error) << describe(two.client_error);
    std::optional<tls::Bytes> c = one.client.get_channel_binding("tls-unique");
    std::optional<tls::Bytes> s = one.server.get_channel_binding("tls-unique");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->size(), 12u);  // a TLS 1.2 Finished verify_data
    EXPECT_EQ(c, s);
    EXPECT_EQ(one.client.get_channel_binding(), c);  // tls-unique is the default type
    EXPECT_NE(c, two.client.get_channel_binding("tls-unique"));
}

TEST(ChannelBinding, TlsExporterIsEqualOnBothEndsOfATls13Connection) {
    TlsPair one =
        handshake_pair(client_context(), server_context(), tls::WrapOptions::client("localhost"));
    TlsPair two =
        handshake_pair(client_context(), server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(one.client_error) << describe(one.client_error);
    ASSERT_FALSE(two.client_error) << describe(two.client_error);
    ASSERT_EQ(one.client.version(), "TLSv1.3");
    std::optional<tls::Bytes> c = one.client.get_channel_binding("tls-exporter");
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->size(), 32u);
    EXPECT_EQ(c, one.server.get_channel_binding("tls-exporter"));
    EXPECT_NE(c, two.client.get_channel_binding("tls-exporter"));
}

TEST(ChannelBinding, UnknownTypeThrowsInvalidArgument) {
    TlsPair pair =
        handshake_pair(client_context(), server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_THROW(pair.client.get_channel_binding("tls-server-end-point"), std::invalid_argument);
    EXPECT_THROW(pair.server.get_channel_binding(""), std::invalid_argument);
    EXPECT_FALSE(pair.client.compression().has_value());
}

// --- Message callback ------------------------------------------------------------------------

struct Seen {
    bool outgoing;
    int content_type;
    int first_byte;  // e.g. the handshake message type
    std::optional<int> alert_level;
    std::optional<tls::AlertDescription> alert;
};

void record_into(tls::Context& ctx, std::vector<Seen>& seen) {
    ctx.set_msg_callback([&seen](const tls::TlsMessage& m) {
        seen.push_back({m.outgoing, m.content_type, m.size > 0 ? m.data[0] : -1, m.alert_level,
                        m.alert_description});
    });
}

bool saw(const std::vector<Seen>& seen, bool outgoing, int content_type, int first_byte) {
    return std::any_of(seen.begin(), seen.end(), [&](const Seen& s) {
        return s.outgoing == outgoing && s.content_type == content_type &&
               s.first_byte == first_byte;
    });
}

constexpr int kHandshake = 22, kAlert = 21;
constexpr int kClientHello = 1, kServerHello = 2, kFinished = 20;

TEST(MessageCallback, SeesHandshakeMessagesInBothDirections) {
    tls::Context client = client_context();
    tls::Context server = server_context();
    std::vector<Seen> client_seen, server_seen;
    record_into(client, client_seen);
    record_into(server, server_seen);
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    EXPECT_TRUE(saw(client_seen, true, kHandshake, kClientHello));
    EXPECT_TRUE(saw(client_seen, false, kHandshake, kServerHello));
    EXPECT_TRUE(saw(client_seen, true, kHandshake, kFinished));
    EXPECT_TRUE(saw(client_seen, false, kHandshake, kFinished));
    EXPECT_TRUE(saw(server_seen, false, kHandshake, kClientHello));
    EXPECT_TRUE(saw(server_seen, true, kHandshake, kServerHello));

    // Removing the callback stops the reports.
    client.set_msg_callback({});
    const std::size_t before = client_seen.size();
    TlsPair again = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    EXPECT_EQ(client_seen.size(), before);
}

TEST(MessageCallback, SeesTheFatalUnknownCaAlertSentAndReceived) {
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(TestPki::get().other_ca_cert());
    tls::Context server = server_context();
    std::vector<Seen> client_seen, server_seen;
    record_into(client, client_seen);
    record_into(server, server_seen);
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_TRUE(pair.client_error);

    auto is_unknown_ca = [](bool outgoing) {
        return [outgoing](const Seen& s) {
            return s.outgoing == outgoing && s.content_type == kAlert && s.alert_level == 2 &&
                   s.alert == tls::AlertDescription::ALERT_DESCRIPTION_UNKNOWN_CA;
        };
    };
    EXPECT_TRUE(std::any_of(client_seen.begin(), client_seen.end(), is_unknown_ca(true)));
    EXPECT_TRUE(std::any_of(server_seen.begin(), server_seen.end(), is_unknown_ca(false)));
}

struct CallbackFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

TEST(MessageCallback, ExceptionThrownByTheCallbackPropagatesFromTheHandshake) {
    tls::Context client = client_context();
    client.set_msg_callback([](const tls::TlsMessage& m) {
        if (m.outgoing && m.content_type == kHandshake) {
            throw CallbackFailed("stop");
        }
    });
    TlsPair pair = handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"),
                                  tls::WrapOptions::server(), std::chrono::milliseconds(1000));
    EXPECT_THROW(rethrow(pair.client_error), CallbackFailed) << describe(pair.client_error);
}

// --- Key exchange groups ---------------------------------------------------------------------

int negotiated_group(const tls::Connection& c) {
    return SSL_get_negotiated_group(static_cast<SSL*>(c.native_handle()));
}

TEST(Groups, ServerGroupsDecideTheKeyExchangeOfTls13) {
    tls::Context server = server_context();
    server.set_groups("P-384");
    TlsPair pair = handshake_pair(client_context(), server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_EQ(negotiated_group(pair.client), NID_secp384r1);
}

TEST(Groups, ClientGroupsDecideTheKeyExchange) {
    tls::Context client = client_context();
    client.set_groups("X448:P-521");
    TlsPair pair = handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_EQ(negotiated_group(pair.server), NID_X448);
}

TEST(Groups, EcdhCurveLimitsTls12ToThatCurve) {
    tls::Context server = server_context();
    server.set_ecdh_curve("secp384r1");
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_EQ(pair.client.version(), "TLSv1.2");
    EXPECT_EQ(negotiated_group(pair.client), NID_secp384r1);
}

TEST(Groups, NoCommonGroupFailsTheHandshake) {
    tls::Context server = server_context();
    server.set_groups("P-521");
    tls::Context client = client_context();
    client.set_groups("X25519");
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    EXPECT_THROW(rethrow(pair.client_error), tls::SSLError);
    EXPECT_THROW(rethrow(pair.server_error), tls::SSLError);
}

TEST(Groups, UnknownNamesThrow) {
    tls::Context ctx = server_context();
    EXPECT_THROW(ctx.set_ecdh_curve("not-a-curve"), std::invalid_argument);
    EXPECT_THROW(ctx.set_ecdh_curve(""), std::invalid_argument);
    EXPECT_THROW(ctx.set_ecdh_curve("P-256:X25519"), std::invalid_argument);
    EXPECT_THROW(ctx.set_groups("not-a-group"), tls::SSLError);
    EXPECT_THROW(ctx.set_groups("X25519:not-a-group"), tls::SSLError);
    EXPECT_NO_THROW(ctx.set_ecdh_curve("prime256v1"));
    EXPECT_NO_THROW(ctx.set_groups("X25519:P-256:ffdhe2048"));
}

TEST(Groups, DhParametersThatCannotBeReadThrow) {
    tls::Context ctx = server_context();
    try {
        ctx.load_dh_params(TestPki::get().dir() + "/no-such-dhparams.pem");
        ADD_FAILURE() << "a missing file was accepted";
    } catch (const tls::SSLError& e) {
        ADD_FAILURE() << "a missing file is an OS error, not " << e.what();
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    }
    // A certificate is no DH parameter set.
    EXPECT_THROW(ctx.load_dh_params(TestPki::get().ca_cert()), tls::SSLError);
}

}  // namespace
