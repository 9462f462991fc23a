// SNI on a tls::Context's servers: the sni_callback, the OpenSSL trampoline that calls it on the
// ClientHello, and what the callback's ServerNameRequest can do (switch the connection's context).
#include <openssl/ssl.h>

#include <exception>
#include <optional>
#include <string>

#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "tls/context.hpp"

namespace tls {

// The one way to build a ServerNameRequest: its constructor takes the Engine as void* and is
// private so user code can never hand it a stray pointer.
struct detail::ServerNameRequestAccess {
    static ServerNameRequest make(detail::Engine* engine, const char* name) {
        return {engine, name != nullptr ? std::optional<std::string>(name) : std::nullopt};
    }
};

namespace {

using detail::ContextState;

// What the server's error says when its callback refused a name, instead of OpenSSL's bare
// CALLBACK_FAILED: the name and the alert the client was sent.
std::string describe_refusal(const char* name, int alert) {
    std::string what = name != nullptr
                           ? "the SNI callback refused server name '" + std::string(name) + "'"
                           : std::string("the SNI callback refused a ClientHello without a name");
    return what + " with alert " + std::to_string(alert) + " (" +
           SSL_alert_desc_string_long(alert) + ")";
}

// Called on the ClientHello by the context the connection was made with.
int sni_trampoline(SSL* ssl, int* alert, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    detail::Engine* engine = detail::engine_of(ssl);
    if (engine == nullptr || !state->sni_callback) {
        return SSL_TLSEXT_ERR_OK;
    }
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    try {
        ServerNameRequest request = detail::ServerNameRequestAccess::make(engine, name);
        std::optional<AlertDescription> refusal = state->sni_callback(request);
        if (refusal) {
            *alert = static_cast<int>(*refusal);
            engine->note_callback_refusal(describe_refusal(name, *alert));
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        return SSL_TLSEXT_ERR_OK;
    } catch (...) {
        engine->stash_failure(std::current_exception());
        *alert = SSL_AD_INTERNAL_ERROR;
        try {
            engine->note_callback_refusal("the SNI callback threw an exception for " +
                                          (name != nullptr
                                               ? "server name '" + std::string(name) + "'"
                                               : std::string("a ClientHello without a name")));
        } catch (...) {
            // Out of memory: the error keeps the generic message.
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
}

detail::Engine& engine_from(void* p) {
    return *static_cast<detail::Engine*>(p);
}

}  // namespace

Context ServerNameRequest::context() const {
    return detail::ContextAccess::handle(engine_from(engine_).context());
}

void ServerNameRequest::set_context(const Context& other) {
    engine_from(engine_).switch_context(detail::ContextAccess::shared_state(other));
}

void Context::set_sni_callback(SniCallback callback) {
    state_->sni_callback = std::move(callback);
    if (state_->sni_callback) {
        SSL_CTX_set_tlsext_servername_callback(state_->ctx.get(), &sni_trampoline);
        SSL_CTX_set_tlsext_servername_arg(state_->ctx.get(), state_.get());
    } else {
        SSL_CTX_set_tlsext_servername_callback(state_->ctx.get(), nullptr);
    }
}

}  // namespace tls
