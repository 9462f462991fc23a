// tlsctx — tls::Session, Python's `ssl.SSLSession`: what a client keeps to resume a connection.
// Take it from a connection after the handshake (`session()`), pass it to the next connection
// (`WrapOptions::session` or `set_session`) before its handshake. TLS 1.3 tickets arrive after
// the handshake: `session()` stays empty until a read has taken them in. Sessions serialize to
// bytes so a client that restarts keeps resuming. Docs: docs/python-mapping.md ("Session
// resumption").
#pragma once

#include <chrono>
#include <memory>

#include "tls/bytes.hpp"
#include "tls/export.hpp"

namespace tls {

namespace detail {
struct SessionAccess;
/// Releases the one SSL_SESSION reference a Session owns (defined where OpenSSL is known).
/// Not exported: only the library's own out-of-line members destroy the pointer (docs/abi.md).
struct SessionRelease {
    void operator()(void* ssl_session) const noexcept;
};
}  // namespace detail

/// Python's `ssl.SSLSession`. A cheap shared handle (copies refer to the same session).
class TLS_API Session {
  public:
    /// An empty session (`empty() == true`).
    Session() noexcept = default;
    ~Session();
    /// A handle: copies refer to the same session; a moved-from Session is empty.
    /// @{
    Session(const Session& other) noexcept;
    Session& operator=(const Session& other) noexcept;
    Session(Session&& other) noexcept;
    Session& operator=(Session&& other) noexcept;
    /// @}

    /// True for the empty session (nothing to resume).

    bool empty() const noexcept { return session_ == nullptr; }

    /// Python: `id`: the session id bytes (empty for TLS 1.3 ticket sessions on some servers).
    Bytes id() const;
    /// Python: `time`: when the session was established.
    std::chrono::system_clock::time_point time() const noexcept;
    /// Python: `timeout`: how long the session is valid after `time`.
    std::chrono::seconds timeout() const noexcept;
    /// Python: `ticket_lifetime_hint`.
    std::chrono::seconds ticket_lifetime_hint() const noexcept;
    /// Python: `has_ticket`.
    bool has_ticket() const noexcept;
    /// Whether the session has something to resume with (`SSL_SESSION_is_resumable`): a TLS 1.2
    /// session id or ticket, a TLS 1.3 ticket. A session that is not resumable is refused by
    /// `WrapOptions::session` and `set_session`. Expiry is not checked: an expired session
    /// just gives a full handshake.
    bool is_resumable() const noexcept;

    /// Serializes the session (ASN.1, as `SSL_SESSION` i2d) for storage. Contains the resumption
    /// secret: store it as you would a private key.
    Bytes to_bytes() const;
    /// Restores a session from to_bytes() output. @throws SSLError for malformed data.
    static Session from_bytes(const Bytes& data);

    /// Python compares sessions by id.
    friend bool operator==(const Session& a, const Session& b) { return a.id() == b.id(); }
    /// The opposite of operator==.
    friend bool operator!=(const Session& a, const Session& b) { return !(a == b); }

    /// The `SSL_SESSION*`, as `void*` (borrowed).
    void* native_handle() const noexcept { return session_.get(); }

  private:
    friend struct detail::SessionAccess;
    std::unique_ptr<void, detail::SessionRelease> session_;  // SSL_SESSION*, one reference
};

}  // namespace tls
