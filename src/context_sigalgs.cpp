// Signature algorithms: a tls::Context's lists for the server's and the client's handshake
// signatures, and the names OpenSSL has built in (Python 3.15's set_server_sigalgs,
// set_client_sigalgs and ssl.get_sigalgs).
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <string_view>
#include <vector>

#include "context_state.hpp"
#include "ossl/error.hpp"
#include "ossl/handles.hpp"
#include "tls/ciphers.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/version.hpp"

namespace tls {

// Both setters parse the whole list before replacing the context's, so a refused list leaves
// the previous one in force. OpenSSL's security level still filters what is negotiated: a
// SHA-1 algorithm in the list is never used at the default level.

void Context::set_server_sigalgs(std::string_view sigalgs) {
    const std::string text(sigalgs);
    if (SSL_CTX_set1_sigalgs_list(state_->ctx.get(), text.c_str()) != 1) {
        ossl::throw_error("set_server_sigalgs",
                          "unknown or unusable signature algorithm in '" + text + "'");
    }
}

void Context::set_client_sigalgs(std::string_view sigalgs) {
    const std::string text(sigalgs);
    if (SSL_CTX_set1_client_sigalgs_list(state_->ctx.get(), text.c_str()) != 1) {
        ossl::throw_error("set_client_sigalgs",
                          "unknown or unusable signature algorithm in '" + text + "'");
    }
}

std::vector<std::string> get_sigalgs() {
#if OPENSSL_VERSION_NUMBER >= 0x30400000L
    ossl::OpensslStringPtr list(SSL_get1_builtin_sigalgs(nullptr));
    if (!list) {
        ossl::throw_error("get_sigalgs", "cannot list the built-in signature algorithms");
    }
    // One colon-separated string.
    std::vector<std::string> out;
    std::string_view rest(list.get());
    while (!rest.empty()) {
        const std::size_t colon = rest.find(':');
        out.emplace_back(rest.substr(0, colon));
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
    return out;
#else
    throw NotImplementedError(
        "get_sigalgs: needs OpenSSL 3.4 or later (linked: " + openssl_version() + ")");
#endif
}

}  // namespace tls
