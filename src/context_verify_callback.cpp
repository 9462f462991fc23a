// The verify callback of a tls::Context (tls/verify_callback.hpp): OpenSSL's per-certificate
// verify callback, which X509_verify_cert calls inside tlsctx's own verification
// (verify_cert_with_policy), so the application sees every certificate with OpenSSL's verdict.
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <exception>
#include <utility>

#include "certificate_decode.hpp"
#include "context_state.hpp"
#include "context_unchecked.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "ossl/der.hpp"
#include "tls/context.hpp"
#include "tls/dangerous.hpp"

namespace tls {
namespace {

CertificateCheck describe(int preverify_ok, X509_STORE_CTX* store_ctx) {
    CertificateCheck check;
    check.depth = X509_STORE_CTX_get_error_depth(store_ctx);
    check.preverified = preverify_ok == 1;
    if (!check.preverified) {
        check.verify_code = X509_STORE_CTX_get_error(store_ctx);
    }
    check.verify_message = X509_verify_cert_error_string(check.verify_code);
    if (const X509* cert = X509_STORE_CTX_get_current_cert(store_ctx)) {
        check.certificate = detail::decode_x509(cert);
        check.der = ossl::to_der(i2d_X509, cert, "verify callback");
    }
    return check;
}

// Returns what X509_verify_cert is to make of this certificate: nonzero goes on.
int verify_trampoline(int preverify_ok, X509_STORE_CTX* store_ctx) noexcept {
    auto* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
    detail::ContextState* state = ssl ? detail::state_of(SSL_get_SSL_CTX(ssl)) : nullptr;
    if (state == nullptr || !state->verify_callback) {
        return preverify_ok;
    }
    detail::Engine* engine = detail::engine_of(ssl);
    try {
        const VerifyDecision decision = state->verify_callback(describe(preverify_ok, store_ctx));
        switch (decision.kind()) {
            case VerifyDecision::Kind::reject:
                if (preverify_ok == 1) {
                    // OpenSSL's own rejection, when there is one, says more than "application".
                    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
                    if (engine != nullptr) {
                        engine->note_verify_refusal(decision.reason());
                    }
                }
                return 0;
            case VerifyDecision::Kind::accept:
                // OpenSSL's error stays recorded (get_verify_result() still names it): the chain
                // was accepted, not found valid.
                return state->verify_callback_may_accept ? 1 : preverify_ok;
            case VerifyDecision::Kind::keep:
                break;
        }
        return preverify_ok;
    } catch (...) {
        if (engine != nullptr) {
            engine->stash_failure(std::current_exception());
        }
        X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0;
    }
}

}  // namespace

void Context::set_verify_callback(VerifyCallback callback) {
    detail::unchecked::set_verify_callback(*state_, std::move(callback), false);
}

namespace dangerous {

Settings& Settings::set_verify_callback(VerifyCallback callback) {
    detail::unchecked::set_verify_callback(detail::ContextAccess::state(context_),
                                           std::move(callback), true);
    return *this;
}

}  // namespace dangerous

namespace detail::unchecked {

void set_verify_callback(ContextState& state, VerifyCallback callback, bool may_accept) {
    SSL_CTX* ctx = state.ctx.get();
    const bool on = static_cast<bool>(callback);
    state.verify_callback = std::move(callback);
    state.verify_callback_may_accept = on && may_accept;
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), on ? &verify_trampoline : nullptr);
}

}  // namespace detail::unchecked
}  // namespace tls
