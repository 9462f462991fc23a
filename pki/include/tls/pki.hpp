// tlsctx — a throw-away PKI in memory for tests, demos and development (Python: the `trustme`
// package). Makes CAs, intermediates and leaves with the properties tests need (SANs, validity
// windows, EKUs, encrypted keys). Never use these for production trust. Not part of libtlsctx:
// link the separate, never-installed target tlsctx::pki (pki/CMakeLists.txt). Docs:
// docs/testing.md.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace tls::pki {

/// The key algorithm of a generated certificate.
enum class KeyType : int {
    ec_p256 = 0,  ///< ECDSA over P-256 (default: fast)
    rsa2048 = 1,
    ed25519 = 2,
    ec_p384 = 3,
};

/// Extended key usages a leaf may carry.
enum class ExtendedKeyUsage : int {
    server_auth = 0,
    client_auth = 1,
    code_signing = 2,
};

/// The status an OCSP response made by CertificateAuthority::make_ocsp_response gives.
enum class OcspCertStatus : int { good = 0, revoked = 1, unknown = 2 };

/// How a certificate is made. Defaults make a valid, current, CA-signed ECDSA leaf.
struct CertificateOptions {
    // Not an aggregate, so that `issue_cert({"localhost"})` means a list of names; "= default"
    // would leave it one in C++17.
    CertificateOptions() {}  // NOLINT(modernize-use-equals-default)

    std::string common_name;                ///< subject CN ("" = none)
    std::vector<std::string> dns_names;     ///< subjectAltName DNS entries (may hold "*.x")
    std::vector<std::string> ip_addresses;  ///< subjectAltName IP entries, v4 or v6 text
    std::vector<std::string> emails;        ///< subjectAltName email entries
    std::vector<std::string> uris;          ///< subjectAltName URI entries
    std::string organization;               ///< subject O ("" = none)
    KeyType key_type = KeyType::ec_p256;    ///< the leaf's key: EC P-256 unless asked otherwise
    /// Start of the validity window relative to now; negative values move it into the past.
    std::chrono::seconds not_before_offset = std::chrono::hours(-1);
    /// End of the validity window relative to now (a year; negative = already expired).
    std::chrono::seconds not_after_offset = std::chrono::hours(24 * 365);
    /// Leaf EKUs; empty = the extension is omitted.
    std::vector<ExtendedKeyUsage> extended_key_usages = {ExtendedKeyUsage::server_auth,
                                                         ExtendedKeyUsage::client_auth};
    std::vector<std::string> ocsp_urls;       ///< authorityInfoAccess OCSP
    std::vector<std::string> ca_issuer_urls;  ///< authorityInfoAccess caIssuers
    std::vector<std::string> crl_urls;        ///< crlDistributionPoints
    /// RFC 7633 TLS Feature extension with status_request ("OCSP must-staple").
    bool must_staple = false;
};

/// A certificate with its private key, as PEM.
class IssuedCert {
  public:
    /// The three PEM texts, as CertificateAuthority::issue_cert makes them.
    IssuedCert(std::string cert_pem, std::string chain_pem, std::string key_pem);
    /// The certificate alone.
    const std::string& cert_pem() const noexcept { return cert_pem_; }
    /// The certificate followed by the intermediates up to (not including) the root: what a
    /// server presents, and what load_cert_chain takes as certfile.
    const std::string& cert_chain_pem() const noexcept { return chain_pem_; }
    /// The private key, unencrypted PKCS#8 PEM.
    const std::string& private_key_pem() const noexcept { return key_pem_; }
    /// The private key encrypted with AES-256-CBC under `password` (PKCS#8 PEM).
    std::string private_key_pem_encrypted(const std::string& password) const;
    /// The certificate as DER.
    std::vector<unsigned char> cert_der() const;

  private:
    std::string cert_pem_;
    std::string chain_pem_;
    std::string key_pem_;
};

/// A certificate authority that can issue leaves and intermediates.
class CertificateAuthority {
  public:
    /// A new self-signed root ("tlsctx test CA" unless named).
    explicit CertificateAuthority(const std::string& common_name = "tlsctx test CA",
                                  KeyType key_type = KeyType::ec_p256);
    ~CertificateAuthority();
    /// Move-only: the CA owns its key.
    CertificateAuthority(CertificateAuthority&&) noexcept;
    /// Move-only: the CA owns its key.
    CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
    CertificateAuthority(const CertificateAuthority&) = delete;
    CertificateAuthority& operator=(const CertificateAuthority&) = delete;

    /// This CA's certificate (for load_verify_locations cadata).
    const std::string& cert_pem() const noexcept;
    /// This CA's private key (PKCS#8 PEM).
    const std::string& private_key_pem() const noexcept;

    /// Issues a leaf for the given DNS names / IPs ("127.0.0.1" and "::1" are recognised as IPs).
    IssuedCert issue_cert(const std::vector<std::string>& names) const;
    /// Issues a leaf with full control over its contents.
    IssuedCert issue_cert(const CertificateOptions& options) const;
    /// Creates an intermediate CA signed by this CA; its leaves' chains include it.
    CertificateAuthority create_child_ca(
        const std::string& common_name = "tlsctx test intermediate",
        KeyType key_type = KeyType::ec_p256) const;
    /// A CRL signed by this CA revoking the given certificates (PEM of each), valid for a day.
    std::string make_crl_pem(const std::vector<std::string>& revoked_cert_pems) const;
    /// A DER OCSP response (RFC 6960) signed by this CA about `cert_pem`, one of its
    /// certificates: thisUpdate and nextUpdate relative to now (negative = in the past, so
    /// expired responses can be made, which `openssl ocsp` cannot), revoked ones with reason
    /// keyCompromise.
    std::vector<unsigned char> make_ocsp_response(
        const std::string& cert_pem, OcspCertStatus status = OcspCertStatus::good,
        std::chrono::seconds this_update_offset = std::chrono::seconds(0),
        std::chrono::seconds next_update_offset = std::chrono::hours(24)) const;

  private:
    struct State;
    std::unique_ptr<State> state_;
    explicit CertificateAuthority(std::unique_ptr<State> state);
};

/// A self-signed leaf (not a CA) for the given names: what "self-signed" tests need.
IssuedCert make_self_signed(const std::vector<std::string>& names,
                            KeyType key_type = KeyType::ec_p256);

}  // namespace tls::pki
