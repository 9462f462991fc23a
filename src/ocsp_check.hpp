// Internal: OCSP responses parsed once and the checks both roles share: which single response
// covers a certificate (by CertID), whether a server may staple a response, must-staple.
#pragma once

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>
#include <string_view>

#include "ossl/handles.hpp"
#include "tls/bytes.hpp"

namespace tls::detail {

// A response as given to a server context. Immutable once made: handshakes on several threads
// read one at the same time (OpenSSL's OCSP getters only read), and set_ocsp_response replaces
// the whole object instead of changing it.
struct OcspStaple {
    Bytes der;
    ossl::OcspResponsePtr response;
    ossl::OcspBasicRespPtr basic;  // null unless the response status is "successful"
};

// Parses `der`. @throws SSLError naming `operation` when it is not an OCSP response.
std::shared_ptr<const OcspStaple> parse_ocsp_staple(const Bytes& der, std::string_view operation);

// The issuer of `leaf` among `chain` (borrowed), or nullptr.
X509* find_issuer(STACK_OF(X509) * chain, X509* leaf) noexcept;

// The single response about `leaf`, matched by the whole CertID (issuer name hash, issuer key
// hash, serial) in the hash algorithm the response used; nullptr when none covers it.
OCSP_SINGLERESP* find_single_response(OCSP_BASICRESP* basic, X509* leaf, X509* issuer) noexcept;

// Why a server must not staple `staple` for `leaf`, or nullptr when it may: not "successful",
// not about `leaf`, or expired (its nextUpdate passed). Leaves the error queue empty.
const char* staple_refusal(const OcspStaple& staple, X509* leaf, X509* issuer) noexcept;

// RFC 7633: the certificate's TLS Feature extension lists status_request (must-staple).
bool requires_staple(X509* cert) noexcept;

// Clock skew allowed on a response's thisUpdate / nextUpdate (OCSP_check_validity's nsec).
inline constexpr long kOcspClockSkewSeconds = 300;

// Whether a response's window (thisUpdate, nextUpdate) holds the time `param` verifies at: its
// verify time when one is set (dangerous().verify_at_time), else now, with the skew above.
// Leaves the error queue empty.
bool staple_window_current(const ASN1_GENERALIZEDTIME* this_update,
                           const ASN1_GENERALIZEDTIME* next_update,
                           const X509_VERIFY_PARAM* param) noexcept;

struct ContextState;
// Installs the one status callback (server: stapling; client: the OcspPolicy check) on the
// context's SSL_CTX unless it is there already.
void install_status_callback(ContextState& state);

}  // namespace tls::detail
