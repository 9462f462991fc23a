// tlsctx — OCSP stapling (RFC 6066 section 8, RFC 6960, RFC 7633): the client's policy for the
// server's staple and the decoded response, in getpeercert()'s spirit. Python's ssl has no OCSP
// API; this is a tlsctx addition. The Context members that staple (server) and check (client)
// live in tls/context.hpp. Docs: docs/server.md, section "OCSP stapling".
#pragma once

#include <optional>
#include <string>

#include "tls/bytes.hpp"
#include "tls/export.hpp"

namespace tls {

/// How a client treats the server's OCSP staple (Context::set_ocsp_policy).
enum class OcspPolicy : int {
    /// Ask for no staple and check none: Python's behaviour, and the default. A must-staple
    /// certificate is not honoured either (nothing was asked for).
    off = 0,
    /// Ask for a staple; check it when the server sends one. A missing staple fails only for a
    /// certificate that carries the TLS Feature extension with status_request (must-staple).
    check_if_present = 1,
    /// Ask for a staple; a handshake without a valid one fails.
    require = 2,
};

/// A decoded OCSP response (RFC 6960). Times are spelled as getpeercert() spells certificate
/// dates ("Jun  1 12:00:00 2027 GMT"); names as strings.
struct OcspResponseInfo {
    /// "successful", "malformedRequest", "internalError", "tryLater", "sigRequired",
    /// "unauthorized". The fields below are empty unless it is "successful".
    std::string response_status;
    /// The status of the first certificate the response covers: "good", "revoked" or "unknown".
    std::string cert_status;
    std::optional<std::string> revocation_time;    ///< for "revoked"
    std::optional<std::string> revocation_reason;  ///< "keyCompromise", ... when given
    /// The response's times, as OpenSSL prints them ("Sep  9 12:00:00 2026 GMT"); next_update
    /// is absent when the responder gave none.
    /// @{
    std::string produced_at;
    std::string this_update;
    std::optional<std::string> next_update;
    /// @}
    /// The responder: its subject on one line ("CN=ocsp,O=Example") or "keyHash:<hex>".
    std::string responder_id;
    /// Serial number of the certificate the status is for, upper-case hex as in getpeercert().
    std::string serial_number;
    /// The whole response, DER.
    Bytes der;
};

/// Decodes a DER OCSP response (what `openssl ocsp -respout` writes and servers staple). The
/// signature is not checked here: a client context does that in the handshake.
/// @throws SSLError when `der` is not an OCSP response.
TLS_API OcspResponseInfo decode_ocsp_response(const Bytes& der);

/// What a server's OCSP callback is told about the handshake that asks for a staple.
struct OcspRequestInfo {
    /// The SNI name the client sent, if any.
    std::optional<std::string> server_name;
    /// The certificate chosen for this handshake (DER): the staple must cover it.
    Bytes certificate_der;
    /// Its serial number, as in getpeercert().
    std::string serial_number;
};

}  // namespace tls
