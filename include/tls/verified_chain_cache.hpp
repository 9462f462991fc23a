// tlsctx — tls::VerifiedChainCache: positive chain-verification verdicts kept for a client's
// repeat full handshakes with the same server. Beyond Python; the model is Chrome's caching
// certificate verifier. A reconnecting client receives the same certificate chain every time and
// OpenSSL re-verifies it (chain building and one signature check per CA) on every full
// handshake; with a cache, a chain byte-for-byte equal to one that verified under the same
// conditions skips that work. The handshake's own CertificateVerify (the server's proof that it
// holds the leaf's key) is checked every time. Docs: docs/security.md ("Verified-chain cache").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "tls/export.hpp"

namespace tls {

namespace detail {
struct VerifiedChainCacheState;
struct VerifiedChainCacheAccess;
}  // namespace detail

/// What a cache has done since it was made.
struct VerifiedChainCacheStats {
    std::uint64_t hits = 0;    ///< verifications answered from the cache
    std::uint64_t misses = 0;  ///< verifications that ran in full (and stored a success)
    std::size_t entries = 0;   ///< verdicts held now
};

/// A thread-safe, bounded (least recently used) cache of successful chain verifications. A
/// cheap shared handle: copies refer to the same cache, so one cache can serve many contexts and
/// threads (Context::set_verified_chain_cache, VerifyRequest::chain_cache).
///
/// A verdict is reused only when everything that decides it is equal: the exact bytes of the
/// peer's certificate and of every certificate it sent after it, the trust store (a context's
/// store and how many times its trust was changed; offline, the exact PEM text of the trust
/// anchors and CRLs), the expected host name, IP address or email, the verify flags, depth,
/// purpose, security level, verification time and VerifyProfile. It is reused only while the
/// verification time lies strictly inside every certificate's validity period and for at most
/// `max_age` after it was made. Rejections are never cached. Not used (every verification runs
/// in full) when a verify callback is set, which must see every certificate, or when CRL checking
/// is on, since CRLs change on their own schedule.
class TLS_API VerifiedChainCache {
  public:
    /// A cache of at most `max_entries` verdicts, each reused for at most `max_age`.
    /// @throws std::invalid_argument for 0 entries or a max_age that is not positive.
    explicit VerifiedChainCache(std::size_t max_entries = 1024,
                                std::chrono::seconds max_age = std::chrono::hours(1));
    ~VerifiedChainCache();
    /// A handle: copies share one cache.
    /// @{
    VerifiedChainCache(const VerifiedChainCache& other) noexcept;
    VerifiedChainCache& operator=(const VerifiedChainCache& other) noexcept;
    VerifiedChainCache(VerifiedChainCache&& other) noexcept;
    VerifiedChainCache& operator=(VerifiedChainCache&& other) noexcept;
    /// @}

    /// Hits, misses and the number of verdicts held.
    VerifiedChainCacheStats stats() const;
    /// Forgets every verdict (the counters stay).
    void clear() noexcept;
    /// The bounds given to the constructor.
    /// @{
    std::size_t max_entries() const noexcept;
    std::chrono::seconds max_age() const noexcept;
    /// @}

  private:
    friend struct detail::VerifiedChainCacheAccess;
    std::shared_ptr<detail::VerifiedChainCacheState> state_;
};

}  // namespace tls
