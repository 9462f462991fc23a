// What a tls::VerifiedChainCache handle shares: the verdicts, their LRU order and the counters
// (verified_chain_cache.cpp), and the door from a handle to them.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ossl/handles.hpp"
#include "tls/verified_chain_cache.hpp"

namespace tls::detail {

/// One successful verification: the verified chain (leaf first, anchor last) and the bounds of
/// its reuse.
struct VerifiedChainEntry {
    std::vector<ossl::X509Ptr> chain;
    std::time_t not_before = 0;  // the latest notBefore in the chain
    std::time_t not_after = 0;   // the earliest notAfter in the chain
    std::chrono::steady_clock::time_point made;
    // The trust store it was verified against, held so that no other store can take its address
    // (part of the key) while the entry lives. Empty for offline verifications.
    ossl::X509StorePtr store;
};

struct VerifiedChainCacheState {
    VerifiedChainCacheState(std::size_t entries, std::chrono::seconds age)
        : max_entries(entries), max_age(age) {}

    // The entry under `key` when it may answer a verification at `check_time` now (counted as a
    // hit), else nullptr (counted as a miss; an entry past its bounds is dropped).
    std::shared_ptr<const VerifiedChainEntry> find(const std::string& key, std::time_t check_time);
    // Files `entry` under `key` as the most recently used, evicting the least recently used.
    void insert(const std::string& key, std::shared_ptr<const VerifiedChainEntry> entry);
    VerifiedChainCacheStats stats();
    void clear() noexcept;

    const std::size_t max_entries;
    const std::chrono::seconds max_age;

  private:
    using Lru = std::list<std::pair<std::string, std::shared_ptr<const VerifiedChainEntry>>>;
    std::mutex mutex_;
    Lru lru_;  // most recently used first
    std::unordered_map<std::string, Lru::iterator> index_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

struct VerifiedChainCacheAccess {
    static const std::shared_ptr<VerifiedChainCacheState>& state(
        const VerifiedChainCache& cache) noexcept {
        return cache.state_;
    }
    static VerifiedChainCache handle(std::shared_ptr<VerifiedChainCacheState> state);
};

}  // namespace tls::detail
