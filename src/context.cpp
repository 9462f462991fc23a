// tls::Context: construction and the attributes with Python's coupling rules.
#include "tls/context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>
#include <cstdlib>
#include <stdexcept>

#include "certificate_decode.hpp"
#include "context_state.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/dangerous.hpp"
#include "tls/errors.hpp"

namespace tls {
namespace {

using detail::ContextState;

bool weakens(Options before, Options after) {
    const Options must_stay_set = Options::OP_NO_SSLv3 | Options::OP_NO_COMPRESSION;
    const Options must_stay_clear =
        Options::OP_IGNORE_UNEXPECTED_EOF | Options::OP_LEGACY_SERVER_CONNECT;
    bool clears = ((before & must_stay_set) & ~after) != Options::OP_NONE;
    bool sets = ((after & must_stay_clear) & ~before) != Options::OP_NONE;
    return clears || sets;
}

int to_openssl_min(TLSVersion v) {
    switch (v) {
        case TLSVersion::MINIMUM_SUPPORTED:
            return 0;
        case TLSVersion::MAXIMUM_SUPPORTED:
            return TLS1_3_VERSION;
        default:
            return static_cast<int>(v);
    }
}

int to_openssl_max(TLSVersion v) {
    switch (v) {
        case TLSVersion::MAXIMUM_SUPPORTED:
            return 0;
        case TLSVersion::MINIMUM_SUPPORTED:
            return detail::lowest_protocol_version();
        default:
            return static_cast<int>(v);
    }
}

TLSVersion from_openssl(int v, TLSVersion unset) {
    return v == 0 ? unset : static_cast<TLSVersion>(v);
}

void require_flexible_protocol(const ContextState& s, const char* operation) {
    if (s.protocol != Protocol::PROTOCOL_TLS && s.protocol != Protocol::PROTOCOL_TLS_CLIENT &&
        s.protocol != Protocol::PROTOCOL_TLS_SERVER) {
        throw std::invalid_argument(std::string(operation) +
                                    ": the context's protocol doesn't support modification of "
                                    "highest and lowest version");
    }
}

void set_version_bound(ContextState& s, TLSVersion version, bool minimum) {
    require_flexible_protocol(s, minimum ? "set_minimum_version" : "set_maximum_version");
    int v = minimum ? to_openssl_min(version) : to_openssl_max(version);
    int ok = minimum ? SSL_CTX_set_min_proto_version(s.ctx.get(), v)
                     : SSL_CTX_set_max_proto_version(s.ctx.get(), v);
    if (ok != 1) {
        ERR_clear_error();
        throw std::invalid_argument(
            std::string(minimum ? "set_minimum_version" : "set_maximum_version") +
            ": unsupported protocol version " + std::to_string(static_cast<int>(version)));
    }
}

void apply_verify_mode(ContextState& s, VerifyMode mode) {
    const int post_handshake = s.post_handshake_auth ? SSL_VERIFY_POST_HANDSHAKE : 0;
    int flags = SSL_VERIFY_NONE;
    switch (mode) {
        case VerifyMode::CERT_NONE:
            flags = SSL_VERIFY_NONE;
            break;
        case VerifyMode::CERT_OPTIONAL:
            flags = SSL_VERIFY_PEER | post_handshake;
            break;
        case VerifyMode::CERT_REQUIRED:
            flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | post_handshake;
            break;
        default:
            throw std::invalid_argument("set_verify_mode: invalid value for verify_mode");
    }
    SSL_CTX_set_verify(s.ctx.get(), flags, nullptr);
}

}  // namespace

Context::Context() : Context(Protocol::PROTOCOL_TLS) {}

Context::Context(Protocol protocol) : state_(std::make_shared<ContextState>()) {
    if (protocol == Protocol::PROTOCOL_TLSv1 || protocol == Protocol::PROTOCOL_TLSv1_1) {
        throw std::invalid_argument(
            "Context: TLS 1.0 and 1.1 are insecure; use "
            "tls::dangerous::legacy_protocol_context(...) to create such a context");
    }
    state_->protocol = protocol;
    detail::apply_defaults(*state_);
}

Context::Context(std::shared_ptr<detail::ContextState> state) noexcept : state_(std::move(state)) {}
Context::~Context() = default;
Context::Context(const Context&) noexcept = default;
Context& Context::operator=(const Context&) noexcept = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

Protocol Context::protocol() const noexcept {
    return state_->protocol;
}

Options Context::options() const noexcept {
    return static_cast<Options>(SSL_CTX_get_options(state_->ctx.get()));
}

void Context::set_options(Options new_options) {
    if (weakens(options(), new_options)) {
        throw std::invalid_argument(
            "set_options: the new options weaken the context (clearing OP_NO_SSLv3 or "
            "OP_NO_COMPRESSION, or setting OP_IGNORE_UNEXPECTED_EOF or "
            "OP_LEGACY_SERVER_CONNECT); use ctx.dangerous().set_options(...)");
    }
    dangerous().set_options(new_options);
}

VerifyMode Context::verify_mode() const noexcept {
    int mode = SSL_CTX_get_verify_mode(state_->ctx.get());
    if ((mode & SSL_VERIFY_PEER) == 0) {
        return VerifyMode::CERT_NONE;
    }
    return (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) != 0 ? VerifyMode::CERT_REQUIRED
                                                         : VerifyMode::CERT_OPTIONAL;
}

void Context::set_verify_mode(VerifyMode mode) {
    if (mode == VerifyMode::CERT_NONE && state_->can_be_client()) {
        throw std::invalid_argument(
            "set_verify_mode: CERT_NONE on a client context disables certificate verification; "
            "use ctx.dangerous().set_verify_mode(tls::CERT_NONE)");
    }
    apply_verify_mode(*state_, mode);
}

bool Context::check_hostname() const noexcept {
    return state_->check_hostname;
}

void Context::set_check_hostname(bool on) {
    if (!on && state_->can_be_client()) {
        throw std::invalid_argument(
            "set_check_hostname: turning host name checking off on a client context; use "
            "ctx.dangerous().set_check_hostname(false)");
    }
    if (on && verify_mode() == VerifyMode::CERT_NONE) {
        apply_verify_mode(*state_, VerifyMode::CERT_REQUIRED);
    }
    state_->check_hostname = on;
}

bool Context::hostname_checks_common_name() const noexcept {
    return state_->hostname_checks_common_name;
}

void Context::set_hostname_checks_common_name(bool on) {
    state_->hostname_checks_common_name = on;
}

VerifyFlags Context::verify_flags() const noexcept {
    return static_cast<VerifyFlags>(
        X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(state_->ctx.get())));
}

void Context::set_verify_flags(VerifyFlags flags) {
    const VerifyFlags named =
        VerifyFlags::VERIFY_CRL_CHECK_CHAIN | VerifyFlags::VERIFY_X509_STRICT |
        VerifyFlags::VERIFY_ALLOW_PROXY_CERTS | VerifyFlags::VERIFY_X509_TRUSTED_FIRST |
        VerifyFlags::VERIFY_X509_PARTIAL_CHAIN;
    const bool unnamed_bits = (flags & ~named) != VerifyFlags::VERIFY_DEFAULT;
    const bool drops_strict = has(verify_flags(), VerifyFlags::VERIFY_X509_STRICT) &&
                              !has(flags, VerifyFlags::VERIFY_X509_STRICT);
    if (unnamed_bits || drops_strict) {
        // OpenSSL's other flags include "ignore critical extensions" and "no time check".
        throw std::invalid_argument(
            "set_verify_flags: clearing VERIFY_X509_STRICT or setting flags tlsctx does not name "
            "weakens verification; use ctx.dangerous().set_verify_flags(...)");
    }
    dangerous().set_verify_flags(flags);
}

TLSVersion Context::minimum_version() const noexcept {
    return from_openssl(SSL_CTX_get_min_proto_version(state_->ctx.get()),
                        TLSVersion::MINIMUM_SUPPORTED);
}

void Context::set_minimum_version(TLSVersion version) {
    if (version != TLSVersion::MAXIMUM_SUPPORTED &&
        (version == TLSVersion::MINIMUM_SUPPORTED || version < TLSVersion::TLSv1_2)) {
        require_flexible_protocol(*state_, "set_minimum_version");
        throw std::invalid_argument(
            "set_minimum_version: a floor below TLS 1.2 is insecure; use "
            "ctx.dangerous().set_minimum_version(...)");
    }
    set_version_bound(*state_, version, true);
}

TLSVersion Context::maximum_version() const noexcept {
    return from_openssl(SSL_CTX_get_max_proto_version(state_->ctx.get()),
                        TLSVersion::MAXIMUM_SUPPORTED);
}

void Context::set_maximum_version(TLSVersion version) {
    set_version_bound(*state_, version, false);
}

int Context::security_level() const noexcept {
    return SSL_CTX_get_security_level(state_->ctx.get());
}

dangerous::Settings Context::dangerous() {
    return dangerous::Settings(*this);
}

void* Context::native_handle() const noexcept {
    return state_->ctx.get();
}

Context create_default_context(Purpose purpose, const std::string& cafile,
                               const std::string& capath, std::string_view cadata) {
    Context ctx(purpose == Purpose::SERVER_AUTH ? Protocol::PROTOCOL_TLS_CLIENT
                                                : Protocol::PROTOCOL_TLS_SERVER);
    if (!cafile.empty() || !capath.empty()) {
        ctx.load_verify_locations(cafile, capath);
    }
    if (!cadata.empty()) {
        ctx.load_verify_cadata(cadata);
    }
    if (cafile.empty() && capath.empty() && cadata.empty() &&
        ctx.verify_mode() != VerifyMode::CERT_NONE) {
        // As Python: only a context that verifies its peer needs the system store.
        ctx.load_default_certs(purpose);
    }
    detail::honour_sslkeylogfile(ctx);
    return ctx;
}

}  // namespace tls
