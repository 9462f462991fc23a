// The settings of a context written without the policy checks of Context's setters: the one
// layer both sides stand on. A safe setter checks its rule and then calls the function here;
// the weakening setters call it directly. Neither side calls the other, so each rule is written
// once, in the safe setter that enforces it. These still refuse what is invalid (an unknown
// mode, a version OpenSSL does not know, a cipher string that selects nothing).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "context_state.hpp"
#include "tls/constants.hpp"

namespace tls::detail::unchecked {

// context.cpp
void set_options(ContextState& state, Options options);
// Any OpenSSL level, 0 to 5; std::invalid_argument otherwise.
void set_security_level(ContextState& state, int level);

// context_verify.cpp
// Any mode, including CERT_NONE on a client (which leaves check_hostname as it is).
void set_verify_mode(ContextState& state, VerifyMode mode);
// Turning it on also raises CERT_NONE to CERT_REQUIRED, as Python's setter does.
void set_check_hostname(ContextState& state, bool on);
// Any X509_V_FLAG_* bits. A verify time (X509_V_FLAG_USE_CHECK_TIME) is left as it is.
void set_verify_flags(ContextState& state, VerifyFlags flags);

// context_verify_callback.cpp: `may_accept` lets the callback accept what OpenSSL rejected.
void set_verify_callback(ContextState& state, VerifyCallback callback, bool may_accept);

// context_verify_time.cpp: verify as of `when` (the context's and its trust store's parameters).
void set_verify_time(ContextState& state, std::chrono::system_clock::time_point when);

// context_versions.cpp (fixed-version contexts refuse both, as in Python)
void set_minimum_version(ContextState& state, TLSVersion version);
void set_maximum_version(ContextState& state, TLSVersion version);

// context_ciphers.cpp: any cipher string that selects at least one suite, whatever security
// level its @SECLEVEL sets. Restores the previous list when it throws.
void set_ciphers(ContextState& state, std::string_view cipher_string);

// context_keylog.cpp: appends every connection's secrets to `path`; "" turns logging off.
void set_keylog_filename(ContextState& state, const std::string& path);

}  // namespace tls::detail::unchecked
