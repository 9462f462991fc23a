// Context settings for sessions, SNI, key exchange, post-handshake authentication and the
// diagnostic hooks (key log, message callback), with the OpenSSL callbacks behind them.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/context.hpp"
#include "tls/dangerous.hpp"

namespace tls {

struct detail::ServerNameRequestAccess {
    static ServerNameRequest make(detail::Engine* engine, const char* name) {
        return {engine, name != nullptr ? std::optional<std::string>(name) : std::nullopt};
    }
};

namespace {

using detail::ContextState;

// Called on the ClientHello by the context the connection was made with.
int sni_trampoline(SSL* ssl, int* alert, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    detail::Engine* engine = detail::engine_of(ssl);
    if (engine == nullptr || !state->sni_callback) {
        return SSL_TLSEXT_ERR_OK;
    }
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    try {
        ServerNameRequest request = detail::ServerNameRequestAccess::make(engine, name);
        std::optional<AlertDescription> refusal = state->sni_callback(request);
        if (refusal) {
            *alert = static_cast<int>(*refusal);
            return SSL_TLSEXT_ERR_ALERT_FATAL;
        }
        return SSL_TLSEXT_ERR_OK;
    } catch (...) {
        engine->stash_failure(std::current_exception());
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
}

void keylog_trampoline(const SSL* ssl, const char* line) noexcept {
    ContextState* state = detail::state_of(SSL_get_SSL_CTX(ssl));
    if (state == nullptr) {
        return;
    }
    std::lock_guard<std::mutex> lock(state->keylog_mutex);
    if (state->keylog_file) {
        std::fputs(line, state->keylog_file.get());
        std::fputc('\n', state->keylog_file.get());
        std::fflush(state->keylog_file.get());
    }
}

void msg_trampoline(int write_p, int version, int content_type, const void* buf, size_t len,
                    SSL* ssl, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    if (state == nullptr || !state->msg_callback) {
        return;
    }
    TlsMessage message;
    message.outgoing = write_p != 0;
    message.version = version;
    message.content_type = content_type;
    message.data = static_cast<const unsigned char*>(buf);
    message.size = len;
    if (content_type == SSL3_RT_ALERT && len >= 2) {
        message.alert_level = message.data[0];
        message.alert_description = static_cast<AlertDescription>(message.data[1]);
    }
    try {
        state->msg_callback(message);
    } catch (...) {
        if (detail::Engine* engine = detail::engine_of(ssl)) {
            engine->stash_failure(std::current_exception());
        }
    }
}

// The PSK callbacks find the context through the SSL, since OpenSSL passes no argument.
unsigned int psk_client_trampoline(SSL* ssl, const char* hint, char* identity,
                                   unsigned int max_identity_len, unsigned char* psk,
                                   unsigned int max_psk_len) noexcept {
    ContextState* state = detail::state_of(SSL_get_SSL_CTX(ssl));
    detail::Engine* engine = detail::engine_of(ssl);
    if (state == nullptr || !state->psk_client_callback) {
        return 0;
    }
    try {
        PskClientIdentity answer = state->psk_client_callback(
            hint != nullptr ? std::optional<std::string>(hint) : std::nullopt);
        const std::string id = answer.identity.value_or("");
        // The identity is written NUL-terminated into OpenSSL's buffer.
        if (answer.psk.empty() || answer.psk.size() > max_psk_len ||
            id.size() + 1 > max_identity_len) {
            OPENSSL_cleanse(answer.psk.data(), answer.psk.size());
            return 0;
        }
        std::memcpy(identity, id.c_str(), id.size() + 1);
        std::memcpy(psk, answer.psk.data(), answer.psk.size());
        OPENSSL_cleanse(answer.psk.data(), answer.psk.size());
        return static_cast<unsigned int>(answer.psk.size());
    } catch (...) {
        if (engine != nullptr) {
            engine->stash_failure(std::current_exception());
        }
        return 0;
    }
}

unsigned int psk_server_trampoline(SSL* ssl, const char* identity, unsigned char* psk,
                                   unsigned int max_psk_len) noexcept {
    ContextState* state = detail::state_of(SSL_get_SSL_CTX(ssl));
    detail::Engine* engine = detail::engine_of(ssl);
    if (state == nullptr || !state->psk_server_callback) {
        return 0;
    }
    try {
        Bytes key = state->psk_server_callback(
            identity != nullptr ? std::optional<std::string>(identity) : std::nullopt);
        if (key.empty() || key.size() > max_psk_len) {
            OPENSSL_cleanse(key.data(), key.size());
            return 0;
        }
        std::memcpy(psk, key.data(), key.size());
        OPENSSL_cleanse(key.data(), key.size());
        return static_cast<unsigned int>(key.size());
    } catch (...) {
        if (engine != nullptr) {
            engine->stash_failure(std::current_exception());
        }
        return 0;
    }
}

detail::Engine& engine_from(void* p) {
    return *static_cast<detail::Engine*>(p);
}

}  // namespace

Context ServerNameRequest::context() const {
    return Context(engine_from(engine_).context());
}

void ServerNameRequest::set_context(const Context& other) {
    engine_from(engine_).switch_context(other.state());
}

std::size_t Context::num_tickets() const noexcept {
    return SSL_CTX_get_num_tickets(state_->ctx.get());
}

void Context::set_num_tickets(std::size_t n) {
    if (state_->protocol == Protocol::PROTOCOL_TLS_CLIENT) {
        throw std::invalid_argument("set_num_tickets: a client context sends no tickets");
    }
    SSL_CTX_set_num_tickets(state_->ctx.get(), n);
}

SessionStats Context::session_stats() const noexcept {
    SSL_CTX* c = state_->ctx.get();
    SessionStats s;
    s.number = SSL_CTX_sess_number(c);
    s.connect = SSL_CTX_sess_connect(c);
    s.connect_good = SSL_CTX_sess_connect_good(c);
    s.connect_renegotiate = SSL_CTX_sess_connect_renegotiate(c);
    s.accept = SSL_CTX_sess_accept(c);
    s.accept_good = SSL_CTX_sess_accept_good(c);
    s.accept_renegotiate = SSL_CTX_sess_accept_renegotiate(c);
    s.hits = SSL_CTX_sess_hits(c);
    s.misses = SSL_CTX_sess_misses(c);
    s.timeouts = SSL_CTX_sess_timeouts(c);
    s.cache_full = SSL_CTX_sess_cache_full(c);
    return s;
}

void Context::set_session_cache_enabled(bool on) noexcept {
    SSL_CTX_set_session_cache_mode(state_->ctx.get(),
                                   on ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
}

void Context::set_session_cache_size(long sessions) noexcept {
    SSL_CTX_sess_set_cache_size(state_->ctx.get(), sessions);
}

long Context::session_cache_size() const noexcept {
    return SSL_CTX_sess_get_cache_size(state_->ctx.get());
}

void Context::set_ticket_keys(const Bytes& keys) {
    // OpenSSL's layout: 16 bytes key name, 32 bytes HMAC secret, 32 bytes AES key.
    if (keys.size() != 80) {
        throw std::invalid_argument("set_ticket_keys: ticket keys are exactly 80 bytes");
    }
    Bytes copy = keys;
    if (SSL_CTX_set_tlsext_ticket_keys(state_->ctx.get(), copy.data(),
                                       static_cast<long>(copy.size())) != 1) {
        ossl::throw_error("set_ticket_keys", "cannot set the ticket keys");
    }
    OPENSSL_cleanse(copy.data(), copy.size());
}

void Context::set_sni_callback(SniCallback callback) {
    state_->sni_callback = std::move(callback);
    if (state_->sni_callback) {
        SSL_CTX_set_tlsext_servername_callback(state_->ctx.get(), &sni_trampoline);
        SSL_CTX_set_tlsext_servername_arg(state_->ctx.get(), state_.get());
    } else {
        SSL_CTX_set_tlsext_servername_callback(state_->ctx.get(), nullptr);
    }
}

void Context::load_dh_params(const std::string& path) {
    std::string pem = detail::read_file(path, "load_dh_params");
    ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    ossl::EvpPkeyPtr params(bio ? PEM_read_bio_Parameters(bio.get(), nullptr) : nullptr);
    if (!params) {
        ossl::throw_error("load_dh_params", "no DH parameters in '" + path + "'");
    }
    // set0: on success the context owns the parameters.
    if (SSL_CTX_set0_tmp_dh_pkey(state_->ctx.get(), params.get()) != 1) {
        ossl::throw_error("load_dh_params", "the DH parameters cannot be used");
    }
    params.release();
}

void Context::set_ecdh_curve(const std::string& name) {
    if (SSL_CTX_set1_groups_list(state_->ctx.get(), name.c_str()) != 1) {
        ERR_clear_error();
        throw std::invalid_argument("set_ecdh_curve: unknown elliptic curve name '" + name + "'");
    }
}

void Context::set_groups(const std::string& groups) {
    if (SSL_CTX_set1_groups_list(state_->ctx.get(), groups.c_str()) != 1) {
        ossl::throw_error("set_groups", "unknown or unusable group in '" + groups + "'");
    }
}

bool Context::post_handshake_auth() const noexcept {
    return state_->post_handshake_auth;
}

void Context::set_post_handshake_auth(bool on) {
    state_->post_handshake_auth = on;
    SSL_CTX* ctx = state_->ctx.get();
    // Clients advertise the extension; servers that verify clients then ask after the
    // handshake instead of during it (SSL_VERIFY_POST_HANDSHAKE).
    SSL_CTX_set_post_handshake_auth(ctx, on ? 1 : 0);
    int mode = SSL_CTX_get_verify_mode(ctx);
    if ((mode & SSL_VERIFY_PEER) != 0) {
        mode = on ? (mode | SSL_VERIFY_POST_HANDSHAKE) : (mode & ~SSL_VERIFY_POST_HANDSHAKE);
        SSL_CTX_set_verify(ctx, mode, nullptr);
    }
}

void Context::set_psk_client_callback(PskClientCallback callback) {
    if (state_->protocol == Protocol::PROTOCOL_TLS_SERVER) {
        throw std::invalid_argument("set_psk_client_callback: not for a server context");
    }
    state_->psk_client_callback = std::move(callback);
    SSL_CTX_set_psk_client_callback(state_->ctx.get(),
                                    state_->psk_client_callback ? &psk_client_trampoline : nullptr);
}

void Context::set_psk_server_callback(PskServerCallback callback,
                                      const std::string& identity_hint) {
    if (state_->protocol == Protocol::PROTOCOL_TLS_CLIENT) {
        throw std::invalid_argument("set_psk_server_callback: not for a client context");
    }
    state_->psk_server_callback = std::move(callback);
    SSL_CTX_set_psk_server_callback(state_->ctx.get(),
                                    state_->psk_server_callback ? &psk_server_trampoline : nullptr);
    if (SSL_CTX_use_psk_identity_hint(
            state_->ctx.get(), identity_hint.empty() ? nullptr : identity_hint.c_str()) != 1) {
        ossl::throw_error("set_psk_server_callback", "cannot set the identity hint");
    }
}

std::string Context::keylog_filename() const {
    std::lock_guard<std::mutex> lock(state_->keylog_mutex);
    return state_->keylog_path;
}

void Context::set_msg_callback(MessageCallback callback) {
    state_->msg_callback = std::move(callback);
    if (state_->msg_callback) {
        SSL_CTX_set_msg_callback(state_->ctx.get(), &msg_trampoline);
        SSL_CTX_set_msg_callback_arg(state_->ctx.get(), state_.get());
    } else {
        SSL_CTX_set_msg_callback(state_->ctx.get(), nullptr);
    }
}

namespace detail {

void honour_sslkeylogfile(Context& context) {
    const char* path = std::getenv("SSLKEYLOGFILE");
    if (path != nullptr && *path != '\0') {
        context.dangerous().set_keylog_filename(path);
    }
}

}  // namespace detail

namespace dangerous {

Settings& Settings::set_keylog_filename(const std::string& path) {
    ContextState& state = *context_.state();
    std::unique_ptr<std::FILE, ContextState::FileCloser> file;
    if (!path.empty()) {
        file.reset(std::fopen(path.c_str(), "a"));
        if (!file) {
            throw std::system_error(errno, std::generic_category(),
                                    "set_keylog_filename: cannot open '" + path + "'");
        }
        if (std::ftell(file.get()) == 0) {
            std::fputs("# TLS secrets log file, generated by OpenSSL / tlsctx\n", file.get());
            std::fflush(file.get());
        }
    }
    {
        std::lock_guard<std::mutex> lock(state.keylog_mutex);
        state.keylog_file = std::move(file);
        state.keylog_path = path;
    }
    SSL_CTX_set_keylog_callback(state.ctx.get(), path.empty() ? nullptr : &keylog_trampoline);
    return *this;
}

}  // namespace dangerous
}  // namespace tls
