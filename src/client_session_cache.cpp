// tls::ClientSessionCache: sessions per (host, port, SNI, ALPN), least recently used dropped
// first, TLS 1.3 tickets handed out once (RFC 8446 appendix C.4).
#include "tls/client_session_cache.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "client_session_cache_state.hpp"

namespace tls {
namespace detail {

bool is_tls13_session(const Session& session) noexcept {
    const auto* s = static_cast<const SSL_SESSION*>(session.native_handle());
    return s != nullptr && SSL_SESSION_get_protocol_version(s) == TLS1_3_VERSION;
}

bool session_expired(const Session& session, std::chrono::system_clock::time_point now) noexcept {
    std::chrono::seconds lifetime = session.timeout();
    const std::chrono::seconds hint = session.ticket_lifetime_hint();
    if (is_tls13_session(session) && hint.count() > 0) {
        lifetime = std::min(lifetime, hint);
    }
    return now >= session.time() + lifetime;
}

std::string encode_key(const ClientSessionKey& key) {
    std::string out;
    auto field = [&out](const std::string& s) {
        out += std::to_string(s.size());
        out += ':';
        out += s;
    };
    field(key.host);
    field(std::to_string(key.port));
    field(key.server_name);
    for (const std::string& p : key.alpn) {
        field(p);
    }
    return out;
}

ClientSessionCacheState::Entry* ClientSessionCacheState::find_locked(const ClientSessionKey& key,
                                                                     Clock::time_point now) {
    auto it = index.find(encode_key(key));
    if (it == index.end()) {
        return nullptr;
    }
    Entry& entry = *it->second;
    // OpenSSL flags a session "not resumable" when it drops it: a TLS 1.2 session whose ticket
    // another connection just renewed, a TLS 1.3 ticket a connection has used, a connection that
    // failed. Sessions are shared, so that can happen to one filed here at any time; such a
    // session is gone like an expired one (handed out, it made wrap_socket throw).
    entry.sessions.erase(std::remove_if(entry.sessions.begin(), entry.sessions.end(),
                                        [now](const Session& s) {
                                            return session_expired(s, now) || !s.is_resumable();
                                        }),
                         entry.sessions.end());
    if (entry.sessions.empty()) {
        lru.erase(it->second);
        index.erase(it);
        return nullptr;
    }
    return &entry;
}

void ClientSessionCacheState::put_locked(const ClientSessionKey& key, const Session& session,
                                         Clock::time_point now) {
    if (!session.is_resumable() || session_expired(session, now)) {
        return;
    }
    const std::string k = encode_key(key);
    auto it = index.find(k);
    if (it == index.end()) {
        lru.push_front(Entry{key, {}});
        it = index.emplace(k, lru.begin()).first;
        if (lru.size() > max_keys) {
            index.erase(encode_key(lru.back().key));
            lru.pop_back();
        }
    } else {
        lru.splice(lru.begin(), lru, it->second);
    }
    std::deque<Session>& sessions = it->second->sessions;
    // A TLS 1.2 session replaces whatever the key had (the server may have moved to a new one);
    // so does the first TLS 1.3 ticket after a TLS 1.2 session.
    if (!is_tls13_session(session) || (!sessions.empty() && !is_tls13_session(sessions.front()))) {
        sessions.clear();
    }
    sessions.push_front(session);
    if (sessions.size() > ClientSessionCache::kMaxTicketsPerKey) {
        sessions.pop_back();
    }
}

Session ClientSessionCacheState::take_locked(const ClientSessionKey& key, Clock::time_point now) {
    Entry* entry = find_locked(key, now);
    if (entry == nullptr) {
        return Session();
    }
    auto it = index.find(encode_key(key));
    lru.splice(lru.begin(), lru, it->second);
    Session session = entry->sessions.front();
    if (is_tls13_session(session)) {
        entry->sessions.pop_front();
        if (entry->sessions.empty()) {
            lru.erase(it->second);
            index.erase(it);
        }
    }
    return session;
}

}  // namespace detail

ClientSessionCache::ClientSessionCache(std::size_t max_keys) {
    if (max_keys == 0) {
        throw std::invalid_argument("ClientSessionCache: max_keys must be at least 1");
    }
    state_ = std::make_shared<detail::ClientSessionCacheState>(max_keys);
}

ClientSessionCache::~ClientSessionCache() = default;
ClientSessionCache::ClientSessionCache(const ClientSessionCache& other) noexcept = default;
ClientSessionCache& ClientSessionCache::operator=(const ClientSessionCache& other) noexcept =
    default;
// A moved-from handle keeps sharing the cache, so it stays usable (a handle is never empty).
ClientSessionCache::ClientSessionCache(ClientSessionCache&& other) noexcept
    : state_(other.state_) {}  // NOLINT(performance-move-constructor-init): copies on purpose
ClientSessionCache& ClientSessionCache::operator=(ClientSessionCache&& other) noexcept {
    state_ = other.state_;
    return *this;
}

void ClientSessionCache::put(const ClientSessionKey& key, const Session& session) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->put_locked(key, session, std::chrono::system_clock::now());
}

Session ClientSessionCache::take(const ClientSessionKey& key) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->take_locked(key, std::chrono::system_clock::now());
}

std::size_t ClientSessionCache::count(const ClientSessionKey& key) const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    const detail::ClientSessionCacheState::Entry* entry =
        state_->find_locked(key, std::chrono::system_clock::now());
    return entry == nullptr ? 0 : entry->sessions.size();
}

std::size_t ClientSessionCache::size() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->lru.size();
}

std::size_t ClientSessionCache::max_keys() const noexcept {
    return state_->max_keys;
}

void ClientSessionCache::clear() {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->index.clear();
    state_->lru.clear();
}

}  // namespace tls
