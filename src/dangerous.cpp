// The weakening setters. Each is a plain OpenSSL call; what makes them safe to have is that they
// can only be reached by a name that says what they do.
#include "tls/dangerous.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

#include "context_state.hpp"
#include "ossl/error.hpp"

namespace tls::dangerous {

Settings& Settings::set_check_hostname(bool on) {
    if (on) {
        context_.set_check_hostname(true);
    } else {
        context_.state_->check_hostname = false;
    }
    return *this;
}

Settings& Settings::set_verify_mode(VerifyMode mode) {
    if (mode == VerifyMode::CERT_NONE) {
        // Python refuses CERT_NONE while check_hostname is on; asking for CERT_NONE by this
        // name means both.
        context_.state_->check_hostname = false;
        SSL_CTX_set_verify(context_.state_->ctx.get(), SSL_VERIFY_NONE, nullptr);
    } else {
        context_.set_verify_mode(mode);
    }
    return *this;
}

Settings& Settings::disable_verification() {
    return set_verify_mode(VerifyMode::CERT_NONE);
}

Settings& Settings::set_minimum_version(TLSVersion version) {
    auto& s = *context_.state_;
    if (s.protocol != Protocol::PROTOCOL_TLS && s.protocol != Protocol::PROTOCOL_TLS_CLIENT &&
        s.protocol != Protocol::PROTOCOL_TLS_SERVER) {
        throw std::invalid_argument(
            "set_minimum_version: the context's protocol doesn't support modification of highest "
            "and lowest version");
    }
    int v = version == TLSVersion::MINIMUM_SUPPORTED   ? 0
            : version == TLSVersion::MAXIMUM_SUPPORTED ? TLS1_3_VERSION
                                                       : static_cast<int>(version);
    if (SSL_CTX_set_min_proto_version(s.ctx.get(), v) != 1) {
        ERR_clear_error();
        throw std::invalid_argument("set_minimum_version: unsupported protocol version " +
                                    std::to_string(static_cast<int>(version)));
    }
    return *this;
}

Settings& Settings::set_verify_flags(VerifyFlags flags) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(context_.state_->ctx.get());
    const unsigned long current = X509_VERIFY_PARAM_get_flags(param);
    const auto wanted = static_cast<unsigned long>(flags);
    X509_VERIFY_PARAM_clear_flags(param, current & ~wanted);
    X509_VERIFY_PARAM_set_flags(param, wanted & ~current);
    return *this;
}

Settings& Settings::set_security_level(int level) {
    if (level < 0 || level > 5) {
        throw std::invalid_argument("set_security_level: OpenSSL security levels are 0 to 5");
    }
    SSL_CTX_set_security_level(context_.state_->ctx.get(), level);
    return *this;
}

Settings& Settings::set_options(Options options) {
    SSL_CTX* ctx = context_.state_->ctx.get();
    const uint64_t current = SSL_CTX_get_options(ctx);
    const uint64_t wanted = static_cast<uint64_t>(options);
    SSL_CTX_clear_options(ctx, current & ~wanted);
    SSL_CTX_set_options(ctx, wanted & ~current);
    return *this;
}

Settings& Settings::set_ciphers(std::string_view cipher_string) {
    detail::apply_ciphers(*context_.state_, cipher_string, true);
    return *this;
}

Context create_unverified_context() {
    Context ctx(Protocol::PROTOCOL_TLS_CLIENT);
    ctx.dangerous().disable_verification();
    detail::honour_sslkeylogfile(ctx);
    return ctx;
}

Context legacy_protocol_context(Protocol protocol) {
    int pinned = protocol == Protocol::PROTOCOL_TLSv1     ? TLS1_VERSION
                 : protocol == Protocol::PROTOCOL_TLSv1_1 ? TLS1_1_VERSION
                                                          : 0;
    if (pinned == 0) {
        return Context(protocol);
    }
    Context ctx(Protocol::PROTOCOL_TLSv1_2);
    auto& s = *ctx.state();
    s.protocol = protocol;
    SSL_CTX* raw = s.ctx.get();
    // TLS 1.0/1.1 sign the handshake with MD5+SHA-1, which OpenSSL 3 refuses above level 0.
    SSL_CTX_set_security_level(raw, 0);
    SSL_CTX_set_min_proto_version(raw, pinned);
    SSL_CTX_set_max_proto_version(raw, pinned);
    if (SSL_CTX_set_cipher_list(raw, "DEFAULT:@SECLEVEL=0") != 1) {
        ossl::throw_error("legacy_protocol_context", "cannot set legacy ciphers");
    }
    return ctx;
}

}  // namespace tls::dangerous
