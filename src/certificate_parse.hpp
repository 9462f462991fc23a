// Internal: reading one certificate from PEM or DER text, shared by decode_certificate() and
// certificate_details() so both accept exactly the same input.
#pragma once

#include <string_view>

#include "ossl/handles.hpp"

namespace tls::detail {

/// Parses DER, or PEM's first CERTIFICATE block (text around it is skipped, as Python's
/// _test_decode_cert skips it). @throws SSLError when the data is not a certificate.
ossl::X509Ptr parse_certificate_text(std::string_view pem_or_der);

}  // namespace tls::detail
