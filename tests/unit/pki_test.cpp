// tls::pki and the suite's on-disk TestPki, checked with OpenSSL's own verifier (in process and
// the `openssl` command) rather than by re-reading what the generator meant to write.
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ossl/handles.hpp"
#include "support/test_pki.hpp"
#include "tls/errors.hpp"
#include "tls/pki.hpp"

namespace {

using namespace std::chrono_literals;
using tls::ossl::BioPtr;
using tls::ossl::X509Ptr;
using tls::pki::CertificateAuthority;
using tls::pki::CertificateOptions;
using tls::pki::ExtendedKeyUsage;
using tls::pki::IssuedCert;
using tls::pki::KeyType;
using tls::test::CertFiles;
using tls::test::read_file;
using tls::test::TestPki;

// A one-name braced list would also match issue_cert(CertificateOptions) (its first member is
// the CN), so single names are spelled as a vector.
using Names = std::vector<std::string>;

BioPtr pem_bio(const std::string& pem) {
    return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate in `pem`, in order.
std::vector<X509Ptr> parse_certs(const std::string& pem) {
    BioPtr bio = pem_bio(pem);
    std::vector<X509Ptr> certs;
    while (X509Ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
        certs.push_back(std::move(cert));
    }
    ERR_clear_error();  // the read past the last certificate
    return certs;
}

X509Ptr parse_cert(const std::string& pem) {
    std::vector<X509Ptr> certs = parse_certs(pem);
    if (certs.empty()) {
        ADD_FAILURE() << "no certificate in PEM";
        return nullptr;
    }
    return std::move(certs.front());
}

std::vector<tls::ossl::X509CrlPtr> parse_crls(const std::string& pem) {
    BioPtr bio = pem_bio(pem);
    std::vector<tls::ossl::X509CrlPtr> crls;
    while (tls::ossl::X509CrlPtr crl{PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)}) {
        crls.push_back(std::move(crl));
    }
    ERR_clear_error();
    return crls;
}

struct VerifyInput {
    std::string chain_pem;                 // leaf first, then untrusted intermediates
    std::vector<std::string> anchor_pems;  // trusted certificates
    std::string crl_pem;                   // CRLs to load into the store
    unsigned long flags = 0;               // X509_V_FLAG_*
    int purpose = 0;                       // X509_PURPOSE_*; 0 = any
};

// X509_verify_cert's verdict: X509_V_OK or the X509_V_ERR_* code.
int verify(const VerifyInput& in) {
    std::vector<X509Ptr> chain = parse_certs(in.chain_pem);
    if (chain.empty()) {
        ADD_FAILURE() << "empty chain";
        return -1;
    }
    tls::ossl::X509StorePtr store(X509_STORE_new());
    for (const std::string& pem : in.anchor_pems) {
        for (X509Ptr& cert : parse_certs(pem)) {
            X509_STORE_add_cert(store.get(), cert.get());  // the store takes its own reference
        }
    }
    for (tls::ossl::X509CrlPtr& crl : parse_crls(in.crl_pem)) {
        X509_STORE_add_crl(store.get(), crl.get());
    }
    X509_STORE_set_flags(store.get(), in.flags);
    tls::ossl::X509StackPtr untrusted(sk_X509_new_null());
    for (std::size_t i = 1; i < chain.size(); ++i) {
        sk_X509_push(untrusted.get(), tls::ossl::up_ref(chain[i].get()).release());
    }
    tls::ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    EXPECT_EQ(X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()), 1);
    if (in.purpose != 0) {
        X509_STORE_CTX_set_purpose(ctx.get(), in.purpose);
    }
    int result = X509_verify_cert(ctx.get()) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return result;
}

int verify(const std::string& chain_pem, const std::string& anchor_pem) {
    VerifyInput in;
    in.chain_pem = chain_pem;
    in.anchor_pems = {anchor_pem};
    return verify(in);
}

struct RunResult {
    int exit_code;
    std::string output;  // stdout and stderr together
};

RunResult run(const std::string& command) {
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        ADD_FAILURE() << "popen failed: " << command;
        return {-1, ""};
    }
    std::string output;
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
        output.append(buf.data(), n);
    }
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

struct Sans {
    std::vector<std::string> dns, ip, email, uri;
};

std::string ip_text(const ASN1_OCTET_STRING* octets) {
    char text[INET6_ADDRSTRLEN] = {};
    int family = ASN1_STRING_length(octets) == 4 ? AF_INET : AF_INET6;
    inet_ntop(family, ASN1_STRING_get0_data(octets), text, sizeof text);
    return text;
}

std::string ia5_text(const ASN1_IA5STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       static_cast<std::size_t>(ASN1_STRING_length(s)));
}

Sans sans_of(X509* cert) {
    Sans sans;
    tls::ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        switch (name->type) {
            case GEN_DNS:
                sans.dns.push_back(ia5_text(name->d.dNSName));
                break;
            case GEN_IPADD:
                sans.ip.push_back(ip_text(name->d.iPAddress));
                break;
            case GEN_EMAIL:
                sans.email.push_back(ia5_text(name->d.rfc822Name));
                break;
            case GEN_URI:
                sans.uri.push_back(ia5_text(name->d.uniformResourceIdentifier));
                break;
            default:
                ADD_FAILURE() << "unexpected GeneralName type " << name->type;
        }
    }
    return sans;
}

std::string subject_entry(X509* cert, int nid) {
    X509_NAME* name = X509_get_subject_name(cert);
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) {
        return {};
    }
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       static_cast<std::size_t>(ASN1_STRING_length(value)));
}

// -1 = absent, otherwise the critical flag.
int criticality(X509* cert, int nid) {
    int index = X509_get_ext_by_NID(cert, nid, -1);
    return index < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(cert, index));
}

std::string octets_hex(const ASN1_OCTET_STRING* s) {
    std::string hex;
    static constexpr char kDigits[] = "0123456789abcdef";
    for (int i = 0; s != nullptr && i < ASN1_STRING_length(s); ++i) {
        unsigned char b = ASN1_STRING_get0_data(s)[i];
        hex += kDigits[b >> 4];
        hex += kDigits[b & 0xf];
    }
    return hex;
}

std::string subject_key_id(X509* cert) {
    tls::ossl::AsnOctetStringPtr ski(static_cast<ASN1_OCTET_STRING*>(
        X509_get_ext_d2i(cert, NID_subject_key_identifier, nullptr, nullptr)));
    return octets_hex(ski.get());
}

std::string authority_key_id(X509* cert) {
    tls::ossl::AuthorityKeyIdPtr aki(static_cast<AUTHORITY_KEYID*>(
        X509_get_ext_d2i(cert, NID_authority_key_identifier, nullptr, nullptr)));
    return aki ? octets_hex(aki->keyid) : std::string();
}

bool key_usage_has(X509* cert, int bit) {
    tls::ossl::AsnBitStringPtr usage(
        static_cast<ASN1_BIT_STRING*>(X509_get_ext_d2i(cert, NID_key_usage, nullptr, nullptr)));
    return usage && ASN1_BIT_STRING_get_bit(usage.get(), bit) == 1;
}

// RFC 5280 §4.2.1.3 bit numbers.
constexpr int kDigitalSignature = 0;
constexpr int kKeyEncipherment = 2;
constexpr int kKeyCertSign = 5;
constexpr int kCrlSign = 6;

tls::ossl::EvpPkeyPtr read_key(const std::string& pem, const char* password) {
    BioPtr bio = pem_bio(pem);
    // A null password with a null callback would prompt on the terminal; an empty one fails.
    tls::ossl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(
        bio.get(), nullptr, nullptr, const_cast<char*>(password != nullptr ? password : "")));
    ERR_clear_error();
    return key;
}

bool key_matches(const std::string& cert_pem, const tls::ossl::EvpPkeyPtr& key) {
    X509Ptr cert = parse_cert(cert_pem);
    bool ok = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
    ERR_clear_error();
    return ok;
}

CertificateOptions localhost_options() {
    CertificateOptions options;
    options.common_name = "localhost";
    options.dns_names = {"localhost"};
    options.ip_addresses = {"127.0.0.1", "::1"};
    return options;
}

// ---------------------------------------------------------------------------------------------
// Chains

TEST(Pki, IssuedLeafVerifiesAgainstItsRoot) {
    CertificateAuthority ca;
    IssuedCert leaf = ca.issue_cert(Names{"localhost"});
    EXPECT_EQ(leaf.cert_chain_pem(), leaf.cert_pem());  // a root's leaves need no intermediates
    EXPECT_EQ(verify(leaf.cert_chain_pem(), ca.cert_pem()), X509_V_OK);
}

TEST(Pki, LeafFailsAgainstAnUnrelatedRoot) {
    CertificateAuthority ca;
    CertificateAuthority other;
    IssuedCert leaf = ca.issue_cert(Names{"localhost"});
    EXPECT_EQ(verify(leaf.cert_chain_pem(), other.cert_pem()),
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(Pki, LeafOfIntermediateChainsToTheRootThroughItsChainPem) {
    CertificateAuthority root;
    CertificateAuthority intermediate = root.create_child_ca();
    IssuedCert leaf = intermediate.issue_cert(Names{"localhost"});

    std::vector<X509Ptr> chain = parse_certs(leaf.cert_chain_pem());
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(X509_cmp(chain[1].get(), parse_cert(intermediate.cert_pem()).get()), 0);
    EXPECT_EQ(verify(leaf.cert_chain_pem(), root.cert_pem()), X509_V_OK);
    // Without the intermediate the leaf cannot reach the root.
    EXPECT_EQ(verify(leaf.cert_pem(), root.cert_pem()),
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(Pki, ChainOfGrandchildLeafListsEveryIntermediateButNotTheRoot) {
    CertificateAuthority root;
    CertificateAuthority first = root.create_child_ca("first intermediate");
    CertificateAuthority second = first.create_child_ca("second intermediate");
    IssuedCert leaf = second.issue_cert(Names{"localhost"});

    std::vector<X509Ptr> chain = parse_certs(leaf.cert_chain_pem());
    ASSERT_EQ(chain.size(), 3u);
    EXPECT_EQ(X509_cmp(chain[1].get(), parse_cert(second.cert_pem()).get()), 0);
    EXPECT_EQ(X509_cmp(chain[2].get(), parse_cert(first.cert_pem()).get()), 0);
    EXPECT_EQ(verify(leaf.cert_chain_pem(), root.cert_pem()), X509_V_OK);
}

TEST(Pki, CasWithTheSameCommonNameHaveDistinctSubjects) {
    CertificateAuthority ca("same name");
    CertificateAuthority twin("same name");
    X509Ptr ca_cert = parse_cert(ca.cert_pem());
    X509Ptr twin_cert = parse_cert(twin.cert_pem());
    EXPECT_NE(
        X509_NAME_cmp(X509_get_subject_name(ca_cert.get()), X509_get_subject_name(twin_cert.get())),
        0);
    EXPECT_EQ(subject_entry(twin_cert.get(), NID_commonName), "same name");
    IssuedCert leaf = ca.issue_cert(Names{"localhost"});
    // Trusting only the twin must look like "unknown issuer", not a bad signature.
    EXPECT_EQ(verify(leaf.cert_pem(), twin.cert_pem()),
              X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(Pki, Ed25519RootAndLeafVerify) {
    CertificateAuthority ca("ed25519 root", KeyType::ed25519);
    CertificateOptions options = localhost_options();
    options.key_type = KeyType::ed25519;
    IssuedCert leaf = ca.issue_cert(options);
    X509Ptr cert = parse_cert(leaf.cert_pem());
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ED25519);
    EXPECT_TRUE(EVP_PKEY_is_a(X509_get0_pubkey(cert.get()), "ED25519"));
    EXPECT_FALSE(key_usage_has(cert.get(), kKeyEncipherment));
    EXPECT_EQ(verify(leaf.cert_chain_pem(), ca.cert_pem()), X509_V_OK);
    EXPECT_TRUE(key_matches(leaf.cert_pem(), read_key(leaf.private_key_pem(), nullptr)));
}

TEST(Pki, RsaRootAndLeafVerifyAndTheLeafAllowsKeyEncipherment) {
    CertificateAuthority ca("rsa root", KeyType::rsa2048);
    CertificateOptions options = localhost_options();
    options.key_type = KeyType::rsa2048;
    IssuedCert leaf = ca.issue_cert(options);
    X509Ptr cert = parse_cert(leaf.cert_pem());
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_sha256WithRSAEncryption);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(cert.get())), 2048);
    EXPECT_TRUE(key_usage_has(cert.get(), kDigitalSignature));
    EXPECT_TRUE(key_usage_has(cert.get(), kKeyEncipherment));
    EXPECT_EQ(verify(leaf.cert_chain_pem(), ca.cert_pem()), X509_V_OK);
    EXPECT_TRUE(key_matches(leaf.cert_pem(), read_key(leaf.private_key_pem(), nullptr)));
}

TEST(Pki, P384LeafUnderP256RootVerifies) {
    CertificateAuthority ca;
    CertificateOptions options = localhost_options();
    options.key_type = KeyType::ec_p384;
    IssuedCert leaf = ca.issue_cert(options);
    X509Ptr cert = parse_cert(leaf.cert_pem());
    EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
    EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(cert.get())), 384);
    EXPECT_EQ(verify(leaf.cert_chain_pem(), ca.cert_pem()), X509_V_OK);
}

// ---------------------------------------------------------------------------------------------
// Validity

TEST(Pki, ExpiredLeafFailsWithCertHasExpired) {
    CertificateAuthority ca;
    CertificateOptions options = localhost_options();
    options.not_before_offset = -48h;
    options.not_after_offset = -24h;
    IssuedCert leaf = ca.issue_cert(options);
    EXPECT_EQ(verify(leaf.cert_chain_pem(), ca.cert_pem()), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(Pki, NotYetValidLeafFailsWithCertNotYetValid) {
    CertificateAuthority ca;
    CertificateOptions options = localhost_options();
    options.not_before_offset = 24h;
    options.not_after_offset = 48h;
    IssuedCert leaf = ca.issue_cert(options);
    EXPECT_EQ(verify(leaf.cert_chain_pem(), ca.cert_pem()), X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(Pki, ValidityWindowFollowsTheOffsets) {
    CertificateAuthority ca;
    CertificateOptions options = localhost_options();
    options.not_before_offset = -3h;
    options.not_after_offset = 5h;
    X509Ptr cert = parse_cert(ca.issue_cert(options).cert_pem());
    int days = 0;
    int seconds = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()),
                             X509_get0_notAfter(cert.get())),
              1);
    EXPECT_EQ(days * 86400 + seconds, 8 * 3600);
    // notBefore lies about three hours back (allowing for a slow test machine).
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(cert.get()), nullptr), 1);
    EXPECT_NEAR(days * 86400 + seconds, 3 * 3600, 60);
}

TEST(Pki, InvertedValidityWindowIsRejected) {
    CertificateAuthority ca;
    CertificateOptions options = localhost_options();
    options.not_before_offset = 1h;
    options.not_after_offset = -1h;
    EXPECT_THROW(ca.issue_cert(options), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Names

TEST(Pki, NamesThatParseAsIpAddressesBecomeIpSans) {
    CertificateAuthority ca;
    X509Ptr cert = parse_cert(
        ca.issue_cert(Names{"localhost", "127.0.0.1", "::1", "example.test"}).cert_pem());
    Sans sans = sans_of(cert.get());
    EXPECT_EQ(sans.dns, (std::vector<std::string>{"localhost", "example.test"}));
    EXPECT_EQ(sans.ip, (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_TRUE(sans.email.empty());
    EXPECT_TRUE(sans.uri.empty());
    EXPECT_EQ(subject_entry(cert.get(), NID_commonName), "localhost");
    EXPECT_EQ(criticality(cert.get(), NID_subject_alt_name), 0);
}

TEST(Pki, OptionsPutEveryRequestedNameInTheCertificate) {
    CertificateAuthority ca;
    CertificateOptions options;
    options.common_name = "service";
    options.organization = "Example Org";
    options.dns_names = {"a.example.test", "*.b.example.test"};
    options.ip_addresses = {"192.0.2.7", "2001:db8::1"};
    options.emails = {"ops@example.test"};
    options.uris = {"spiffe://example.test/service"};
    X509Ptr cert = parse_cert(ca.issue_cert(options).cert_pem());
    Sans sans = sans_of(cert.get());
    EXPECT_EQ(sans.dns, options.dns_names);
    EXPECT_EQ(sans.ip, options.ip_addresses);
    EXPECT_EQ(sans.email, options.emails);
    EXPECT_EQ(sans.uri, options.uris);
    EXPECT_EQ(subject_entry(cert.get(), NID_commonName), "service");
    EXPECT_EQ(subject_entry(cert.get(), NID_organizationName), "Example Org");
}

TEST(Pki, HostnameChecksFollowTheSans) {
    CertificateAuthority ca;
    X509Ptr localhost =
        parse_cert(ca.issue_cert(Names{"localhost", "127.0.0.1", "::1"}).cert_pem());
    X509Ptr wildcard = parse_cert(ca.issue_cert(Names{"*.example.test"}).cert_pem());
    struct Row {
        X509* cert;
        const char* name;
        bool is_ip;
        bool matches;
    };
    const Row rows[] = {
        {localhost.get(), "localhost", false, true},
        {localhost.get(), "127.0.0.1", true, true},
        {localhost.get(), "::1", true, true},
        {localhost.get(), "127.0.0.2", true, false},        // a different address
        {localhost.get(), "example.test", false, false},    // a name it does not carry
        {wildcard.get(), "a.example.test", false, true},    // one label under the wildcard
        {wildcard.get(), "example.test", false, false},     // the wildcard needs a label
        {wildcard.get(), "a.b.example.test", false, false}  // and matches only one
    };
    for (const Row& row : rows) {
        int got = row.is_ip ? X509_check_ip_asc(row.cert, row.name, 0)
                            : X509_check_host(row.cert, row.name, 0,
                                              X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr);
        EXPECT_EQ(got == 1, row.matches) << row.name;
    }
}

TEST(Pki, MalformedNamesAreRejectedAsInvalidArgument) {
    CertificateAuthority ca;
    const std::vector<std::vector<std::string>> bad_ips = {
        {"999.1.1.1"}, {"1.2.3"}, {"::g"}, {"fe80::1%eth0"}, {""}};
    for (const auto& ips : bad_ips) {
        CertificateOptions options;
        options.ip_addresses = ips;
        EXPECT_THROW(ca.issue_cert(options), std::invalid_argument) << ips[0];
    }
    CertificateOptions spaced;
    spaced.dns_names = {"has space.example.test"};
    EXPECT_THROW(ca.issue_cert(spaced), std::invalid_argument);
    CertificateOptions empty_uri;
    empty_uri.uris = {""};
    EXPECT_THROW(ca.issue_cert(empty_uri), std::invalid_argument);
    EXPECT_THROW(ca.issue_cert(Names{}), std::invalid_argument);
    EXPECT_THROW(tls::pki::make_self_signed({}), std::invalid_argument);
}

TEST(Pki, LeafWithoutNamesHasNoSanExtension) {
    CertificateAuthority ca;
    CertificateOptions options;
    options.common_name = "localhost";
    X509Ptr cert = parse_cert(ca.issue_cert(options).cert_pem());
    EXPECT_EQ(criticality(cert.get(), NID_subject_alt_name), -1);
    EXPECT_EQ(subject_entry(cert.get(), NID_commonName), "localhost");
}

TEST(Pki, FirstNameTooLongForTheCommonNameLeavesTheSubjectEmptyAndTheSanCritical) {
    CertificateAuthority ca;
    const std::string long_name = std::string(60, 'a') + ".example.test";  // > 64 characters
    X509Ptr cert = parse_cert(ca.issue_cert(Names{long_name}).cert_pem());
    EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(cert.get())), 0);
    EXPECT_EQ(criticality(cert.get(), NID_subject_alt_name), 1);  // RFC 5280 §4.2.1.6
    EXPECT_EQ(sans_of(cert.get()).dns, (std::vector<std::string>{long_name}));
    EXPECT_EQ(verify(ca.issue_cert(Names{long_name}).cert_pem(), ca.cert_pem()), X509_V_OK);
}

// ---------------------------------------------------------------------------------------------
// Extensions and fields

TEST(Pki, CaCertificateHasCriticalBasicConstraintsAndKeyUsage) {
    CertificateAuthority root;
    CertificateAuthority intermediate = root.create_child_ca();
    for (const std::string* pem : {&root.cert_pem(), &intermediate.cert_pem()}) {
        X509Ptr cert = parse_cert(*pem);
        tls::ossl::BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
            X509_get_ext_d2i(cert.get(), NID_basic_constraints, nullptr, nullptr)));
        ASSERT_TRUE(bc);
        EXPECT_NE(bc->ca, 0);
        EXPECT_EQ(bc->pathlen, nullptr);  // intermediates may nest
        EXPECT_EQ(criticality(cert.get(), NID_basic_constraints), 1);
        EXPECT_EQ(criticality(cert.get(), NID_key_usage), 1);
        EXPECT_TRUE(key_usage_has(cert.get(), kKeyCertSign));
        EXPECT_TRUE(key_usage_has(cert.get(), kCrlSign));
        EXPECT_FALSE(key_usage_has(cert.get(), kDigitalSignature));
        EXPECT_EQ(criticality(cert.get(), NID_ext_key_usage), -1);
        EXPECT_FALSE(subject_key_id(cert.get()).empty());
    }
    X509Ptr root_cert = parse_cert(root.cert_pem());
    X509Ptr intermediate_cert = parse_cert(intermediate.cert_pem());
    EXPECT_EQ(authority_key_id(root_cert.get()), subject_key_id(root_cert.get()));
    EXPECT_EQ(authority_key_id(intermediate_cert.get()), subject_key_id(root_cert.get()));
    EXPECT_EQ(X509_check_ca(root_cert.get()), 1);
}

TEST(Pki, LeafIsNotACaSignsOnlyAndNamesItsIssuersKey) {
    CertificateAuthority ca;
    X509Ptr ca_cert = parse_cert(ca.cert_pem());
    X509Ptr cert = parse_cert(ca.issue_cert(Names{"localhost"}).cert_pem());
    tls::ossl::BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
        X509_get_ext_d2i(cert.get(), NID_basic_constraints, nullptr, nullptr)));
    ASSERT_TRUE(bc);
    EXPECT_EQ(bc->ca, 0);
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
    EXPECT_TRUE(key_usage_has(cert.get(), kDigitalSignature));
    EXPECT_FALSE(key_usage_has(cert.get(), kKeyEncipherment));  // ECDSA keys only sign
    EXPECT_FALSE(key_usage_has(cert.get(), kKeyCertSign));
    EXPECT_FALSE(subject_key_id(cert.get()).empty());
    EXPECT_EQ(authority_key_id(cert.get()), subject_key_id(ca_cert.get()));
}

TEST(Pki, CertificatesAreVersion3WithRandomPositive128BitSerials) {
    CertificateAuthority ca;
    std::set<std::string> serials;
    for (int i = 0; i < 4; ++i) {
        X509Ptr cert = parse_cert(ca.issue_cert(Names{"localhost"}).cert_pem());
        EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
        tls::ossl::BignumPtr serial(
            ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
        ASSERT_TRUE(serial);
        EXPECT_FALSE(BN_is_negative(serial.get()));
        EXPECT_EQ(BN_num_bits(serial.get()), 128);
        tls::ossl::OpensslStringPtr hex(BN_bn2hex(serial.get()));
        serials.insert(hex.get());
    }
    EXPECT_EQ(serials.size(), 4u);
}

TEST(Pki, ExtendedKeyUsagesFollowTheOptions) {
    CertificateAuthority ca;
    struct Row {
        std::vector<ExtendedKeyUsage> ekus;
        bool server;  // X509_check_purpose(SSL_SERVER)
        bool client;  // X509_check_purpose(SSL_CLIENT)
        bool has_extension;
    };
    const Row rows[] = {
        {{ExtendedKeyUsage::server_auth, ExtendedKeyUsage::client_auth}, true, true, true},
        {{ExtendedKeyUsage::server_auth}, true, false, true},
        {{ExtendedKeyUsage::client_auth}, false, true, true},
        {{ExtendedKeyUsage::code_signing}, false, false, true},
        {{}, true, true, false},  // no extension: any usage
    };
    for (const Row& row : rows) {
        CertificateOptions options = localhost_options();
        options.extended_key_usages = row.ekus;
        X509Ptr cert = parse_cert(ca.issue_cert(options).cert_pem());
        EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0) == 1, row.server);
        EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1, row.client);
        EXPECT_EQ(criticality(cert.get(), NID_ext_key_usage) >= 0, row.has_extension);
    }
}

TEST(Pki, AuthorityInfoAccessAndCrlDistributionPointsCarryTheGivenUrls) {
    CertificateAuthority ca;
    CertificateOptions options = localhost_options();
    options.ocsp_urls = {"http://ocsp.example.test/"};
    // A comma must stay part of the URL, not split it as OpenSSL's config syntax would.
    options.ca_issuer_urls = {"http://ca.example.test/ca.der?a=1,2"};
    options.crl_urls = {"http://crl.example.test/a.crl", "ldap://crl.example.test/b"};
    X509Ptr cert = parse_cert(ca.issue_cert(options).cert_pem());

    tls::ossl::AuthorityInfoAccessPtr aia(static_cast<AUTHORITY_INFO_ACCESS*>(
        X509_get_ext_d2i(cert.get(), NID_info_access, nullptr, nullptr)));
    ASSERT_TRUE(aia);
    ASSERT_EQ(sk_ACCESS_DESCRIPTION_num(aia.get()), 2);
    const ACCESS_DESCRIPTION* ocsp = sk_ACCESS_DESCRIPTION_value(aia.get(), 0);
    const ACCESS_DESCRIPTION* issuers = sk_ACCESS_DESCRIPTION_value(aia.get(), 1);
    EXPECT_EQ(OBJ_obj2nid(ocsp->method), NID_ad_OCSP);
    ASSERT_EQ(ocsp->location->type, GEN_URI);
    EXPECT_EQ(ia5_text(ocsp->location->d.uniformResourceIdentifier), options.ocsp_urls[0]);
    EXPECT_EQ(OBJ_obj2nid(issuers->method), NID_ad_ca_issuers);
    ASSERT_EQ(issuers->location->type, GEN_URI);
    EXPECT_EQ(ia5_text(issuers->location->d.uniformResourceIdentifier), options.ca_issuer_urls[0]);

    tls::ossl::CrlDistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
        X509_get_ext_d2i(cert.get(), NID_crl_distribution_points, nullptr, nullptr)));
    ASSERT_TRUE(points);
    ASSERT_EQ(sk_DIST_POINT_num(points.get()), 1);
    const DIST_POINT* point = sk_DIST_POINT_value(points.get(), 0);
    ASSERT_NE(point->distpoint, nullptr);
    ASSERT_EQ(point->distpoint->type, 0);
    GENERAL_NAMES* full = point->distpoint->name.fullname;
    ASSERT_EQ(sk_GENERAL_NAME_num(full), 2);
    for (int i = 0; i < 2; ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(full, i);
        ASSERT_EQ(name->type, GEN_URI);
        EXPECT_EQ(ia5_text(name->d.uniformResourceIdentifier),
                  options.crl_urls[static_cast<std::size_t>(i)]);
    }
    EXPECT_EQ(verify(ca.issue_cert(options).cert_pem(), ca.cert_pem()), X509_V_OK);
}

TEST(Pki, LeafWithoutUrlsHasNoAiaOrCrlDistributionPoints) {
    CertificateAuthority ca;
    X509Ptr cert = parse_cert(ca.issue_cert(Names{"localhost"}).cert_pem());
    EXPECT_EQ(criticality(cert.get(), NID_info_access), -1);
    EXPECT_EQ(criticality(cert.get(), NID_crl_distribution_points), -1);
}

TEST(Pki, CertDerEncodesTheSameCertificateAsThePem) {
    CertificateAuthority ca;
    IssuedCert leaf = ca.issue_cert(Names{"localhost"});
    std::vector<unsigned char> der = leaf.cert_der();
    const unsigned char* p = der.data();
    X509Ptr from_der(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    ASSERT_TRUE(from_der);
    EXPECT_EQ(p, der.data() + der.size());
    EXPECT_EQ(X509_cmp(from_der.get(), parse_cert(leaf.cert_pem()).get()), 0);
}

// ---------------------------------------------------------------------------------------------
// Keys

TEST(Pki, PrivateKeyIsUnencryptedPkcs8MatchingTheCertificate) {
    CertificateAuthority ca;
    IssuedCert leaf = ca.issue_cert(Names{"localhost"});
    EXPECT_EQ(leaf.private_key_pem().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    EXPECT_EQ(ca.private_key_pem().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    EXPECT_TRUE(key_matches(leaf.cert_pem(), read_key(leaf.private_key_pem(), nullptr)));
    EXPECT_TRUE(key_matches(ca.cert_pem(), read_key(ca.private_key_pem(), nullptr)));
}

TEST(Pki, EncryptedKeyOpensOnlyWithThePassword) {
    CertificateAuthority ca;
    IssuedCert leaf = ca.issue_cert(Names{"localhost"});
    std::string encrypted = leaf.private_key_pem_encrypted("right password");
    EXPECT_EQ(encrypted.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0), 0u);
    EXPECT_TRUE(key_matches(leaf.cert_pem(), read_key(encrypted, "right password")));
    EXPECT_FALSE(read_key(encrypted, "wrong password"));
    EXPECT_FALSE(read_key(encrypted, nullptr));
}

TEST(Pki, EncryptedKeyUsesAes256CbcUnderPbes2) {
    CertificateAuthority ca;
    std::string encrypted = ca.issue_cert(Names{"localhost"}).private_key_pem_encrypted("pw");
    BioPtr bio = pem_bio(encrypted);
    tls::ossl::X509SigPtr sig(PEM_read_bio_PKCS8(bio.get(), nullptr, nullptr, nullptr));
    ASSERT_TRUE(sig);
    const X509_ALGOR* alg = nullptr;
    X509_SIG_get0(sig.get(), &alg, nullptr);
    ASSERT_NE(alg, nullptr);
    EXPECT_EQ(OBJ_obj2nid(alg->algorithm), NID_pbes2);
    tls::ossl::Pbe2ParamPtr pbes2(static_cast<PBE2PARAM*>(
        ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter)));
    ASSERT_TRUE(pbes2);
    EXPECT_EQ(OBJ_obj2nid(pbes2->encryption->algorithm), NID_aes_256_cbc);
}

TEST(Pki, EmptyKeyPasswordIsRejected) {
    CertificateAuthority ca;
    IssuedCert leaf = ca.issue_cert(Names{"localhost"});
    EXPECT_THROW((void)leaf.private_key_pem_encrypted(""), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Self-signed

TEST(Pki, SelfSignedLeafIsReportedAsSelfSignedWhenUntrusted) {
    CertificateAuthority ca;
    IssuedCert self = tls::pki::make_self_signed({"localhost"});
    EXPECT_EQ(self.cert_chain_pem(), self.cert_pem());
    EXPECT_EQ(verify(self.cert_pem(), ca.cert_pem()), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
}

TEST(Pki, SelfSignedLeafVerifiesWhenTrustedDirectly) {
    IssuedCert self = tls::pki::make_self_signed({"localhost", "127.0.0.1"}, KeyType::rsa2048);
    X509Ptr cert = parse_cert(self.cert_pem());
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
    EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())),
              0);
    EXPECT_EQ(sans_of(cert.get()).ip, (std::vector<std::string>{"127.0.0.1"}));
    EXPECT_TRUE(key_usage_has(cert.get(), kDigitalSignature));
    EXPECT_TRUE(key_usage_has(cert.get(), kKeyEncipherment));
    EXPECT_FALSE(key_usage_has(cert.get(), kKeyCertSign));
    EXPECT_EQ(authority_key_id(cert.get()), subject_key_id(cert.get()));
    EXPECT_EQ(verify(self.cert_pem(), self.cert_pem()), X509_V_OK);
    EXPECT_TRUE(key_matches(self.cert_pem(), read_key(self.private_key_pem(), nullptr)));
}

// ---------------------------------------------------------------------------------------------
// CRLs

TEST(Pki, CrlRevokesTheCertificatesItNamesAndNoOthers) {
    CertificateAuthority root;
    CertificateAuthority intermediate = root.create_child_ca();
    IssuedCert revoked = intermediate.issue_cert(Names{"localhost"});
    IssuedCert good = intermediate.issue_cert(Names{"localhost"});
    VerifyInput in;
    in.anchor_pems = {root.cert_pem()};
    in.crl_pem = intermediate.make_crl_pem({revoked.cert_pem()});
    in.flags = X509_V_FLAG_CRL_CHECK;

    in.chain_pem = revoked.cert_chain_pem();
    EXPECT_EQ(verify(in), X509_V_ERR_CERT_REVOKED);
    in.chain_pem = good.cert_chain_pem();
    EXPECT_EQ(verify(in), X509_V_OK);

    // Whole-chain checking also needs the root's (empty) CRL for the intermediate.
    in.flags = X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    EXPECT_EQ(verify(in), X509_V_ERR_UNABLE_TO_GET_CRL);
    in.crl_pem += root.make_crl_pem({});
    EXPECT_EQ(verify(in), X509_V_OK);
    in.chain_pem = revoked.cert_chain_pem();
    EXPECT_EQ(verify(in), X509_V_ERR_CERT_REVOKED);
}

TEST(Pki, CrlIsVersion2WithAkiAndNumberAndValidForADay) {
    CertificateAuthority ca;
    IssuedCert a = ca.issue_cert(Names{"a.example.test"});
    IssuedCert b = ca.issue_cert(Names{"b.example.test"});
    std::vector<tls::ossl::X509CrlPtr> crls =
        parse_crls(ca.make_crl_pem({a.cert_pem(), b.cert_pem()}));
    ASSERT_EQ(crls.size(), 1u);
    X509_CRL* crl = crls[0].get();
    X509Ptr ca_cert = parse_cert(ca.cert_pem());
    EXPECT_EQ(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
    EXPECT_EQ(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca_cert.get())), 0);
    EXPECT_EQ(X509_CRL_verify(crl, X509_get0_pubkey(ca_cert.get())), 1);
    EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);

    tls::ossl::AuthorityKeyIdPtr aki(static_cast<AUTHORITY_KEYID*>(
        X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, nullptr, nullptr)));
    ASSERT_TRUE(aki);
    EXPECT_EQ(octets_hex(aki->keyid), subject_key_id(ca_cert.get()));
    tls::ossl::AsnIntegerPtr number(
        static_cast<ASN1_INTEGER*>(X509_CRL_get_ext_d2i(crl, NID_crl_number, nullptr, nullptr)));
    ASSERT_TRUE(number);

    int days = 0;
    int seconds = 0;
    ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_CRL_get0_lastUpdate(crl),
                             X509_CRL_get0_nextUpdate(crl)),
              1);
    EXPECT_EQ(days, 1);
    EXPECT_EQ(seconds, 0);
}

TEST(Pki, LaterCrlsCarryLargerNumbers) {
    CertificateAuthority ca;
    auto number_of = [](const std::string& pem) {
        std::vector<tls::ossl::X509CrlPtr> crls = parse_crls(pem);
        EXPECT_EQ(crls.size(), 1u);
        tls::ossl::AsnIntegerPtr number(static_cast<ASN1_INTEGER*>(
            X509_CRL_get_ext_d2i(crls.at(0).get(), NID_crl_number, nullptr, nullptr)));
        int64_t value = 0;
        EXPECT_EQ(ASN1_INTEGER_get_int64(&value, number.get()), 1);
        return value;
    };
    int64_t first = number_of(ca.make_crl_pem({}));
    int64_t second = number_of(ca.make_crl_pem({}));
    EXPECT_LT(first, second);
}

TEST(Pki, GarbageRevokedCertificateThrowsSslErrorAndLeavesNoOpensslError) {
    CertificateAuthority ca;
    EXPECT_THROW(ca.make_crl_pem({"not a certificate"}), tls::SSLError);
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Pki, IssuingLeavesNoOpensslError) {
    CertificateAuthority ca;
    CertificateAuthority intermediate = ca.create_child_ca();
    (void)intermediate.issue_cert(localhost_options()).private_key_pem_encrypted("pw");
    (void)intermediate.make_crl_pem({});
    (void)tls::pki::make_self_signed({"localhost"});
    EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(Pki, MovedToCaKeepsIssuing) {
    CertificateAuthority original;
    std::string root_pem = original.cert_pem();
    CertificateAuthority moved(std::move(original));
    CertificateAuthority assigned("placeholder");
    assigned = std::move(moved);
    EXPECT_EQ(assigned.cert_pem(), root_pem);
    EXPECT_EQ(verify(assigned.issue_cert(Names{"localhost"}).cert_pem(), root_pem), X509_V_OK);
}

// ---------------------------------------------------------------------------------------------
// The suite's on-disk PKI

std::string chain_of(const CertFiles& files) {
    return read_file(files.chain);
}

TEST(TestPki, GetReturnsOneInstanceToConcurrentCallers) {
    std::vector<const TestPki*> seen(8, nullptr);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&seen, i] { seen[i] = &TestPki::get(); });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    for (const TestPki* p : seen) {
        EXPECT_EQ(p, seen[0]);
    }
    EXPECT_TRUE(std::filesystem::is_directory(seen[0]->dir()));
}

TEST(TestPki, DirectoryIsPrivateToTheUser) {
    struct stat st {};
    ASSERT_EQ(stat(TestPki::get().dir().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST(TestPki, EachLeafVerifiesOrFailsAsItsNameSays) {
    const TestPki& pki = TestPki::get();
    const std::string ca = read_file(pki.ca_cert());
    struct Row {
        const char* name;
        CertFiles files;
        int expected;
    };
    const Row rows[] = {
        {"localhost", pki.localhost(), X509_V_OK},
        {"localhost_rsa", pki.localhost_rsa(), X509_V_OK},
        {"wildcard", pki.wildcard(), X509_V_OK},
        {"wrong_host", pki.wrong_host(), X509_V_OK},  // wrong name, but a valid chain
        {"no_san", pki.no_san(), X509_V_OK},
        {"client", pki.client(), X509_V_OK},
        {"revoked", pki.revoked(), X509_V_OK},  // revoked only when CRLs are checked
        {"server_only_eku", pki.server_only_eku(), X509_V_OK},
        {"localhost_encrypted_key", pki.localhost_encrypted_key(), X509_V_OK},
        {"expired", pki.expired(), X509_V_ERR_CERT_HAS_EXPIRED},
        {"not_yet_valid", pki.not_yet_valid(), X509_V_ERR_CERT_NOT_YET_VALID},
        {"self_signed", pki.self_signed(), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT},
        {"untrusted_localhost", pki.untrusted_localhost(),
         X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY},
    };
    for (const Row& row : rows) {
        EXPECT_EQ(verify(chain_of(row.files), ca), row.expected) << row.name;
    }
    // The other CA is a real CA: its own leaf verifies against it.
    EXPECT_EQ(verify(chain_of(pki.untrusted_localhost()), read_file(pki.other_ca_cert())),
              X509_V_OK);
}

TEST(TestPki, ChainFilesHoldLeafAndIntermediateButNotTheRoot) {
    const TestPki& pki = TestPki::get();
    X509Ptr intermediate = parse_cert(read_file(pki.intermediate_cert()));
    std::vector<X509Ptr> chain = parse_certs(chain_of(pki.localhost()));
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(X509_cmp(chain[0].get(), parse_cert(read_file(pki.localhost().cert)).get()), 0);
    EXPECT_EQ(X509_cmp(chain[1].get(), intermediate.get()), 0);
    EXPECT_EQ(parse_certs(chain_of(pki.untrusted_localhost())).size(), 1u);
    EXPECT_EQ(parse_certs(chain_of(pki.self_signed())).size(), 1u);
}

TEST(TestPki, EveryKeyMatchesItsCertificate) {
    const TestPki& pki = TestPki::get();
    const CertFiles all[] = {pki.localhost(),   pki.localhost_rsa(),   pki.wildcard(),
                             pki.expired(),     pki.not_yet_valid(),   pki.wrong_host(),
                             pki.self_signed(), pki.no_san(),          pki.client(),
                             pki.revoked(),     pki.server_only_eku(), pki.untrusted_localhost()};
    for (const CertFiles& files : all) {
        EXPECT_TRUE(key_matches(read_file(files.cert), read_key(read_file(files.key), nullptr)))
            << files.cert;
    }
}

TEST(TestPki, EncryptedKeyFileNeedsThePassword) {
    const TestPki& pki = TestPki::get();
    CertFiles files = pki.localhost_encrypted_key();
    EXPECT_EQ(files.cert, pki.localhost().cert);
    std::string encrypted = read_file(files.key);
    EXPECT_FALSE(read_key(encrypted, "not the password"));
    EXPECT_TRUE(key_matches(read_file(files.cert), read_key(encrypted, pki.password().c_str())));
}

TEST(TestPki, NamesMatchWhatEachAccessorPromises) {
    const TestPki& pki = TestPki::get();
    X509Ptr localhost = parse_cert(read_file(pki.localhost().cert));
    X509Ptr wildcard = parse_cert(read_file(pki.wildcard().cert));
    X509Ptr wrong = parse_cert(read_file(pki.wrong_host().cert));
    X509Ptr no_san = parse_cert(read_file(pki.no_san().cert));
    X509Ptr client = parse_cert(read_file(pki.client().cert));

    Sans sans = sans_of(localhost.get());
    EXPECT_EQ(sans.dns, (std::vector<std::string>{"localhost"}));
    EXPECT_EQ(sans.ip, (std::vector<std::string>{"127.0.0.1", "::1"}));
    EXPECT_EQ(subject_entry(localhost.get(), NID_commonName), "localhost");
    EXPECT_EQ(sans_of(wildcard.get()).dns, (std::vector<std::string>{"*.example.test"}));
    EXPECT_EQ(sans_of(wrong.get()).dns, (std::vector<std::string>{"wrong.example.test"}));
    EXPECT_EQ(criticality(no_san.get(), NID_subject_alt_name), -1);
    EXPECT_EQ(subject_entry(no_san.get(), NID_commonName), "localhost");
    EXPECT_EQ(subject_entry(client.get(), NID_commonName), "tlsctx test client");

    const unsigned int never_cn = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
    EXPECT_EQ(X509_check_host(wrong.get(), "localhost", 0, never_cn, nullptr), 0);
    EXPECT_EQ(X509_check_host(no_san.get(), "localhost", 0, never_cn, nullptr), 0);
    EXPECT_EQ(X509_check_host(wildcard.get(), "www.example.test", 0, never_cn, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(localhost.get(), "::1", 0), 1);
}

TEST(TestPki, ClientCertificateFitsClientsAndServerOnlyEkuDoesNot) {
    const TestPki& pki = TestPki::get();
    VerifyInput in;
    in.anchor_pems = {read_file(pki.ca_cert())};
    in.purpose = X509_PURPOSE_SSL_CLIENT;
    in.chain_pem = chain_of(pki.client());
    EXPECT_EQ(verify(in), X509_V_OK);
    in.chain_pem = chain_of(pki.server_only_eku());
    EXPECT_EQ(verify(in), X509_V_ERR_INVALID_PURPOSE);
    in.purpose = X509_PURPOSE_SSL_SERVER;
    EXPECT_EQ(verify(in), X509_V_OK);
    in.chain_pem = chain_of(pki.client());
    EXPECT_EQ(verify(in), X509_V_ERR_INVALID_PURPOSE);
}

TEST(TestPki, CrlFileServesLeafAndWholeChainChecks) {
    const TestPki& pki = TestPki::get();
    for (unsigned long flags :
         {X509_V_FLAG_CRL_CHECK, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL}) {
        VerifyInput in;
        in.anchor_pems = {read_file(pki.ca_cert())};
        in.crl_pem = read_file(pki.crl());
        in.flags = flags;
        in.chain_pem = chain_of(pki.revoked());
        EXPECT_EQ(verify(in), X509_V_ERR_CERT_REVOKED) << flags;
        in.chain_pem = chain_of(pki.localhost());
        EXPECT_EQ(verify(in), X509_V_OK) << flags;
    }
}

// The `openssl` command is one of the external peers that loads these files.
TEST(TestPki, OpensslVerifyAcceptsTheLocalhostChain) {
    const TestPki& pki = TestPki::get();
    RunResult r =
        run("openssl verify -crl_check_all -CAfile " + pki.ca_cert() + " -untrusted " +
            pki.intermediate_cert() + " -CRLfile " + pki.crl() + " " + pki.localhost().cert);
    EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(TestPki, OpensslVerifyReportsTheRevokedCertificateAsRevoked) {
    const TestPki& pki = TestPki::get();
    RunResult r =
        run("openssl verify -crl_check -CAfile " + pki.ca_cert() + " -untrusted " +
            pki.intermediate_cert() + " -CRLfile " + pki.crl() + " " + pki.revoked().cert);
    EXPECT_NE(r.exit_code, 0);
    // `openssl verify` reports only text; the revocation code (23) is part of it.
    EXPECT_NE(r.output.find("error 23 at 0 depth lookup: certificate revoked"), std::string::npos)
        << r.output;
}

TEST(TestPki, OpensslVerifyRejectsTheUntrustedLocalhost) {
    const TestPki& pki = TestPki::get();
    RunResult r =
        run("openssl verify -CAfile " + pki.ca_cert() + " " + pki.untrusted_localhost().cert);
    EXPECT_NE(r.exit_code, 0) << r.output;
}

TEST(TestPki, OpensslReadsTheEncryptedKeyOnlyWithThePassword) {
    const TestPki& pki = TestPki::get();
    const std::string key = pki.localhost_encrypted_key().key;
    EXPECT_EQ(run("openssl pkey -noout -in " + key + " -passin pass:" + pki.password()).exit_code,
              0);
    EXPECT_NE(run("openssl pkey -noout -in " + key + " -passin pass:wrong").exit_code, 0);
}

TEST(TestPki, ForkedChildExitingDoesNotDeleteTheFiles) {
    const TestPki& pki = TestPki::get();
    std::fflush(nullptr);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // A normal exit runs static destructors, TestPki's among them.
        std::exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(std::filesystem::exists(pki.localhost().cert));
}

}  // namespace
