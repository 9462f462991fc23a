// tlsctx — tls::MemorySessionStore: a SessionStore inside one process, for a server whose
// contexts (several listeners, or a context replaced on reload) should resume each other's
// sessions, and for tests. A fleet of processes needs a shared store (Redis, memcached).
// Docs: docs/fleet.md.
#pragma once
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

#include "tls/export.hpp"
#include "tls/session_store.hpp"

namespace tls {

/// A bounded, thread-safe in-memory SessionStore. Entries expire after their ttl; when full, a
/// put evicts what expires soonest. Its calls never block on anything but a short lock.
class TLS_API MemorySessionStore final : public SessionStore {
  public:
    /// At most `max_entries` sessions (at least 1).
    explicit MemorySessionStore(std::size_t max_entries = 20000);

    void put(const Bytes& key, const Bytes& value, std::chrono::seconds ttl, Deadline deadline,
             std::error_code& ec) noexcept override;
    Bytes get(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept override;
    void remove(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept override;
    std::string describe() const override;
    /// True: calls only take a mutex held for a map operation.
    bool keeps_deadlines() const noexcept override;
    /// Get and erase under the store's mutex.
    Bytes take(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept override;
    /// True.
    bool can_take() const noexcept override;

    /// Sessions held now (expired ones included until a put or get drops them).
    std::size_t size() const;

  private:
    using Clock = std::chrono::steady_clock;
    // Expiry order, for eviction: expiry -> key.
    using ExpiryIndex = std::multimap<Clock::time_point, Bytes>;
    struct Entry {
        Bytes value;
        ExpiryIndex::iterator expiry;
    };
    void erase_locked(std::map<Bytes, Entry>::iterator entry);
    void evict_locked(Clock::time_point now);

    std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::map<Bytes, Entry> entries_;
    ExpiryIndex by_expiry_;
};

}  // namespace tls
