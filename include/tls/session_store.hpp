// tlsctx — tls::SessionStore: where a server fleet keeps its session state (TLS 1.2 session ids,
// TLS 1.3 stateful tickets), so a client resumes on whichever process it reaches. Python's ssl
// has no such thing; nginx (ssl_session_cache), Apache (mod_socache_*) and HAProxy do.
// Docs: docs/fleet.md.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "tls/bytes.hpp"
#include "tls/export.hpp"

namespace tls {

/// A key-value store of opaque session records, shared by the processes of a fleet. The server
/// (Context::set_session_store) stores what it hands out and looks it up when a client comes back.
///
/// Contract for implementations:
/// - Every call should return within `deadline`. The server looks sessions up during a
///   handshake: on a worker thread it waits for at most the deadline, or, for a store whose
///   keeps_deadlines() is true, on the handshake's own thread.
/// - Errors are reported through `ec`; a miss is not an error (get returns an empty Bytes). The
///   server turns any error into a full handshake for that one connection, and treats an
///   exception that escapes a call the same way (it is not an error path to rely on: the
///   backends here never throw, and overrides may be declared noexcept).
/// - Safe to call from several threads at once.
/// - Keys and values are binary; keys are at most 64 bytes, values a few KiB. Values reach the
///   store already encrypted and authenticated (the store never sees a session's secrets), so a
///   store needs no trust: what it returns is checked before use.
class TLS_API SessionStore {
  public:
    /// How long one call may take (SessionStoreOptions::deadline).
    using Deadline = std::chrono::milliseconds;

    virtual ~SessionStore();
    SessionStore() = default;
    SessionStore(const SessionStore&) = delete;
    SessionStore& operator=(const SessionStore&) = delete;

    /// Stores `value` under `key` for `ttl` (whole seconds, at least 1), replacing any value there.
    virtual void put(const Bytes& key, const Bytes& value, std::chrono::seconds ttl,
                     Deadline deadline, std::error_code& ec) = 0;
    /// The value under `key`, or empty when there is none (expired, removed, never stored).
    virtual Bytes get(const Bytes& key, Deadline deadline, std::error_code& ec) = 0;
    /// Forgets `key` (no error when it is not there).
    virtual void remove(const Bytes& key, Deadline deadline, std::error_code& ec) = 0;
    /// The value under `key`, removed from the store in the same call: how a server looks up a
    /// TLS 1.3 ticket, single use (RFC 8446 section 8.1), when it calls the store on the
    /// handshake's thread (keeps_deadlines()). Default: get(), then remove() with what is left of
    /// the deadline.
    virtual Bytes take(const Bytes& key, Deadline deadline, std::error_code& ec);
    /// True when take() is one atomic step on the store (Redis GETDEL, the memory store): of two
    /// servers taking one ticket at once, only one gets it. Otherwise both may, in the moment
    /// between the lookup and the removal. Default: false.
    virtual bool can_take() const noexcept;
    /// What the store is, for logs and stats: "memory", "redis://127.0.0.1:6379", ...
    virtual std::string describe() const = 0;
    /// True when every call is sure to return by its deadline (no blocking step without a
    /// timeout: a name lookup, a lock held across I/O). The server then calls get() and put()
    /// on the handshake's thread: a lookup saves two thread hand-offs (docs/fleet.md measures
    /// them), and a session is in the store before the client can come back for it. Otherwise
    /// worker threads make the calls: the handshake waits at most the deadline for a get() and
    /// not at all for a put(). Default: false.
    virtual bool keeps_deadlines() const noexcept;
};

/// How a server uses its SessionStore (Context::set_session_store).
struct SessionStoreOptions {
    /// The longest a handshake waits for a lookup; past it, that connection gets a full
    /// handshake (counted in SessionStoreStats::timeouts). A put, on the handshake's thread
    /// for a store that keeps_deadlines(), is bounded by it too; other stores are written to
    /// in the background.
    std::chrono::milliseconds deadline{50};
    /// How long a stored session lives in the store; default: the context's session timeout.
    std::optional<std::chrono::seconds> ttl;
    /// The fleet key: 32 secret bytes every server of the fleet shares (load_fleet_key()). Each
    /// stored session is sealed under it (AES-256-GCM), so a store that is read, corrupted or
    /// written by someone else can neither leak nor inject sessions. Required.
    Bytes fleet_key;
    /// Put before every store key, so services sharing a store keep apart (at most 32 bytes).
    std::string key_prefix = "tlsctx:";
    /// The session id context that binds a session to this service: a session made under
    /// another one is never resumed (OpenSSL's SSL_set_session_id_context; at most 32 bytes).
    /// Empty: "tlsctx", what every tlsctx server uses without a store.
    std::string session_id_context;
};

/// What a server's session store did (Context::session_store_stats()). Counters are totals
/// since set_session_store; latencies cover the most recent lookups.
struct SessionStoreStats {
    std::uint64_t hits = 0;      ///< lookups that found a session which was then resumed
    std::uint64_t misses = 0;    ///< lookups that found nothing
    std::uint64_t errors = 0;    ///< calls the store failed (a full handshake for lookups)
    std::uint64_t timeouts = 0;  ///< lookups past the deadline or refused while the store lagged
    std::uint64_t rejected = 0;  ///< found values that failed to open, or were for another key,
                                 ///< fleet key, service, server name or ALPN protocol
    std::uint64_t puts = 0;      ///< sessions stored
    std::uint64_t removes = 0;   ///< sessions removed (TLS 1.3 tickets are single use)
    std::chrono::microseconds latency_p50{0};  ///< of the recent lookups (up to 1024)
    std::chrono::microseconds latency_p99{0};  ///< of the same lookups
};

/// The fleet key in `path`: 32 raw bytes (`openssl rand 32`) or 64 hex digits (`openssl rand
/// -hex 32`), an optional newline after either.
/// @throws std::system_error (errno) for an unreadable file; std::invalid_argument otherwise.
TLS_API Bytes load_fleet_key(const std::string& path);

}  // namespace tls
