// After the handshake: keying material exporters (RFC 5705, RFC 8446 7.5) and the per-connection
// counters the info callback keeps (Engine::update_keys, which needs perform(), is in engine.cpp).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

#include "engine.hpp"
#include "ex_data.hpp"
#include "ossl/error.hpp"

namespace tls::detail {

void count_handshake_messages(const SSL* ssl, int where, int /*ret*/) {
    // OpenSSL reports each handshake message with SSL_CB_LOOP once the state machine moved to
    // it (TLS 1.3's post-handshake messages included, SSL_CTX_set_info_callback(3)); records
    // never come here.
    if ((where & SSL_CB_LOOP) == 0) {
        return;
    }
    if (Engine* engine = engine_of(ssl)) {
        engine->note_handshake_state(where);
    }
}

void Engine::note_handshake_state(int /*where*/) noexcept {
    switch (SSL_get_state(ssl_.get())) {
        case TLS_ST_CW_KEY_UPDATE:
        case TLS_ST_SW_KEY_UPDATE:
            ++key_updates_sent_;
            break;
        case TLS_ST_CR_KEY_UPDATE:
        case TLS_ST_SR_KEY_UPDATE:
            ++key_updates_received_;
            break;
        case TLS_ST_CR_SESSION_TICKET:
            ++session_tickets_received_;
            break;
        default:
            break;
    }
}

Bytes Engine::export_keying_material(std::string_view label, const std::optional<Bytes>& context,
                                     std::size_t length) const {
    if (!handshake_done()) {
        throw std::logic_error("export_keying_material: the handshake is not done");
    }
    Bytes out(length);
    const unsigned char* ctx_data = context && !context->empty() ? context->data() : nullptr;
    const std::size_t ctx_len = context ? context->size() : 0;
    ERR_clear_error();
    // use_context 0 and an empty context give different TLS 1.2 output (RFC 5705 4); TLS 1.3
    // defines the two alike (RFC 8446 7.5).
    if (SSL_export_keying_material(ssl_.get(), out.data(), out.size(), label.data(), label.size(),
                                   ctx_data, ctx_len, context ? 1 : 0) != 1) {
        ossl::throw_error("export_keying_material", "cannot export keying material");
    }
    return out;
}

ConnectionStats Engine::stats() const noexcept {
    ConnectionStats s;
    s.key_updates_sent = key_updates_sent_;
    s.key_updates_received = key_updates_received_;
    s.session_tickets_received = session_tickets_received_;
    // The BIOs count every byte through them anyway: the TLS records as they cross the transport.
    if (BIO* rbio = SSL_get_rbio(ssl_.get())) {
        s.bytes_received = BIO_number_read(rbio);
    }
    if (BIO* wbio = SSL_get_wbio(ssl_.get())) {
        s.bytes_sent = BIO_number_written(wbio);
    }
    return s;
}

}  // namespace tls::detail

namespace tls {

Bytes Connection::export_keying_material(std::string_view label,
                                         const std::optional<Bytes>& context,
                                         std::size_t length) const {
    return engine("export_keying_material").export_keying_material(label, context, length);
}

ConnectionStats Connection::stats() const noexcept {
    return engine_ ? engine_->stats() : ConnectionStats{};
}

}  // namespace tls
