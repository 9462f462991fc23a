// What a tls::ClientSessionCache handle shares: the sessions per key in least-recently-used
// order under one mutex, and the door from a handle to it (ClientSessionCacheAccess) for the
// connections that use it and for the file format.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tls/client_session_cache.hpp"
#include "tls/session.hpp"

namespace tls::detail {

struct ClientSessionCacheState {
    struct Entry {
        ClientSessionKey key;
        // Newest first. TLS 1.3: the unused tickets; TLS 1.2: the one session.
        std::deque<Session> sessions;
    };
    using Clock = std::chrono::system_clock;

    explicit ClientSessionCacheState(std::size_t max) : max_keys(max) {}

    // Callers hold `mutex`.
    void put_locked(const ClientSessionKey& key, const Session& session, Clock::time_point now);
    Session take_locked(const ClientSessionKey& key, Clock::time_point now);
    // The key's entry with its expired sessions dropped (and the entry itself when that leaves
    // it empty); nullptr when there is none.
    Entry* find_locked(const ClientSessionKey& key, Clock::time_point now);

    mutable std::mutex mutex;
    const std::size_t max_keys;
    std::list<Entry> lru;  // most recently used first
    std::unordered_map<std::string, std::list<Entry>::iterator> index;
};

// A session is over when its timeout has run out, or for a TLS 1.3 ticket its lifetime
// (RFC 8446 4.6.1) when that is shorter.
bool session_expired(const Session& session, std::chrono::system_clock::time_point now) noexcept;
bool is_tls13_session(const Session& session) noexcept;
// The index key: every field length-prefixed, so ("ab","c") and ("a","bc") differ.
std::string encode_key(const ClientSessionKey& key);

struct ClientSessionCacheAccess {
    static const std::shared_ptr<ClientSessionCacheState>& state(
        const ClientSessionCache& cache) noexcept {
        return cache.state_;
    }
    static ClientSessionCache handle(std::shared_ptr<ClientSessionCacheState> state) noexcept {
        return ClientSessionCache(std::move(state));
    }
};

}  // namespace tls::detail
