// tlsctx — tls::redis::SessionStore: a fleet's session store in Redis (tls::SessionStore over
// libhiredis). An optional part: link tlsctx::redis (built when hiredis is found); libtlsctx
// itself does not depend on hiredis, and this header includes none of it.
// Docs: docs/fleet.md ("Redis and memcached").
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "tls/bytes.hpp"
#include "tls/export.hpp"
#include "tls/session_store.hpp"
#include "tls/store_errors.hpp"

namespace tls::redis {

/// How a redis::SessionStore connects. The defaults suit a store on the same host or LAN.
struct Options {
    /// The longest a new connection may take (a call's own deadline bounds it too).
    std::chrono::milliseconds connect_timeout{500};
    /// At most this many connections, one per concurrent caller; more callers wait for one (up
    /// to their deadline).
    std::size_t pool_size = 8;
    /// After a failed connect, I/O error or timeout, calls fail at once with
    /// StoreErrc::unavailable for this long, so a dead store costs handshakes nothing.
    std::chrono::milliseconds backoff{500};
    /// Prepended to every key, so a fleet can share a Redis with other users.
    std::string key_prefix = "tlsctx:";
};

/// Session records in Redis: SET key value EX ttl, GET, DEL (binary-safe keys and values).
/// Thread-safe. Connects lazily (construction never touches the network); every call returns
/// within its deadline and reports failures through its error_code (tls::store_category()),
/// never by throwing.
class TLS_API SessionStore final : public ::tls::SessionStore {
  public:
    /// `url` is `redis://HOST[:PORT][/DB]` (port 6379, database 0 by default; HOST may be a
    /// name, an IPv4 address or a bracketed IPv6 address).
    /// @throws std::invalid_argument when the URL or an option is not valid.
    explicit SessionStore(std::string_view url, Options options = {});
    ~SessionStore() override;

    void put(const Bytes& key, const Bytes& value, std::chrono::seconds ttl, Deadline deadline,
             std::error_code& ec) noexcept override;
    Bytes get(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept override;
    void remove(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept override;
    /// "redis://HOST:PORT/DB".
    std::string describe() const override;
    /// True when HOST is an IP address: a host name is looked up on each reconnect, and a
    /// name lookup has no deadline.
    bool keeps_deadlines() const noexcept override;
    /// GETDEL (Redis 6.2 and later); on an older server, GET then DEL.
    Bytes take(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept override;
    /// True until the server turns out to lack GETDEL.
    bool can_take() const noexcept override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tls::redis
