// tlsctx — what a certificate holds beyond Python's getpeercert() dict: its fingerprints and
// every extension, for tools and logs (`tlsctx decode-cert`). Python has no equivalent. Docs:
// docs/command.md ("decode-cert").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tls/export.hpp"

namespace tls {

/// One X.509 v3 extension as `openssl x509 -text` shows it.
struct CertificateExtension {
    /// OpenSSL's short name: "basicConstraints", "keyUsage", "extendedKeyUsage",
    /// "subjectAltName", "authorityKeyIdentifier", "subjectKeyIdentifier", ...; the dotted OID
    /// for an extension OpenSSL does not know.
    std::string name;
    bool critical = false;  ///< marked critical: a verifier that does not know it must reject
    /// OpenSSL's text for the value ("CA:FALSE", "Digital Signature, Key Encipherment",
    /// "TLS Web Server Authentication"), each line trimmed, lines joined by "\n". The wording is
    /// OpenSSL's and may differ between OpenSSL versions. An extension OpenSSL cannot print
    /// gives its value bytes as colon-separated hex.
    std::string value;
};

/// The fingerprints and extensions of one certificate.
struct CertificateDetails {
    /// SHA-256 of the DER, upper-case hex pairs joined by ':' (the digits `openssl x509
    /// -fingerprint -sha256` prints).
    std::string sha256_fingerprint;
    /// SHA-1 of the DER, in the same format: what older tools and browsers display.
    std::string sha1_fingerprint;
    /// The extensions in certificate order.
    std::vector<CertificateExtension> extensions;
};

/// The fingerprints and extensions of one certificate: DER, or PEM's first CERTIFICATE block,
/// read exactly as decode_certificate() (tls/certificate.hpp) reads its input. Thread-safe.
/// @throws SSLError when the data is not a certificate.
/// @note Calls X509_digest and X509V3_EXT_print.
TLS_API CertificateDetails certificate_details(std::string_view pem_or_der);

}  // namespace tls
