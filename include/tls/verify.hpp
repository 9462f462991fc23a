// tlsctx — offline certificate chain verification with exactly the checks of a handshake.
// Python: no direct equivalent (the ssl module verifies only inside a handshake); this runs the
// checks a default client context (`create_default_context()`) applies to a server's chain, or
// a server context with CERT_REQUIRED applies to a client's, without a connection. Docs:
// docs/security.md ("Checking a chain offline").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tls/bytes.hpp"
#include "tls/constants.hpp"
#include "tls/export.hpp"
#include "tls/verified_chain_cache.hpp"
#include "tls/verify_profile.hpp"

namespace tls {

/// What to verify and against what. The defaults are a default client context's settings:
/// verify a server certificate (Purpose::SERVER_AUTH), the context's verify flags, no
/// common-name fallback, security level 2 for keys and signatures.
struct VerifyRequest {
    /// Trust anchors: PEM text, each entry holding one or more certificates ("CERTIFICATE" or
    /// "TRUSTED CERTIFICATE" blocks; CRL blocks are loaded too, as load_verify_locations does).
    /// With VERIFY_X509_PARTIAL_CHAIN (default) an intermediate placed here is an anchor too.
    std::vector<std::string> trusted_pem;
    /// Untrusted intermediates the peer sent: PEM text, one or more certificates per entry.
    std::vector<std::string> intermediates_pem;
    /// The peer's certificate (PEM). Further certificates in the same text are added to the
    /// intermediates, as a peer sends them after its certificate.
    std::string leaf_pem;
    /// The expected DNS name (a client's server_hostname). A wildcard matches only a whole
    /// leftmost label. At most one of dns_name and ip_address; both empty = no name check
    /// (a default client refuses to connect without server_hostname; a server checks no
    /// names, so leave both empty to mirror it).
    std::string dns_name;
    /// The expected IP address, v4 or v6 text; matches only IP subjectAltName entries.
    std::string ip_address;
    /// An expected email address, checked as OpenSSL's X509_check_email does: against the
    /// certificate's rfc822Name subjectAltName entries (the subject's emailAddress when there
    /// are none). For client certificates that carry a person's identity; empty = no check.
    std::string email_address;
    /// The time to check validity at; default now.
    std::optional<std::chrono::system_clock::time_point> at_time;
    /// SERVER_AUTH verifies a server certificate (what a client does: serverAuth EKU where an
    /// EKU is present); CLIENT_AUTH a client certificate (what a server with CERT_REQUIRED
    /// does: clientAuth EKU where an EKU is present).
    Purpose purpose = Purpose::SERVER_AUTH;
    /// Most intermediates allowed between the leaf and the trust anchor (OpenSSL's verify
    /// depth: 0 = the leaf must be issued by an anchor). Default: OpenSSL's 100.
    std::optional<int> max_depth;
    /// CRLs (PEM, one or more per entry). When given and `flags` asks for no CRL checking,
    /// VERIFY_CRL_CHECK_LEAF is added: the leaf must then be covered by a CRL from its issuer.
    /// Add VERIFY_CRL_CHECK_CHAIN to `flags` to require CRLs for every CA.
    std::vector<std::string> crls_pem;
    /// A default context's verify flags (Python 3.13's create_default_context()).
    VerifyFlags flags = VerifyFlags::VERIFY_X509_TRUSTED_FIRST | VerifyFlags::VERIFY_X509_STRICT |
                        VerifyFlags::VERIFY_X509_PARTIAL_CHAIN;
    /// Context::hostname_checks_common_name(): match dns_name against the subject CN of a
    /// certificate without DNS subjectAltName entries. Off by default (stricter than Python).
    bool hostname_checks_common_name = false;
    /// The rules beyond OpenSSL's, as Context::set_verify_profile (tls/verify_profile.hpp).
    VerifyProfile profile = VerifyProfile::standard;
    /// Earlier successful verifications to reuse, as Context::set_verified_chain_cache
    /// (tls/verified_chain_cache.hpp); here the trust is identified by the exact text of
    /// trusted_pem and crls_pem. Not used when CRLs are checked.
    std::optional<VerifiedChainCache> chain_cache;
};

/// The outcome. A rejected chain is a result, not an exception.
struct VerifyResult {
    bool ok = false;  ///< the chain verified (and the name matched, when one was given)
    /// OpenSSL's X509_V_ERR_* code; 0 (X509_V_OK) when ok. The same value a handshake's
    /// SSLCertVerificationError::verify_code() carries.
    long verify_code = 0;
    /// OpenSSL's text for verify_code, worded as SSLCertVerificationError::verify_message()
    /// (host and IP mismatches name the expected name), or the broken rule of a profile
    /// ("web-PKI profile: ... (RFC 5280 4.1.2.2)").
    std::string verify_message;
    /// Position in the chain of the certificate that failed (0 = leaf); -1 when ok.
    int error_depth = -1;
    /// The chain as DER, leaf first: the verified chain ending at the trust anchor when ok
    /// (Python 3.13's get_verified_chain()), else as far as it was built.
    std::vector<Bytes> chain;

    /// `ok`.
    explicit operator bool() const noexcept { return ok; }
};

/// Verifies `request.leaf_pem` as a handshake would: OpenSSL's X509_verify_cert with the same
/// parameters a default tlsctx context sets (verify flags, purpose, security level 2, host or IP
/// check inside verification with no partial wildcards and no CN fallback unless asked).
/// Thread-safe: shares no state between calls. Never reads system trust stores.
/// @returns the result; a rejected chain is `ok == false` with verify_code set.
/// @throws std::invalid_argument for misuse: empty leaf_pem, both dns_name and ip_address,
/// a dns_name with NUL or a leading dot (as wrap_socket refuses), an unparsable ip_address, a
/// negative max_depth. @throws SSLError for PEM text that cannot be parsed or holds no
/// certificate (or no CRL in crls_pem).
/// @note Calls X509_STORE_CTX_set_default("ssl_server" / "ssl_client"),
/// X509_VERIFY_PARAM_set_auth_level(2), X509_VERIFY_PARAM_set1_host / set1_ip_asc.
TLS_API VerifyResult verify_certificate_chain(const VerifyRequest& request);

}  // namespace tls
