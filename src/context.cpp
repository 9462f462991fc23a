// tls::Context: construction, the handle's special members, the protocol, options, security level
// and buffer mode, and Python's create_default_context(). The other attributes live in the
// context_*.cpp file named after them.
#include "tls/context.hpp"

#include <openssl/ssl.h>

#include <cstdint>
#include <stdexcept>

#include "context_state.hpp"
#include "context_unchecked.hpp"
#include "context_versions.hpp"
#include "tls/dangerous.hpp"
#include "weakening.hpp"

namespace tls {
namespace {

// The options whose change weakens a context: Python's defaults keep the first two set (POODLE,
// CRIME) and the last two clear (truncation attacks, RFC 5746's unpatched renegotiation).
bool weakens(Options before, Options after) {
    const Options must_stay_set = Options::OP_NO_SSLv3 | Options::OP_NO_COMPRESSION;
    const Options must_stay_clear =
        Options::OP_IGNORE_UNEXPECTED_EOF | Options::OP_LEGACY_SERVER_CONNECT;
    bool clears = ((before & must_stay_set) & ~after) != Options::OP_NONE;
    bool sets = ((after & must_stay_clear) & ~before) != Options::OP_NONE;
    return clears || sets;
}

}  // namespace

Context::Context() : Context(Protocol::PROTOCOL_TLS) {}

Context::Context(Protocol protocol) {
    if (std::optional<TLSVersion> pinned = detail::pinned_version(protocol);
        pinned && detail::below_protocol_floor(*pinned)) {
        detail::refuse_legacy_protocol();
    }
    state_ = detail::make_context_state(protocol);
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
        detail::refuse_weakening("set_options",
                                 "the new options weaken the context (clearing OP_NO_SSLv3 or "
                                 "OP_NO_COMPRESSION, or setting OP_IGNORE_UNEXPECTED_EOF or "
                                 "OP_LEGACY_SERVER_CONNECT)");
    }
    detail::unchecked::set_options(*state_, new_options);
}

int Context::security_level() const noexcept {
    return SSL_CTX_get_security_level(state_->ctx.get());
}

bool Context::release_buffers() const noexcept {
    return (SSL_CTX_get_mode(state_->ctx.get()) & SSL_MODE_RELEASE_BUFFERS) != 0;
}

void Context::set_release_buffers(bool on) noexcept {
    if (on) {
        SSL_CTX_set_mode(state_->ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    } else {
        SSL_CTX_clear_mode(state_->ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    }
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

namespace detail::unchecked {

void set_options(ContextState& state, Options options) {
    SSL_CTX* ctx = state.ctx.get();
    const uint64_t current = SSL_CTX_get_options(ctx);
    const auto wanted = static_cast<uint64_t>(options);
    SSL_CTX_clear_options(ctx, current & ~wanted);
    SSL_CTX_set_options(ctx, wanted & ~current);
}

void set_security_level(ContextState& state, int level) {
    if (level < 0 || level > 5) {
        throw std::invalid_argument("set_security_level: OpenSSL security levels are 0 to 5");
    }
    SSL_CTX_set_security_level(state.ctx.get(), level);
}

}  // namespace detail::unchecked
}  // namespace tls
