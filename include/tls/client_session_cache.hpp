// tlsctx — tls::ClientSessionCache: the sessions a client keeps so its next connections to the
// same server resume, without the caller passing Session objects around. Beyond Python (whose
// ssl module leaves this to the application). Give it to a client context
// (Context::set_client_session_cache) and every connection made with a server_hostname takes a
// session from it and puts back the sessions and tickets it receives. save()/load() keep it
// across process restarts. Docs: docs/fleet.md ("Client session cache").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tls/export.hpp"
#include "tls/session.hpp"

namespace tls {

namespace detail {
struct ClientSessionCacheState;
struct ClientSessionCacheAccess;
}  // namespace detail

/// What a cached session is filed under. Two connections share sessions only when all four are
/// equal: a session resumed under another name, port or protocol list would let one service
/// resume a session negotiated for another.
struct ClientSessionKey {
    std::string host;               ///< the server_hostname (an A-label)
    std::uint16_t port = 0;         ///< the server's TCP port
    std::string server_name;        ///< the SNI sent; empty for an IP address
    std::vector<std::string> alpn;  ///< the ALPN protocols offered, in order

    /// Field by field.
    friend bool operator==(const ClientSessionKey& a, const ClientSessionKey& b) {
        return a.host == b.host && a.port == b.port && a.server_name == b.server_name &&
               a.alpn == b.alpn;
    }
};

/// load() found a file that is not a cache file this version can read, or one that was
/// damaged. The cache is left as it was.
class TLS_API ClientSessionCacheFileError : public std::runtime_error {
  public:
    /// What was wrong with the file.
    enum class Reason : int {
        not_a_cache_file = 1,     ///< wrong magic: another program's file
        unsupported_version = 2,  ///< written by a newer format version
        corrupt = 3,              ///< truncated, checksum mismatch or malformed entries
    };
    /// An error for `reason`, with `message` as what().
    ClientSessionCacheFileError(Reason reason, const std::string& message)
        : std::runtime_error(message), reason_(reason) {}
    /// What was wrong with the file.
    Reason reason() const noexcept { return reason_; }

  private:
    Reason reason_;
};

/// A thread-safe, bounded (least recently used) cache of client sessions. A cheap shared
/// handle: copies refer to the same cache, so one cache can serve many contexts and threads.
///
/// TLS 1.3 tickets are handed out once each (RFC 8446 appendix C.4: a reused ticket lets a
/// network observer link connections); the several tickets a server sends are kept, up to
/// `kMaxTicketsPerKey` per key. A TLS 1.2 session may be reused and stays until it expires or is
/// replaced. Expired sessions (time + timeout, or the ticket lifetime when shorter) are never
/// handed out.
class TLS_API ClientSessionCache {
  public:
    /// TLS 1.3 tickets kept per key; older ones are dropped first.
    static constexpr std::size_t kMaxTicketsPerKey = 8;
    /// The format version save() writes (docs/fleet.md describes the format).
    static constexpr std::uint32_t kFileFormatVersion = 1;

    /// A cache of at most `max_keys` keys (servers). @throws std::invalid_argument for 0.
    explicit ClientSessionCache(std::size_t max_keys = 1024);
    ~ClientSessionCache();
    /// A handle: copies share one cache (as contexts given the same cache do).
    /// @{
    ClientSessionCache(const ClientSessionCache& other) noexcept;
    ClientSessionCache& operator=(const ClientSessionCache& other) noexcept;
    ClientSessionCache(ClientSessionCache&& other) noexcept;
    ClientSessionCache& operator=(ClientSessionCache&& other) noexcept;
    /// @}

    /// Files `session` under `key`. Sessions that are not resumable are ignored. A TLS 1.3
    /// session is added to the key's tickets; a TLS 1.2 one replaces what the key had.
    void put(const ClientSessionKey& key, const Session& session);
    /// A session for `key`, or an empty Session. A TLS 1.3 ticket is removed as it is taken
    /// (newest first); a TLS 1.2 session stays.
    Session take(const ClientSessionKey& key);
    /// Sessions held for `key` (after dropping the expired ones).
    std::size_t count(const ClientSessionKey& key) const;
    /// Keys held.
    std::size_t size() const;
    /// The most keys held (the constructor's argument).
    std::size_t max_keys() const noexcept;
    /// Drops every session.
    void clear();

    /// Writes every unexpired session to `path`: to a temporary file in the same directory,
    /// mode 0600, flushed, then renamed over `path`, so a reader never sees half a file. The
    /// file holds resumption secrets: keep it as private as a private key. TLS 1.3 tickets
    /// saved and loaded by several processes at once may each be used once per process.
    /// @throws std::system_error when the file cannot be written.
    void save(const std::string& path) const;
    /// Adds the sessions in `path` (written by save()) to this cache; expired ones are skipped.
    /// @throws std::system_error (e.g. ENOENT) when the file cannot be read,
    /// ClientSessionCacheFileError when it is not a valid cache file; either way the cache is
    /// unchanged.
    void load(const std::string& path);

  private:
    friend struct detail::ClientSessionCacheAccess;
    explicit ClientSessionCache(std::shared_ptr<detail::ClientSessionCacheState> state) noexcept
        : state_(std::move(state)) {}
    std::shared_ptr<detail::ClientSessionCacheState> state_;
};

}  // namespace tls
