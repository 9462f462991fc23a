// tls::MemorySessionStore: a map of sealed sessions plus an expiry index, under one mutex. The
// values are already sealed by the server, so this stores opaque bytes.
#include "tls/memory_session_store.hpp"

#include <algorithm>
#include <new>
#include <utility>

namespace tls {

MemorySessionStore::MemorySessionStore(std::size_t max_entries)
    : max_entries_(std::max<std::size_t>(max_entries, 1)) {}

void MemorySessionStore::erase_locked(std::map<Bytes, Entry>::iterator entry) {
    by_expiry_.erase(entry->second.expiry);
    entries_.erase(entry);
}

void MemorySessionStore::evict_locked(Clock::time_point now) {
    // Expired entries first, then (when still full) those closest to expiring.
    while (!by_expiry_.empty() &&
           (by_expiry_.begin()->first <= now || entries_.size() >= max_entries_)) {
        erase_locked(entries_.find(by_expiry_.begin()->second));
    }
}

void MemorySessionStore::put(const Bytes& key, const Bytes& value, std::chrono::seconds ttl,
                             Deadline /*deadline*/, std::error_code& ec) noexcept {
    ec.clear();
    try {
        const Clock::time_point now = Clock::now();
        const Clock::time_point expires = now + std::max(ttl, std::chrono::seconds{1});
        std::lock_guard<std::mutex> lock(mutex_);
        auto existing = entries_.find(key);
        if (existing != entries_.end()) {
            erase_locked(existing);
        }
        evict_locked(now);
        Bytes copy = value;
        auto slot = by_expiry_.emplace(expires, key);
        try {
            entries_.emplace(key, Entry{std::move(copy), slot});
        } catch (...) {
            by_expiry_.erase(slot);
            throw;
        }
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
    }
}

Bytes MemorySessionStore::get(const Bytes& key, Deadline /*deadline*/,
                              std::error_code& ec) noexcept {
    ec.clear();
    try {
        std::lock_guard<std::mutex> lock(mutex_);
        auto entry = entries_.find(key);
        if (entry == entries_.end()) {
            return {};
        }
        if (entry->second.expiry->first <= Clock::now()) {
            erase_locked(entry);
            return {};
        }
        return entry->second.value;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

Bytes MemorySessionStore::take(const Bytes& key, Deadline /*deadline*/,
                               std::error_code& ec) noexcept {
    ec.clear();
    try {
        std::lock_guard<std::mutex> lock(mutex_);
        auto entry = entries_.find(key);
        if (entry == entries_.end()) {
            return {};
        }
        Bytes value;
        if (entry->second.expiry->first > Clock::now()) {
            value = std::move(entry->second.value);
        }
        erase_locked(entry);
        return value;
    } catch (const std::bad_alloc&) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

bool MemorySessionStore::can_take() const noexcept {
    return true;
}

void MemorySessionStore::remove(const Bytes& key, Deadline /*deadline*/,
                                std::error_code& ec) noexcept {
    ec.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    auto entry = entries_.find(key);
    if (entry != entries_.end()) {
        erase_locked(entry);
    }
}

std::string MemorySessionStore::describe() const {
    return "memory";
}

bool MemorySessionStore::keeps_deadlines() const noexcept {
    return true;
}

std::size_t MemorySessionStore::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

}  // namespace tls
