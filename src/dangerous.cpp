// Every path that weakens a tls::Context: dangerous::Settings, create_unverified_context,
// legacy_protocol_context, key logging from SSLKEYLOGFILE, and the refusals that point the safe
// setters' callers here. What makes these safe to have is that they can only be reached by a name
// that says what they do; each writes through the same unchecked layer as the safe setters.
#include "tls/dangerous.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "context_state.hpp"
#include "context_unchecked.hpp"
#include "context_versions.hpp"
#include "weakening.hpp"

namespace tls {
namespace dangerous {
namespace {

detail::ContextState& state_of(Context& context) noexcept {
    return detail::ContextAccess::state(context);
}

}  // namespace

Settings& Settings::set_check_hostname(bool on) {
    detail::unchecked::set_check_hostname(state_of(context_), on);
    return *this;
}

Settings& Settings::set_verify_mode(VerifyMode mode) {
    if (mode == VerifyMode::CERT_NONE) {
        // Python refuses CERT_NONE while check_hostname is on; asking for CERT_NONE by this
        // name means both.
        detail::unchecked::set_check_hostname(state_of(context_), false);
    }
    detail::unchecked::set_verify_mode(state_of(context_), mode);
    return *this;
}

Settings& Settings::disable_verification() {
    return set_verify_mode(VerifyMode::CERT_NONE);
}

Settings& Settings::set_minimum_version(TLSVersion version) {
    detail::unchecked::set_minimum_version(state_of(context_), version);
    return *this;
}

Settings& Settings::set_security_level(int level) {
    detail::unchecked::set_security_level(state_of(context_), level);
    return *this;
}

Settings& Settings::set_verify_flags(VerifyFlags flags) {
    detail::unchecked::set_verify_flags(state_of(context_), flags);
    return *this;
}

Settings& Settings::set_options(Options options) {
    detail::unchecked::set_options(state_of(context_), options);
    return *this;
}

Settings& Settings::set_ciphers(std::string_view cipher_string) {
    detail::unchecked::set_ciphers(state_of(context_), cipher_string);
    return *this;
}

Settings& Settings::set_keylog_filename(const std::string& path) {
    detail::unchecked::set_keylog_filename(state_of(context_), path);
    return *this;
}

Context create_unverified_context() {
    Context ctx(Protocol::PROTOCOL_TLS_CLIENT);
    ctx.dangerous().disable_verification();
    detail::honour_sslkeylogfile(ctx);
    return ctx;
}

Context legacy_protocol_context(Protocol protocol) {
    std::optional<TLSVersion> pinned = detail::pinned_version(protocol);
    if (!pinned || !detail::below_protocol_floor(*pinned)) {
        return Context(protocol);
    }
    // Context(protocol) refuses these; the state itself pins min = max to the version.
    std::shared_ptr<detail::ContextState> state = detail::make_context_state(protocol);
    // TLS 1.0/1.1 sign the handshake with MD5+SHA-1, which OpenSSL 3 refuses above level 0.
    detail::unchecked::set_security_level(*state, 0);
    detail::unchecked::set_ciphers(*state, "DEFAULT:@SECLEVEL=0");
    return detail::ContextAccess::handle(std::move(state));
}

}  // namespace dangerous

namespace detail {

void refuse_weakening(std::string_view setter, std::string_view why, std::string_view arguments) {
    std::string message(setter);
    message.append(": ").append(why).append("; use ctx.dangerous().");
    message.append(setter).append("(").append(arguments).append(")");
    throw std::invalid_argument(message);
}

void refuse_legacy_protocol() {
    throw std::invalid_argument(
        "Context: TLS 1.0 and 1.1 are insecure; use "
        "tls::dangerous::legacy_protocol_context(...) to create such a context");
}

void honour_sslkeylogfile(Context& context) {
    const char* path = std::getenv("SSLKEYLOGFILE");
    if (path != nullptr && *path != '\0') {
        unchecked::set_keylog_filename(ContextAccess::state(context), path);
    }
}

}  // namespace detail
}  // namespace tls
