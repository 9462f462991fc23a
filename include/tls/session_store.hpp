// tlsctx — tls::SessionStore: where a server fleet keeps its session state (TLS 1.2 session ids,
// TLS 1.3 stateful tickets), so a client resumes on whichever process it reaches. Python's ssl
// has no such thing; nginx (ssl_session_cache), Apache (mod_socache_*) and HAProxy do.
// Docs: docs/fleet.md.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>

#include "tls/bytes.hpp"
#include "tls/export.hpp"

namespace tls {

/// A key-value store of opaque session records, shared by the processes of a fleet. The server
/// (Context::set_session_store) stores what it hands out and looks it up when a client comes back.
///
/// Contract for implementations:
/// - Every call returns within `deadline` (a blocked call counts as an error): the server calls
///   them during a handshake, on the handshake's thread.
/// - Errors are reported through `ec`, never thrown; a miss is not an error (get returns an empty
///   Bytes). The server turns any error into a full handshake for that one connection.
/// - Safe to call from several threads at once.
/// - Keys and values are binary; keys are at most 64 bytes, values a few KiB. Values reach the
///   store already encrypted and authenticated (the store never sees a session's secrets), so a
///   store needs no trust: what it returns is checked before use.
class TLS_API SessionStore {
  public:
    using Deadline = std::chrono::milliseconds;

    virtual ~SessionStore();
    SessionStore() = default;
    SessionStore(const SessionStore&) = delete;
    SessionStore& operator=(const SessionStore&) = delete;

    /// Stores `value` under `key` for `ttl` (whole seconds, at least 1), replacing any value there.
    virtual void put(const Bytes& key, const Bytes& value, std::chrono::seconds ttl,
                     Deadline deadline, std::error_code& ec) noexcept = 0;
    /// The value under `key`, or empty when there is none (expired, removed, never stored).
    virtual Bytes get(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept = 0;
    /// Forgets `key` (no error when it is not there).
    virtual void remove(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept = 0;
    /// What the store is, for logs and stats: "memory", "redis://127.0.0.1:6379", ...
    virtual std::string describe() const = 0;
};

}  // namespace tls
