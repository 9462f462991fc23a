// tls::VerifiedChainCache: the handle, and the bounded LRU store of verdicts behind it. What goes
// into a key and when the cache is consulted is in verify_chain_cache.cpp.
#include <stdexcept>
#include <utility>

#include "tls/verified_chain_cache.hpp"
#include "verified_chain_cache_state.hpp"

namespace tls {
namespace detail {

std::shared_ptr<const VerifiedChainEntry> VerifiedChainCacheState::find(const std::string& key,
                                                                        std::time_t check_time) {
    const auto now = std::chrono::steady_clock::now();
    std::shared_ptr<const VerifiedChainEntry> stale;  // freed after the lock is released
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto found = index_.find(key);
    if (found != index_.end()) {
        const VerifiedChainEntry& entry = *found->second->second;
        // Strictly inside every validity period: at the edges OpenSSL and the web-PKI profile
        // differ (notAfter inclusive or not), so a full verification decides there.
        if (now - entry.made < max_age && check_time > entry.not_before &&
            check_time < entry.not_after) {
            lru_.splice(lru_.begin(), lru_, found->second);
            ++hits_;
            return found->second->second;
        }
        if (now - entry.made >= max_age || check_time >= entry.not_after) {
            stale = std::move(found->second->second);
            lru_.erase(found->second);
            index_.erase(found);
        }
    }
    ++misses_;
    return nullptr;
}

void VerifiedChainCacheState::insert(const std::string& key,
                                     std::shared_ptr<const VerifiedChainEntry> entry) {
    Lru evicted;  // destroyed after the lock is released
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto found = index_.find(key);
    if (found != index_.end()) {
        found->second->second = std::move(entry);
        lru_.splice(lru_.begin(), lru_, found->second);
        return;
    }
    lru_.emplace_front(key, std::move(entry));
    try {
        index_.emplace(key, lru_.begin());
    } catch (...) {
        lru_.pop_front();
        throw;
    }
    while (lru_.size() > max_entries) {
        index_.erase(lru_.back().first);
        evicted.splice(evicted.begin(), lru_, std::prev(lru_.end()));
    }
}

VerifiedChainCacheStats VerifiedChainCacheState::stats() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return VerifiedChainCacheStats{hits_, misses_, lru_.size()};
}

void VerifiedChainCacheState::clear() noexcept {
    Lru dropped;
    const std::lock_guard<std::mutex> lock(mutex_);
    index_.clear();
    dropped.swap(lru_);
}

VerifiedChainCache VerifiedChainCacheAccess::handle(
    std::shared_ptr<VerifiedChainCacheState> state) {
    VerifiedChainCache cache(1, std::chrono::seconds(1));
    cache.state_ = std::move(state);
    return cache;
}

}  // namespace detail

VerifiedChainCache::VerifiedChainCache(std::size_t max_entries, std::chrono::seconds max_age) {
    if (max_entries == 0) {
        throw std::invalid_argument("VerifiedChainCache: max_entries must be at least 1");
    }
    if (max_age.count() <= 0) {
        throw std::invalid_argument("VerifiedChainCache: max_age must be positive");
    }
    state_ = std::make_shared<detail::VerifiedChainCacheState>(max_entries, max_age);
}

VerifiedChainCache::~VerifiedChainCache() = default;
// A moved-from handle keeps referring to the cache: a handle is never empty.
VerifiedChainCache::VerifiedChainCache(const VerifiedChainCache& other) noexcept = default;
VerifiedChainCache& VerifiedChainCache::operator=(const VerifiedChainCache& other) noexcept =
    default;
VerifiedChainCache::VerifiedChainCache(VerifiedChainCache&& other) noexcept
    : state_(other.state_) {}  // NOLINT(performance-move-constructor-init): copies on purpose
VerifiedChainCache& VerifiedChainCache::operator=(VerifiedChainCache&& other) noexcept {
    state_ = other.state_;
    return *this;
}

VerifiedChainCacheStats VerifiedChainCache::stats() const {
    return state_->stats();
}

void VerifiedChainCache::clear() noexcept {
    state_->clear();
}

std::size_t VerifiedChainCache::max_entries() const noexcept {
    return state_->max_entries;
}

std::chrono::seconds VerifiedChainCache::max_age() const noexcept {
    return state_->max_age;
}

}  // namespace tls
