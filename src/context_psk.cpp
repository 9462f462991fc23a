// TLS-PSK on a tls::Context (Python 3.13's set_psk_client_callback / set_psk_server_callback):
// the callbacks and the OpenSSL trampolines that call them.
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "ossl/error.hpp"
#include "tls/context.hpp"

namespace tls {
namespace {

using detail::ContextState;

// The PSK callbacks find the context through the SSL, since OpenSSL passes no argument.
unsigned int psk_client_trampoline(SSL* ssl, const char* hint, char* identity,
                                   unsigned int max_identity_len, unsigned char* psk,
                                   unsigned int max_psk_len) noexcept {
    ContextState* state = detail::state_of(SSL_get_SSL_CTX(ssl));
    detail::Engine* engine = detail::engine_of(ssl);
    if (state == nullptr || !state->psk_client_callback) {
        return 0;
    }
    try {
        PskClientIdentity answer = state->psk_client_callback(
            hint != nullptr ? std::optional<std::string>(hint) : std::nullopt);
        const std::string id = answer.identity.value_or("");
        // The identity is written NUL-terminated into OpenSSL's buffer.
        if (answer.psk.empty() || answer.psk.size() > max_psk_len ||
            id.size() + 1 > max_identity_len) {
            OPENSSL_cleanse(answer.psk.data(), answer.psk.size());
            return 0;
        }
        std::memcpy(identity, id.c_str(), id.size() + 1);
        std::memcpy(psk, answer.psk.data(), answer.psk.size());
        OPENSSL_cleanse(answer.psk.data(), answer.psk.size());
        return static_cast<unsigned int>(answer.psk.size());
    } catch (...) {
        if (engine != nullptr) {
            engine->stash_failure(std::current_exception());
        }
        return 0;
    }
}

unsigned int psk_server_trampoline(SSL* ssl, const char* identity, unsigned char* psk,
                                   unsigned int max_psk_len) noexcept {
    ContextState* state = detail::state_of(SSL_get_SSL_CTX(ssl));
    detail::Engine* engine = detail::engine_of(ssl);
    if (state == nullptr || !state->psk_server_callback) {
        return 0;
    }
    try {
        Bytes key = state->psk_server_callback(
            identity != nullptr ? std::optional<std::string>(identity) : std::nullopt);
        if (key.empty() || key.size() > max_psk_len) {
            OPENSSL_cleanse(key.data(), key.size());
            return 0;
        }
        std::memcpy(psk, key.data(), key.size());
        OPENSSL_cleanse(key.data(), key.size());
        return static_cast<unsigned int>(key.size());
    } catch (...) {
        if (engine != nullptr) {
            engine->stash_failure(std::current_exception());
        }
        return 0;
    }
}

}  // namespace

void Context::set_psk_client_callback(PskClientCallback callback) {
    if (state_->protocol == Protocol::PROTOCOL_TLS_SERVER) {
        throw std::invalid_argument("set_psk_client_callback: not for a server context");
    }
    state_->psk_client_callback = std::move(callback);
    SSL_CTX_set_psk_client_callback(state_->ctx.get(),
                                    state_->psk_client_callback ? &psk_client_trampoline : nullptr);
}

void Context::set_psk_server_callback(PskServerCallback callback,
                                      const std::string& identity_hint) {
    if (state_->protocol == Protocol::PROTOCOL_TLS_CLIENT) {
        throw std::invalid_argument("set_psk_server_callback: not for a client context");
    }
    state_->psk_server_callback = std::move(callback);
    SSL_CTX_set_psk_server_callback(state_->ctx.get(),
                                    state_->psk_server_callback ? &psk_server_trampoline : nullptr);
    if (SSL_CTX_use_psk_identity_hint(
            state_->ctx.get(), identity_hint.empty() ? nullptr : identity_hint.c_str()) != 1) {
        ossl::throw_error("set_psk_server_callback", "cannot set the identity hint");
    }
}

}  // namespace tls
