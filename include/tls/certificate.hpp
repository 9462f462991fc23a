// tlsctx — decoded certificates in the shape of Python's `SSLSocket.getpeercert()`.
// Python: the dict returned by getpeercert() and ssl._ssl._test_decode_cert(). Docs:
// docs/python-mapping.md ("getpeercert").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tls/bytes.hpp"
#include "tls/export.hpp"

namespace tls {

/// One attribute of a distinguished name: (long OpenSSL name or dotted OID, UTF-8 value),
/// e.g. ("commonName", "example.com").
using NameAttribute = std::pair<std::string, std::string>;
/// One relative distinguished name: usually a single attribute.
using RelativeDistinguishedName = std::vector<NameAttribute>;
/// A distinguished name, RDN by RDN in certificate order (Python's tuple of tuples of pairs).
using DistinguishedName = std::vector<RelativeDistinguishedName>;

/// One subjectAltName entry. `type` is Python's spelling: "DNS", "IP Address", "email", "URI",
/// "DirName", "othername", "Registered ID", "X400Name", "EdiPartyName". For "DirName" the value
/// is in `directory_name` and `value` is empty; otherwise `value` holds the text Python shows.
struct GeneralName {
    std::string type;                  ///< Python's spelling of the name's kind
    std::string value;                 ///< the text Python shows (empty for "DirName")
    DistinguishedName directory_name;  ///< only for "DirName"

    /// Field by field.
    friend bool operator==(const GeneralName& a, const GeneralName& b) {
        return a.type == b.type && a.value == b.value && a.directory_name == b.directory_name;
    }
};

/// The decoded certificate. Python's dict has a key only when the certificate has the data; the
/// same holds here for the optional/empty members (`subject_alt_name`, `ocsp`, `ca_issuers`,
/// `crl_distribution_points` are omitted from Python's dict when empty).
struct CertificateInfo {
    DistinguishedName subject;  ///< Python's `subject`: RDNs of (name, value) pairs
    DistinguishedName issuer;   ///< Python's `issuer`
    int version = 0;            ///< 3 for an X.509 v3 certificate
    std::string serial_number;  ///< upper-case hex, Python's `serialNumber`
    std::string not_before;     ///< "Sep  9 12:00:00 2016 GMT", Python's `notBefore`
    std::string not_after;      ///< Python's `notAfter`
    std::vector<GeneralName> subject_alt_name;         ///< Python's `subjectAltName`
    std::vector<std::string> ocsp;                     ///< Python's `OCSP`
    std::vector<std::string> ca_issuers;               ///< Python's `caIssuers`
    std::vector<std::string> crl_distribution_points;  ///< Python's `crlDistributionPoints`

    /// Python returns `{}` for a peer certificate that was not verified (CERT_NONE). That empty
    /// dict is represented by `empty() == true`: no field is filled in.
    bool empty() const noexcept {
        return subject.empty() && issuer.empty() && version == 0 && serial_number.empty();
    }

    /// Field by field (Python's dict equality).
    friend bool operator==(const CertificateInfo& a, const CertificateInfo& b) {
        return a.subject == b.subject && a.issuer == b.issuer && a.version == b.version &&
               a.serial_number == b.serial_number && a.not_before == b.not_before &&
               a.not_after == b.not_after && a.subject_alt_name == b.subject_alt_name &&
               a.ocsp == b.ocsp && a.ca_issuers == b.ca_issuers &&
               a.crl_distribution_points == b.crl_distribution_points;
    }
    /// The opposite of operator==.
    friend bool operator!=(const CertificateInfo& a, const CertificateInfo& b) { return !(a == b); }
};

/// Decodes one certificate (PEM or DER, detected) into Python's getpeercert() shape, exactly as
/// Python's `ssl._ssl._test_decode_cert` does.
/// @throws SSLError when the data is not a certificate.
TLS_API CertificateInfo decode_certificate(std::string_view pem_or_der);
/// The same for a file. @throws std::system_error (errno) when it cannot be read, SSLError when
/// it holds no certificate.
TLS_API CertificateInfo decode_certificate_file(const std::string& path);

/// Python's `ssl.DER_cert_to_PEM_cert`: wraps DER in a PEM block (64-column base64).
TLS_API std::string DER_cert_to_PEM_cert(const Bytes& der);
/// Python's `ssl.PEM_cert_to_DER_cert`: the DER inside a PEM certificate block.
/// @throws std::invalid_argument when the text does not start with the PEM header and end with the
/// footer (Python raises ValueError).
TLS_API Bytes PEM_cert_to_DER_cert(std::string_view pem);
/// Python's `ssl.cert_time_to_seconds`: "Jan  5 09:34:43 2018 GMT" to seconds since the epoch.
/// @throws std::invalid_argument for any other format.
TLS_API std::int64_t cert_time_to_seconds(std::string_view cert_time);

/// Python's `ssl.PEM_HEADER` / `ssl.PEM_FOOTER`.
inline constexpr std::string_view PEM_HEADER = "-----BEGIN CERTIFICATE-----";
inline constexpr std::string_view PEM_FOOTER = "-----END CERTIFICATE-----";

}  // namespace tls
