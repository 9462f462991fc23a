// tlsctx — tls::TicketKeyRing: the session-ticket keys a server (or a fleet of them) encrypts
// and opens tickets with. The newest key encrypts; older ones only open tickets, and a ticket
// opened with an older key is renewed under the newest. Keys come from the caller, from nginx /
// HAProxy style key files, from a rotation schedule, or from one secret shared by a fleet plus
// the clock. Python's ssl has none of this (it only lets OpenSSL pick one random key per
// context). Docs: docs/fleet.md ("Ticket keys").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tls/bytes.hpp"
#include "tls/export.hpp"

namespace tls {

namespace detail {
struct TicketKeyRingState;
struct TicketKeyRingAccess;
}  // namespace detail

/// A key file (or key given as bytes) of the wrong size. Ticket keys are 80 bytes (AES-256) or
/// 48 bytes (legacy AES-128), the sizes nginx's `ssl_session_ticket_key` files have.
class TLS_API TicketKeyFileError : public std::invalid_argument {
  public:
    /// The error for `path` (empty for bytes) holding `size` bytes.
    TicketKeyFileError(std::string path, std::size_t size);
    /// The file ("" for a key given as bytes).
    const std::string& path() const noexcept { return path_; }
    /// How many bytes it held.
    std::size_t size() const noexcept { return size_; }

  private:
    std::string path_;
    std::size_t size_;
};

/// What a ring has done, over every context and thread that uses it.
struct TicketKeyStats {
    std::uint64_t issued = 0;             ///< tickets encrypted (with the newest key)
    std::uint64_t decrypted_current = 0;  ///< tickets opened with the newest key
    std::uint64_t renewed = 0;            ///< tickets opened with an older key, then renewed
    std::uint64_t unknown = 0;            ///< tickets whose key is not (or no longer) in the ring
};

/// A set of session-ticket keys shared by every Context it is given to (set_ticket_key_ring).
/// Copies are handles to the same keys: a rotation is seen by all of them at once.
///
/// Key layout (nginx's `ssl_session_ticket_key` files, checked against nginx in
/// tests/interop/ticket_keys_interop_test.cpp):
/// - 80 bytes: key name (16), HMAC-SHA256 secret (32), AES-256-CBC key (32);
/// - 48 bytes: key name (16), AES-128-CBC key (16), HMAC-SHA256 secret (16) — note the order.
///
/// Thread-safety: every member may be called from any thread while handshakes use the ring.
/// Key material is never printed or logged (key_names() gives the names only) and is wiped
/// (OPENSSL_cleanse) when a key leaves the ring or the last handle goes.
class TLS_API TicketKeyRing {
  public:
    /// Where the ring reads the time (set_clock; the default is the system clock).
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    /// A ring holding one fresh random 80-byte key, keeping at most `keep` keys (>= 1).
    /// @throws std::invalid_argument when `keep` is 0.
    explicit TicketKeyRing(std::size_t keep = 3);
    ~TicketKeyRing();
    /// A handle: copies share the ring (and so every context given one of them).
    /// @{
    TicketKeyRing(const TicketKeyRing& other) noexcept;
    TicketKeyRing& operator=(const TicketKeyRing& other) noexcept;
    TicketKeyRing(TicketKeyRing&& other) noexcept;
    TicketKeyRing& operator=(TicketKeyRing&& other) noexcept;
    /// @}

    /// Makes `key` (80 or 48 bytes, layout above) the newest key, the one that encrypts; the
    /// oldest keys beyond keep() are dropped. Leaves the derived mode.
    /// @throws TicketKeyFileError for another size.
    void rotate(const Bytes& key);
    /// The same with a fresh random 80-byte key.
    void rotate();
    /// Replaces every key: `keys.front()` encrypts, the rest only decrypt (nginx's order of
    /// `ssl_session_ticket_key` lines). Nothing changes when one is of the wrong size. Leaves
    /// the derived mode. @throws TicketKeyFileError; std::invalid_argument for an empty list.
    void set_keys(const std::vector<Bytes>& keys);
    /// set_keys() with the contents of key files (the first encrypts). Every file is read and
    /// checked before anything changes.
    /// @throws std::system_error (with errno) for a file that cannot be read;
    /// TicketKeyFileError naming the file and its size for a file of the wrong size.
    void load_files(const std::vector<std::string>& paths);

    /// How many keys the ring keeps (the newest plus keep() - 1 that still decrypt).
    std::size_t keep() const noexcept;
    /// @throws std::invalid_argument for 0. Drops keys beyond the new count at once.
    void set_keep(std::size_t keep);

    /// Rotates to a fresh random key whenever `period` has passed since the last rotation,
    /// checked lazily when a handshake uses the ring (no thread). 0 turns it off.
    void rotate_every(std::chrono::seconds period);

    /// Fleet mode: every key is derived from `secret` (at least 32 bytes) and the clock, so
    /// processes that share only the secret rotate in step without talking. Time is cut into
    /// epochs of `period` (epoch = Unix time / period); the key of the current epoch encrypts,
    /// the previous and the next epoch's keys decrypt. A ticket therefore opens for at least
    /// one period after it was issued, and processes whose clocks differ by less than one
    /// period open each other's tickets (docs/fleet.md). Key k = HKDF-SHA256(secret,
    /// info = "tlsctx ticket key" || epoch as 8 bytes big-endian), 80 bytes.
    /// @throws std::invalid_argument for a short secret or a zero period.
    void derive_from_secret(const Bytes& secret, std::chrono::seconds period);

    /// The clock rotate_every() and derive_from_secret() read (default: system_clock::now);
    /// for tests and simulations. An empty function restores the default.
    void set_clock(Clock clock);

    /// The key names, newest (encrypting) first. Names are not secret; keys are never exposed.
    std::vector<Bytes> key_names() const;
    /// The same as lowercase hex, for logs.
    std::vector<std::string> key_names_hex() const;
    /// What the ring did: tickets issued, opened with the newest key, renewed, unknown.
    TicketKeyStats stats() const noexcept;

  private:
    friend struct detail::TicketKeyRingAccess;
    std::shared_ptr<detail::TicketKeyRingState> state_;
};

}  // namespace tls
