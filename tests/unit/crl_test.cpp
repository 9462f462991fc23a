// Certificate revocation lists loaded through load_verify_locations / cadata and honoured with
// VERIFY_CRL_CHECK_LEAF and VERIFY_CRL_CHECK_CHAIN, in real handshakes between tlsctx peers.
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::describe;
using tls::test::handshake_pair;
using tls::test::rethrow;
using tls::test::TestPki;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::server_context;

constexpr long kCertRevoked = 23;    // X509_V_ERR_CERT_REVOKED
constexpr long kUnableToGetCrl = 3;  // X509_V_ERR_UNABLE_TO_GET_CRL

// The verify_code the client's handshake failed with, or 0 when it succeeded.
long client_verify_code(const TlsPair& pair) {
    try {
        rethrow(pair.client_error);
        return 0;
    } catch (const tls::SSLCertVerificationError& e) {
        return e.verify_code();
    } catch (const std::exception&) {
        ADD_FAILURE() << "not a verification failure: " << describe(pair.client_error);
        return -1;
    }
}

long verify_against(const tls::test::CertFiles& server_cert, const tls::Context& client) {
    return client_verify_code(
        handshake_pair(client, server_context(server_cert), tls::WrapOptions::client("localhost")));
}

tls::Context crl_client(tls::VerifyFlags check) {
    tls::Context ctx = client_context();
    ctx.load_verify_locations(TestPki::get().crl());
    ctx.set_verify_flags(ctx.verify_flags() | check);
    return ctx;
}

TEST(Crl, CrlFileWithoutCertificatesLoadsThroughLoadVerifyLocations) {
    tls::Context ctx = client_context();
    const int before = ctx.cert_store_stats().crl;
    ctx.load_verify_locations(TestPki::get().crl());
    EXPECT_EQ(ctx.cert_store_stats().crl, before + 2);  // the intermediate's and the root's
}

TEST(Crl, RevokedLeafFailsWithCertRevokedWhenLeafCheckingIsOn) {
    EXPECT_EQ(verify_against(TestPki::get().revoked(), crl_client(tls::VERIFY_CRL_CHECK_LEAF)),
              kCertRevoked);
    EXPECT_EQ(verify_against(TestPki::get().revoked(), crl_client(tls::VERIFY_CRL_CHECK_CHAIN)),
              kCertRevoked);
}

TEST(Crl, LeafThatIsNotRevokedPassesCrlChecking) {
    EXPECT_EQ(verify_against(TestPki::get().localhost(), crl_client(tls::VERIFY_CRL_CHECK_LEAF)),
              0);
    EXPECT_EQ(verify_against(TestPki::get().localhost(), crl_client(tls::VERIFY_CRL_CHECK_CHAIN)),
              0);
}

TEST(Crl, RevokedLeafPassesWhenNoCrlCheckingIsAsked) {
    // The CRL is loaded but the flags do not ask for it (Python's default too).
    tls::Context ctx = client_context();
    ctx.load_verify_locations(TestPki::get().crl());
    EXPECT_EQ(verify_against(TestPki::get().revoked(), ctx), 0);
}

TEST(Crl, CrlCheckingWithoutAnyCrlFailsWithUnableToGetCrl) {
    tls::Context ctx = client_context();
    ctx.set_verify_flags(ctx.verify_flags() | tls::VERIFY_CRL_CHECK_LEAF);
    EXPECT_EQ(verify_against(TestPki::get().localhost(), ctx), kUnableToGetCrl);
}

TEST(Crl, ServerRefusesARevokedClientCertificate) {
    tls::Context server = server_context();
    server.set_verify_mode(tls::CERT_REQUIRED);
    server.load_verify_locations(TestPki::get().ca_cert());
    server.load_verify_locations(TestPki::get().crl());
    server.set_verify_flags(server.verify_flags() | tls::VERIFY_CRL_CHECK_LEAF);
    tls::Context client = client_context();
    client.load_cert_chain(TestPki::get().revoked().chain, TestPki::get().revoked().key);
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);  // the server decides in the handshake
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    try {
        rethrow(pair.server_error);
        FAIL() << "the server accepted a revoked client certificate";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), kCertRevoked);
    }
    try {
        rethrow(pair.client_error);
        FAIL() << "the client saw no alert";
    } catch (const tls::SSLError& e) {
        EXPECT_EQ(e.reason(), "SSLV3_ALERT_CERTIFICATE_REVOKED");
    }
}

// root -> child CA (revoked by the root's CRL) -> localhost leaf.
struct RevokedIntermediate {
    tls::pki::CertificateAuthority root{"tlsctx CRL test root"};
    tls::pki::CertificateAuthority child = root.create_child_ca("tlsctx revoked intermediate");
    tls::pki::IssuedCert leaf = child.issue_cert(std::vector<std::string>{"localhost"});
    std::string crls = root.make_crl_pem({child.cert_pem()}) + child.make_crl_pem({});

    tls::Context server() const {
        tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
        ctx.load_cert_chain_pem(leaf.cert_chain_pem(), leaf.private_key_pem());
        return ctx;
    }
    tls::Context client(tls::VerifyFlags check) const {
        tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
        ctx.load_verify_cadata(root.cert_pem() + crls);  // PEM cadata with certificate and CRLs
        ctx.set_verify_flags(ctx.verify_flags() | check);
        return ctx;
    }
};

TEST(Crl, RevokedIntermediateFailsWhenTheWholeChainIsChecked) {
    RevokedIntermediate pki;
    tls::Context client = pki.client(tls::VERIFY_CRL_CHECK_CHAIN);
    EXPECT_EQ(client.cert_store_stats().crl, 2);
    EXPECT_EQ(client_verify_code(
                  handshake_pair(client, pki.server(), tls::WrapOptions::client("localhost"))),
              kCertRevoked);
}

TEST(Crl, RevokedIntermediatePassesWhenOnlyTheLeafIsChecked) {
    RevokedIntermediate pki;
    EXPECT_EQ(
        client_verify_code(handshake_pair(pki.client(tls::VERIFY_CRL_CHECK_LEAF), pki.server(),
                                          tls::WrapOptions::client("localhost"))),
        0);
}

std::string crl_pem_to_der(const std::string& pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> crl(
        PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr), &X509_CRL_free);
    if (!crl) {
        throw std::runtime_error("not a PEM CRL");
    }
    unsigned char* der = nullptr;
    int len = i2d_X509_CRL(crl.get(), &der);
    std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

TEST(Crl, DerCrlFileLoadsThroughLoadVerifyLocationsAndRevokes) {
    tls::pki::CertificateAuthority root("tlsctx DER CRL root");
    tls::pki::CertificateAuthority child = root.create_child_ca("tlsctx DER CRL intermediate");
    tls::pki::IssuedCert revoked = child.issue_cert(std::vector<std::string>{"localhost"});
    tls::test::feature::TempDir dir;
    const std::string der_file = dir.path("crl.der");
    tls::test::feature::write_file(der_file,
                                   crl_pem_to_der(child.make_crl_pem({revoked.cert_pem()})));

    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    client.load_verify_cadata(root.cert_pem());
    ASSERT_NO_THROW(client.load_verify_locations(der_file));
    EXPECT_EQ(client.cert_store_stats().crl, 1);
    client.set_verify_flags(client.verify_flags() | tls::VERIFY_CRL_CHECK_LEAF);
    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    server.load_cert_chain_pem(revoked.cert_chain_pem(), revoked.private_key_pem());
    EXPECT_EQ(
        client_verify_code(handshake_pair(client, server, tls::WrapOptions::client("localhost"))),
        kCertRevoked);
}

}  // namespace
