// The TLS state machine shared by tls::Socket and tls::Object. It owns the SSL, never
// waits and never reads a clock: it talks only to the BIOs it is given and reports "want read /
// want write" for its owner to act on. perform() is the only caller of SSL_do_handshake,
// SSL_read_ex, SSL_write_ex and SSL_shutdown, and hands every failure to the one classifier,
// ossl::classify_io_failure (src/ossl/error.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "context_state.hpp"
#include "ossl/error.hpp"
#include "ossl/handles.hpp"
#include "tls/certificate.hpp"
#include "tls/ciphers.hpp"
#include "tls/connection.hpp"
#include "tls/errors.hpp"
#include "tls/session.hpp"

namespace tls::detail {

// The info callback every connection's SSL gets (engine_keys.cpp).
void count_handshake_messages(const SSL* ssl, int where, int ret);
// The new-session callback of a client context with a ClientSessionCache
// (engine_session_cache.cpp): files the session under its connection's key. Returns 0: the
// cache takes a reference of its own.
int remember_new_session(SSL* ssl, SSL_SESSION* session);

class Engine {
  public:
    // Creates the SSL for one connection: role, SNI, host-name check, session to resume. Throws
    // std::invalid_argument for a client with check_hostname and no server_hostname.
    Engine(std::shared_ptr<ContextState> context, bool server_side,
           std::string_view server_hostname, const Session& session = Session());
    // Keeps the session of a connection that ended without close_notify but without a fatal
    // error resumable (see engine.cpp).
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Transport: the SSL reads and writes through `bio` (SSL_set_bio: the SSL owns it).
    void set_transport(ossl::BioPtr bio);
    // Separate BIOs for the peer's bytes and ours (memory BIOs); the SSL owns one reference each.
    void set_transport(ossl::BioPtr incoming, ossl::BioPtr outgoing);

    std::error_code handshake() noexcept;
    // Clean close (close_notify received) is success with n == 0.
    std::error_code read(void* buffer, std::size_t len, std::size_t& n) noexcept;
    std::error_code write(const void* data, std::size_t len, std::size_t& n) noexcept;
    // Success once both close_notify alerts have been exchanged; want_read while waiting for
    // the peer's.
    std::error_code shutdown() noexcept;
    // Sends our close_notify once, without waiting and without reporting failure. Returns true
    // while the transport was full and the alert is still queued: call again once writable.
    bool send_close_notify() noexcept;
    // The same, reporting: success once our close_notify is written (or was already), a failure
    // from the transport, std::errc::not_connected before the handshake completed (OpenSSL
    // would call that fatal), the earlier error after a fatal one.
    std::error_code close_notify() noexcept;

    // SSL_sendfile (kTLS send offload only): up to `count` bytes of `fd` from `offset`; n == 0
    // at the end of the file.
    std::error_code sendfile(int fd, std::uint64_t offset, std::size_t count,
                             std::size_t& n) noexcept;
    // Whether the kernel encrypts what we send / decrypts what we receive (kTLS).
    bool ktls_send() const noexcept;
    bool ktls_recv() const noexcept;

    std::size_t pending() const noexcept;
    bool handshake_done() const noexcept;
    // Whether a fatal error ended the connection (an alert went out or came in).
    bool failed() const noexcept { return fatal_; }
    bool server_side() const noexcept { return server_side_; }
    const std::string& server_hostname() const noexcept { return server_hostname_; }
    // The SNI name: on a server the one the client asked for, on a client the one it sent.
    std::optional<std::string> server_name() const;
    const std::shared_ptr<ContextState>& context() const noexcept { return context_; }
    // The session store of the context the connection started with (OpenSSL asks that
    // context's session callbacks even after an SNI switch).
    const std::shared_ptr<SessionStoreBinding>& session_store() const noexcept {
        return session_store_;
    }
    SSL* ssl() const noexcept { return ssl_.get(); }

    std::optional<CertificateInfo> peer_certificate() const;
    std::optional<Bytes> peer_certificate_der() const;
    std::optional<CipherDescription> cipher() const;
    std::optional<std::string> version() const;
    std::optional<std::string> selected_alpn_protocol() const;

    Session session() const;
    void set_session(const Session& session);
    bool session_reused() const noexcept;
    // A client with a server_hostname whose context has a ClientSessionCache files its
    // sessions under (host, `port`, SNI, ALPN) from now on and, when `offer_cached`, offers one
    // from the cache. Does nothing for port 0 or a connection that does not verify the server.
    void use_session_cache(std::uint16_t port, bool offer_cached);
    // Puts a session the server just gave this connection into the cache (new-session callback).
    void remember_session(SSL_SESSION* session) noexcept;
    std::optional<std::vector<CipherDescription>> shared_ciphers() const;
    std::vector<Bytes> verified_chain() const;
    std::vector<Bytes> unverified_chain() const;
    std::optional<Bytes> channel_binding(std::string_view type) const;
    void verify_client_post_handshake();
    // SNI: serve this connection with another context from now on.
    void switch_context(std::shared_ptr<ContextState> context);

    // TLS 1.3 KeyUpdate (RFC 8446 4.6.3): schedules ours (unless one is already waiting to go
    // out) and runs the state machine to write it; want_write means it is still queued and the
    // next call, read or write sends it. std::errc::not_connected before the handshake.
    std::error_code update_keys(bool request_peer) noexcept;
    // RFC 5705 / RFC 8446 7.5. Throws std::logic_error before the handshake, SSLError when
    // OpenSSL refuses.
    Bytes export_keying_material(std::string_view label, const std::optional<Bytes>& context,
                                 std::size_t length) const;
    ConnectionStats stats() const noexcept;
    // The SSL's info callback (engine_keys.cpp): counts post-handshake messages.
    void note_handshake_state(int where) noexcept;

    // Exceptions from user callbacks cannot cross OpenSSL's C frames: trampolines stash them
    // here and the throwing API rethrows them once the OpenSSL call has returned.
    void stash_failure(std::exception_ptr failure) noexcept;
    std::exception_ptr take_failure() noexcept { return std::exchange(callback_failure_, nullptr); }
    // A callback that refused the handshake says what it refused and how; the handshake's error
    // message then carries that instead of OpenSSL's bare CALLBACK_FAILED.
    void note_callback_refusal(std::string what) noexcept { callback_refusal_ = std::move(what); }
    // A verify callback rejected a certificate OpenSSL accepted: the handshake's
    // SSLCertVerificationError then gives `reason` as its verify_message.
    void note_verify_refusal(std::string reason) noexcept { verify_refusal_ = std::move(reason); }

    const ErrorInfo& last_error() const noexcept { return last_error_; }
    // Records an error found by the owner (timeouts, poll failures) so last_error() reports it.
    std::error_code fail(ErrorInfo info) noexcept;

    using Operation = ossl::IoCall;

  private:
    template <typename Call>
    std::error_code perform(Operation operation, Call&& call) noexcept;
    // The slow path of perform(): a user callback's exception, or else ossl::classify_io_failure;
    // records the outcome in last_error_.
    std::error_code failed(Operation operation, int ret) noexcept;
    // Before each SSL_* I/O call: the BIOs' retry flags then tell whether this call stopped on
    // its BIO, not whether an earlier one did (see engine.cpp).
    void clear_bio_retry_flags() noexcept;
    // Makes the Engine findable from its SSL (ex_data) for OpenSSL callbacks.
    bool attach_to_ssl() noexcept;
    // Makes the SSL a server or a client (SSL_set_accept_state, SSL_set_connect_state); throws
    // if OpenSSL could not rebuild its record layer on the way.
    static void enter_role(SSL* ssl, void (*set_state)(SSL*));
    // Puts the noted callback refusal into last_error_'s message.
    void explain_callback_refusal() noexcept;
    // Puts the noted verify refusal into last_error_'s verify_message and message.
    void explain_verify_refusal() noexcept;

    std::shared_ptr<ContextState> context_;
    std::shared_ptr<SessionStoreBinding> session_store_;
    ossl::SslPtr ssl_;
    bool server_side_ = false;
    std::string server_hostname_;
    // OpenSSL forbids SSL_shutdown after a fatal error.
    bool fatal_ = false;
    bool attached_ = false;
    ErrorInfo last_error_;
    std::exception_ptr callback_failure_;
    std::string callback_refusal_;
    std::string verify_refusal_;
    // Counted by the SSL's info callback, which OpenSSL calls per handshake message (never per
    // record), so bulk transfer does not pay for them.
    std::uint64_t key_updates_sent_ = 0;
    std::uint64_t key_updates_received_ = 0;
    std::uint64_t session_tickets_received_ = 0;
    // update_keys() scheduled a KeyUpdate that is not written yet.
    bool key_update_in_flight_ = false;
    // Where this connection's sessions go (engine_session_cache.cpp); null when nowhere.
    std::shared_ptr<ClientSessionCacheState> session_cache_;
    ClientSessionKey session_cache_key_;
};

}  // namespace tls::detail
