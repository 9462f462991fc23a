// tlsctx — connecting and listening: Python's `socket.create_connection` + `wrap_socket`, and a
// listening socket whose accept() returns tls::Sockets. Docs: docs/python-mapping.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "tls/context.hpp"
#include "tls/export.hpp"
#include "tls/socket.hpp"

namespace tls {

/// The category of the resolver's errors ("getaddrinfo"): values are getaddrinfo()'s EAI_* codes,
/// messages gai_strerror()'s text.
TLS_API const std::error_category& gai_category() noexcept;

/// A host name or service that did not resolve (Python: `socket.gaierror`). code() is in
/// gai_category() and its value the EAI_* code (EAI_NONAME for a name that does not exist); the
/// resolver's error alone, no errno is attached. A resolver that failed on a system call
/// (EAI_SYSTEM) is reported as std::system_error with that errno instead.
class TLS_API gaierror : public std::system_error {
  public:
    /// The error for getaddrinfo()'s `eai_code`, with `what` (host and service) in the message.
    gaierror(int eai_code, const std::string& what);
    ~gaierror() override;
    /// Copyable, as exceptions must be.
    /// @{
    gaierror(const gaierror&) = default;
    gaierror& operator=(const gaierror&) = default;
    /// @}
};

/// Connects to host:port (each resolved address in turn, as Python's create_connection), wraps
/// the socket with `server_hostname = host` and completes the handshake, all within `timeout`
/// per operation. The returned Socket keeps that timeout.
/// @throws gaierror when `host` does not resolve; std::system_error when no address accepts the
/// connection (the last address's errno, e.g. std::errc::connection_refused, or timed_out after
/// `timeout`; the message names host:port and the address tried); SSLCertVerificationError /
/// SSLError for handshake failures.
/// `session`, when not empty, is offered for resumption (see tls/session.hpp).
TLS_API Socket connect(const Context& context, std::string_view host, std::uint16_t port,
                       Timeout timeout = std::chrono::seconds(30),
                       const Session& session = Session());

/// A listening TCP socket that hands out server-side tls::Sockets.
class TLS_API Listener {
  public:
    /// Binds host:port (port 0 = ephemeral; see port()) and listens.
    /// @throws gaierror when `host` does not resolve, std::system_error.
    Listener(Context context, std::string_view host, std::uint16_t port, int backlog = 128);
    ~Listener();
    /// Movable, not copyable (it owns the listening descriptor).
    /// @{
    Listener(Listener&&) noexcept;
    Listener& operator=(Listener&&) noexcept;
    /// @}
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    /// Accepts one connection and runs the server handshake within `timeout`.
    /// @throws std::system_error (accept, timeout), SSLError and subclasses (handshake).
    Socket accept(Timeout timeout = std::chrono::seconds(30));
    /// Accepts one TCP connection without handshaking (do_handshake_on_connect = false).
    Socket accept_unhandshaken();
    /// The bound port (the chosen one when constructed with 0).
    std::uint16_t port() const noexcept { return port_; }
    /// The listening descriptor, for an event loop to wait on (-1 once closed).
    int fileno() const noexcept { return fd_; }
    /// The context every accepted connection uses.
    const Context& context() const noexcept { return context_; }
    /// Stops listening (also done by the destructor).
    void close() noexcept;

  private:
    Context context_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/// Python: `ssl.get_server_certificate((host, port))`: the server's certificate as PEM. Verified
/// with `context` (the default verifies; pass `dangerous::create_unverified_context()` to fetch
/// any certificate, as Python does without ca_certs).
TLS_API std::string get_server_certificate(std::string_view host, std::uint16_t port,
                                           const Context& context = Context(),
                                           Timeout timeout = std::chrono::seconds(30));

}  // namespace tls
