// Cipher suites of a tls::Context: set_ciphers (which may not lower the security level),
// set_ciphersuites (TLS 1.3) and get_ciphers.
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <string_view>

#include "context_state.hpp"
#include "context_unchecked.hpp"
#include "ossl/error.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "weakening.hpp"

namespace tls {
namespace {

// The TLS 1.2-and-below list of a context as a cipher string, to restore it after a refusal
// (OpenSSL replaces the list even when it then reports that nothing matched).
std::string current_cipher_string(SSL_CTX* ctx) {
    std::string out;
    STACK_OF(SSL_CIPHER)* current = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; current != nullptr && i < sk_SSL_CIPHER_num(current); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(current, i);
        if (std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3") {
            continue;  // TLS 1.3 suites are configured separately and stay untouched
        }
        if (!out.empty()) {
            out += ':';
        }
        out += SSL_CIPHER_get_name(c);
    }
    return out;
}

void restore_ciphers(SSL_CTX* ctx, const std::string& previous, int level) {
    SSL_CTX_set_security_level(ctx, level);
    if (!previous.empty()) {
        SSL_CTX_set_cipher_list(ctx, previous.c_str());
    }
    ERR_clear_error();
}

std::optional<std::string> long_name(int nid) {
    if (nid == NID_undef) {
        return std::nullopt;
    }
    const char* ln = OBJ_nid2ln(nid);
    return ln != nullptr ? std::optional<std::string>(ln) : std::nullopt;
}

}  // namespace

void Context::set_ciphers(std::string_view cipher_string) {
    SSL_CTX* ctx = state_->ctx.get();
    const int level_before = SSL_CTX_get_security_level(ctx);
    const std::string previous = current_cipher_string(ctx);
    detail::unchecked::set_ciphers(*state_, cipher_string);
    // A "@SECLEVEL=n" in the string sets the context's level too.
    if (SSL_CTX_get_security_level(ctx) < level_before) {
        restore_ciphers(ctx, previous, level_before);
        detail::refuse_weakening("set_ciphers", "the string lowers the security level below " +
                                                    std::to_string(level_before));
    }
}

void Context::set_ciphers(CipherPolicy policy) {
    set_ciphers(cipher_string(policy));
}

void Context::set_ciphersuites(std::string_view ciphersuites) {
    // OpenSSL parses into a new list and replaces the context's only on success, so a refused
    // string leaves the suites as they were.
    const std::string text(ciphersuites);
    if (SSL_CTX_set_ciphersuites(state_->ctx.get(), text.c_str()) != 1) {
        ERR_clear_error();
        // Python's SSLError wording.
        throw SSLError(SSLErrc::ssl,
                       "set_ciphersuites: No cipher suite can be selected. (" + text + ")");
    }
}

std::vector<CipherInfo> Context::get_ciphers() const {
    // Python asks an SSL made from the context: the list then includes the TLS 1.3 suites.
    ossl::SslPtr ssl(SSL_new(state_->ctx.get()));
    if (!ssl) {
        ossl::throw_error("get_ciphers", "cannot create an SSL object");
    }
    std::vector<CipherInfo> out;
    STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl.get());
    for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
        CipherInfo info;
        info.id = SSL_CIPHER_get_id(c);
        info.name = SSL_CIPHER_get_name(c);
        info.protocol = SSL_CIPHER_get_version(c);
        char buf[256];
        info.description = SSL_CIPHER_description(c, buf, sizeof buf);
        // Python (cipher_to_dict) drops the one trailing newline and keeps the rest: some
        // descriptions end in the padding of a short field ("Mac=MD5 "), which Python keeps.
        if (!info.description.empty() && info.description.back() == '\n') {
            info.description.pop_back();
        }
        info.strength_bits = SSL_CIPHER_get_bits(c, &info.alg_bits);
        info.aead = SSL_CIPHER_is_aead(c) != 0;
        info.symmetric = long_name(SSL_CIPHER_get_cipher_nid(c));
        info.digest = long_name(SSL_CIPHER_get_digest_nid(c));
        info.kea = long_name(SSL_CIPHER_get_kx_nid(c));
        info.auth = long_name(SSL_CIPHER_get_auth_nid(c));
        out.push_back(std::move(info));
    }
    return out;
}

namespace detail::unchecked {

void set_ciphers(ContextState& state, std::string_view cipher_string) {
    SSL_CTX* ctx = state.ctx.get();
    const int level_before = SSL_CTX_get_security_level(ctx);
    const std::string previous = current_cipher_string(ctx);
    std::string text(cipher_string);
    if (SSL_CTX_set_cipher_list(ctx, text.c_str()) != 1) {
        restore_ciphers(ctx, previous, level_before);
        // Python's wording: an empty selection is the common user error.
        throw SSLError(SSLErrc::ssl, "set_ciphers: No cipher can be selected. (" + text + ")");
    }
}

}  // namespace detail::unchecked
}  // namespace tls
