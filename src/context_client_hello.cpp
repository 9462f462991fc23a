// The ClientHello callback of a tls::Context's servers: the OpenSSL trampoline that runs it
// before OpenSSL chooses anything, and what its ClientHello can tell (parsed from the raw
// extensions, RFC 8446 4.2) and do (switch the connection's context).
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "client_hello_names.hpp"
#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "ossl/handles.hpp"
#include "tls/client_hello.hpp"
#include "tls/context.hpp"

namespace tls {

struct detail::ClientHelloAccess {
    static ClientHello make(detail::Engine* engine) { return ClientHello(engine); }
};

namespace {

using detail::ContextState;

// A bounds-checked reader over one extension's bytes: a malformed length ends the list early
// (OpenSSL rejects such a ClientHello itself once the callback returns).
class Reader {
  public:
    Reader(const unsigned char* data, std::size_t size) noexcept : data_(data), size_(size) {}
    bool empty() const noexcept { return size_ == 0; }
    bool u8(unsigned& out) noexcept {
        if (size_ < 1) {
            return false;
        }
        out = data_[0];
        skip(1);
        return true;
    }
    bool u16(std::uint16_t& out) noexcept {
        if (size_ < 2) {
            return false;
        }
        out = static_cast<std::uint16_t>((data_[0] << 8) | data_[1]);
        skip(2);
        return true;
    }
    // A sub-reader over the next `n` bytes.
    bool take(std::size_t n, Reader& out) noexcept {
        if (size_ < n) {
            return false;
        }
        out = Reader(data_, n);
        skip(n);
        return true;
    }
    // The vector that follows, with a 1- or 2-byte length (RFC 8446 3.4).
    bool vector8(Reader& out) noexcept {
        unsigned n = 0;
        return u8(n) && take(n, out);
    }
    bool vector16(Reader& out) noexcept {
        std::uint16_t n = 0;
        return u16(n) && take(n, out);
    }
    std::string rest() const { return std::string(reinterpret_cast<const char*>(data_), size_); }

  private:
    void skip(std::size_t n) noexcept {
        data_ += n;
        size_ -= n;
    }
    const unsigned char* data_;
    std::size_t size_;
};

SSL* ssl_of(void* engine) {
    return static_cast<detail::Engine*>(engine)->ssl();
}

// The extension's bytes, or std::nullopt when the client did not send it.
std::optional<Reader> extension(void* engine, unsigned type) {
    const unsigned char* data = nullptr;
    std::size_t size = 0;
    if (SSL_client_hello_get0_ext(ssl_of(engine), type, &data, &size) != 1) {
        return std::nullopt;
    }
    return Reader(data, size);
}

// The 16-bit code points of a list extension with a 1- or 2-byte length, GREASE left out.
std::vector<std::uint16_t> code_points(void* engine, unsigned type, bool short_length) {
    std::vector<std::uint16_t> out;
    std::optional<Reader> ext = extension(engine, type);
    Reader list(nullptr, 0);
    if (!ext || !(short_length ? ext->vector8(list) : ext->vector16(list))) {
        return out;
    }
    std::uint16_t value = 0;
    while (list.u16(value)) {
        if (!detail::is_grease(value)) {
            out.push_back(value);
        }
    }
    return out;
}

std::string group_name(SSL* ssl, std::uint16_t id) {
    // TLSEXT_nid_unknown marks the argument as a TLS group id rather than a NID.
    const char* name = SSL_group_to_name(ssl, static_cast<int>(TLSEXT_nid_unknown | id));
    return name != nullptr ? std::string(name) : detail::hex_code_point(id);
}

std::string describe_refusal(int alert) {
    return "the ClientHello callback refused the handshake with alert " + std::to_string(alert) +
           " (" + SSL_alert_desc_string_long(alert) + ")";
}

// Called on each ClientHello by the context the connection was made with.
int client_hello_trampoline(SSL* ssl, int* alert, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    detail::Engine* engine = detail::engine_of(ssl);
    if (engine == nullptr || !state->client_hello_callback) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    try {
        ClientHello hello = detail::ClientHelloAccess::make(engine);
        std::optional<AlertDescription> refusal = state->client_hello_callback(hello);
        if (refusal) {
            *alert = static_cast<int>(*refusal);
            engine->note_callback_refusal(describe_refusal(*alert));
            return SSL_CLIENT_HELLO_ERROR;
        }
        return SSL_CLIENT_HELLO_SUCCESS;
    } catch (...) {
        engine->stash_failure(std::current_exception());
        *alert = SSL_AD_INTERNAL_ERROR;
        try {
            engine->note_callback_refusal("the ClientHello callback threw an exception");
        } catch (...) {
            // Out of memory: the error keeps the generic message.
        }
        return SSL_CLIENT_HELLO_ERROR;
    }
}

}  // namespace

std::optional<std::string> ClientHello::server_name() const {
    // RFC 6066 3: a list of (type, name); only host_name (0) is defined.
    std::optional<Reader> ext = extension(engine_, TLSEXT_TYPE_server_name);
    Reader list(nullptr, 0);
    if (!ext || !ext->vector16(list)) {
        return std::nullopt;
    }
    unsigned type = 0;
    Reader name(nullptr, 0);
    while (list.u8(type) && list.vector16(name)) {
        if (type == TLSEXT_NAMETYPE_host_name) {
            return name.rest();
        }
    }
    return std::nullopt;
}

std::vector<std::string> ClientHello::alpn_protocols() const {
    std::vector<std::string> out;
    std::optional<Reader> ext =
        extension(engine_, TLSEXT_TYPE_application_layer_protocol_negotiation);
    Reader list(nullptr, 0);
    if (!ext || !ext->vector16(list)) {
        return out;
    }
    Reader name(nullptr, 0);
    while (list.vector8(name)) {
        out.push_back(name.rest());
    }
    return out;
}

std::vector<std::string> ClientHello::supported_versions() const {
    std::vector<std::string> out;
    if (extension(engine_, TLSEXT_TYPE_supported_versions)) {
        for (std::uint16_t v : code_points(engine_, TLSEXT_TYPE_supported_versions, true)) {
            out.push_back(detail::protocol_version_name(v));
        }
        return out;
    }
    const auto legacy =
        static_cast<std::uint16_t>(SSL_client_hello_get0_legacy_version(ssl_of(engine_)));
    out.push_back(detail::protocol_version_name(legacy));
    return out;
}

std::vector<std::string> ClientHello::groups() const {
    std::vector<std::string> out;
    for (std::uint16_t id : code_points(engine_, TLSEXT_TYPE_supported_groups, false)) {
        out.push_back(group_name(ssl_of(engine_), id));
    }
    return out;
}

std::vector<std::string> ClientHello::key_shares() const {
    // RFC 8446 4.2.8: KeyShareEntry client_shares<0..2^16-1>, each a group and its key.
    std::vector<std::string> out;
    std::optional<Reader> ext = extension(engine_, TLSEXT_TYPE_key_share);
    Reader list(nullptr, 0);
    if (!ext || !ext->vector16(list)) {
        return out;
    }
    std::uint16_t group = 0;
    Reader key(nullptr, 0);
    while (list.u16(group) && list.vector16(key)) {
        if (!detail::is_grease(group)) {
            out.push_back(group_name(ssl_of(engine_), group));
        }
    }
    return out;
}

std::vector<std::string> ClientHello::cipher_suites() const {
    std::vector<std::string> out;
    SSL* ssl = ssl_of(engine_);
    const unsigned char* data = nullptr;
    const std::size_t size = SSL_client_hello_get0_ciphers(ssl, &data);
    for (std::size_t i = 0; i + 1 < size; i += 2) {
        const auto id = static_cast<std::uint16_t>((data[i] << 8) | data[i + 1]);
        if (detail::is_grease(id)) {
            continue;
        }
        const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, data + i);
        out.push_back(cipher != nullptr ? std::string(SSL_CIPHER_get_name(cipher))
                                        : detail::hex_code_point(id));
    }
    return out;
}

std::vector<std::string> ClientHello::signature_algorithms() const {
    std::vector<std::string> out;
    for (std::uint16_t s : code_points(engine_, TLSEXT_TYPE_signature_algorithms, false)) {
        out.push_back(detail::signature_scheme_name(s));
    }
    return out;
}

bool ClientHello::offers_resumption() const {
    if (extension(engine_, TLSEXT_TYPE_psk)) {
        return true;
    }
    std::optional<Reader> ticket = extension(engine_, TLSEXT_TYPE_session_ticket);
    if (ticket && !ticket->empty()) {
        return true;
    }
    const unsigned char* id = nullptr;
    const std::size_t id_len = SSL_client_hello_get0_session_id(ssl_of(engine_), &id);
    if (id_len == 0) {
        return false;
    }
    for (std::uint16_t v : code_points(engine_, TLSEXT_TYPE_supported_versions, true)) {
        if (v >= TLS1_3_VERSION) {
            return false;  // RFC 8446 D.4's random compatibility id
        }
    }
    return true;
}

std::vector<int> ClientHello::extension_types() const {
    int* raw = nullptr;
    std::size_t count = 0;
    if (SSL_client_hello_get1_extensions_present(ssl_of(engine_), &raw, &count) != 1) {
        return {};
    }
    const ossl::OpensslIntsPtr owner(raw);
    return std::vector<int>(raw, raw + count);
}

Context ClientHello::context() const {
    return detail::ContextAccess::handle(static_cast<detail::Engine*>(engine_)->context());
}

void ClientHello::set_context(const Context& other) {
    static_cast<detail::Engine*>(engine_)->switch_context(
        detail::ContextAccess::shared_state(other));
}

void Context::set_client_hello_callback(ClientHelloCallback callback) {
    state_->client_hello_callback = std::move(callback);
    if (state_->client_hello_callback) {
        SSL_CTX_set_client_hello_cb(state_->ctx.get(), &client_hello_trampoline, state_.get());
    } else {
        SSL_CTX_set_client_hello_cb(state_->ctx.get(), nullptr, nullptr);
    }
}

}  // namespace tls
