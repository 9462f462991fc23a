// tlsctx — tls::Object, Python's `ssl.SSLObject`: a TLS connection that performs no I/O at all.
//
// Made by Context::wrap_bio(incoming, outgoing, options). Feed the peer's bytes into `incoming`,
// send whatever appears in `outgoing`; every call returns at once. "Needs more input" is
// SSLWantReadError from the throwing calls and `ec == SSLErrc::want_read` from the noexcept ones.
// Unlike tls::Socket there is no ragged-EOF suppression: an EOF without close_notify is always
// SSLEOFError, as in Python. Docs: docs/sans-io.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "tls/connection.hpp"
#include "tls/export.hpp"

namespace tls {

/// Python's `ssl.SSLObject`. Move-only; one thread at a time.
class TLS_API Object : public Connection {
  public:
    /// An empty object (moved-from state): only assignment and destruction are valid.
    Object() noexcept;
    ~Object();
    /// Movable, not copyable; a moved-from Object is empty.
    /// @{
    Object(Object&&) noexcept;
    Object& operator=(Object&&) noexcept;
    /// @}

    /// Python: `do_handshake()`. @throws SSLWantReadError until the peer's bytes arrive,
    /// SSLCertVerificationError, SSLError, SSLEOFError.
    void do_handshake();
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read: feed the peer's
    /// bytes into the incoming BIO, then call again); details are in last_error().
    void do_handshake(std::error_code& ec) noexcept;

    /// Python: `read(len, buffer)`: decrypted bytes into `buffer`; 0 at a clean close.
    [[nodiscard]] std::size_t read(void* buffer, std::size_t len);
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read: feed the peer's
    /// bytes into the incoming BIO, then call again); details are in last_error().
    [[nodiscard]] std::size_t read(void* buffer, std::size_t len, std::error_code& ec) noexcept;
    /// Python: `read(len=1024)` returning bytes.
    std::string read(std::size_t max_len = 1024);

    /// Python: `write(data)`: encrypts all of `data` into the outgoing BIO; returns the count.
    [[nodiscard]] std::size_t write(const void* data, std::size_t len);
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read: feed the peer's
    /// bytes into the incoming BIO, then call again); details are in last_error().
    [[nodiscard]] std::size_t write(const void* data, std::size_t len,
                                    std::error_code& ec) noexcept;
    /// The same for a string.
    std::size_t write(std::string_view data) { return write(data.data(), data.size()); }

    /// TLS 1.3 KeyUpdate (RFC 8446 4.6.3): new traffic keys for what this end sends; with
    /// `request_peer`, the peer is asked to update its sending keys too (it answers with its own
    /// KeyUpdate, which stats().key_updates_received counts once read). Python has none. The
    /// message is in the outgoing BIO when this returns.
    /// @throws std::logic_error before the handshake; SSLError with reason()
    /// "WRONG_SSL_VERSION" on a TLS 1.2 connection.
    /// @note Calls SSL_key_update and SSL_do_handshake.
    void update_keys(bool request_peer = false);
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read: feed the peer's
    /// bytes into the incoming BIO, then call again); details are in last_error().
    void update_keys(bool request_peer, std::error_code& ec) noexcept;

    /// TLS half-close (no Python equivalent): puts our close_notify into the outgoing BIO now and
    /// keeps the Object usable for reading, so the peer's remaining data and its own close_notify
    /// can still be read (reads then end with 0). Writing after it fails. Calling it again does
    /// nothing. @throws std::system_error with std::errc::not_connected before the handshake
    /// completed, SSLError after a fatal error.
    void send_close_notify();
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read: feed the peer's
    /// bytes into the incoming BIO, then call again); details are in last_error().
    void send_close_notify(std::error_code& ec) noexcept;

    /// Python: `unwrap()`: sends close_notify; completes (no exception, no error) once the
    /// peer's has been read. @throws SSLWantReadError while waiting for it.
    void unwrap();
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read: feed the peer's
    /// bytes into the incoming BIO, then call again); details are in last_error().
    void unwrap(std::error_code& ec) noexcept;

  private:
    friend class Context;
    explicit Object(std::unique_ptr<detail::Engine> engine) noexcept;
};

}  // namespace tls
