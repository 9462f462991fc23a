// Where OpenSSL callbacks find tlsctx's objects: an SSL carries its Engine and an SSL_CTX its
// ContextState in ex_data slots. The slot numbers are allocated once per process and never change.
#pragma once

#include <openssl/ssl.h>

namespace tls::detail {

class Engine;
struct ContextState;

int engine_slot();
int context_slot();
// On a session a server took from its SessionStore (removed in the lookup): OpenSSL's remove
// callback then has nothing left to remove. Holds taken_marker() or nothing.
int session_slot();
void* taken_marker() noexcept;

inline Engine* engine_of(const SSL* ssl) noexcept {
    return static_cast<Engine*>(SSL_get_ex_data(ssl, engine_slot()));
}
inline ContextState* state_of(const SSL_CTX* ctx) noexcept {
    return static_cast<ContextState*>(SSL_CTX_get_ex_data(ctx, context_slot()));
}

}  // namespace tls::detail
