// How a tls::Context verifies its peer: verify mode, host-name checking, verification flags and
// TLS 1.3 post-handshake authentication, with Python's coupling rules between them. (What it
// trusts is in context_trust.cpp.)
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <stdexcept>

#include "context_state.hpp"
#include "context_unchecked.hpp"
#include "tls/context.hpp"
#include "verified_chain_cache_state.hpp"
#include "verify_policy.hpp"
#include "weakening.hpp"

namespace tls {

VerifyMode Context::verify_mode() const noexcept {
    int mode = SSL_CTX_get_verify_mode(state_->ctx.get());
    if ((mode & SSL_VERIFY_PEER) == 0) {
        return VerifyMode::CERT_NONE;
    }
    return (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) != 0 ? VerifyMode::CERT_REQUIRED
                                                         : VerifyMode::CERT_OPTIONAL;
}

void Context::set_verify_mode(VerifyMode mode) {
    // On a server CERT_NONE only means "ask for no client certificate".
    if (mode == VerifyMode::CERT_NONE && state_->can_be_client()) {
        detail::refuse_weakening("set_verify_mode",
                                 "CERT_NONE on a client context disables certificate verification",
                                 "tls::CERT_NONE");
    }
    detail::unchecked::set_verify_mode(*state_, mode);
}

VerifyProfile Context::verify_profile() const noexcept {
    return state_->verify_profile;
}

void Context::set_verify_profile(VerifyProfile profile) {
    if (profile != VerifyProfile::standard && profile != VerifyProfile::web_pki) {
        throw std::invalid_argument("set_verify_profile: not a tls::VerifyProfile value");
    }
    state_->verify_profile = profile;
    SSL_CTX_set_cert_verify_callback(state_->ctx.get(), &detail::verify_cert_with_policy,
                                     detail::profile_argument(profile));
}

void Context::set_verified_chain_cache(const VerifiedChainCache& cache) {
    state_->verified_chain_cache = detail::VerifiedChainCacheAccess::state(cache);
}

void Context::clear_verified_chain_cache() noexcept {
    state_->verified_chain_cache.reset();
}

std::optional<VerifiedChainCache> Context::verified_chain_cache() const {
    if (!state_->verified_chain_cache) {
        return std::nullopt;
    }
    return detail::VerifiedChainCacheAccess::handle(state_->verified_chain_cache);
}

bool Context::check_hostname() const noexcept {
    return state_->check_hostname;
}

void Context::set_check_hostname(bool on) {
    if (!on && state_->can_be_client()) {
        detail::refuse_weakening("set_check_hostname",
                                 "turning host name checking off on a client context", "false");
    }
    detail::unchecked::set_check_hostname(*state_, on);
}

bool Context::hostname_checks_common_name() const noexcept {
    return state_->hostname_checks_common_name;
}

void Context::set_hostname_checks_common_name(bool on) {
    state_->hostname_checks_common_name = on;
}

VerifyFlags Context::verify_flags() const noexcept {
    // A verify time is its own setting (verify_time()), not one of Python's flags.
    return static_cast<VerifyFlags>(
        X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(state_->ctx.get())) &
        ~static_cast<unsigned long>(X509_V_FLAG_USE_CHECK_TIME));
}

void Context::set_verify_flags(VerifyFlags flags) {
    const VerifyFlags named =
        VerifyFlags::VERIFY_CRL_CHECK_CHAIN | VerifyFlags::VERIFY_X509_STRICT |
        VerifyFlags::VERIFY_ALLOW_PROXY_CERTS | VerifyFlags::VERIFY_X509_TRUSTED_FIRST |
        VerifyFlags::VERIFY_X509_PARTIAL_CHAIN;
    const bool unnamed_bits = (flags & ~named) != VerifyFlags::VERIFY_DEFAULT;
    const bool drops_strict = has(verify_flags(), VerifyFlags::VERIFY_X509_STRICT) &&
                              !has(flags, VerifyFlags::VERIFY_X509_STRICT);
    if (unnamed_bits || drops_strict) {
        // OpenSSL's other flags include "ignore critical extensions" and "no time check".
        detail::refuse_weakening("set_verify_flags",
                                 "clearing VERIFY_X509_STRICT or setting flags tlsctx does not "
                                 "name weakens verification");
    }
    detail::unchecked::set_verify_flags(*state_, flags);
}

bool Context::post_handshake_auth() const noexcept {
    return state_->post_handshake_auth;
}

void Context::set_post_handshake_auth(bool on) {
    state_->post_handshake_auth = on;
    SSL_CTX* ctx = state_->ctx.get();
    // Clients advertise the extension; servers that verify clients then ask after the
    // handshake instead of during it (SSL_VERIFY_POST_HANDSHAKE).
    SSL_CTX_set_post_handshake_auth(ctx, on ? 1 : 0);
    int mode = SSL_CTX_get_verify_mode(ctx);
    if ((mode & SSL_VERIFY_PEER) != 0) {
        mode = on ? (mode | SSL_VERIFY_POST_HANDSHAKE) : (mode & ~SSL_VERIFY_POST_HANDSHAKE);
        SSL_CTX_set_verify(ctx, mode, SSL_CTX_get_verify_callback(ctx));
    }
}

namespace detail::unchecked {

void set_verify_mode(ContextState& state, VerifyMode mode) {
    const int post_handshake = state.post_handshake_auth ? SSL_VERIFY_POST_HANDSHAKE : 0;
    int flags = SSL_VERIFY_NONE;
    switch (mode) {
        case VerifyMode::CERT_NONE:
            flags = SSL_VERIFY_NONE;
            break;
        case VerifyMode::CERT_OPTIONAL:
            flags = SSL_VERIFY_PEER | post_handshake;
            break;
        case VerifyMode::CERT_REQUIRED:
            flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | post_handshake;
            break;
        default:
            throw std::invalid_argument("set_verify_mode: invalid value for verify_mode");
    }
    // The verify callback (context_verify_callback.cpp) stays whatever the mode.
    SSL_CTX_set_verify(state.ctx.get(), flags, SSL_CTX_get_verify_callback(state.ctx.get()));
}

void set_check_hostname(ContextState& state, bool on) {
    if (on && (SSL_CTX_get_verify_mode(state.ctx.get()) & SSL_VERIFY_PEER) == 0) {
        set_verify_mode(state, VerifyMode::CERT_REQUIRED);
    }
    state.check_hostname = on;
}

void set_verify_flags(ContextState& state, VerifyFlags flags) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(state.ctx.get());
    const unsigned long current = X509_VERIFY_PARAM_get_flags(param) &
                                  ~static_cast<unsigned long>(X509_V_FLAG_USE_CHECK_TIME);
    const auto wanted =
        static_cast<unsigned long>(flags) & ~static_cast<unsigned long>(X509_V_FLAG_USE_CHECK_TIME);
    X509_VERIFY_PARAM_clear_flags(param, current & ~wanted);
    X509_VERIFY_PARAM_set_flags(param, wanted & ~current);
}

}  // namespace detail::unchecked
}  // namespace tls
