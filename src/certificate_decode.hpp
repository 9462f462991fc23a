// Internal: turns an X509 into Python's getpeercert() shape. Socket::getpeercert() and
// tls::decode_certificate() share it so the two can never disagree.
#pragma once

#include <openssl/x509.h>

#include "tls/certificate.hpp"

namespace tls::detail {

/// Decodes `cert` (borrowed, not null) exactly as CPython's `_decode_certificate` does.
/// @throws SSLError when a name attribute cannot be converted to UTF-8 (Python raises the same),
/// std::invalid_argument for a subjectAltName OpenSSL prints without a "type:" prefix (Python's
/// ValueError). Leaves the thread's OpenSSL error queue empty.
CertificateInfo decode_x509(const X509* cert);

}  // namespace tls::detail
