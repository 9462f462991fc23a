// tls::certificate_details(): fingerprints computed independently here with EVP_Digest over the
// DER, and the extensions the test PKI writes, in certificate order.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "tls/certificate.hpp"
#include "tls/certificate_details.hpp"
#include "tls/errors.hpp"
#include "tls/pki.hpp"

namespace {

std::string expected_fingerprint(const tls::Bytes& der, const EVP_MD* md) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EXPECT_EQ(EVP_Digest(der.data(), der.size(), digest.data(), &size, md, nullptr), 1);
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        std::array<char, 4> pair{};
        std::snprintf(pair.data(), pair.size(), "%02X", digest[i]);
        out += (i == 0 ? "" : ":") + std::string(pair.data());
    }
    return out;
}

const tls::CertificateExtension* find(const tls::CertificateDetails& details,
                                      const std::string& name) {
    for (const tls::CertificateExtension& extension : details.extensions) {
        if (extension.name == name) {
            return &extension;
        }
    }
    return nullptr;
}

TEST(CertificateDetails, FingerprintsAreTheDigestsOfTheDerFromPemOrDer) {
    tls::pki::CertificateAuthority ca;
    const std::string pem = ca.issue_cert({"localhost"}).cert_pem();
    const tls::Bytes der = tls::PEM_cert_to_DER_cert(pem);
    const tls::CertificateDetails from_pem = tls::certificate_details(pem);
    EXPECT_EQ(from_pem.sha256_fingerprint, expected_fingerprint(der, EVP_sha256()));
    EXPECT_EQ(from_pem.sha1_fingerprint, expected_fingerprint(der, EVP_sha1()));
    EXPECT_EQ(from_pem.sha256_fingerprint.size(), 32u * 3 - 1);
    const tls::CertificateDetails from_der =
        tls::certificate_details(std::string(der.begin(), der.end()));
    EXPECT_EQ(from_der.sha256_fingerprint, from_pem.sha256_fingerprint);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(CertificateDetails, ExtensionsOfALeafAndACaWithCriticalityAndOpenSslsText) {
    tls::pki::CertificateAuthority ca;
    const tls::CertificateDetails leaf =
        tls::certificate_details(ca.issue_cert({"localhost", "127.0.0.1"}).cert_pem());
    const tls::CertificateDetails root = tls::certificate_details(ca.cert_pem());
    // Each row: the certificate, the extension, critical, a piece of its value.
    struct Row {
        const tls::CertificateDetails* details;
        std::string name;
        bool critical;
        std::string value_part;
    };
    const std::vector<Row> rows = {
        {&leaf, "basicConstraints", true, "CA:FALSE"},
        {&leaf, "subjectAltName", false, "DNS:localhost"},
        {&leaf, "subjectAltName", false, "IP Address:127.0.0.1"},
        {&leaf, "keyUsage", true, "Digital Signature"},
        {&leaf, "subjectKeyIdentifier", false, ":"},
        {&leaf, "authorityKeyIdentifier", false, ":"},
        {&root, "basicConstraints", true, "CA:TRUE"},
        {&root, "keyUsage", true, "Certificate Sign"},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.name + " " + row.value_part);
        const tls::CertificateExtension* extension = find(*row.details, row.name);
        ASSERT_NE(extension, nullptr);
        EXPECT_EQ(extension->critical, row.critical);
        EXPECT_NE(extension->value.find(row.value_part), std::string::npos) << extension->value;
    }
    // The leaf's key identifier of its issuer is the CA's own subject key identifier.
    const std::string ski = find(root, "subjectKeyIdentifier")->value;
    EXPECT_NE(find(leaf, "authorityKeyIdentifier")->value.find(ski), std::string::npos);
}

TEST(CertificateDetails, SomethingThatIsNotACertificateIsAnSSLError) {
    EXPECT_THROW(tls::certificate_details("not a certificate"), tls::SSLError);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

}  // namespace
