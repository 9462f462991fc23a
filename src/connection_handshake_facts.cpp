// What a connection negotiated beyond the cipher suite: the key-exchange group and the
// handshake signature algorithms (Python 3.15's group(), client_sigalg(), server_sigalg()).
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include <optional>
#include <string>

#include "engine.hpp"
#include "tls/connection.hpp"
#include "tls/errors.hpp"
#include "tls/version.hpp"

namespace tls {
namespace {

std::optional<std::string> name_or_none(const char* name) {
    return name != nullptr && *name != '\0' ? std::optional<std::string>(name) : std::nullopt;
}

// `own`: this end's signature, else the peer's.
std::optional<std::string> signature_name(const detail::Engine* engine, bool own,
                                          const char* operation) {
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    static_cast<void>(operation);
    if (engine == nullptr || !engine->handshake_done()) {
        return std::nullopt;
    }
    const char* name = nullptr;
    const int ok = own ? SSL_get0_signature_name(engine->ssl(), &name)
                       : SSL_get0_peer_signature_name(engine->ssl(), &name);
    return ok == 1 ? name_or_none(name) : std::nullopt;
#else
    // The NID getters of older versions cannot name every TLS 1.3 scheme (RSA-PSS with an
    // rsaEncryption key and with an RSA-PSS key look alike), so, like Python, no answer.
    static_cast<void>(engine);
    static_cast<void>(own);
    throw NotImplementedError(std::string(operation) +
                              ": needs OpenSSL 3.5 or later (linked: " + openssl_version() + ")");
#endif
}

}  // namespace

std::optional<std::string> Connection::group() const {
    // Before the handshake there may be no session, which OpenSSL before 3.5 does not check.
    if (!engine_ || !engine_->handshake_done()) {
        return std::nullopt;
    }
    SSL* ssl = engine_->ssl();
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
    return name_or_none(SSL_get0_group_name(ssl));
#else
    const int nid = SSL_get_negotiated_group(ssl);
    if (nid == NID_undef) {
        return std::nullopt;
    }
    // The TLS name of the group, as SSL_get0_group_name gives it from 3.2 on.
    return name_or_none(SSL_group_to_name(ssl, nid));
#endif
}

std::optional<std::string> Connection::client_sigalg() const {
    const detail::Engine* e = engine_.get();
    return signature_name(e, e != nullptr && !e->server_side(), "client_sigalg");
}

std::optional<std::string> Connection::server_sigalg() const {
    const detail::Engine* e = engine_.get();
    return signature_name(e, e != nullptr && e->server_side(), "server_sigalg");
}

}  // namespace tls
