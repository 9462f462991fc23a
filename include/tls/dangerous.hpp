// tlsctx — every setting that weakens a Context, in one place.
//
// Secure defaults are the product; nothing here is reachable by accident. `grep -r dangerous` over
// a code base lists every place that turns verification off, accepts old protocols or lowers the
// security level. Python has these as plain attributes (`check_hostname = False`,
// `verify_mode = CERT_NONE`, `_create_unverified_context()`). Docs: docs/security.md.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "tls/constants.hpp"
#include "tls/context.hpp"
#include "tls/export.hpp"

namespace tls::dangerous {

/// Weakening setters of one Context (from `Context::dangerous()`); each returns *this.
class TLS_API Settings {
  public:
    /// The settings of `context` (what Context::dangerous() returns).
    explicit Settings(Context& context) noexcept : context_(context) {}

    /// Python: `check_hostname = False`. The certificate chain is still verified.
    Settings& set_check_hostname(bool on);
    /// Python: `verify_mode = CERT_NONE` on a client (also turns check_hostname off, as Python
    /// requires that order). Any mode is accepted.
    Settings& set_verify_mode(VerifyMode mode);
    /// Both of the above: the peer is not authenticated at all.
    Settings& disable_verification();
    /// A floor below TLS 1.2 (TLS 1.0/1.1 also need security level 0 on OpenSSL 3).
    Settings& set_minimum_version(TLSVersion version);
    /// Python: the `@SECLEVEL=n` part of a cipher string; any level 0-5.
    Settings& set_security_level(int level);
    /// Python: `verify_flags = ...` without the checks of Context::set_verify_flags: any
    /// X509_V_FLAG_* bits, e.g. without VERIFY_X509_STRICT.
    Settings& set_verify_flags(VerifyFlags flags);
    /// Python: `options = ...` without the checks of Context::set_options.
    Settings& set_options(Options options);
    /// Python: `set_ciphers(...)` even if the string lowers the security level.
    Settings& set_ciphers(std::string_view cipher_string);
    /// Python: `keylog_filename = path`: appends every connection's secrets in the NSS key log
    /// format (SSLKEYLOGFILE), so captures can be decrypted. "" turns it off.
    /// @throws std::system_error if the file cannot be opened.
    Settings& set_keylog_filename(const std::string& path);
    /// Verifies certificates as of `when` instead of the system clock: validity periods in
    /// handshakes (servers and clients alike), CRLs, and the window of an OCSP staple. For
    /// reproducible tests and for devices whose clock is known to be wrong. A time in the past
    /// accepts certificates that have expired since, possibly because their key leaked.
    /// Whole seconds. Context::verify_at_current_time() goes back to the clock. Like the other
    /// settings, made before the context is shared (it is not live-swappable).
    Settings& verify_at_time(std::chrono::system_clock::time_point when);
    /// Context::set_verify_callback, except that the callback's VerifyDecision::accept() is
    /// honoured: a certificate OpenSSL rejected (expired, unknown issuer, wrong name) is then
    /// accepted, and the connection is only as safe as the callback's own checks.
    Settings& set_verify_callback(VerifyCallback callback);

  private:
    Context& context_;
};

/// Python: `ssl._create_unverified_context()`: a client context that neither verifies the chain
/// nor checks the host name. For diagnostics such as fetching a certificate to look at it.
TLS_API Context create_unverified_context();

/// Python: `SSLContext(PROTOCOL_TLSv1)` / `PROTOCOL_TLSv1_1`: pins that version (min = max) at
/// security level 0, which OpenSSL 3 needs to speak them at all. Also accepts the other protocols.
TLS_API Context legacy_protocol_context(Protocol protocol);

}  // namespace tls::dangerous
