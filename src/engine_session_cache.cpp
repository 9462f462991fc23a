// A client connection's side of the ClientSessionCache: the key its sessions are filed under,
// the session it offers, and the sessions and tickets it receives.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <mutex>
#include <string>

#include "client_session_cache_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "session_access.hpp"

namespace tls::detail {
namespace {

std::vector<std::string> alpn_list(const std::vector<unsigned char>& wire) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < wire.size();) {
        const std::size_t n = wire[i];
        if (i + 1 + n > wire.size()) {
            break;
        }
        out.emplace_back(wire.begin() + static_cast<std::ptrdiff_t>(i + 1),
                         wire.begin() + static_cast<std::ptrdiff_t>(i + 1 + n));
        i += 1 + n;
    }
    return out;
}

}  // namespace

int remember_new_session(SSL* ssl, SSL_SESSION* session) {
    if (Engine* engine = engine_of(ssl)) {
        engine->remember_session(session);
    }
    return 0;
}

void Engine::use_session_cache(std::uint16_t port, bool offer_cached) {
    if (server_side_ || server_hostname_.empty() || port == 0) {
        return;
    }
    std::shared_ptr<ClientSessionCacheState> cache;
    {
        std::lock_guard<std::mutex> lock(context_->client_session_cache_mutex);
        cache = context_->client_session_cache;
    }
    // A resumed handshake skips certificate verification: only sessions whose server was
    // verified, by name, may be filed or offered.
    const bool verifies =
        (SSL_get_verify_mode(ssl_.get()) & SSL_VERIFY_PEER) != 0 && context_->check_hostname;
    if (!cache || !verifies) {
        return;
    }
    ClientSessionKey key;
    key.host = server_hostname_;
    key.port = port;
    key.server_name = server_name().value_or("");
    key.alpn = alpn_list(context_->alpn_wire);
    if (offer_cached) {
        Session session;
        {
            std::lock_guard<std::mutex> lock(cache->mutex);
            session = cache->take_locked(key, std::chrono::system_clock::now());
        }
        // The cache checked the session under its lock, but another thread's connection may
        // flag it unresumable since (see find_locked). A cache may cost a connection its
        // resumption, never the connection: set_session would throw for such a session, so it
        // is not offered; OpenSSL falls back to a full handshake by itself if the flag comes
        // after this check. SSL_set_session takes a reference of its own.
        if (session.is_resumable() &&
            SSL_set_session(ssl_.get(), static_cast<SSL_SESSION*>(session.native_handle())) != 1) {
            ERR_clear_error();  // not offered: a full handshake
        }
    }
    session_cache_key_ = std::move(key);
    session_cache_ = std::move(cache);
}

void Engine::remember_session(SSL_SESSION* session) noexcept {
    if (!session_cache_ || SSL_get_verify_result(ssl_.get()) != X509_V_OK) {
        return;
    }
    try {
        const Session s = SessionAccess::adopt(ossl::up_ref(session));
        std::lock_guard<std::mutex> lock(session_cache_->mutex);
        session_cache_->put_locked(session_cache_key_, s, std::chrono::system_clock::now());
    } catch (...) {
        // Out of memory: this session is not cached, the connection is unaffected.
    }
}

}  // namespace tls::detail
