// tls::verify_certificate_chain: offline verification with a default context's checks. Tables
// (one row per case, a comment on each) cover host names, wildcards, IP SANs, validity and key
// usage, as libtls's verifytest.c does; codes are asserted, never message text.
#include "tls/verify.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ossl/handles.hpp"
#include "tls/certificate.hpp"
#include "tls/errors.hpp"
#include "tls/pki.hpp"

namespace {

using namespace std::chrono_literals;
using tls::VerifyRequest;
using tls::VerifyResult;
using tls::pki::CertificateAuthority;
using tls::pki::CertificateOptions;
using tls::pki::ExtendedKeyUsage;
using tls::pki::IssuedCert;

// root -> intermediate -> leaves, made once for the whole suite.
class VerifyChain : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        root_ = std::make_unique<CertificateAuthority>("verify test root");
        intermediate_ =
            std::make_unique<CertificateAuthority>(root_->create_child_ca("verify test ICA"));
        other_root_ = std::make_unique<CertificateAuthority>("verify test other root");
    }
    static void TearDownTestSuite() {
        intermediate_.reset();
        root_.reset();
        other_root_.reset();
    }

    static CertificateOptions leaf_options(std::vector<std::string> dns_names,
                                           std::vector<std::string> ip_addresses = {}) {
        CertificateOptions options;
        options.common_name = "verify test leaf";
        options.dns_names = std::move(dns_names);
        options.ip_addresses = std::move(ip_addresses);
        return options;
    }

    // The request a client of `dns_name` makes for a leaf from the intermediate: the root is
    // trusted, the intermediate is what the server sends.
    static VerifyRequest request_for(const IssuedCert& leaf, std::string dns_name = "") {
        VerifyRequest request;
        request.trusted_pem = {root_->cert_pem()};
        request.intermediates_pem = {intermediate_->cert_pem()};
        request.leaf_pem = leaf.cert_pem();
        request.dns_name = std::move(dns_name);
        return request;
    }

    static std::unique_ptr<CertificateAuthority> root_;
    static std::unique_ptr<CertificateAuthority> intermediate_;
    static std::unique_ptr<CertificateAuthority> other_root_;
};

std::unique_ptr<CertificateAuthority> VerifyChain::root_;
std::unique_ptr<CertificateAuthority> VerifyChain::intermediate_;
std::unique_ptr<CertificateAuthority> VerifyChain::other_root_;

TEST_F(VerifyChain, AcceptsChainThroughIntermediate) {
    IssuedCert leaf = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    VerifyResult result = tls::verify_certificate_chain(request_for(leaf, "www.example.test"));
    EXPECT_TRUE(result.ok);
    EXPECT_TRUE(static_cast<bool>(result));
    EXPECT_EQ(result.verify_code, X509_V_OK);
    EXPECT_EQ(result.error_depth, -1);
    ASSERT_EQ(result.chain.size(), 3u);
    EXPECT_EQ(result.chain.front(), leaf.cert_der());
    EXPECT_EQ(result.chain.back(), tls::PEM_cert_to_DER_cert(root_->cert_pem()));
}

TEST_F(VerifyChain, AcceptsIntermediatesSentAfterTheLeaf) {
    IssuedCert leaf = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    VerifyRequest request = request_for(leaf, "www.example.test");
    request.intermediates_pem.clear();
    request.leaf_pem = leaf.cert_chain_pem();
    EXPECT_TRUE(tls::verify_certificate_chain(request).ok);
}

// Host and IP matching, as a default client checks server_hostname. Every leaf comes from the
// intermediate; `cn_fallback` is hostname_checks_common_name.
struct NameRow {
    const char* what;
    std::vector<std::string> dns_sans;
    std::vector<std::string> ip_sans;
    std::string common_name;
    std::string dns_name;
    std::string ip_address;
    bool cn_fallback;
    long expected;
};

const NameRow kNameRows[] = {
    // An exact DNS SAN matches.
    {"exact", {"a.example.test"}, {}, "", "a.example.test", "", false, X509_V_OK},
    // Host names compare without regard to ASCII case.
    {"case", {"a.example.test"}, {}, "", "A.Example.TEST", "", false, X509_V_OK},
    // Any other name is a mismatch.
    {"wrong host",
     {"a.example.test"},
     {},
     "",
     "b.example.test",
     "",
     false,
     X509_V_ERR_HOSTNAME_MISMATCH},
    // A wildcard stands for exactly one leftmost label...
    {"wildcard", {"*.example.test"}, {}, "", "a.example.test", "", false, X509_V_OK},
    // ...not for two labels...
    {"wildcard two labels",
     {"*.example.test"},
     {},
     "",
     "a.b.example.test",
     "",
     false,
     X509_V_ERR_HOSTNAME_MISMATCH},
    // ...nor for none (the bare domain).
    {"wildcard bare domain",
     {"*.example.test"},
     {},
     "",
     "example.test",
     "",
     false,
     X509_V_ERR_HOSTNAME_MISMATCH},
    // A partial-label wildcard matches nothing (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS).
    {"partial wildcard",
     {"f*.example.test"},
     {},
     "",
     "foo.example.test",
     "",
     false,
     X509_V_ERR_HOSTNAME_MISMATCH},
    // An IPv4 SAN matches the address.
    {"IPv4", {}, {"192.0.2.1"}, "", "", "192.0.2.1", false, X509_V_OK},
    // An IPv6 SAN matches the address, whatever its spelling.
    {"IPv6", {}, {"2001:db8::1"}, "", "", "2001:db8:0:0:0:0:0:1", false, X509_V_OK},
    // Another address is a mismatch.
    {"IPv4 mismatch",
     {},
     {"192.0.2.1"},
     "",
     "",
     "192.0.2.2",
     false,
     X509_V_ERR_IP_ADDRESS_MISMATCH},
    // An address never matches a DNS SAN spelled like it.
    {"IP in DNS SAN",
     {"192.0.2.1"},
     {},
     "",
     "",
     "192.0.2.1",
     false,
     X509_V_ERR_IP_ADDRESS_MISMATCH},
    // An address given as dns_name is checked as an address, as wrap_socket does.
    {"IP as dns_name, IP SAN", {}, {"192.0.2.1"}, "", "192.0.2.1", "", false, X509_V_OK},
    // ...so a DNS SAN spelled like it does not match either.
    {"IP as dns_name, DNS SAN",
     {"192.0.2.1"},
     {},
     "",
     "192.0.2.1",
     "",
     false,
     X509_V_ERR_IP_ADDRESS_MISMATCH},
    // A name never matches an IP SAN.
    {"name vs IP SAN",
     {},
     {"192.0.2.1"},
     "",
     "a.example.test",
     "",
     false,
     X509_V_ERR_HOSTNAME_MISMATCH},
    // No SAN: the CN is not read by default (stricter than Python).
    {"CN only",
     {},
     {},
     "cn.example.test",
     "cn.example.test",
     "",
     false,
     X509_V_ERR_HOSTNAME_MISMATCH},
    // No SAN, fallback on: the CN matches.
    {"CN only, fallback", {}, {}, "cn.example.test", "cn.example.test", "", true, X509_V_OK},
    // A DNS SAN exists: the CN is ignored even with the fallback on.
    {"CN beside SAN, fallback",
     {"san.example.test"},
     {},
     "cn.example.test",
     "cn.example.test",
     "",
     true,
     X509_V_ERR_HOSTNAME_MISMATCH},
};

TEST_F(VerifyChain, MatchesHostNamesAndAddressesAsADefaultClient) {
    for (const NameRow& row : kNameRows) {
        SCOPED_TRACE(row.what);
        CertificateOptions options = leaf_options(row.dns_sans, row.ip_sans);
        options.common_name = row.common_name;
        if (options.common_name.empty()) {
            options.organization = "verify test";  // a non-empty subject keeps the SAN non-critical
        }
        IssuedCert leaf = intermediate_->issue_cert(options);
        VerifyRequest request = request_for(leaf, row.dns_name);
        request.ip_address = row.ip_address;
        request.hostname_checks_common_name = row.cn_fallback;
        VerifyResult result = tls::verify_certificate_chain(request);
        EXPECT_EQ(result.verify_code, row.expected);
        EXPECT_EQ(result.ok, row.expected == X509_V_OK);
        if (!result.ok) {
            EXPECT_EQ(result.error_depth, 0);
            EXPECT_FALSE(result.verify_message.empty());
        }
    }
}

// Validity windows, relative to now; `at` moves the check time (nullopt = now).
struct ValidityRow {
    const char* what;
    std::chrono::seconds not_before;
    std::chrono::seconds not_after;
    std::optional<std::chrono::seconds> at;
    long expected;
};

const ValidityRow kValidityRows[] = {
    // Valid now.
    {"current", -1h, 24h, std::nullopt, X509_V_OK},
    // Ended yesterday.
    {"expired", -48h, -24h, std::nullopt, X509_V_ERR_CERT_HAS_EXPIRED},
    // Starts tomorrow.
    {"not yet valid", 24h, 48h, std::nullopt, X509_V_ERR_CERT_NOT_YET_VALID},
    // Expired now, but checked at a time inside its window.
    {"expired, checked in the past", -48h, -24h, -36h, X509_V_OK},
    // Valid now, but checked after its end.
    {"current, checked in the future", -1h, 24h, 48h, X509_V_ERR_CERT_HAS_EXPIRED},
    // Valid now, but checked before its start.
    {"current, checked in the past", -1h, 24h, -2h, X509_V_ERR_CERT_NOT_YET_VALID},
};

TEST_F(VerifyChain, ChecksValidityAtTheRequestedTime) {
    for (const ValidityRow& row : kValidityRows) {
        SCOPED_TRACE(row.what);
        CertificateOptions options = leaf_options({"www.example.test"});
        options.not_before_offset = row.not_before;
        options.not_after_offset = row.not_after;
        IssuedCert leaf = intermediate_->issue_cert(options);
        VerifyRequest request = request_for(leaf, "www.example.test");
        if (row.at) {
            request.at_time = std::chrono::system_clock::now() + *row.at;
        }
        VerifyResult result = tls::verify_certificate_chain(request);
        EXPECT_EQ(result.verify_code, row.expected);
        EXPECT_EQ(result.ok, row.expected == X509_V_OK);
    }
}

// Extended key usage per purpose: a client wants serverAuth, a server clientAuth, wherever the
// leaf has an EKU extension at all.
struct EkuRow {
    const char* what;
    std::vector<ExtendedKeyUsage> ekus;
    tls::Purpose purpose;
    long expected;
};

const EkuRow kEkuRows[] = {
    // Both usages: fine either way.
    {"both, server",
     {ExtendedKeyUsage::server_auth, ExtendedKeyUsage::client_auth},
     tls::Purpose::SERVER_AUTH,
     X509_V_OK},
    {"both, client",
     {ExtendedKeyUsage::server_auth, ExtendedKeyUsage::client_auth},
     tls::Purpose::CLIENT_AUTH,
     X509_V_OK},
    // A client certificate is no server certificate...
    {"clientAuth only, server",
     {ExtendedKeyUsage::client_auth},
     tls::Purpose::SERVER_AUTH,
     X509_V_ERR_INVALID_PURPOSE},
    // ...but is accepted by a server.
    {"clientAuth only, client",
     {ExtendedKeyUsage::client_auth},
     tls::Purpose::CLIENT_AUTH,
     X509_V_OK},
    // A server certificate is refused as a client certificate.
    {"serverAuth only, client",
     {ExtendedKeyUsage::server_auth},
     tls::Purpose::CLIENT_AUTH,
     X509_V_ERR_INVALID_PURPOSE},
    // An unrelated usage satisfies neither.
    {"codeSigning only, server",
     {ExtendedKeyUsage::code_signing},
     tls::Purpose::SERVER_AUTH,
     X509_V_ERR_INVALID_PURPOSE},
    // Without the extension any purpose is allowed.
    {"no EKU, server", {}, tls::Purpose::SERVER_AUTH, X509_V_OK},
    {"no EKU, client", {}, tls::Purpose::CLIENT_AUTH, X509_V_OK},
};

TEST_F(VerifyChain, RequiresTheExtendedKeyUsageOfThePurpose) {
    for (const EkuRow& row : kEkuRows) {
        SCOPED_TRACE(row.what);
        CertificateOptions options = leaf_options({"www.example.test"});
        options.extended_key_usages = row.ekus;
        IssuedCert leaf = intermediate_->issue_cert(options);
        VerifyRequest request = request_for(leaf);
        request.purpose = row.purpose;
        VerifyResult result = tls::verify_certificate_chain(request);
        EXPECT_EQ(result.verify_code, row.expected);
        EXPECT_EQ(result.ok, row.expected == X509_V_OK);
    }
}

TEST_F(VerifyChain, RejectsChainToAnUntrustedRoot) {
    IssuedCert leaf = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    VerifyRequest request = request_for(leaf, "www.example.test");
    request.trusted_pem = {other_root_->cert_pem()};
    EXPECT_EQ(tls::verify_certificate_chain(request).verify_code,
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    // The peer sending its root does not make it trusted.
    request.intermediates_pem.push_back(root_->cert_pem());
    VerifyResult result = tls::verify_certificate_chain(request);
    EXPECT_EQ(result.verify_code, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    EXPECT_EQ(result.error_depth, 2);
}

TEST_F(VerifyChain, RejectsMissingIntermediate) {
    IssuedCert leaf = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    VerifyRequest request = request_for(leaf, "www.example.test");
    request.intermediates_pem.clear();
    VerifyResult result = tls::verify_certificate_chain(request);
    EXPECT_EQ(result.verify_code, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    EXPECT_EQ(result.error_depth, 0);
}

TEST_F(VerifyChain, AcceptsTrustedIntermediateAsAnchor) {
    // VERIFY_X509_PARTIAL_CHAIN, part of the default flags.
    IssuedCert leaf = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    VerifyRequest request = request_for(leaf, "www.example.test");
    request.trusted_pem = {intermediate_->cert_pem()};
    request.intermediates_pem.clear();
    VerifyResult result = tls::verify_certificate_chain(request);
    EXPECT_TRUE(result.ok);
    EXPECT_EQ(result.chain.size(), 2u);
}

TEST_F(VerifyChain, RejectsUntrustedSelfSignedLeafAndAcceptsItWhenTrusted) {
    IssuedCert self_signed = tls::pki::make_self_signed({"www.example.test"});
    VerifyRequest request;
    request.trusted_pem = {root_->cert_pem()};
    request.leaf_pem = self_signed.cert_pem();
    request.dns_name = "www.example.test";
    EXPECT_EQ(tls::verify_certificate_chain(request).verify_code,
              X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    request.trusted_pem = {self_signed.cert_pem()};
    EXPECT_TRUE(tls::verify_certificate_chain(request).ok);
}

TEST_F(VerifyChain, LimitsTheNumberOfIntermediatesToMaxDepth) {
    IssuedCert leaf = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    VerifyRequest request = request_for(leaf, "www.example.test");
    // One intermediate between leaf and root: depth 1 is enough, depth 0 is not.
    request.max_depth = 1;
    EXPECT_TRUE(tls::verify_certificate_chain(request).ok);
    request.max_depth = 0;
    EXPECT_EQ(tls::verify_certificate_chain(request).verify_code, X509_V_ERR_CERT_CHAIN_TOO_LONG);
}

TEST_F(VerifyChain, RejectsRevokedLeafWhenCrlsAreGiven) {
    IssuedCert revoked = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    IssuedCert good = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    std::string intermediate_crl = intermediate_->make_crl_pem({revoked.cert_pem()});
    std::string root_crl = root_->make_crl_pem({});

    VerifyRequest request = request_for(revoked, "www.example.test");
    EXPECT_TRUE(tls::verify_certificate_chain(request).ok) << "no CRLs, no revocation check";
    request.crls_pem = {intermediate_crl};
    VerifyResult result = tls::verify_certificate_chain(request);
    EXPECT_EQ(result.verify_code, X509_V_ERR_CERT_REVOKED);
    EXPECT_EQ(result.error_depth, 0);

    request = request_for(good, "www.example.test");
    request.crls_pem = {intermediate_crl};
    EXPECT_TRUE(tls::verify_certificate_chain(request).ok);
    // Leaf checking needs the issuer's CRL; chain checking every CA's.
    request.crls_pem = {root_crl};
    EXPECT_EQ(tls::verify_certificate_chain(request).verify_code, X509_V_ERR_UNABLE_TO_GET_CRL);
    request.crls_pem = {intermediate_crl};
    request.flags |= tls::VerifyFlags::VERIFY_CRL_CHECK_CHAIN;
    EXPECT_EQ(tls::verify_certificate_chain(request).verify_code, X509_V_ERR_UNABLE_TO_GET_CRL);
    request.crls_pem = {intermediate_crl + root_crl};
    EXPECT_TRUE(tls::verify_certificate_chain(request).ok);
}

TEST_F(VerifyChain, RefusesRequestsThatCannotBeExpressed) {
    IssuedCert leaf = intermediate_->issue_cert(leaf_options({"www.example.test"}));
    VerifyRequest request = request_for(leaf, "www.example.test");

    VerifyRequest no_leaf = request;
    no_leaf.leaf_pem.clear();
    EXPECT_THROW(tls::verify_certificate_chain(no_leaf), std::invalid_argument);

    VerifyRequest both_names = request;
    both_names.ip_address = "192.0.2.1";
    EXPECT_THROW(tls::verify_certificate_chain(both_names), std::invalid_argument);

    VerifyRequest leading_dot = request;
    leading_dot.dns_name = ".example.test";
    EXPECT_THROW(tls::verify_certificate_chain(leading_dot), std::invalid_argument);

    VerifyRequest embedded_nul = request;
    embedded_nul.dns_name = std::string("www.example.test\0.evil", 22);
    EXPECT_THROW(tls::verify_certificate_chain(embedded_nul), std::invalid_argument);

    VerifyRequest bad_ip = request;
    bad_ip.dns_name.clear();
    bad_ip.ip_address = "300.1.2.3";
    EXPECT_THROW(tls::verify_certificate_chain(bad_ip), std::invalid_argument);

    VerifyRequest negative_depth = request;
    negative_depth.max_depth = -1;
    EXPECT_THROW(tls::verify_certificate_chain(negative_depth), std::invalid_argument);

    VerifyRequest garbage_leaf = request;
    garbage_leaf.leaf_pem = "not a certificate";
    EXPECT_THROW(tls::verify_certificate_chain(garbage_leaf), tls::SSLError);

    VerifyRequest corrupt_leaf = request;
    corrupt_leaf.leaf_pem = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";
    EXPECT_THROW(tls::verify_certificate_chain(corrupt_leaf), tls::SSLError);

    VerifyRequest empty_anchor = request;
    empty_anchor.trusted_pem.push_back("no PEM here");
    EXPECT_THROW(tls::verify_certificate_chain(empty_anchor), tls::SSLError);

    VerifyRequest not_a_crl = request;
    not_a_crl.crls_pem = {root_->cert_pem()};
    EXPECT_THROW(tls::verify_certificate_chain(not_a_crl), tls::SSLError);
}

// Certificates tls::pki cannot make (name constraints, weak keys), built with OpenSSL directly.
class RawPki {
  public:
    struct Cert {
        tls::ossl::EvpPkeyPtr key;
        tls::ossl::X509Ptr cert;
        std::string pem;
    };

    static tls::ossl::EvpPkeyPtr ec_key() { return tls::ossl::EvpPkeyPtr(EVP_EC_gen("P-256")); }
    static tls::ossl::EvpPkeyPtr rsa_key(unsigned int bits) {
        return tls::ossl::EvpPkeyPtr(EVP_RSA_gen(bits));
    }

    // `issuer` null: self-signed. `extensions` are OpenSSL config strings by NID.
    static Cert make(const std::string& common_name, const Cert* issuer, tls::ossl::EvpPkeyPtr key,
                     const std::vector<std::pair<int, std::string>>& extensions) {
        Cert out;
        out.key = std::move(key);
        out.cert.reset(X509_new());
        X509* x = out.cert.get();
        X509_set_version(x, X509_VERSION_3);
        ASN1_INTEGER_set(X509_get_serialNumber(x), ++serial_);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0);
        X509* signer = issuer != nullptr ? issuer->cert.get() : x;
        X509_set_issuer_name(x, X509_get_subject_name(signer));
        X509_set_pubkey(x, out.key.get());
        for (const auto& [nid, value] : extensions) {
            X509V3_CTX ctx;
            X509V3_set_ctx(&ctx, signer, x, nullptr, nullptr, 0);
            tls::ossl::X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
            EXPECT_TRUE(ext) << value;
            X509_add_ext(x, ext.get(), -1);
        }
        EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : out.key.get();
        EXPECT_GT(X509_sign(x, signing_key, EVP_sha256()), 0);
        tls::ossl::BioPtr bio(BIO_new(BIO_s_mem()));
        PEM_write_bio_X509(bio.get(), x);
        char* data = nullptr;
        long len = BIO_get_mem_data(bio.get(), &data);
        out.pem.assign(data, static_cast<std::size_t>(len));
        return out;
    }

    static Cert root(const std::string& name_constraints) {
        std::vector<std::pair<int, std::string>> ext = {
            {NID_basic_constraints, "critical,CA:TRUE"},
            {NID_key_usage, "critical,keyCertSign,cRLSign"},
            {NID_subject_key_identifier, "hash"},
        };
        if (!name_constraints.empty()) {
            ext.emplace_back(NID_name_constraints, name_constraints);
        }
        return make("raw test root", nullptr, ec_key(), ext);
    }

    static Cert leaf(const Cert& issuer, const std::string& san, tls::ossl::EvpPkeyPtr key) {
        return make("raw test leaf", &issuer, std::move(key),
                    {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                     {NID_ext_key_usage, "serverAuth"},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"},
                     {NID_subject_alt_name, san}});
    }

  private:
    static inline long serial_ = 1000;
};

VerifyRequest raw_request(const RawPki::Cert& root, const RawPki::Cert& leaf,
                          std::string dns_name) {
    VerifyRequest request;
    request.trusted_pem = {root.pem};
    request.leaf_pem = leaf.pem;
    request.dns_name = std::move(dns_name);
    return request;
}

// Name constraints judge the certificate's names (OpenSSL) and, tlsctx's addition, the name
// the client asked for: a wildcard SAN cannot carry an excluded name.
struct ConstraintRow {
    const char* what;
    const char* name_constraints;
    const char* san;
    const char* dns_name;
    long expected;
};

const ConstraintRow kConstraintRows[] = {
    // The SAN and the name lie inside the permitted subtree.
    {"permitted", "critical,permitted;DNS:example.test", "DNS:www.example.test", "www.example.test",
     X509_V_OK},
    // The SAN lies outside the permitted subtree (OpenSSL's own check).
    {"SAN outside permitted", "critical,permitted;DNS:example.test", "DNS:www.example.org",
     "www.example.org", X509_V_ERR_PERMITTED_VIOLATION},
    // The SAN is excluded (OpenSSL's own check).
    {"SAN excluded", "critical,excluded;DNS:bar.example.test", "DNS:bar.example.test",
     "bar.example.test", X509_V_ERR_EXCLUDED_VIOLATION},
    // A wildcard SAN outside the excluded subtree, used for another name: fine.
    {"wildcard, other name", "critical,excluded;DNS:bar.example.test", "DNS:*.example.test",
     "foo.example.test", X509_V_OK},
    // The same wildcard used for the excluded name: refused (CVE-2025-61727).
    {"wildcard, excluded name", "critical,excluded;DNS:bar.example.test", "DNS:*.example.test",
     "bar.example.test", X509_V_ERR_EXCLUDED_VIOLATION},
    // An excluded parent domain covers the wildcard SAN itself (OpenSSL's own check).
    {"wildcard, excluded subdomain", "critical,excluded;DNS:example.test", "DNS:*.a.example.test",
     "b.a.example.test", X509_V_ERR_EXCLUDED_VIOLATION},
    // IP constraints leave DNS names alone.
    {"IP constraint only", "critical,permitted;IP:192.0.2.0/255.255.255.0", "DNS:*.example.test",
     "foo.example.test", X509_V_OK},
};

TEST(VerifyNameConstraints, ApplyToTheCertificateNamesAndToThePeerName) {
    for (const ConstraintRow& row : kConstraintRows) {
        SCOPED_TRACE(row.what);
        RawPki::Cert root = RawPki::root(row.name_constraints);
        RawPki::Cert leaf = RawPki::leaf(root, row.san, RawPki::ec_key());
        VerifyResult result = tls::verify_certificate_chain(raw_request(root, leaf, row.dns_name));
        EXPECT_EQ(result.verify_code, row.expected);
        EXPECT_EQ(result.ok, row.expected == X509_V_OK);
    }
}

TEST(VerifySecurityLevel, RejectsKeysWeakerThanSecurityLevel2) {
    RawPki::Cert root = RawPki::root("");
    RawPki::Cert weak = RawPki::leaf(root, "DNS:www.example.test", RawPki::rsa_key(1024));
    VerifyResult result =
        tls::verify_certificate_chain(raw_request(root, weak, "www.example.test"));
    EXPECT_EQ(result.verify_code, X509_V_ERR_EE_KEY_TOO_SMALL);
    EXPECT_EQ(result.error_depth, 0);

    RawPki::Cert strong = RawPki::leaf(root, "DNS:www.example.test", RawPki::rsa_key(2048));
    EXPECT_TRUE(tls::verify_certificate_chain(raw_request(root, strong, "www.example.test")).ok);
}

}  // namespace
