// Context::set_client_session_cache: OpenSSL tells the client about each session and ticket
// through the new-session callback, which files it in the cache (engine_session_cache.cpp).
#include <openssl/ssl.h>

#include <mutex>
#include <stdexcept>

#include "client_session_cache_state.hpp"
#include "context_state.hpp"
#include "engine.hpp"
#include "session_store_binding.hpp"
#include "tls/context.hpp"

namespace tls {

void Context::set_client_session_cache(const ClientSessionCache& cache) {
    if (!state_->can_be_client()) {
        throw std::invalid_argument(
            "set_client_session_cache: a PROTOCOL_TLS_SERVER context makes no client connections");
    }
    SSL_CTX* ctx = state_->ctx.get();
    // NO_INTERNAL_STORE: OpenSSL's own cache is keyed by session id only and never consulted by
    // a client; it would keep every session a second time. A context that also serves
    // (PROTOCOL_TLS) keeps its server cache as it was.
    const long mode = SSL_CTX_get_session_cache_mode(ctx);
    SSL_CTX_set_session_cache_mode(ctx,
                                   state_->protocol == Protocol::PROTOCOL_TLS_CLIENT
                                       ? SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE
                                       : mode | SSL_SESS_CACHE_CLIENT);
    // Shared with a server-side session store on a PROTOCOL_TLS context: the callback sorts
    // sessions by role.
    SSL_CTX_sess_set_new_cb(ctx, &detail::on_new_session);
    std::lock_guard<std::mutex> lock(state_->client_session_cache_mutex);
    state_->client_session_cache = detail::ClientSessionCacheAccess::state(cache);
}

void Context::clear_client_session_cache() noexcept {
    std::lock_guard<std::mutex> lock(state_->client_session_cache_mutex);
    state_->client_session_cache.reset();
}

std::optional<ClientSessionCache> Context::client_session_cache() const {
    std::lock_guard<std::mutex> lock(state_->client_session_cache_mutex);
    if (!state_->client_session_cache) {
        return std::nullopt;
    }
    return detail::ClientSessionCacheAccess::handle(state_->client_session_cache);
}

}  // namespace tls
