// Protocol versions of a tls::Context: minimum_version / maximum_version with the protocol floor,
// and the version facts the rest of src/ needs (see context_versions.hpp).
#include "context_versions.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

#include "context_state.hpp"
#include "context_unchecked.hpp"
#include "post_quantum.hpp"
#include "tls/context.hpp"
#include "tls/version.hpp"
#include "weakening.hpp"

namespace tls {
namespace detail {

bool below_protocol_floor(TLSVersion version) noexcept {
    // The sentinels are negative, so compare them by name.
    if (version == TLSVersion::MAXIMUM_SUPPORTED) {
        return false;
    }
    return version == TLSVersion::MINIMUM_SUPPORTED || version < kProtocolFloor;
}

std::optional<TLSVersion> pinned_version(Protocol protocol) noexcept {
    switch (protocol) {
        case Protocol::PROTOCOL_TLSv1:
            return TLSVersion::TLSv1;
        case Protocol::PROTOCOL_TLSv1_1:
            return TLSVersion::TLSv1_1;
        case Protocol::PROTOCOL_TLSv1_2:
            return TLSVersion::TLSv1_2;
        default:
            return std::nullopt;
    }
}

int lowest_protocol_version() noexcept {
    return HAS_SSLv3() ? SSL3_VERSION : TLS1_VERSION;
}

}  // namespace detail

namespace {

using detail::ContextState;

// OpenSSL spells "no bound" as 0; Python's sentinels name the ends of what this build speaks.
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
    const char* operation = minimum ? "set_minimum_version" : "set_maximum_version";
    require_flexible_protocol(s, operation);
    int v = minimum ? to_openssl_min(version) : to_openssl_max(version);
    detail::check_version_keeps_post_quantum(s, v, minimum, operation);
    int ok = minimum ? SSL_CTX_set_min_proto_version(s.ctx.get(), v)
                     : SSL_CTX_set_max_proto_version(s.ctx.get(), v);
    if (ok != 1) {
        ERR_clear_error();
        throw std::invalid_argument(std::string(operation) + ": unsupported protocol version " +
                                    std::to_string(static_cast<int>(version)));
    }
}

}  // namespace

TLSVersion Context::minimum_version() const noexcept {
    return from_openssl(SSL_CTX_get_min_proto_version(state_->ctx.get()),
                        TLSVersion::MINIMUM_SUPPORTED);
}

void Context::set_minimum_version(TLSVersion version) {
    if (detail::below_protocol_floor(version)) {
        // A fixed-version context refuses any bound, and says so first, as Python does.
        require_flexible_protocol(*state_, "set_minimum_version");
        detail::refuse_weakening("set_minimum_version", "a floor below TLS 1.2 is insecure");
    }
    detail::unchecked::set_minimum_version(*state_, version);
}

TLSVersion Context::maximum_version() const noexcept {
    return from_openssl(SSL_CTX_get_max_proto_version(state_->ctx.get()),
                        TLSVersion::MAXIMUM_SUPPORTED);
}

void Context::set_maximum_version(TLSVersion version) {
    detail::unchecked::set_maximum_version(*state_, version);
}

namespace detail::unchecked {

void set_minimum_version(ContextState& state, TLSVersion version) {
    set_version_bound(state, version, true);
}

void set_maximum_version(ContextState& state, TLSVersion version) {
    set_version_bound(state, version, false);
}

}  // namespace detail::unchecked
}  // namespace tls
