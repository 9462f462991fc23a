// ALPN of a tls::Context: the protocols a client offers and a server chooses from.
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "context_state.hpp"
#include "ossl/error.hpp"
#include "tls/context.hpp"

namespace tls {
namespace {

using detail::ContextState;

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    if (state->alpn_wire.empty()) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    unsigned char* selected = nullptr;
    // The server's order wins (SSL_select_next_proto's first list), as in Python.
    int r = SSL_select_next_proto(&selected, outlen, state->alpn_wire.data(),
                                  static_cast<unsigned int>(state->alpn_wire.size()), in, inlen);
    if (r != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void Context::set_alpn_protocols(const std::vector<std::string>& protocols) {
    std::vector<unsigned char> wire;
    for (const std::string& p : protocols) {
        if (p.empty() || p.size() > 255) {
            throw std::invalid_argument(
                "set_alpn_protocols: protocol names must be 1 to 255 bytes");
        }
        wire.push_back(static_cast<unsigned char>(p.size()));
        wire.insert(wire.end(), p.begin(), p.end());
    }
    if (wire.size() > 65535) {
        throw std::invalid_argument("set_alpn_protocols: the protocol list is too long");
    }
    // SSL_CTX_set_alpn_protos returns 0 on success (unlike most of OpenSSL).
    if (SSL_CTX_set_alpn_protos(state_->ctx.get(), wire.data(),
                                static_cast<unsigned int>(wire.size())) != 0) {
        ossl::throw_error("set_alpn_protocols", "cannot set the ALPN list");
    }
    state_->alpn_wire = std::move(wire);
    SSL_CTX_set_alpn_select_cb(state_->ctx.get(), &select_alpn, state_.get());
}

}  // namespace tls
