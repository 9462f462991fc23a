#include "engine.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <cerrno>
#include <climits>
#include <stdexcept>

#include "certificate_decode.hpp"
#include "ex_data.hpp"
#include "idna.hpp"
#include "ossl/der.hpp"
#include "ossl/error.hpp"
#include "post_quantum.hpp"
#include "session_access.hpp"

namespace tls::detail {
namespace {

bool is_ip_address(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

void validate_hostname(const std::string& host) {
    // Python refuses these before OpenSSL sees them: an embedded NUL would let "a\0.evil" pass as
    // "a", and a leading dot is never a valid name.
    if (host.find('\0') != std::string::npos) {
        throw std::invalid_argument("server_hostname cannot contain NUL characters");
    }
    if (!host.empty() && host.front() == '.') {
        throw std::invalid_argument("server_hostname cannot start with a dot");
    }
}

}  // namespace

Engine::Engine(std::shared_ptr<ContextState> context, bool server_side,
               std::string_view server_hostname, const Session& session)
    : context_(std::move(context)),
      server_side_(server_side),
      server_hostname_(to_a_label(server_hostname)) {
    if (server_side_ && !server_hostname_.empty()) {
        throw std::invalid_argument("server_hostname can only be specified in client mode");
    }
    if (!server_side_ && context_->protocol == Protocol::PROTOCOL_TLS_SERVER) {
        throw std::invalid_argument(
            "cannot create a client socket with a PROTOCOL_TLS_SERVER context");
    }
    if (server_side_ && context_->protocol == Protocol::PROTOCOL_TLS_CLIENT) {
        throw std::invalid_argument(
            "cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
    }
    // Refused before any byte is sent, as in Python.
    if (!server_side_ && context_->check_hostname && server_hostname_.empty()) {
        throw std::invalid_argument("check_hostname requires server_hostname");
    }
    validate_hostname(server_hostname_);

    SSL_CTX* ctx = context_->ctx.get();
    if ((SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER) != 0) {
        context_->ensure_default_trust();
    }
    ssl_.reset(SSL_new(ctx));
    if (!ssl_) {
        ossl::throw_error("wrap_socket", "cannot create an SSL object");
    }
    SSL* ssl = ssl_.get();
    if (!context_->live.apply(ssl)) {
        ossl::throw_error("wrap_socket", "cannot give the connection the reloaded certificates");
    }
    // Every connection is findable from its SSL: the info callback counts KeyUpdates and tickets
    // for stats(), and callbacks set on the context later (SNI, ClientHello) need the Engine.
    if (!attach_to_ssl()) {
        ossl::throw_error("wrap_socket", "cannot attach the connection to its SSL");
    }
    SSL_set_info_callback(ssl, &count_handshake_messages);
    if (server_side_) {
        if (!session.empty()) {
            throw std::invalid_argument("a session can only be resumed by a client");
        }
        // A server needs a session id context to resume sessions of verified clients. Set per
        // connection on servers only: on a client it would make OpenSSL refuse sessions made
        // elsewhere (openssl s_client's, TLS 1.3 external PSKs) as "from a different context".
        // With a session store, the context may name its service instead ("tlsctx" otherwise).
        const std::string& sid_ctx = context_->session_id_context;
        SSL_set_session_id_context(ssl, reinterpret_cast<const unsigned char*>(sid_ctx.data()),
                                   static_cast<unsigned int>(sid_ctx.size()));
        session_store_ = context_->session_store;
        enter_role(ssl, &SSL_set_accept_state);
        return;
    }
    enter_role(ssl, &SSL_set_connect_state);
    if (!session.empty()) {
        set_session(session);
    }
    if (server_hostname_.empty()) {
        return;
    }
    const bool ip = is_ip_address(server_hostname_);
    // RFC 6066 section 3: SNI carries host names only, never literal addresses.
    if (!ip && SSL_set_tlsext_host_name(ssl, server_hostname_.c_str()) != 1) {
        ossl::throw_error("wrap_socket", "invalid server_hostname for SNI");
    }
    if (context_->check_hostname) {
        // OpenSSL checks the name while verifying the chain, so a mismatch aborts the handshake
        // with an alert instead of being found after application data could flow.
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        unsigned int flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
        if (!context_->hostname_checks_common_name) {
            flags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
        }
        X509_VERIFY_PARAM_set_hostflags(param, flags);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_hostname_.c_str())
                    : X509_VERIFY_PARAM_set1_host(param, server_hostname_.c_str(), 0);
        if (ok != 1) {
            ossl::throw_error("wrap_socket", "invalid server_hostname");
        }
    }
}

void Engine::enter_role(SSL* ssl, void (*set_state)(SSL*)) {
    // SSL_set_accept_state and SSL_set_connect_state rebuild the record layer and, being void,
    // drop its failure. OpenSSL 3.2+ then leaves the SSL without one, and the next call
    // (SSL_set_bio) dereferences it. The failure is visible only as the error it queues.
    ERR_clear_error();
    set_state(ssl);
    if (ERR_peek_error() != 0) {
        ossl::throw_error("wrap_socket", "cannot set up the connection's record layer");
    }
}

void Engine::set_transport(ossl::BioPtr bio) {
    BIO* raw = bio.release();
    // With the same BIO for both directions SSL_set_bio takes over exactly our one reference;
    // SSL_free releases it.
    SSL_set_bio(ssl_.get(), raw, raw);
}

void Engine::set_transport(ossl::BioPtr incoming, ossl::BioPtr outgoing) {
    // SSL_set_bio takes over one reference of each; SSL_free releases them.
    SSL_set_bio(ssl_.get(), incoming.release(), outgoing.release());
}

template <typename Call>
std::error_code Engine::perform(Operation operation, Call&& call) noexcept {
    // After a fatal error OpenSSL's state is undefined; keep reporting the error that caused it
    // (a verification failure stays one) instead of calling in again.
    if (fatal_) {
        return last_error_.code;
    }
    // The success path touches nothing but the SSL: looking at the thread's error queue costs
    // about 200 instructions and, after a 16 KiB record has swept the caches, ~1 % of bulk
    // throughput (bench/README.md). tlsctx leaves the queue empty after every call of its own,
    // and ossl::classify_io_failure copes with entries other code left behind.
    clear_bio_retry_flags();
    errno = 0;
    const int ret = call();
    if (ret > 0 && !callback_failure_) {
        return {};
    }
    return failed(operation, ret);
}

void Engine::clear_bio_retry_flags() noexcept {
    // A BIO keeps its retry flags from its last read or write, and an SSL its SSL_want() state
    // from its last call; classify_io_failure takes that pair as "would block" before it looks
    // at the error queue. A call that fails before it reaches the BIO (OpenSSL could not
    // allocate its read buffer: SSLfatal, then -1 on every later call) would otherwise read as
    // the previous call's want_read, forever. Cleared here, the flags speak for this call only.
    BIO* rbio = SSL_get_rbio(ssl_.get());
    BIO* wbio = SSL_get_wbio(ssl_.get());
    if (rbio != nullptr) {
        BIO_clear_retry_flags(rbio);
    }
    if (wbio != nullptr && wbio != rbio) {
        BIO_clear_retry_flags(wbio);
    }
}

std::error_code Engine::failed(Operation operation, int ret) noexcept {
    // Both must be read before anything else can touch errno or the error queue.
    const int saved_errno = errno;
    if (callback_failure_) {
        // A user callback threw inside this call: report that, whatever OpenSSL concluded.
        ERR_clear_error();
        fatal_ = fatal_ || ret <= 0;
        last_error_ = ErrorInfo{};
        last_error_.code = make_error_code(SSLErrc::ssl);
        last_error_.message =
            std::string(ossl::io_call_name(operation)) + ": a callback threw an exception";
        return last_error_.code;
    }
    const ossl::IoFailure failure = ossl::classify_io_failure(
        ssl_.get(), operation, ret, saved_errno, last_error_, context_->require_post_quantum);
    fatal_ = fatal_ || failure.fatal;
    return failure.code;
}

bool Engine::attach_to_ssl() noexcept {
    // The first ex_data slot costs each SSL an allocation (64 bytes), and registering the slot
    // index makes every SSL_free in the process sort the slot callbacks (~1,200 instructions per
    // connection end in all): small next to a handshake, and stats() needs it.
    attached_ = SSL_set_ex_data(ssl_.get(), engine_slot(), this) == 1;
    return attached_;
}

std::error_code Engine::handshake() noexcept {
    // The constructor attached every connection to its SSL, so SNI and ClientHello callbacks
    // set on the context after this connection was made find the Engine too.
    std::error_code ec =
        perform(Operation::handshake, [&] { return SSL_do_handshake(ssl_.get()); });
    const bool finished = ec != SSLErrc::want_read && ec != SSLErrc::want_write;
    if (ec && !callback_refusal_.empty() && finished) {
        explain_callback_refusal();
    }
    if (!verify_refusal_.empty() && finished) {
        // A verify callback's refusal (code 50) or a profile rule's (its own code).
        if (ec == SSLErrc::cert_verification) {
            explain_verify_refusal();
        }
        verify_refusal_.clear();
    }
    if (!ec && server_side_ && context_->require_post_quantum &&
        !negotiated_post_quantum(ssl_.get())) {
        // Only an SNI switch gets here (see negotiated_post_quantum): the handshake completed
        // with a classical group, so the connection must not carry data.
        fatal_ = true;
        ErrorInfo info;
        info.code = make_error_code(SSLErrc::ssl);
        try {
            info.message =
                "do_handshake: the peer offered no post-quantum key exchange group and "
                "the context chosen by the SNI callback requires one";
        } catch (...) {
        }
        return fail(std::move(info));
    }
    return ec;
}

void Engine::explain_callback_refusal() noexcept {
    try {
        // Keep the mapper's "(<OpenSSL reason>)" suffix; replace only what it said failed.
        const std::string& generic = last_error_.message;
        const std::size_t suffix =
            last_error_.reason.empty() ? std::string::npos : generic.rfind(" (");
        last_error_.message = std::string(ossl::io_call_name(Operation::handshake)) + ": " +
                              callback_refusal_ +
                              (suffix == std::string::npos ? "" : generic.substr(suffix));
    } catch (...) {
        // Out of memory: the generic message stays.
    }
    callback_refusal_.clear();
}

void Engine::explain_verify_refusal() noexcept {
    try {
        // The message holds OpenSSL's text for the code, or the mapper's own wording of it
        // (host and IP mismatches name the expected name).
        for (const std::string& said :
             {std::string(X509_verify_cert_error_string(last_error_.verify_code)),
              last_error_.verify_message}) {
            const std::size_t at =
                said.empty() ? std::string::npos : last_error_.message.find(said);
            if (at != std::string::npos) {
                last_error_.message.replace(at, said.size(), verify_refusal_);
                break;
            }
        }
        last_error_.verify_message = verify_refusal_;
    } catch (...) {
        // Out of memory: OpenSSL's words stay.
    }
}

std::error_code Engine::update_keys(bool request_peer) noexcept {
    if (fatal_) {
        return last_error_.code;
    }
    SSL* ssl = ssl_.get();
    // SSL_key_update puts the SSL back "in init" until its message is written; a write() or
    // read() may finish that as well as a second call here.
    if (key_update_in_flight_ && handshake_done()) {
        key_update_in_flight_ = false;
    }
    // One that an earlier call could not write yet (a non-blocking transport) is sent, not
    // scheduled again: OpenSSL refuses a second one until it is out.
    if (!key_update_in_flight_) {
        if (!handshake_done()) {
            return fail(ossl::make_error(std::make_error_code(std::errc::not_connected),
                                         "update_keys: the handshake is not done"));
        }
        ERR_clear_error();
        const int type = request_peer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED;
        if (SSL_key_update(ssl, type) != 1) {
            try {
                // TLS 1.2 has no KeyUpdate (OpenSSL's reason: WRONG_SSL_VERSION).
                return fail(ossl::capture_error(
                    "update_keys", "cannot send a KeyUpdate (TLS 1.3 only; this connection uses " +
                                       std::string(SSL_get_version(ssl)) + ")"));
            } catch (...) {
                ERR_clear_error();
                return make_error_code(SSLErrc::ssl);
            }
        }
        key_update_in_flight_ = true;
    }
    // SSL_key_update only schedules the message; the state machine writes it (SSL_key_update(3)).
    std::error_code ec = perform(Operation::handshake, [&] { return SSL_do_handshake(ssl); });
    if (ec != SSLErrc::want_write && ec != SSLErrc::want_read) {
        key_update_in_flight_ = false;
    }
    return ec;
}

std::error_code Engine::read(void* buffer, std::size_t len, std::size_t& n) noexcept {
    n = 0;
    std::error_code ec =
        perform(Operation::read, [&] { return SSL_read_ex(ssl_.get(), buffer, len, &n); });
    if (ec && ec == SSLErrc::zero_return) {
        n = 0;
        return {};
    }
    return ec;
}

std::error_code Engine::write(const void* data, std::size_t len, std::size_t& n) noexcept {
    n = 0;
    if (len == 0) {
        return {};
    }
    return perform(Operation::write, [&] { return SSL_write_ex(ssl_.get(), data, len, &n); });
}

std::error_code Engine::shutdown() noexcept {
    if (fatal_) {
        return fail(ossl::make_error(make_error_code(SSLErrc::ssl),
                                     "shutdown: the connection failed earlier; no close_notify "
                                     "can be sent"));
    }
    int first = 0;
    std::error_code ec = perform(Operation::shutdown, [&] {
        first = SSL_shutdown(ssl_.get());
        // 0 means our close_notify went out and the peer's has not arrived: ask again, which
        // reads it (or reports want_read).
        return first == 0 ? SSL_shutdown(ssl_.get()) : first;
    });
    if (ec == SSLErrc::zero_return) {
        return {};
    }
    return ec;
}

bool Engine::send_close_notify() noexcept {
    if (fatal_ || !handshake_done()) {
        return false;
    }
    bool queued = false;
    // A second SSL_shutdown only after it asked to write: once the alert is out, another call
    // would read, waiting for the peer's close_notify, which this call does not want.
    if ((SSL_get_shutdown(ssl_.get()) & SSL_SENT_SHUTDOWN) == 0 || SSL_want_write(ssl_.get())) {
        const int ret = SSL_shutdown(ssl_.get());
        queued = ret < 0 && SSL_get_error(ssl_.get(), ret) == SSL_ERROR_WANT_WRITE;
    }
    ERR_clear_error();
    return queued;
}

std::error_code Engine::sendfile(int fd, std::uint64_t offset, std::size_t count,
                                 std::size_t& n) noexcept {
    n = 0;
    return perform(Operation::write, [&] {
        const ossl_ssize_t sent =
            SSL_sendfile(ssl_.get(), fd, static_cast<off_t>(offset), count, 0);
        if (sent < 0) {
            return -1;
        }
        // 0 is the end of the file, not a failure.
        n = static_cast<std::size_t>(sent);
        return 1;
    });
}

bool Engine::ktls_send() const noexcept {
    BIO* bio = SSL_get_wbio(ssl_.get());
    return bio != nullptr && BIO_get_ktls_send(bio);
}

bool Engine::ktls_recv() const noexcept {
    BIO* bio = SSL_get_rbio(ssl_.get());
    return bio != nullptr && BIO_get_ktls_recv(bio);
}

std::error_code Engine::close_notify() noexcept {
    if (fatal_) {
        return fail(ossl::make_error(make_error_code(SSLErrc::ssl),
                                     "send_close_notify: the connection failed earlier; no "
                                     "close_notify can be sent"));
    }
    if (!handshake_done()) {
        return fail(ossl::make_error(std::make_error_code(std::errc::not_connected),
                                     "send_close_notify: the handshake is not done"));
    }
    if ((SSL_get_shutdown(ssl_.get()) & SSL_SENT_SHUTDOWN) != 0) {
        return {};
    }
    // 0 (sent, the peer's not yet seen) and 1 (both seen) are both done for a half-close.
    return perform(Operation::shutdown, [&] {
        const int ret = SSL_shutdown(ssl_.get());
        return ret >= 0 ? 1 : ret;
    });
}

std::error_code Engine::fail(ErrorInfo info) noexcept {
    last_error_ = std::move(info);
    return last_error_.code;
}

std::size_t Engine::pending() const noexcept {
    int n = SSL_pending(ssl_.get());
    return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool Engine::handshake_done() const noexcept {
    return SSL_is_init_finished(ssl_.get()) == 1;
}

std::optional<CertificateInfo> Engine::peer_certificate() const {
    if (!handshake_done()) {
        throw std::logic_error("getpeercert: handshake not done yet");
    }
    X509* peer = SSL_get0_peer_certificate(ssl_.get());
    if (peer == nullptr) {
        return std::nullopt;
    }
    // Python returns {} for a certificate nobody verified, so that an unverified dict is never
    // mistaken for a verified identity.
    if ((SSL_get_verify_mode(ssl_.get()) & SSL_VERIFY_PEER) == 0) {
        return CertificateInfo{};
    }
    return decode_x509(peer);
}

std::optional<Bytes> Engine::peer_certificate_der() const {
    if (!handshake_done()) {
        throw std::logic_error("getpeercert: handshake not done yet");
    }
    X509* peer = SSL_get0_peer_certificate(ssl_.get());
    if (peer == nullptr) {
        return std::nullopt;
    }
    return ossl::to_der(i2d_X509, peer, "getpeercert");
}

std::optional<CipherDescription> Engine::cipher() const {
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
    if (c == nullptr) {
        return std::nullopt;
    }
    CipherDescription d;
    d.name = SSL_CIPHER_get_name(c);
    d.protocol = SSL_CIPHER_get_version(c);
    d.secret_bits = SSL_CIPHER_get_bits(c, nullptr);
    return d;
}

std::optional<std::string> Engine::version() const {
    if (!handshake_done()) {
        return std::nullopt;
    }
    return std::string(SSL_get_version(ssl_.get()));
}

std::optional<std::string> Engine::selected_alpn_protocol() const {
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl_.get(), &data, &len);
    if (data == nullptr || len == 0) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(data), len);
}

Engine::~Engine() {
    // SSL_free applies TLS 1.0's rule that a connection closed without close_notify makes its
    // session unresumable: it drops it from the cache and flags the SSL_SESSION, which the
    // Session a user took with session() shares. TLS 1.1 dropped the rule (RFC 5246, 7.2.1), and
    // an Asio stream or Object destroyed after a clean exchange, or a server whose client just
    // hung up, would otherwise lose resumption. A fatal error still discards the session
    // (OpenSSL removes it when the error happens).
    if (ssl_ && !fatal_ && handshake_done()) {
        SSL_set_shutdown(ssl_.get(), SSL_get_shutdown(ssl_.get()) | SSL_SENT_SHUTDOWN);
    }
}

Session Engine::session() const {
    ossl::SessionPtr s(SSL_get1_session(ssl_.get()));
    // A TLS 1.3 client has nothing to resume with until the server's NewSessionTicket, which
    // comes after the handshake and is taken in by a read. Python hands out that session anyway;
    // it serializes fine and never resumes, so tlsctx reports "no session yet" instead.
    if (!s || SSL_SESSION_is_resumable(s.get()) != 1) {
        return Session();
    }
    return SessionAccess::adopt(std::move(s));
}

void Engine::set_session(const Session& session) {
    if (server_side_) {
        throw std::logic_error("set_session: cannot set a session on a server-side connection");
    }
    if (handshake_done()) {
        throw std::logic_error("set_session: cannot set a session after the handshake");
    }
    if (!session.empty() && !session.is_resumable()) {
        throw std::invalid_argument(
            "set_session: the session is not resumable (on TLS 1.3, take it after the first read)");
    }
    // SSL_set_session takes its own reference; the Session keeps ours.
    if (SSL_set_session(ssl_.get(), static_cast<SSL_SESSION*>(session.native_handle())) != 1) {
        ossl::throw_error("set_session", "the session cannot be used");
    }
}

bool Engine::session_reused() const noexcept {
    return SSL_session_reused(ssl_.get()) == 1;
}

std::optional<std::vector<CipherDescription>> Engine::shared_ciphers() const {
    STACK_OF(SSL_CIPHER)* client = SSL_get_client_ciphers(ssl_.get());
    if (!server_side_ || client == nullptr) {
        return std::nullopt;
    }
    std::vector<CipherDescription> out;
    STACK_OF(SSL_CIPHER)* ours = SSL_get_ciphers(ssl_.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(ours); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(ours, i);
        if (sk_SSL_CIPHER_find(client, const_cast<SSL_CIPHER*>(c)) >= 0) {
            out.push_back({SSL_CIPHER_get_name(c), SSL_CIPHER_get_version(c),
                           SSL_CIPHER_get_bits(c, nullptr)});
        }
    }
    return out;
}

std::vector<Bytes> Engine::verified_chain() const {
    std::vector<Bytes> out;
    STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl_.get());
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
        out.push_back(ossl::to_der(i2d_X509, sk_X509_value(chain, i), "get_chain"));
    }
    return out;
}

std::vector<Bytes> Engine::unverified_chain() const {
    std::vector<Bytes> out;
    // A server's view of the client's chain omits the client's own certificate; Python 3.13
    // puts it first so both sides see leaf-first chains.
    if (server_side_) {
        if (X509* peer = SSL_get0_peer_certificate(ssl_.get())) {
            out.push_back(ossl::to_der(i2d_X509, peer, "get_chain"));
        }
    }
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_.get());
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
        out.push_back(ossl::to_der(i2d_X509, sk_X509_value(chain, i), "get_chain"));
    }
    return out;
}

std::optional<Bytes> Engine::channel_binding(std::string_view type) const {
    if (type == "tls-unique") {
        // RFC 5929: the first Finished message of the latest handshake. In a full handshake the
        // client sends it first, in a resumed one the server does.
        unsigned char buf[EVP_MAX_MD_SIZE];
        std::size_t len = (session_reused() != !server_side_)
                              ? SSL_get_finished(ssl_.get(), buf, sizeof buf)
                              : SSL_get_peer_finished(ssl_.get(), buf, sizeof buf);
        if (len == 0) {
            return std::nullopt;
        }
        return Bytes(buf, buf + len);
    }
    if (type == "tls-exporter") {
        if (!handshake_done()) {
            return std::nullopt;
        }
        // RFC 9266 section 2: 32 bytes exported with this label and no context.
        static constexpr char kLabel[] = "EXPORTER-Channel-Binding";
        Bytes out(32);
        if (SSL_export_keying_material(ssl_.get(), out.data(), out.size(), kLabel,
                                       sizeof kLabel - 1, nullptr, 0, 0) != 1) {
            ossl::throw_error("get_channel_binding", "cannot export keying material");
        }
        return out;
    }
    throw std::invalid_argument("get_channel_binding: '" + std::string(type) +
                                "' channel binding type not implemented");
}

void Engine::verify_client_post_handshake() {
    if (!server_side_) {
        throw std::logic_error("verify_client_post_handshake: only a server can ask");
    }
    ERR_clear_error();
    if (SSL_verify_client_post_handshake(ssl_.get()) != 1) {
        ossl::throw_error("verify_client_post_handshake", "cannot request a client certificate");
    }
}

std::optional<std::string> Engine::server_name() const {
    // OpenSSL keeps the client's name on a server even when the handshake failed, and on a
    // resumed TLS 1.2 session reports the name of the session's first handshake.
    const char* name = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
    return name != nullptr ? std::optional<std::string>(name) : std::nullopt;
}

void Engine::switch_context(std::shared_ptr<ContextState> context) {
    if (SSL_set_SSL_CTX(ssl_.get(), context->ctx.get()) == nullptr) {
        ossl::throw_error("set_context", "cannot switch the connection's context");
    }
    // SSL_set_SSL_CTX copied the new context's own certificates; it may have newer ones.
    if (!context->live.apply(ssl_.get())) {
        ossl::throw_error("set_context", "cannot give the connection the reloaded certificates");
    }
    context_ = std::move(context);
}

void Engine::stash_failure(std::exception_ptr failure) noexcept {
    if (!callback_failure_) {
        callback_failure_ = std::move(failure);
    }
}

}  // namespace tls::detail
