#include "tls/pki.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <climits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "ossl/der.hpp"
#include "ossl/handles.hpp"
#include "tls/errors.hpp"

namespace tls::pki {

using namespace std::chrono_literals;

namespace {

struct CaParts {
    ossl::X509Ptr cert;
    ossl::EvpPkeyPtr key;
    std::string cert_pem;
    std::string key_pem;
    // This CA's certificate followed by its parents' up to (not including) the root: what a
    // server appends to a leaf. Empty for a root, which the peer must already have.
    std::string chain_pem;
};

constexpr std::string_view kOp = "pki";

// RFC 5280 appendix A (ub-common-name): OpenSSL refuses a longer CN.
constexpr std::size_t kMaxCommonName = 64;

// A CA outlives the leaves tests make from it, including ones whose window lies in the past
// or future, and tests that pin the verification time a little back.
constexpr std::chrono::seconds kCaNotBefore = -24h * 365;
constexpr std::chrono::seconds kCaNotAfter = 24h * 3650;

// tlsctx::pki links libtlsctx only through its public API (a shared libtlsctx hides the
// library's own error mapper), so it turns the OpenSSL error queue into an SSLError here.
[[noreturn]] void fail(std::string_view what) {
    ErrorInfo info;
    info.code = make_error_code(SSLErrc::ssl);
    info.message = std::string(kOp) + ": " + std::string(what);
    const unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (e != 0) {
        info.openssl_error = e;
        const char* library = ERR_lib_error_string(e);
        const char* reason = ERR_reason_error_string(e);
        info.library = library != nullptr ? library : "";
        info.reason = reason != nullptr ? reason : "";
        if (!info.reason.empty()) {
            info.message += " (" + info.reason + ")";
        }
    }
    throw_error(std::move(info));
}

ossl::EvpPkeyPtr generate_key(KeyType type) {
    EVP_PKEY* key = nullptr;
    switch (type) {
        case KeyType::ec_p256:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
            break;
        case KeyType::ec_p384:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
            break;
        case KeyType::rsa2048:
            // The variadic argument must be a size_t, not an int.
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048));
            break;
        case KeyType::ed25519:
            key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
            break;
        default:
            throw std::invalid_argument("pki: unknown key type");
    }
    ossl::EvpPkeyPtr owned(key);
    if (!owned) {
        fail("cannot generate key");
    }
    return owned;
}

// EdDSA hashes internally (RFC 8032), so OpenSSL wants no digest for it.
const EVP_MD* signing_digest(EVP_PKEY* key) {
    return EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448") ? nullptr : EVP_sha256();
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

ossl::BioPtr new_memory_bio() {
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        fail("cannot allocate memory BIO");
    }
    return bio;
}

ossl::BioPtr read_only_bio(const std::string& pem) {
    if (pem.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("pki: PEM too large");
    }
    ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        fail("cannot allocate memory BIO");
    }
    return bio;
}

// Keys here are never encrypted; refusing a password keeps OpenSSL from prompting on the
// terminal if a caller hands IssuedCert an encrypted one.
int no_password(char*, int, int, void*) {
    return -1;
}

ossl::X509Ptr cert_from_pem(const std::string& pem) {
    ossl::BioPtr bio = read_only_bio(pem);
    ossl::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
    if (!cert) {
        fail("cannot parse certificate PEM");
    }
    return cert;
}

ossl::EvpPkeyPtr key_from_pem(const std::string& pem) {
    ossl::BioPtr bio = read_only_bio(pem);
    ossl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
    if (!key) {
        fail("cannot parse private key PEM");
    }
    return key;
}

std::string cert_to_pem(X509* cert) {
    ossl::BioPtr bio = new_memory_bio();
    if (PEM_write_bio_X509(bio.get(), cert) != 1) {
        fail("cannot write certificate PEM");
    }
    return bio_contents(bio.get());
}

std::string key_to_pem(EVP_PKEY* key, const EVP_CIPHER* cipher, const std::string& password) {
    if (password.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("pki: password too long");
    }
    ossl::BioPtr bio = new_memory_bio();
    // PKCS#8 ("BEGIN PRIVATE KEY") is the one form every peer in the test matrix reads.
    if (PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher,
                                      cipher != nullptr ? password.data() : nullptr,
                                      static_cast<int>(password.size()), nullptr, nullptr) != 1) {
        fail("cannot write private key PEM");
    }
    return bio_contents(bio.get());
}

std::optional<std::vector<unsigned char>> parse_ip(const std::string& text) {
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(&v4);
        return std::vector<unsigned char>(bytes, bytes + sizeof v4);
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(&v6);
        return std::vector<unsigned char>(bytes, bytes + sizeof v6);
    }
    return std::nullopt;
}

// DNS names, emails and URIs are IA5String (7-bit); a space or control character in one is
// always a caller's mistake, never something a test wants to put on the wire.
ossl::AsnStringPtr make_ia5(std::string_view kind, const std::string& text) {
    if (text.empty() || text.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("pki: empty or oversized " + std::string(kind));
    }
    for (char c : text) {
        if (c <= ' ' || c > '~') {
            throw std::invalid_argument("pki: " + std::string(kind) + " '" + text +
                                        "' is not printable ASCII");
        }
    }
    ossl::AsnStringPtr ia5(ASN1_IA5STRING_new());
    if (!ia5 || ASN1_STRING_set(ia5.get(), text.data(), static_cast<int>(text.size())) != 1) {
        fail("cannot allocate IA5String");
    }
    return ia5;
}

ossl::GeneralNamePtr make_general_name(int type, ossl::AsnStringPtr value) {
    ossl::GeneralNamePtr name(GENERAL_NAME_new());
    if (!name) {
        fail("cannot allocate GeneralName");
    }
    GENERAL_NAME_set0_value(name.get(), type, value.release());  // `name` owns the value now
    return name;
}

ossl::GeneralNamePtr ip_general_name(const std::string& text) {
    std::optional<std::vector<unsigned char>> bytes = parse_ip(text);
    if (!bytes) {
        throw std::invalid_argument("pki: '" + text + "' is not an IPv4 or IPv6 address");
    }
    ossl::AsnStringPtr octets(ASN1_OCTET_STRING_new());
    if (!octets ||
        ASN1_OCTET_STRING_set(octets.get(), bytes->data(), static_cast<int>(bytes->size())) != 1) {
        fail("cannot allocate OCTET STRING");
    }
    return make_general_name(GEN_IPADD, std::move(octets));
}

void push_name(GENERAL_NAMES* names, ossl::GeneralNamePtr name) {
    if (sk_GENERAL_NAME_push(names, name.get()) <= 0) {
        fail("cannot grow GeneralNames");
    }
    static_cast<void>(name.release());  // the stack owns it
}

ossl::GeneralNamesPtr new_general_names() {
    ossl::GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
    if (!names) {
        fail("cannot allocate GeneralNames");
    }
    return names;
}

ossl::GeneralNamesPtr uri_names(const std::vector<std::string>& urls) {
    ossl::GeneralNamesPtr names = new_general_names();
    for (const std::string& url : urls) {
        push_name(names.get(), make_general_name(GEN_URI, make_ia5("URI", url)));
    }
    return names;
}

void add_name_entry(X509_NAME* name, int nid, const std::string& value) {
    if (value.empty()) {
        return;
    }
    if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) != 1) {
        fail(std::string("cannot set subject ") + OBJ_nid2sn(nid));
    }
}

// Extensions whose value is a fixed string are built by OpenSSL's own config parser; `issuer`
// and `subject` let it derive the key identifiers.
void add_conf_ext(X509* subject, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, issuer, subject, nullptr, nullptr, 0);
    ossl::X509ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(subject, ext.get(), -1) != 1) {
        fail(std::string("cannot add ") + OBJ_nid2sn(nid));
    }
}

// Extensions carrying caller-supplied names are built as structures, never as config text, so
// a comma or colon in a URL cannot be parsed as syntax.
void add_struct_ext(X509* cert, int nid, void* value, bool critical) {
    if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
        fail(std::string("cannot add ") + OBJ_nid2sn(nid));
    }
}

void add_subject_alt_names(X509* cert, const CertificateOptions& options, bool subject_empty) {
    ossl::GeneralNamesPtr names = new_general_names();
    for (const std::string& dns : options.dns_names) {
        push_name(names.get(), make_general_name(GEN_DNS, make_ia5("DNS name", dns)));
    }
    for (const std::string& ip : options.ip_addresses) {
        push_name(names.get(), ip_general_name(ip));
    }
    for (const std::string& email : options.emails) {
        push_name(names.get(), make_general_name(GEN_EMAIL, make_ia5("email", email)));
    }
    for (const std::string& uri : options.uris) {
        push_name(names.get(), make_general_name(GEN_URI, make_ia5("URI", uri)));
    }
    if (sk_GENERAL_NAME_num(names.get()) == 0) {
        return;
    }
    // RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical.
    add_struct_ext(cert, NID_subject_alt_name, names.get(), subject_empty);
}

void add_access_description(AUTHORITY_INFO_ACCESS* aia, int method_nid, const std::string& url) {
    ossl::AccessDescriptionPtr ad(ACCESS_DESCRIPTION_new());
    if (!ad || ad->location == nullptr) {
        fail("cannot allocate AccessDescription");
    }
    // Built-in objects are static; ACCESS_DESCRIPTION_free knows not to free them.
    ad->method = OBJ_nid2obj(method_nid);
    // The new description already holds an empty GeneralName; OpenSSL's own config parser
    // fills that one in place too.
    GENERAL_NAME_set0_value(ad->location, GEN_URI, make_ia5("URI", url).release());
    if (sk_ACCESS_DESCRIPTION_push(aia, ad.get()) <= 0) {
        fail("cannot grow AuthorityInfoAccess");
    }
    static_cast<void>(ad.release());  // the stack owns it
}

void add_authority_info_access(X509* cert, const CertificateOptions& options) {
    if (options.ocsp_urls.empty() && options.ca_issuer_urls.empty()) {
        return;
    }
    ossl::AuthorityInfoAccessPtr aia(AUTHORITY_INFO_ACCESS_new());
    if (!aia) {
        fail("cannot allocate AuthorityInfoAccess");
    }
    for (const std::string& url : options.ocsp_urls) {
        add_access_description(aia.get(), NID_ad_OCSP, url);
    }
    for (const std::string& url : options.ca_issuer_urls) {
        add_access_description(aia.get(), NID_ad_ca_issuers, url);
    }
    add_struct_ext(cert, NID_info_access, aia.get(), false);
}

// One distribution point whose fullName lists every URL: the shape `URI:a,URI:b` gives in
// an OpenSSL config, and what the verifier tries in order.
void add_crl_distribution_points(X509* cert, const std::vector<std::string>& urls) {
    if (urls.empty()) {
        return;
    }
    ossl::DistPointNamePtr dp_name(DIST_POINT_NAME_new());
    ossl::DistPointPtr dp(DIST_POINT_new());
    ossl::CrlDistPointsPtr points(CRL_DIST_POINTS_new());
    if (!dp_name || !dp || !points) {
        fail("cannot allocate CRLDistributionPoints");
    }
    dp_name->type = 0;                                   // fullName (RFC 5280 §4.2.1.13)
    dp_name->name.fullname = uri_names(urls).release();  // dp_name owns the names
    dp->distpoint = dp_name.release();                   // dp owns the name
    if (sk_DIST_POINT_push(points.get(), dp.get()) <= 0) {
        fail("cannot grow CRLDistributionPoints");
    }
    static_cast<void>(dp.release());  // the stack owns it
    add_struct_ext(cert, NID_crl_distribution_points, points.get(), false);
}

void add_extended_key_usage(X509* cert, X509* issuer, const std::vector<ExtendedKeyUsage>& ekus) {
    if (ekus.empty()) {
        return;
    }
    std::string value;
    for (ExtendedKeyUsage eku : ekus) {
        if (!value.empty()) {
            value += ',';
        }
        switch (eku) {
            case ExtendedKeyUsage::server_auth:
                value += "serverAuth";
                break;
            case ExtendedKeyUsage::client_auth:
                value += "clientAuth";
                break;
            case ExtendedKeyUsage::code_signing:
                value += "codeSigning";
                break;
            default:
                throw std::invalid_argument("pki: unknown extended key usage");
        }
    }
    add_conf_ext(cert, issuer, NID_ext_key_usage, value.c_str());
}

// 128 random bits with the top one set: positive, unpredictable (CA/B Forum wants >= 64 bits)
// and inside RFC 5280's 20-octet limit.
void set_random_serial(X509* cert) {
    ossl::BignumPtr bn(BN_new());
    if (!bn || BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
        fail("cannot generate serial number");
    }
    ossl::AsnIntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    if (!serial || X509_set_serialNumber(cert, serial.get()) != 1) {
        fail("cannot set serial number");
    }
}

ossl::X509NamePtr make_subject(const std::string& common_name, const std::string& organization,
                               const std::string& unit) {
    ossl::X509NamePtr name(X509_NAME_new());
    if (!name) {
        fail("cannot allocate subject name");
    }
    add_name_entry(name.get(), NID_organizationName, organization);
    add_name_entry(name.get(), NID_organizationalUnitName, unit);
    add_name_entry(name.get(), NID_commonName, common_name);
    return name;
}

// A certificate with everything but extensions and signature. `issuer_name` null means
// self-issued.
ossl::X509Ptr new_certificate(X509_NAME* subject, X509_NAME* issuer_name, EVP_PKEY* key,
                              std::chrono::seconds not_before, std::chrono::seconds not_after) {
    if (not_after <= not_before) {
        throw std::invalid_argument("pki: not_after_offset must be later than not_before_offset");
    }
    ossl::X509Ptr cert(X509_new());
    if (!cert) {
        fail("cannot allocate certificate");
    }
    if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
        X509_set_subject_name(cert.get(), subject) != 1 ||
        X509_set_issuer_name(cert.get(), issuer_name != nullptr ? issuer_name : subject) != 1 ||
        X509_set_pubkey(cert.get(), key) != 1) {
        fail("cannot fill in certificate");
    }
    set_random_serial(cert.get());
    if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(not_before.count())) ==
            nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(not_after.count())) ==
            nullptr) {
        fail("cannot set validity");
    }
    return cert;
}

void sign(X509* cert, EVP_PKEY* key) {
    if (X509_sign(cert, key, signing_digest(key)) <= 0) {
        fail("cannot sign certificate");
    }
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
        fail("cannot generate random bytes");
    }
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : raw) {
        hex += kDigits[b >> 4];
        hex += kDigits[b & 0xf];
    }
    return hex;
}

// `issuer` null makes a self-signed root.
CaParts make_ca(const std::string& common_name, KeyType key_type, const CaParts* issuer) {
    CaParts ca;
    ca.key = generate_key(key_type);
    // A random OU keeps two CAs with the same CN apart for verifiers that pick issuers by name
    // alone, where a clash turns "unknown CA" into a signature failure (trustme does the same).
    ossl::X509NamePtr subject = make_subject(common_name, "tlsctx test PKI", "CA " + random_hex(8));
    X509_NAME* issuer_name =
        issuer != nullptr ? X509_get_subject_name(issuer->cert.get()) : nullptr;
    ca.cert = new_certificate(subject.get(), issuer_name, ca.key.get(), kCaNotBefore, kCaNotAfter);
    X509* cert = ca.cert.get();
    X509* signer = issuer != nullptr ? issuer->cert.get() : cert;
    // No pathlen: intermediates may have intermediates of their own.
    add_conf_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    add_conf_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    // The SKI goes first: for a root the AKI is copied from it.
    add_conf_ext(cert, signer, NID_subject_key_identifier, "hash");
    add_conf_ext(cert, signer, NID_authority_key_identifier, "keyid:always");
    sign(cert, issuer != nullptr ? issuer->key.get() : ca.key.get());

    ca.cert_pem = cert_to_pem(cert);
    ca.key_pem = key_to_pem(ca.key.get(), nullptr, std::string());
    if (issuer != nullptr) {
        ca.chain_pem = ca.cert_pem + issuer->chain_pem;
    }
    return ca;
}

// `issuer` null makes a self-signed leaf.
IssuedCert make_leaf(const CertificateOptions& options, const CaParts* issuer) {
    ossl::EvpPkeyPtr key = generate_key(options.key_type);
    ossl::X509NamePtr subject = make_subject(options.common_name, options.organization, "");
    X509_NAME* issuer_name =
        issuer != nullptr ? X509_get_subject_name(issuer->cert.get()) : nullptr;
    ossl::X509Ptr cert = new_certificate(subject.get(), issuer_name, key.get(),
                                         options.not_before_offset, options.not_after_offset);
    X509* signer = issuer != nullptr ? issuer->cert.get() : cert.get();

    add_conf_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    // RSA key exchange (TLS 1.2 kRSA) encrypts to the key; the other types only sign.
    add_conf_ext(cert.get(), signer, NID_key_usage,
                 EVP_PKEY_is_a(key.get(), "RSA") ? "critical,digitalSignature,keyEncipherment"
                                                 : "critical,digitalSignature");
    add_conf_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
    add_conf_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
    add_extended_key_usage(cert.get(), signer, options.extended_key_usages);
    add_subject_alt_names(cert.get(), options,
                          options.common_name.empty() && options.organization.empty());
    add_authority_info_access(cert.get(), options);
    add_crl_distribution_points(cert.get(), options.crl_urls);
    if (options.must_staple) {
        add_conf_ext(cert.get(), signer, NID_tlsfeature, "status_request");
    }
    sign(cert.get(), issuer != nullptr ? issuer->key.get() : key.get());

    std::string cert_pem = cert_to_pem(cert.get());
    std::string chain_pem = cert_pem + (issuer != nullptr ? issuer->chain_pem : std::string());
    return IssuedCert(std::move(cert_pem), std::move(chain_pem),
                      key_to_pem(key.get(), nullptr, std::string()));
}

// trustme's convention: a name that parses as an address is an IP SAN, anything else DNS;
// the first name doubles as CN for peers that still read it.
CertificateOptions options_for_names(const std::vector<std::string>& names) {
    if (names.empty()) {
        throw std::invalid_argument("pki: issue_cert needs at least one name");
    }
    CertificateOptions options;
    for (const std::string& name : names) {
        if (parse_ip(name)) {
            options.ip_addresses.push_back(name);
        } else {
            options.dns_names.push_back(name);
        }
    }
    if (names.front().size() <= kMaxCommonName) {
        options.common_name = names.front();
    }
    return options;
}

}  // namespace

// The private State only wraps CaParts so the helpers above, which cannot name it, can build one.
struct CertificateAuthority::State {
    CaParts ca;
};

IssuedCert::IssuedCert(std::string cert_pem, std::string chain_pem, std::string key_pem)
    : cert_pem_(std::move(cert_pem)),
      chain_pem_(std::move(chain_pem)),
      key_pem_(std::move(key_pem)) {}

std::string IssuedCert::private_key_pem_encrypted(const std::string& password) const {
    if (password.empty()) {
        // OpenSSL would fall back to prompting on the terminal.
        throw std::invalid_argument("pki: the key password must not be empty");
    }
    ossl::EvpPkeyPtr key = key_from_pem(key_pem_);
    return key_to_pem(key.get(), EVP_aes_256_cbc(), password);
}

std::vector<unsigned char> IssuedCert::cert_der() const {
    std::vector<unsigned char> der = ossl::der_or_empty(i2d_X509, cert_from_pem(cert_pem_).get());
    if (der.empty()) {
        fail("cannot encode certificate as DER");
    }
    return der;
}

CertificateAuthority::CertificateAuthority(const std::string& common_name, KeyType key_type)
    : state_(std::make_unique<State>(State{make_ca(common_name, key_type, nullptr)})) {}

CertificateAuthority::CertificateAuthority(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

CertificateAuthority::~CertificateAuthority() = default;
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;

const std::string& CertificateAuthority::cert_pem() const noexcept {
    return state_->ca.cert_pem;
}

const std::string& CertificateAuthority::private_key_pem() const noexcept {
    return state_->ca.key_pem;
}

IssuedCert CertificateAuthority::issue_cert(const std::vector<std::string>& names) const {
    return issue_cert(options_for_names(names));
}

IssuedCert CertificateAuthority::issue_cert(const CertificateOptions& options) const {
    return make_leaf(options, &state_->ca);
}

CertificateAuthority CertificateAuthority::create_child_ca(const std::string& common_name,
                                                           KeyType key_type) const {
    return CertificateAuthority(
        std::make_unique<State>(State{make_ca(common_name, key_type, &state_->ca)}));
}

std::string CertificateAuthority::make_crl_pem(
    const std::vector<std::string>& revoked_cert_pems) const {
    ossl::X509CrlPtr crl(X509_CRL_new());
    if (!crl) {
        fail("cannot allocate CRL");
    }
    ossl::AsnTimePtr now(X509_gmtime_adj(nullptr, 0));
    ossl::AsnTimePtr next(X509_gmtime_adj(nullptr, 24L * 60 * 60));
    if (!now || !next) {
        fail("cannot read the time");
    }
    // v2 because of the extensions below.
    if (X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
        X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(state_->ca.cert.get())) != 1 ||
        X509_CRL_set1_lastUpdate(crl.get(), now.get()) != 1 ||
        X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
        fail("cannot fill in CRL");
    }
    for (const std::string& pem : revoked_cert_pems) {
        ossl::X509Ptr cert = cert_from_pem(pem);
        ossl::X509RevokedPtr entry(X509_REVOKED_new());
        if (!entry ||
            X509_REVOKED_set_serialNumber(entry.get(), X509_get_serialNumber(cert.get())) != 1 ||
            X509_REVOKED_set_revocationDate(entry.get(), now.get()) != 1 ||
            X509_CRL_add0_revoked(crl.get(), entry.get()) != 1) {
            fail("cannot add revoked entry to CRL");
        }
        static_cast<void>(entry.release());  // the CRL owns it
    }
    // The AKI lets verifiers pick this CA's key when several share a name (RFC 5280 §5.2.1
    // makes it mandatory for conforming CRLs).
    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, state_->ca.cert.get(), nullptr, nullptr, crl.get(), 0);
    ossl::X509ExtPtr aki(
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
    if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) {
        fail("cannot add CRL authorityKeyIdentifier");
    }
    // RFC 5280 §5.2.3 makes the CRL number mandatory and increasing; microseconds since the
    // epoch increase without the CA having to keep a counter.
    ossl::AsnIntegerPtr number(ASN1_INTEGER_new());
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    if (!number || ASN1_INTEGER_set_int64(number.get(), micros.count()) != 1 ||
        X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, X509V3_ADD_DEFAULT) !=
            1) {
        fail("cannot add CRL number");
    }
    if (X509_CRL_sort(crl.get()) != 1 ||
        X509_CRL_sign(crl.get(), state_->ca.key.get(), signing_digest(state_->ca.key.get())) <= 0) {
        fail("cannot sign CRL");
    }
    ossl::BioPtr bio = new_memory_bio();
    if (PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
        fail("cannot write CRL PEM");
    }
    return bio_contents(bio.get());
}

IssuedCert make_self_signed(const std::vector<std::string>& names, KeyType key_type) {
    CertificateOptions options = options_for_names(names);
    options.key_type = key_type;
    return make_leaf(options, nullptr);
}

std::vector<unsigned char> CertificateAuthority::make_ocsp_response(
    const std::string& cert_pem, OcspCertStatus status, std::chrono::seconds this_update_offset,
    std::chrono::seconds next_update_offset) const {
    const ossl::X509Ptr cert = cert_from_pem(cert_pem);
    X509* ca = state_->ca.cert.get();
    // OCSP_basic_add1_status copies the id into the response.
    const ossl::OcspCertIdPtr id(OCSP_cert_to_id(EVP_sha1(), cert.get(), ca));
    const ossl::OcspBasicRespPtr basic(OCSP_BASICRESP_new());
    const ossl::AsnTimePtr this_update(X509_gmtime_adj(nullptr, this_update_offset.count()));
    const ossl::AsnTimePtr next_update(X509_gmtime_adj(nullptr, next_update_offset.count()));
    const ossl::AsnTimePtr revoked_at(X509_gmtime_adj(nullptr, this_update_offset.count() - 3600));
    if (!id || !basic || !this_update || !next_update || !revoked_at) {
        fail("cannot allocate OCSP response");
    }
    const bool revoked = status == OcspCertStatus::revoked;
    const int code = revoked                             ? V_OCSP_CERTSTATUS_REVOKED
                     : status == OcspCertStatus::unknown ? V_OCSP_CERTSTATUS_UNKNOWN
                                                         : V_OCSP_CERTSTATUS_GOOD;
    if (OCSP_basic_add1_status(basic.get(), id.get(), code,
                               revoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0,
                               revoked ? revoked_at.get() : nullptr, this_update.get(),
                               next_update.get()) == nullptr ||
        OCSP_basic_sign(basic.get(), ca, state_->ca.key.get(), signing_digest(state_->ca.key.get()),
                        nullptr, 0) != 1) {
        fail("cannot sign OCSP response");
    }
    const ossl::OcspResponsePtr response(
        OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
    std::vector<unsigned char> der =
        response ? ossl::der_or_empty(&i2d_OCSP_RESPONSE,
                                      static_cast<const OCSP_RESPONSE*>(response.get()))
                 : std::vector<unsigned char>();
    if (der.empty()) {
        fail("cannot encode OCSP response");
    }
    return der;
}

}  // namespace tls::pki
