// tlsctx — tls::Context, Python's `ssl.SSLContext`: configuration shared by many connections.
//
// A default-constructed Context is the secure client context: TLS 1.2 or later, Python 3.10's
// cipher policy, hardened options, CERT_REQUIRED and host-name checking. When no trust anchors
// were loaded, the system CA store is loaded on first use. Anything weaker takes an explicit
// `ctx.dangerous()` call (tls/dangerous.hpp). Docs: docs/python-mapping.md, docs/security.md.
//
// Thread safety: configure a Context from one thread, then share it; wrap_socket() and every
// const member may be called from any number of threads at once (OpenSSL's SSL_CTX rules).
// A Context is a handle: copies refer to the same configuration, as Python references do, and
// every connection made from it keeps that configuration alive.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/cert_chain.hpp"
#include "tls/certificate.hpp"
#include "tls/ciphers.hpp"
#include "tls/client_session_cache.hpp"
#include "tls/constants.hpp"
#include "tls/export.hpp"
#include "tls/ocsp.hpp"
#include "tls/session.hpp"
#include "tls/session_store.hpp"
#include "tls/ticket_keys.hpp"
#include "tls/verified_chain_cache.hpp"
#include "tls/verify_callback.hpp"
#include "tls/verify_profile.hpp"

namespace tls {

class Socket;
class Context;
class Object;
class MemoryBIO;
class ClientHello;
namespace detail {
struct ContextState;
struct ContextAccess;
struct ServerNameRequestAccess;
}  // namespace detail
namespace dangerous {
class Settings;
}

/// Python's `ssl.DefaultVerifyPaths` (`get_default_verify_paths()`).
struct DefaultVerifyPaths {
    std::optional<std::string> cafile;  ///< openssl_cafile if it exists
    std::optional<std::string> capath;  ///< openssl_capath if it exists
    std::string openssl_cafile_env;     ///< "SSL_CERT_FILE"
    std::string openssl_cafile;         ///< OpenSSL's built-in CA file path
    std::string openssl_capath_env;     ///< "SSL_CERT_DIR"
    std::string openssl_capath;         ///< OpenSSL's built-in CA directory path
};

/// Python's `SSLContext.cert_store_stats()`.
struct CertStoreStats {
    int x509 = 0;     ///< certificates in the store
    int crl = 0;      ///< CRLs in the store
    int x509_ca = 0;  ///< of the certificates, those that are CAs
};

/// Arguments of `Context::wrap_socket` (Python's keyword arguments of the same names).
struct WrapOptions {
    bool server_side = false;  ///< the server end of the handshake (Python: `server_side`)
    /// The name to verify and to send as SNI; required on a client with check_hostname. An IP
    /// address (v4 or v6) is matched against IP SANs only and not sent as SNI.
    std::string server_hostname;
    /// A session to resume (client side; Python's `session` argument). Empty = none. A session
    /// that is not resumable makes wrap_socket/wrap_bio throw std::invalid_argument.
    Session session;
    /// Run the handshake inside wrap_socket when the descriptor is connected and blocking.
    bool do_handshake_on_connect = true;
    /// Report an EOF without close_notify as end of stream (read returns 0) instead of SSLEOFError.
    bool suppress_ragged_eofs = true;
    /// Beyond Python: the server's port, part of the key under which a context's
    /// ClientSessionCache files this connection's sessions. wrap_socket reads the port from the
    /// descriptor's peer address and uses this only when the descriptor is not connected yet;
    /// wrap_bio has no address, so an Object uses the cache only when this is set (0 = not).
    std::uint16_t session_cache_port = 0;

    /// The options of a client that verifies `hostname`.
    static WrapOptions client(std::string hostname) {
        WrapOptions o;
        o.server_hostname = std::move(hostname);
        return o;
    }
    /// The options of a server.
    static WrapOptions server() {
        WrapOptions o;
        o.server_side = true;
        return o;
    }
};

/// Python's `SSLContext.session_stats()`: the server-side session cache counters.
struct SessionStats {
    /// The key of the same name in Python's dict (OpenSSL's SSL_CTX_sess_* counter).
    /// @{
    long number = 0, connect = 0, connect_good = 0, connect_renegotiate = 0, accept = 0,
         accept_good = 0, accept_renegotiate = 0, hits = 0, misses = 0, timeouts = 0,
         cache_full = 0;
    /// @}
};

/// What a server's SNI callback sees and may change (Python: the `sslobj` and `server_name`
/// arguments of `sni_callback`).
class TLS_API ServerNameRequest {
  public:
    /// The name the client asked for (an A-label), or std::nullopt when it sent none.
    const std::optional<std::string>& server_name() const noexcept { return server_name_; }
    /// The context the connection uses now.
    Context context() const;
    /// Python: `sslobj.context = other`: serve this connection with `other`'s certificate and
    /// settings from here on (one listener, several certificates).
    void set_context(const Context& other);

  private:
    // Only the library's SNI callback makes requests (the friend is defined in src/), so the
    // engine pointer never comes from user code.
    friend struct detail::ServerNameRequestAccess;
    ServerNameRequest(void* engine, std::optional<std::string> name) noexcept
        : engine_(engine), server_name_(std::move(name)) {}

    void* engine_;  // the detail::Engine of the connection in its handshake
    std::optional<std::string> server_name_;
};

/// Python's `sni_callback`: returns std::nullopt to go on, or an alert to refuse the handshake
/// (e.g. ALERT_DESCRIPTION_UNRECOGNIZED_NAME). An exception thrown here aborts the handshake and
/// is rethrown from the handshake call.
using SniCallback = std::function<std::optional<AlertDescription>(ServerNameRequest&)>;

/// The server's ClientHello callback (tls/client_hello.hpp has ClientHello): returns std::nullopt
/// to go on, or an alert to refuse the handshake (it fails with that alert sent, and the server's
/// handshake call throws SSLError). An exception thrown here aborts the handshake (alert
/// internal_error) and is rethrown from the handshake call. Runs on the thread doing the
/// handshake, before the SNI callback; after a TLS 1.3 HelloRetryRequest it runs again for the
/// client's second ClientHello. Python has none (its sni_callback is the narrow form).
using ClientHelloCallback = std::function<std::optional<AlertDescription>(ClientHello&)>;

/// One TLS record or handshake message seen by the message callback (Python's private
/// `_msg_callback`, made public). `data` points into OpenSSL's buffer: copy what you keep.
struct TlsMessage {
    bool outgoing = false;  ///< sent by us (true) or received (false)
    int version = 0;        ///< protocol version of the record (0x0303, ...)
    int content_type = 0;   ///< 20 change_cipher_spec, 21 alert, 22 handshake, 23 data, 256 header
    const unsigned char* data = nullptr;  ///< the message's bytes
    std::size_t size = 0;                 ///< how many
    /// For alerts (content_type 21): the level (1 warning, 2 fatal) and description.
    /// @{
    std::optional<int> alert_level;
    std::optional<AlertDescription> alert_description;
    /// @}
};
using MessageCallback = std::function<void(const TlsMessage&)>;

/// What a TLS-PSK client answers to the server's identity hint (Python: the (identity, psk) tuple).
struct PskClientIdentity {
    std::optional<std::string> identity;  ///< sent to the server; std::nullopt = none
    Bytes psk;                            ///< the pre-shared key; empty = refuse the handshake
};
/// Python's `set_psk_client_callback` callback: gets the server's hint (if any).
using PskClientCallback =
    std::function<PskClientIdentity(const std::optional<std::string>& identity_hint)>;
/// Python's `set_psk_server_callback` callback: gets the client's identity, returns its key
/// (empty = unknown identity: the handshake fails).
using PskServerCallback = std::function<Bytes(const std::optional<std::string>& identity)>;

/// Python's `ssl.SSLContext`.
class TLS_API Context {
  public:
    /// The secure client context (see the banner). Python: `create_default_context()` minus the
    /// eager CA load; unlike Python's bare `SSLContext()`, it verifies.
    Context();
    /// A context for `protocol` with Python's defaults for it: PROTOCOL_TLS and PROTOCOL_TLS_CLIENT
    /// verify and check host names; PROTOCOL_TLS_SERVER asks for no client certificate;
    /// PROTOCOL_TLSv1_2 pins TLS 1.2. PROTOCOL_TLSv1/TLSv1_1 throw std::invalid_argument: they
    /// need `tls::dangerous::legacy_protocol_context`.
    /// @throws SSLError if OpenSSL cannot create the context.
    explicit Context(Protocol protocol);
    ~Context();
    /// A handle: copies refer to the same configuration (see the banner); a moved-from Context
    /// may only be assigned to or destroyed.
    /// @{
    Context(const Context&) noexcept;
    Context& operator=(const Context&) noexcept;
    Context(Context&&) noexcept;
    Context& operator=(Context&&) noexcept;
    /// @}

    /// Python: `SSLContext.protocol`.
    Protocol protocol() const noexcept;

    /// Python: `SSLContext.options`.
    Options options() const noexcept;
    /// Python: setting `SSLContext.options`: bits in `options` are set, others cleared where
    /// OpenSSL allows. Clearing OP_NO_SSLv3 or OP_NO_COMPRESSION, or setting
    /// OP_IGNORE_UNEXPECTED_EOF or OP_LEGACY_SERVER_CONNECT, weakens the context and throws
    /// std::invalid_argument: use `dangerous().set_options`.
    void set_options(Options options);

    /// Python: `SSLContext.verify_mode`.
    VerifyMode verify_mode() const noexcept;
    /// Python: setting `verify_mode`. CERT_NONE on a context that can act as a client throws
    /// std::invalid_argument (Python: ValueError while check_hostname is on); use
    /// `dangerous().set_verify_mode`. On a PROTOCOL_TLS_SERVER context CERT_NONE just means
    /// "ask for no client certificate".
    void set_verify_mode(VerifyMode mode);

    /// Python: `SSLContext.check_hostname`.
    bool check_hostname() const noexcept;
    /// Turning it on also raises CERT_NONE to CERT_REQUIRED, as in Python. Turning it off on a
    /// context that can act as a client throws std::invalid_argument: use
    /// `dangerous().set_check_hostname(false)`.
    void set_check_hostname(bool on);

    /// Python: `SSLContext.hostname_checks_common_name`. Off by default, unlike Python: a
    /// certificate without SAN is not matched on its subject CN (RFC 9525).
    /// @{
    bool hostname_checks_common_name() const noexcept;
    void set_hostname_checks_common_name(bool on);
    /// @}

    /// Python: `SSLContext.verify_flags`. Default: VERIFY_X509_TRUSTED_FIRST |
    /// VERIFY_X509_STRICT | VERIFY_X509_PARTIAL_CHAIN (Python 3.13's create_default_context).
    VerifyFlags verify_flags() const noexcept;
    /// Clearing VERIFY_X509_STRICT, or bits that are not VerifyFlags values, throws
    /// std::invalid_argument: use `dangerous().set_verify_flags`.
    void set_verify_flags(VerifyFlags flags);

    /// The time certificates are verified at, when `dangerous().verify_at_time` set one;
    /// empty (the default): the system clock at each verification.
    std::optional<std::chrono::system_clock::time_point> verify_time() const noexcept;
    /// Verifies at the system clock again, undoing `dangerous().verify_at_time`.
    void verify_at_current_time();

    /// Asks `callback` about each certificate of a peer chain this context verifies, after
    /// OpenSSL (tls/verify_callback.hpp): it may reject with a reason (for pinning, or rules of
    /// its own), never accept what OpenSSL rejected (`dangerous().set_verify_callback` may).
    /// Python has no equivalent. An empty function removes it. Set it before the context is
    /// shared, like the other settings.
    void set_verify_callback(VerifyCallback callback);

    /// The rules a peer chain must meet beyond OpenSSL's (tls/verify_profile.hpp). Default
    /// VerifyProfile::standard (Python's behaviour); VerifyProfile::web_pki adds the RFC 5280
    /// and CA/Browser Forum rules browsers enforce, for clients of the public web. A stricter
    /// profile only ever rejects more, so it needs no `dangerous()`. Python has no equivalent.
    /// @{
    VerifyProfile verify_profile() const noexcept;
    /// @throws std::invalid_argument for a value that is not a VerifyProfile.
    void set_verify_profile(VerifyProfile profile);
    /// @}

    /// Reuses `cache`'s earlier successful verifications of an identical peer chain under the
    /// same conditions instead of verifying it again (tls/verified_chain_cache.hpp): for clients
    /// that reconnect to the same servers with full handshakes. The handshake's CertificateVerify
    /// is still checked; getpeercert() and get_verified_chain() are the same on a hit. Not used
    /// while a verify callback is set or CRL checking is on. Set it before the context is
    /// shared, like the other settings; one cache may serve many contexts. Python has no
    /// equivalent. docs/security.md ("Verified-chain cache").
    void set_verified_chain_cache(const VerifiedChainCache& cache);
    /// Verifies every chain in full again.
    void clear_verified_chain_cache() noexcept;
    /// The cache set by set_verified_chain_cache, if any.
    std::optional<VerifiedChainCache> verified_chain_cache() const;

    /// Python: `SSLContext.minimum_version` / `maximum_version`.
    TLSVersion minimum_version() const noexcept;
    /// Floors below TLS 1.2 (including MINIMUM_SUPPORTED) throw std::invalid_argument: use
    /// `dangerous().set_minimum_version`. Fixed-version contexts throw std::invalid_argument, as
    /// in Python.
    void set_minimum_version(TLSVersion version);
    /// Python: `SSLContext.maximum_version` (MAXIMUM_SUPPORTED by default).
    /// @{
    TLSVersion maximum_version() const noexcept;
    void set_maximum_version(TLSVersion version);
    /// @}

    /// Python: `SSLContext.security_level` (read-only; 2 by default).
    int security_level() const noexcept;

    /// Python: `load_cert_chain(certfile, keyfile, password)`. `keyfile` empty = the key is in
    /// certfile. Called again with a key of another type (RSA, then ECDSA), the context presents
    /// both, each client getting one it can verify; with a key of the same type, the new chain
    /// replaces the old. Configuration: call it before the context is shared, or after a
    /// set_cert_chains(), which makes it live-safe too. Everything is checked before the context
    /// changes. @throws std::system_error for unreadable files (errno); SSLError for garbage PEM,
    /// a wrong password or a key that does not match the certificate.
    void load_cert_chain(const std::string& certfile, const std::string& keyfile = {},
                         std::string_view password = {});
    /// The same with a password callback, called only if the key is encrypted.
    void load_cert_chain(const std::string& certfile, const std::string& keyfile,
                         const PasswordCallback& password);
    /// The same from memory: PEM text of the chain (leaf first) and of the key. Secrets never
    /// touch disk. `key_pem` empty = the key is in `chain_pem`.
    void load_cert_chain_pem(std::string_view chain_pem, std::string_view key_pem = {},
                             std::string_view password = {});

    /// Live reload (docs/server.md): from the next handshake on, present `chains` instead of every
    /// certificate the context had (from load_cert_chain or an earlier call), all at once. Safe
    /// while the context serves, from any thread: handshakes already running finish with what
    /// they started with, and none fails because of the swap. At most one chain per key type
    /// (CertChain::key_type()); each client gets one its signature algorithms can verify, as
    /// nginx does with several `ssl_certificate` lines. Works for a client's certificate too.
    /// @throws std::invalid_argument for an empty list or two chains of one key type; SSLError
    /// for a chain the context refuses (its security level): then nothing changed.
    void set_cert_chains(std::vector<CertChain> chains);
    /// The chains new handshakes get (set_cert_chains' or load_cert_chain's), in their order.
    std::vector<CertChain> cert_chains() const;
    /// Live reload of the trust anchors and CRLs: from the next handshake on, verify peers against
    /// what `cafile`, `capath` and `cadata` (PEM certificates and CRLs) hold, instead of every
    /// anchor and CRL loaded before, all at once. The verification flags stay. Safe while the
    /// context serves, as set_cert_chains(). @throws std::invalid_argument when all three are
    /// empty; std::system_error / SSLError as load_verify_locations: then nothing changed.
    void reload_verify_locations(const std::string& cafile, const std::string& capath = {},
                                 std::string_view cadata = {});

    /// Python: `load_verify_locations(cafile, capath)`: trust anchors (and CRLs) from a PEM file
    /// and/or a hashed directory. @throws std::system_error (errno) for a missing file, SSLError
    /// for a file without certificates.
    void load_verify_locations(const std::string& cafile, const std::string& capath = {});
    /// Python: `load_verify_locations(cadata=text)`: PEM certificates and CRLs from memory.
    void load_verify_cadata(std::string_view pem);
    /// Python: `load_verify_locations(cadata=bytes)`: concatenated DER certificates.
    void load_verify_cadata(const Bytes& der);
    /// Python: `load_default_certs(purpose)`: the system CA store (honours SSL_CERT_FILE/DIR).
    void load_default_certs(Purpose purpose = Purpose::SERVER_AUTH);
    /// Python: `set_default_verify_paths()`.
    void set_default_verify_paths();
    /// Python: `get_ca_certs()`: the CA certificates loaded so far (capath ones load lazily).
    std::vector<CertificateInfo> get_ca_certs() const;
    /// Python: `get_ca_certs(binary_form=True)`.
    std::vector<Bytes> get_ca_certs_der() const;
    /// Python: `cert_store_stats()`.
    CertStoreStats cert_store_stats() const;

    /// Python: `set_ciphers(string)`: the TLS 1.2-and-below suites (OpenSSL syntax).
    /// @throws SSLError ("No cipher can be selected") when nothing is left; std::invalid_argument
    /// when the string lowers the security level (use `dangerous().set_ciphers`).
    void set_ciphers(std::string_view cipher_string);
    /// Selects a Python version's default string (see tls/ciphers.hpp).
    void set_ciphers(CipherPolicy policy);
    /// Python 3.15: `set_ciphersuites(string)`: the TLS 1.3 suites, a colon-separated list of
    /// IANA names in preference order ("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256").
    /// OpenSSL skips unknown names when another one matches. "" removes every TLS 1.3 suite:
    /// handshakes then fail unless maximum_version is TLS 1.2 (OpenSSL picks the version first).
    /// @throws SSLError ("No cipher suite can be selected") when no name matches; the context's
    /// suites are then unchanged.
    void set_ciphersuites(std::string_view ciphersuites);
    /// Python: `get_ciphers()`: every enabled suite, TLS 1.3 first, in priority order.
    std::vector<CipherInfo> get_ciphers() const;

    /// Python: `set_alpn_protocols(list)`: advertised by clients; servers pick by their own order.
    /// @throws std::invalid_argument for an empty name or one longer than 255 bytes.
    void set_alpn_protocols(const std::vector<std::string>& protocols);

    /// Python: `wrap_socket(sock, ...)`: TLS over a connected stream socket descriptor. With
    /// FdOwnership::adopt the Socket closes `fd`; with borrow it never does. The Socket starts in
    /// the descriptor's mode: blocking, or non-blocking (timeout 0) when O_NONBLOCK is set.
    /// @throws std::invalid_argument when a client with check_hostname has no server_hostname
    /// (before any byte is sent), or when the handshake should run on a non-blocking descriptor;
    /// any handshake error when do_handshake_on_connect runs it.
    Socket wrap_socket(int fd, FdOwnership ownership, const WrapOptions& options = {}) const;

    /// Python: `wrap_bio(incoming, outgoing, server_side, server_hostname)`: a sans-I/O connection
    /// (tls/object.hpp) reading the peer's bytes from `incoming` and writing its own to
    /// `outgoing`. The Object shares both buffers with the MemoryBIOs. do_handshake_on_connect
    /// and suppress_ragged_eofs do not apply.
    /// @throws std::invalid_argument as wrap_socket does.
    Object wrap_bio(MemoryBIO& incoming, MemoryBIO& outgoing,
                    const WrapOptions& options = {}) const;

    // --- Sessions (server side unless noted) ---

    /// Python: `num_tickets`: TLS 1.3 tickets a server sends after a full handshake (default 2).
    /// Each costs both ends work whether or not the client ever resumes (6 % of a full TLS 1.3
    /// ECDSA handshake for the two, bench/README.md): a server whose clients never resume can
    /// set 0.
    /// @{
    std::size_t num_tickets() const noexcept;
    void set_num_tickets(std::size_t n);
    /// @}
    /// Python: `session_stats()`.
    SessionStats session_stats() const noexcept;
    /// The server's session cache (for TLS 1.2 session ids): on by default; size in sessions.
    /// @{
    void set_session_cache_enabled(bool on) noexcept;
    void set_session_cache_size(long sessions) noexcept;
    long session_cache_size() const noexcept;
    /// @}
    /// The TLS session ticket encryption keys: 80 bytes (name, HMAC and AES keys), e.g. shared
    /// across a server farm: a TicketKeyRing of one key (set_ticket_key_ring).
    /// @throws std::invalid_argument otherwise, or on a client-only context.
    void set_ticket_keys(const Bytes& keys);
    /// Tickets (TLS 1.2 and 1.3) are encrypted with `ring`'s newest key and opened with any of
    /// its keys; many contexts (and processes, with key files or a derived schedule) may share
    /// one ring. Beyond Python. docs/fleet.md ("Ticket keys").
    /// @throws std::invalid_argument on a client-only context.
    /// @note Calls SSL_CTX_set_tlsext_ticket_key_evp_cb.
    void set_ticket_key_ring(const TicketKeyRing& ring);
    /// Beyond Python (client contexts only): connections made with a server_hostname take a
    /// session from `cache` before their handshake (unless WrapOptions::session is given) and
    /// put every session and TLS 1.3 ticket they receive into it, filed under (host, port, SNI,
    /// ALPN list). Only connections that verify the server and its name (the default) use the
    /// cache: a session remembers a verification its resumption does not repeat, so share one
    /// cache only among contexts that trust the same CAs. docs/fleet.md ("Client session cache").
    /// @throws std::invalid_argument on a PROTOCOL_TLS_SERVER context.
    void set_client_session_cache(const ClientSessionCache& cache);
    /// Stops using the cache (connections already made keep theirs).
    void clear_client_session_cache() noexcept;
    /// The cache set by set_client_session_cache, if any.
    std::optional<ClientSessionCache> client_session_cache() const;
    /// Keeps this server's sessions in `store`, shared by a fleet of processes, so a client
    /// resumes on whichever server it reaches: TLS 1.2 session ids, and TLS 1.3 tickets while
    /// tickets are stateful (set OP_NO_TICKET; otherwise TLS 1.3 clients resume through
    /// stateless tickets, which need shared ticket keys instead). The store replaces the
    /// context's own session cache. Each session is sealed under options.fleet_key before it
    /// is stored and checked when it comes back: a value that does not open, or was made for
    /// another service, server name or ALPN protocol, is never resumed. A store that fails,
    /// or answers a lookup later than options.deadline, costs that one connection a full
    /// handshake, never a failed one; session_store_stats() counts what happened. A null
    /// `store` goes back to the context's own cache. Configure before sharing the context;
    /// connections keep the store they started with. Docs: docs/fleet.md.
    /// @throws std::invalid_argument on a client context, or for a fleet key that is not 32
    /// bytes, a key_prefix or session_id_context over 32 bytes, or a deadline under 1 ms.
    /// @note Calls SSL_CTX_sess_set_new_cb/get_cb/remove_cb and SSL_CTX_set_session_cache_mode.
    void set_session_store(std::shared_ptr<SessionStore> store, SessionStoreOptions options);
    /// What the session store did since set_session_store (all zero without one).
    SessionStoreStats session_store_stats() const;

    // --- Server features ---

    /// Python: `sni_callback` (and the legacy `set_servername_callback`). An empty function
    /// removes the callback.
    void set_sni_callback(SniCallback callback);

    /// OCSP stapling (docs/server.md). Server: staple `der` (a DER OCSP response) in every
    /// handshake whose client asks for one; empty stops stapling. A response is stapled only
    /// while it is "successful", covers the certificate chosen for that handshake (issuer and
    /// serial) and has not expired (nextUpdate in the past): otherwise the handshake goes on
    /// without a staple. Safe to call while the context serves, from any thread: handshakes
    /// under way keep the response they started with.
    /// @throws SSLError when `der` is not an OCSP response; the staple is then unchanged.
    void set_ocsp_response(const Bytes& der);
    /// set_ocsp_response() with the contents of a DER file (`openssl ocsp -respout`).
    /// @throws std::system_error (errno) for an unreadable file; SSLError as above.
    void load_ocsp_response(const std::string& path);
    /// Called in each handshake whose client asks for a staple, with what the staple must cover;
    /// returns the DER response to staple (checked as above) or std::nullopt for none. It may
    /// fetch or refresh: the result is not cached. It replaces set_ocsp_response()'s staple while
    /// set; an empty function removes it. An exception thrown here means no staple (a stapling
    /// failure never fails a handshake). Called on the handshake's thread.
    /// @{
    using OcspResponseCallback = std::function<std::optional<Bytes>(const OcspRequestInfo&)>;
    void set_ocsp_response_callback(OcspResponseCallback callback);
    /// @}
    /// Client: whether to ask for the server's staple and how to judge it (tls/ocsp.hpp). Default
    /// OcspPolicy::off, as Python. A staple that is checked must be signed by the certificate's
    /// issuer (or a responder it delegated to with the OCSPSigning usage), current (5 minutes of
    /// clock skew allowed), for the server's certificate, and "good": a revoked certificate fails
    /// the handshake with SSLCertVerificationError, verify_code 23 (X509_V_ERR_CERT_REVOKED);
    /// other failures with X509_V_ERR_OCSP_VERIFY_FAILED (or X509_V_ERR_OCSP_CERT_UNKNOWN for an
    /// "unknown" status), a missing required staple with X509_V_ERR_OCSP_VERIFY_NEEDED.
    /// @note Calls SSL_CTX_set_tlsext_status_type / SSL_CTX_set_tlsext_status_cb.
    /// @{
    void set_ocsp_policy(OcspPolicy policy);
    OcspPolicy ocsp_policy() const noexcept;
    /// @}
    /// Python: `load_dh_params(path)`: finite-field DH parameters (PEM) for DHE suites.
    void load_dh_params(const std::string& path);
    /// Python: `set_ecdh_curve(name)`: offer/accept this one group for (EC)DHE, e.g. "prime256v1".
    /// While require_post_quantum() is on, only a post-quantum group is accepted.
    void set_ecdh_curve(const std::string& name);
    /// Python 3.15: `set_groups("X25519:P-256")`: the key-exchange groups, in preference order.
    /// Without a call the linked OpenSSL's default list applies: from OpenSSL 3.5 on it offers the
    /// post-quantum hybrid X25519MLKEM768 first (with an X25519 key share as well), as Python
    /// does. While require_post_quantum() is on, a list naming a group that is not post-quantum
    /// (or OpenSSL's "DEFAULT") throws std::invalid_argument and the groups stay as they were;
    /// turn the requirement off first to go back to classical groups.
    /// @throws SSLError for an unknown or unusable group or an empty list (which OpenSSL 3.5
    /// would take, Python too); the groups are then unchanged.
    void set_groups(const std::string& groups);

    /// Whether this context accepts only post-quantum key exchange (a tlsctx extension; Python
    /// has none). False by default.
    bool require_post_quantum() const noexcept;
    /// On: key exchange is restricted to the ML-KEM groups the linked OpenSSL implements, hybrids
    /// first (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, then MLKEM1024, MLKEM768),
    /// and minimum_version() is raised to TLSv1_3, the only version with these groups. A peer
    /// that offers no post-quantum group then fails the handshake with an SSLError saying so.
    /// While on, set_groups / set_ecdh_curve accept only post-quantum groups and a version bound
    /// below TLS 1.3 throws std::invalid_argument. Off: OpenSSL's default groups come back; the
    /// minimum version stays at TLS 1.3 (lower it with set_minimum_version if wanted). A server
    /// connection that an SNI callback switches to such a context is checked after its
    /// handshake (OpenSSL chose the key share before the callback): a classical group fails it.
    /// @throws NotImplementedError when the linked OpenSSL has no ML-KEM (before 3.5;
    /// HAS_MLKEM() says so). Turning it off never throws.
    /// @note Calls SSL_CTX_set1_groups_list and SSL_CTX_set_min_proto_version.
    void set_require_post_quantum(bool on);

    /// The RFC 8879 certificate compression algorithms this context offers, in preference order
    /// (a tlsctx extension). By default every algorithm the linked OpenSSL has (brotli, zlib,
    /// zstd: OpenSSL's own order), so a client asks for compressed certificates and a server
    /// sends them; empty when the linked OpenSSL cannot compress (HAS_CERT_COMPRESSION()).
    std::vector<CertCompression> certificate_compression() const;
    /// Chooses the algorithms (in preference order); empty turns compression off in both
    /// directions. A server compresses its chain once per algorithm when the chain is loaded (or
    /// now, when it already is), not in every handshake. Only TLS 1.3 compresses certificates.
    /// Clients only receive compressed certificates: OpenSSL compresses for servers only.
    /// @throws NotImplementedError when the linked OpenSSL cannot compress (before 3.2, or built
    /// without zlib, brotli and zstd); std::invalid_argument for a duplicate or an algorithm this
    /// OpenSSL lacks.
    /// @note Calls SSL_CTX_set1_cert_comp_preference and SSL_CTX_compress_certs.
    void set_certificate_compression(const std::vector<CertCompression>& algorithms);
    /// Python 3.15: `get_groups(include_aliases=False)`: the groups this OpenSSL implements for
    /// key agreement between the context's minimum_version and maximum_version, by name; with
    /// `include_aliases`, also their other names ("P-256" next to "secp256r1").
    /// @throws NotImplementedError before OpenSSL 3.5 (HAS_GET_GROUPS() says so).
    std::vector<std::string> get_groups(bool include_aliases = false) const;
    /// Python 3.15: `set_server_sigalgs(string)`: the signature algorithms for the server's
    /// handshake signature (SSL_CTX_set1_sigalgs_list): what a client offers, what a server
    /// signs with. Names like "rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256" or "RSA+SHA256".
    /// @throws SSLError for an unknown or unusable algorithm; the list is then unchanged.
    void set_server_sigalgs(std::string_view sigalgs);
    /// Python 3.15: `set_client_sigalgs(string)`: the same for certificate-based client
    /// authentication (SSL_CTX_set1_client_sigalgs_list): what a server asks for in its
    /// CertificateRequest, what a client signs with. @throws SSLError as set_server_sigalgs.
    void set_client_sigalgs(std::string_view sigalgs);
    /// Python: `post_handshake_auth`: clients offer TLS 1.3 post-handshake authentication; servers
    /// may then call verify_client_post_handshake().
    /// @{
    bool post_handshake_auth() const noexcept;
    void set_post_handshake_auth(bool on);
    /// @}

    /// Python 3.13: `set_psk_client_callback(cb)`: authenticate with a pre-shared key (TLS 1.2
    /// PSK suites, e.g. set_ciphers("PSK"), or TLS 1.3 with a SHA-256 suite). An empty function
    /// removes it. Exceptions from the callback abort the handshake and are rethrown from it.
    void set_psk_client_callback(PskClientCallback callback);
    /// Python 3.13: `set_psk_server_callback(cb, identity_hint)`.
    void set_psk_server_callback(PskServerCallback callback, const std::string& identity_hint = {});

    // --- Diagnostics ---

    /// Python: `keylog_filename`: the NSS key log file, or "" when off. Turning it on exposes
    /// every session's secrets, so the setter is `dangerous().set_keylog_filename(path)`.
    std::string keylog_filename() const;
    /// Python's `_msg_callback`: sees every record and handshake message. Empty = off.
    void set_msg_callback(MessageCallback callback);
    /// A server's look at each ClientHello before OpenSSL chooses anything: the SNI name, ALPN
    /// list, versions, groups and key shares, cipher suites, signature algorithms, whether it
    /// resumes; the callback may switch the connection's context or refuse with an alert
    /// (ClientHelloCallback, tls/client_hello.hpp). An empty function removes it. Set it before
    /// sharing the context. Docs: docs/server.md ("ClientHello inspection").
    /// @note Calls SSL_CTX_set_client_hello_cb.
    void set_client_hello_callback(ClientHelloCallback callback);

    // --- Memory ---

    /// Whether connections made from now on free their read and write buffers while idle
    /// (OpenSSL's SSL_MODE_RELEASE_BUFFERS; on by default, as CPython always sets it). On, an
    /// idle TLS 1.3 connection end holds about 33 KB less (17.7 KB instead of 51.0 KB for a
    /// client); off, each record read or written skips a buffer allocation and release (+9.4 %
    /// instructions per 64-byte record with it on; bench/README.md). Either way is secure, so
    /// this is not a dangerous() setting. Python has no equivalent. Connections that exist keep
    /// the mode they were made with. Not thread-safe: configure before sharing the context.
    /// @note Calls SSL_CTX_set_mode / SSL_CTX_clear_mode.
    /// @{
    bool release_buffers() const noexcept;
    void set_release_buffers(bool on) noexcept;
    /// @}

    /// Every weakening knob, by name (tls/dangerous.hpp).
    dangerous::Settings dangerous();

    /// The `SSL_CTX*`, as `void*` so no OpenSSL header is needed; tls/native.hpp gives it its type.
    void* native_handle() const noexcept;

  private:
    // The library reaches the state (and wraps existing state in a handle, as
    // Connection::context() does) only through detail::ContextAccess, defined in src/.
    friend struct detail::ContextAccess;
    explicit Context(std::shared_ptr<detail::ContextState> state) noexcept;
    std::shared_ptr<detail::ContextState> state_;
};

/// Python: `ssl.create_default_context(purpose, cafile, capath, cadata)`. SERVER_AUTH makes a
/// client context, CLIENT_AUTH a server context (CERT_NONE: asks for no client certificate).
/// Loads the given CAs, or the system store when none is given. Like Python, it turns on key
/// logging when the SSLKEYLOGFILE environment variable names a file.
TLS_API Context create_default_context(Purpose purpose = Purpose::SERVER_AUTH,
                                       const std::string& cafile = {},
                                       const std::string& capath = {},
                                       std::string_view cadata = {});

/// Python: `ssl.get_default_verify_paths()`.
TLS_API DefaultVerifyPaths get_default_verify_paths();

}  // namespace tls
