// tlsctx — what every TLS connection can tell about itself, whatever carries its bytes: the
// common base of tls::Socket (a descriptor) and tls::Object (memory BIOs). Python's SSLSocket and
// SSLObject share these members too. Docs: docs/python-mapping.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/certificate.hpp"
#include "tls/ciphers.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/export.hpp"
#include "tls/session.hpp"

namespace tls {

namespace detail {
class Engine;
}

/// Counters of one connection (Connection::stats()). Python has none. Kept by hooks OpenSSL runs
/// per handshake message or that the transport keeps anyway, never per record.
struct ConnectionStats {
    /// TLS 1.3 KeyUpdate messages sent: update_keys() calls and the replies OpenSSL sends when
    /// the peer asks for one.
    std::uint64_t key_updates_sent = 0;
    /// KeyUpdate messages received from the peer.
    std::uint64_t key_updates_received = 0;
    /// NewSessionTicket messages received (a client; TLS 1.3 servers send 2 by default).
    std::uint64_t session_tickets_received = 0;
    /// Bytes of TLS records written to and read from the transport (headers, handshake and
    /// alerts included), as the SSL's BIOs counted them.
    /// @{
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    /// @}
};

/// The connection facts shared by Socket and Object. Not constructible on its own.
class TLS_API Connection {
  public:
    /// Python: `getpeercert()`: the peer certificate in Python's dict shape; std::nullopt when the
    /// peer sent none; an empty CertificateInfo when it was not verified (CERT_NONE).
    /// @throws std::logic_error before the handshake is done (Python: ValueError).
    std::optional<CertificateInfo> getpeercert() const;
    /// Python: `getpeercert(binary_form=True)`: the DER bytes, even when not verified.
    std::optional<Bytes> getpeercert_der() const;
    /// Python: `cipher()`; std::nullopt before the handshake.
    std::optional<CipherDescription> cipher() const;
    /// Python: `version()`, e.g. "TLSv1.3"; std::nullopt before the handshake.
    std::optional<std::string> version() const;
    /// Python: `selected_alpn_protocol()`.
    std::optional<std::string> selected_alpn_protocol() const;
    /// Python 3.15: `group()`: the key-exchange group of the handshake as OpenSSL names it
    /// ("x25519", "secp384r1", "ffdhe2048", "X25519MLKEM768"); std::nullopt before the handshake or
    /// when none was used (TLS 1.2 RSA key transport). Python needs OpenSSL 3.2; tlsctx also
    /// answers on 3.0 and 3.1.
    std::optional<std::string> group() const;
    /// Python 3.15: `client_sigalg()`: the signature algorithm of certificate-based client
    /// authentication ("rsa_pss_rsae_sha256"), seen from either side; std::nullopt before the
    /// handshake or when the client did not sign. @throws NotImplementedError before OpenSSL
    /// 3.5 (HAS_SIGALG_NAMES() says so).
    std::optional<std::string> client_sigalg() const;
    /// Python 3.15: `server_sigalg()`: the signature algorithm the server completed the
    /// handshake with, seen from either side; std::nullopt before the handshake or when the
    /// server did not sign (a resumed session, a PSK). @throws NotImplementedError as
    /// client_sigalg().
    std::optional<std::string> server_sigalg() const;
    /// Python: `compression()`: always std::nullopt (compression is off, CRIME).
    std::optional<std::string> compression() const noexcept { return std::nullopt; }
    /// Python: `pending()`: decrypted bytes buffered and readable without transport I/O.
    std::size_t pending() const noexcept;

    /// Python: `server_side`, `server_hostname`, `context`.
    /// @{
    bool server_side() const noexcept;
    const std::string& server_hostname() const noexcept;
    Context context() const;
    /// @}
    /// The SNI name of this connection (nginx's `$ssl_server_name`): on a server the name the
    /// client asked for, as an A-label, also after a handshake that failed or that the SNI
    /// callback refused; on a client the name it sent. std::nullopt when none was sent (a client
    /// connecting by IP address sends none, RFC 6066) or before the ClientHello. On a resumed
    /// TLS 1.2 session, the name of the session's first handshake. Python has no attribute for
    /// it (its sni_callback receives it).
    std::optional<std::string> server_name() const;
    /// Whether the handshake has completed.
    bool handshake_done() const noexcept;

    /// Python: `session`: the session to resume later. Empty while there is nothing to resume
    /// with: before the handshake, and on TLS 1.3 until a read has taken in the server's ticket
    /// (sent after the handshake), where Python returns a session that never resumes. Take it
    /// after the first read. Docs: docs/python-mapping.md ("Session resumption").
    Session session() const;
    /// Python: setting `session` before the handshake (client side only); an empty session
    /// clears it. @throws std::logic_error after the handshake or on a server;
    /// std::invalid_argument for a session that is not resumable (Session::is_resumable()).
    void set_session(const Session& session);
    /// Python: `session_reused`.
    bool session_reused() const noexcept;

    /// Python: `shared_ciphers()`: the suites offered by the client that the server also has,
    /// on the server side; std::nullopt on a client or before the ClientHello.
    std::optional<std::vector<CipherDescription>> shared_ciphers() const;
    /// Python 3.13: `get_verified_chain()`: the chain verification built, leaf first, as DER.
    std::vector<Bytes> get_verified_chain() const;
    /// Python 3.13: `get_unverified_chain()`: the chain as the peer sent it, leaf first, as DER.
    std::vector<Bytes> get_unverified_chain() const;
    /// The OCSP staple of this handshake, decoded (tls/ocsp.hpp; Python has none): on a client
    /// the one the server sent (checked per the context's OcspPolicy), on a server the one it
    /// sent. std::nullopt when none was stapled or before the handshake.
    std::optional<OcspResponseInfo> ocsp_response() const;
    /// Python: `get_channel_binding(cb_type)`: "tls-unique" (RFC 5929; TLS 1.2) or, as an
    /// addition, "tls-exporter" (RFC 9266; TLS 1.3). std::nullopt before the handshake.
    /// @throws std::invalid_argument for another type.
    std::optional<Bytes> get_channel_binding(std::string_view cb_type = "tls-unique") const;
    /// Python: `verify_client_post_handshake()`: a TLS 1.3 server asks for a client certificate
    /// now; the request goes out with the next write (or read) and the answer is verified then.
    /// @throws std::logic_error on a client; SSLError if the client did not offer post-handshake
    /// authentication.
    void verify_client_post_handshake();

    /// Keying material exporter (RFC 5705; TLS 1.3: RFC 8446 7.5): `length` bytes derived from
    /// the connection's secrets, the same on both ends for the same `label` and `context`.
    /// `context` std::nullopt means no context, which TLS 1.2 tells apart from an empty one
    /// (TLS 1.3 does not). Labels should be registered ("EXPORTER-..."). Python has no
    /// equivalent (OpenSSL's `openssl s_client -keymatexport`). Sending a KeyUpdate does not
    /// change the output. Docs: docs/server.md ("KeyUpdate and exporters").
    /// @throws std::logic_error before the handshake; SSLError when OpenSSL refuses (a label
    /// it reserves, such as "master secret" in TLS 1.2).
    /// @note Calls SSL_export_keying_material.
    Bytes export_keying_material(std::string_view label, const std::optional<Bytes>& context,
                                 std::size_t length) const;
    /// This connection's counters (KeyUpdates both ways, session tickets, transport bytes).
    ConnectionStats stats() const noexcept;

    /// The last failure of a noexcept call (or of the call that threw), with OpenSSL's reason.
    const ErrorInfo& last_error() const noexcept;
    /// The `SSL*`, as `void*`; tls/native.hpp gives it its type.
    void* native_handle() const noexcept;

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

  protected:
    /// @cond internal
    Connection() noexcept;
    explicit Connection(std::unique_ptr<detail::Engine> engine) noexcept;
    ~Connection();
    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;

    // Throws the exception for last_error(), or for an empty (moved-from) connection.
    [[noreturn]] void throw_last(const char* operation) const;
    const detail::Engine& engine(const char* operation) const;

    std::unique_ptr<detail::Engine> engine_;
    /// @endcond
};

}  // namespace tls
