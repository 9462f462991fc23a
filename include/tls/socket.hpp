// tlsctx — tls::Socket, Python's `ssl.SSLSocket`: TLS over a stream socket descriptor.
//
// Made by Context::wrap_socket (or tls::connect / tls::Listener::accept). Blocking by default;
// `settimeout` bounds each whole operation, `settimeout(0)` makes it non-blocking. Without a
// settimeout, a descriptor's own SO_RCVTIMEO / SO_SNDTIMEO are honoured (per recv/send call, as
// the kernel counts them) and reported as the same std::errc::timed_out. Every I/O
// call has a throwing form (Python's exceptions) and a `noexcept` form taking std::error_code&:
// there, "would block" is `ec == SSLErrc::want_read` / `want_write`, and details stay in
// last_error(). Docs: docs/python-mapping.md, docs/errors.md.
//
// Thread safety: one Socket is used by one thread at a time. Move-only; destruction closes an
// adopted descriptor and never throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "tls/ciphers.hpp"
#include "tls/connection.hpp"
#include "tls/constants.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/export.hpp"

namespace tls {

/// A per-operation time limit; std::nullopt blocks without limit, zero is non-blocking.
using Timeout = std::optional<std::chrono::milliseconds>;

/// Python's `ssl.SSLSocket`.
class TLS_API Socket : public Connection {
  public:
    /// An empty socket (moved-from state): only assignment and destruction are valid.
    Socket() noexcept;
    ~Socket();
    /// Movable, not copyable; a moved-from Socket is empty.
    /// @{
    Socket(Socket&&) noexcept;
    Socket& operator=(Socket&&) noexcept;
    /// @}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    /// Python: `do_handshake()`. Runs or continues the handshake; the host name is checked inside
    /// it, so a mismatch aborts with an alert before any application data flows.
    /// @throws SSLCertVerificationError, SSLError, SSLEOFError, std::system_error (timeout:
    /// std::errc::timed_out); non-blocking: SSLWantReadError / SSLWantWriteError.
    void do_handshake();
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read / want_write on a
    /// non-blocking socket: wait for the descriptor, then call again); details in last_error().
    void do_handshake(std::error_code& ec) noexcept;

    /// Python: `read(len)` / `recv_into(buffer)`: up to `len` decrypted bytes into `buffer`.
    /// Returns 0 at a clean close (close_notify) and, with suppress_ragged_eofs, at an EOF without
    /// it; otherwise SSLEOFError.
    [[nodiscard]] std::size_t read(void* buffer, std::size_t len);
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read / want_write on a
    /// non-blocking socket: wait for the descriptor, then call again); details in last_error().
    [[nodiscard]] std::size_t read(void* buffer, std::size_t len, std::error_code& ec) noexcept;
    /// Python: `recv(n)`: up to `max_len` bytes as a string (empty at end of stream).
    std::string recv(std::size_t max_len = 16384);
    /// Python: `write(data)` / `send(data)`: writes all of `data` as TLS records (OpenSSL writes a
    /// whole buffer or nothing); returns the count.
    [[nodiscard]] std::size_t write(const void* data, std::size_t len);
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read / want_write on a
    /// non-blocking socket: wait for the descriptor, then call again); details in last_error().
    [[nodiscard]] std::size_t write(const void* data, std::size_t len,
                                    std::error_code& ec) noexcept;
    /// Python: `send(data)`: write() for a string.
    [[nodiscard]] std::size_t send(std::string_view data) {
        return write(data.data(), data.size());
    }
    /// Python: `sendall(data)`.
    void sendall(std::string_view data);

    /// TLS 1.3 KeyUpdate (RFC 8446 4.6.3): new traffic keys for what this end sends; with
    /// `request_peer`, the peer is asked to update its sending keys too (it answers with its own
    /// KeyUpdate, which stats().key_updates_received counts once read). Python has none.
    /// The message is sent now, under the socket's timeout; on a non-blocking socket
    /// SSLWantWriteError means it is queued: call again (or write) when writable.
    /// @throws std::logic_error before the handshake; SSLError with reason()
    /// "WRONG_SSL_VERSION" on a TLS 1.2 connection; std::system_error for a timeout.
    /// @note Calls SSL_key_update and SSL_do_handshake.
    void update_keys(bool request_peer = false);
    /// The same without exceptions: a failure sets `ec` (SSLErrc::want_read / want_write on a
    /// non-blocking socket: wait for the descriptor, then call again); details in last_error().
    void update_keys(bool request_peer, std::error_code& ec) noexcept;

    /// Python: `unwrap()`: sends close_notify and waits for the peer's; the descriptor stays open
    /// and the Socket no longer owns it. Returns the descriptor.
    /// Bounded like Python's by settimeout(); a non-blocking socket reports want_read /
    /// want_write. Unlike Python's, a blocking socket never waits longer than close_timeout()
    /// (a silent peer would hold Python's forever); with both set the shorter one bounds it.
    /// @throws std::system_error (std::errc::timed_out) at the bound; the Socket then still owns
    /// the descriptor (close() it); SSLError and friends as for read().
    int unwrap();
    /// The same without exceptions: returns the descriptor, or -1 with `ec` set (want_read /
    /// want_write on a non-blocking socket: call again when ready).
    int unwrap(std::error_code& ec) noexcept;
    /// unwrap() bounded by `deadline` whatever settimeout() says, also on a non-blocking socket
    /// (a tlsctx extension). A normal bidirectional close takes one round trip.
    int unwrap(std::chrono::milliseconds deadline);
    /// The same without exceptions: returns the descriptor, or -1 with `ec` set.
    int unwrap(std::chrono::milliseconds deadline, std::error_code& ec) noexcept;
    /// TLS half-close: sends close_notify now (best effort, never throws) and keeps the Socket
    /// readable, so the peer's remaining data and its own close_notify can still be read.
    void send_close_notify() noexcept;
    /// One-way close: sends close_notify without waiting for the peer's (best effort, never
    /// throws) and closes an adopted descriptor. Python's close() sends no close_notify; tlsctx
    /// does, so peers can tell a clean end from truncation. It never takes longer than
    /// close_timeout(): writing the alert to a peer that stopped reading waits at most that long.
    /// Closing a descriptor with unread input makes the kernel answer with a reset that destroys
    /// what we sent last; so an adopted descriptor is drained first (read and discarded, at most
    /// 256 KiB). After a fatal error (a client that pipelined records after one that failed,
    /// say) it is also half-closed (shutdown(SHUT_WR)) and drained until the peer closes or
    /// close_timeout() passes, so the peer reads our alert; in a normal close only what already
    /// arrived is discarded, without waiting. A non-blocking socket (settimeout(0)) never waits: it
    /// makes one attempt. The destructor runs close().
    void close() noexcept;

    /// How long close(), the destructor and unwrap() may take at most on a blocking or timed
    /// socket: a silent or stuck peer cannot hold a close path longer. Default 5 seconds (nginx's
    /// lingering_timeout); zero makes close() a single non-blocking attempt. A tlsctx extension.
    /// @throws std::invalid_argument for a negative value.
    void set_close_timeout(std::chrono::milliseconds timeout);
    /// The bound set by set_close_timeout().
    std::chrono::milliseconds close_timeout() const noexcept { return close_timeout_; }

    /// Whether the kernel encrypts what this socket sends (kTLS). Only with OP_ENABLE_KTLS on the
    /// context, a kernel with the "tls" ULP, an OpenSSL built with kTLS and a suite the kernel
    /// implements (AES-GCM, ChaCha20-Poly1305 on recent kernels); false otherwise, never an
    /// error. Docs: docs/server.md "kTLS". Python has no such query.
    bool ktls_send_active() const noexcept;
    /// Whether the kernel decrypts what this socket receives (kTLS); see ktls_send_active().
    bool ktls_recv_active() const noexcept;
    /// Sends `count` bytes of the file `fd` from `offset` (the file's own offset is not used or
    /// moved) and returns how many were sent: fewer only at the end of the file. With kTLS send
    /// active the kernel sends straight from the page cache (SSL_sendfile); otherwise the bytes
    /// are read in 16 KiB chunks (pread) and written as TLS records, so memory stays bounded.
    /// settimeout() bounds each wait for the peer. On a non-blocking socket a short count comes
    /// with want_write: call again with the offset advanced by the count and the rest of the
    /// count (the file must not change meanwhile). Python's SSLSocket.sendfile() never uses
    /// kTLS (os.sendfile only serves plain sockets); this one does.
    /// @throws std::system_error (the pread's errno, timed_out), SSLError like write().
    std::size_t sendfile(int fd, std::uint64_t offset, std::size_t count);
    /// The same without exceptions: a failure sets `ec` and returns what was sent before it.
    std::size_t sendfile(int fd, std::uint64_t offset, std::size_t count,
                         std::error_code& ec) noexcept;

    /// Python: `fileno()`; -1 once closed or unwrapped.
    int fileno() const noexcept { return fd_; }
    /// True until close()/unwrap() or a move.
    bool is_open() const noexcept { return fd_ >= 0; }
    /// Python: `settimeout(seconds)` / `gettimeout()` / `setblocking(flag)`.
    /// @{
    void settimeout(Timeout timeout);
    Timeout gettimeout() const noexcept { return timeout_; }
    void setblocking(bool blocking) {
        settimeout(blocking ? Timeout{} : Timeout{std::chrono::milliseconds(0)});
    }
    /// @}

    /// Python: `suppress_ragged_eofs`.
    bool suppress_ragged_eofs() const noexcept { return suppress_ragged_eofs_; }

  private:
    friend class Context;
    Socket(std::unique_ptr<detail::Engine> engine, int fd, FdOwnership ownership, Timeout timeout,
           bool suppress_ragged_eofs);

    // Runs `op` until it completes, waiting on the descriptor for want_read / want_write when
    // blocking or timed; with `bound`, until that time whatever the socket's timeout (the
    // descriptor must then be non-blocking). Returns the final error code.
    template <typename Op>
    std::error_code drive(Op&& op,
                          const std::chrono::steady_clock::time_point* bound = nullptr) noexcept;
    // Waits until the descriptor is readable (or writable) or the deadline passes.
    std::error_code wait_ready(bool for_read, bool timed,
                               std::chrono::steady_clock::time_point deadline,
                               const char* operation) noexcept;
    void release_fd() noexcept;
    void restore_fd_mode() noexcept;
    // Throws for `ec`: the engine's error, or "closed" when the socket was closed or unwrapped.
    [[noreturn]] void throw_for(std::error_code ec, const char* operation) const;

    int fd_ = -1;
    FdOwnership ownership_ = FdOwnership::borrow;
    Timeout timeout_;
    bool suppress_ragged_eofs_ = true;
    // The descriptor's O_NONBLOCK when it was wrapped: settimeout() changes the flag while the
    // Socket drives it, and a descriptor handed back (unwrap, borrow) gets its mode back.
    bool fd_was_nonblocking_ = false;
    std::chrono::milliseconds close_timeout_{5000};
    // Over OpenSSL's socket BIO (OP_ENABLE_KTLS), whose writes can raise SIGPIPE.
    bool ktls_capable_ = false;
};

/// Whether kTLS can engage at all here: the running kernel lists the "tls" ULP in
/// /proc/sys/net/ipv4/tcp_available_ulp and the linked OpenSSL was built with kTLS (our OpenSSL
/// 3.5 build is not; Debian's 3.0 is). A kernel may load its tls module on first use, which this
/// does not try. A tlsctx extension.
TLS_API bool ktls_available() noexcept;

}  // namespace tls
