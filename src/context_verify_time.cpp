// Verification at a chosen time instead of the clock (dangerous().verify_at_time): certificate
// chains in handshakes, both directions, and the validity window of a client's OCSP staple.
// The time lives in OpenSSL's verify parameters, so every path that verifies sees it: the
// context's own (applied to each connection) and the trust store's (which OCSP_basic_verify
// uses for the responder's chain, and reload_verify_locations copies to the store it builds).
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <stdexcept>

#include "context_state.hpp"
#include "context_unchecked.hpp"
#include "tls/context.hpp"
#include "tls/dangerous.hpp"

namespace tls {
namespace {

using SystemClock = std::chrono::system_clock;

// The context's parameters and its current trust store's: the two places a time must go.
template <typename Fn>
void for_both_params(detail::ContextState& state, Fn&& fn) {
    fn(SSL_CTX_get0_param(state.ctx.get()));
    const std::shared_ptr<const detail::TrustSnapshot> live = state.live.trust();
    X509_STORE* store = live ? live->store.get() : SSL_CTX_get_cert_store(state.ctx.get());
    fn(X509_STORE_get0_param(store));
}

}  // namespace

std::optional<SystemClock::time_point> Context::verify_time() const noexcept {
    const X509_VERIFY_PARAM* param = SSL_CTX_get0_param(state_->ctx.get());
    if ((X509_VERIFY_PARAM_get_flags(param) & X509_V_FLAG_USE_CHECK_TIME) == 0) {
        return std::nullopt;
    }
    return SystemClock::from_time_t(X509_VERIFY_PARAM_get_time(param));
}

void Context::verify_at_current_time() {
    for_both_params(*state_, [](X509_VERIFY_PARAM* param) {
        X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_USE_CHECK_TIME);
    });
}

namespace detail::unchecked {

void set_verify_time(ContextState& state, SystemClock::time_point when) {
    // Whole seconds, as certificates state them; rounding down keeps a time inside a window
    // that starts at that second.
    const std::time_t seconds =
        SystemClock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
    for_both_params(state, [seconds](X509_VERIFY_PARAM* param) {
        X509_VERIFY_PARAM_set_time(param, seconds);  // also sets X509_V_FLAG_USE_CHECK_TIME
    });
}

}  // namespace detail::unchecked

namespace dangerous {

Settings& Settings::verify_at_time(std::chrono::system_clock::time_point when) {
    detail::unchecked::set_verify_time(detail::ContextAccess::state(context_), when);
    return *this;
}

}  // namespace dangerous
}  // namespace tls
