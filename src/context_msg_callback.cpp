// The message callback of a tls::Context (Python's private _msg_callback, made public): every
// record and handshake message each connection sends or receives.
#include <openssl/ssl.h>

#include <exception>

#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "tls/context.hpp"

namespace tls {
namespace {

using detail::ContextState;

void msg_trampoline(int write_p, int version, int content_type, const void* buf, size_t len,
                    SSL* ssl, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    if (state == nullptr || !state->msg_callback) {
        return;
    }
    TlsMessage message;
    message.outgoing = write_p != 0;
    message.version = version;
    message.content_type = content_type;
    message.data = static_cast<const unsigned char*>(buf);
    message.size = len;
    if (content_type == SSL3_RT_ALERT && len >= 2) {
        message.alert_level = message.data[0];
        message.alert_description = static_cast<AlertDescription>(message.data[1]);
    }
    try {
        state->msg_callback(message);
    } catch (...) {
        if (detail::Engine* engine = detail::engine_of(ssl)) {
            engine->stash_failure(std::current_exception());
        }
    }
}

}  // namespace

void Context::set_msg_callback(MessageCallback callback) {
    state_->msg_callback = std::move(callback);
    if (state_->msg_callback) {
        SSL_CTX_set_msg_callback(state_->ctx.get(), &msg_trampoline);
        SSL_CTX_set_msg_callback_arg(state_->ctx.get(), state_.get());
    } else {
        SSL_CTX_set_msg_callback(state_->ctx.get(), nullptr);
    }
}

}  // namespace tls
