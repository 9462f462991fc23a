#include "tls/connection.hpp"

#include <stdexcept>
#include <string>

#include "engine.hpp"

namespace tls {

Connection::Connection() noexcept = default;
Connection::Connection(std::unique_ptr<detail::Engine> engine) noexcept
    : engine_(std::move(engine)) {}
Connection::~Connection() = default;
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;

const detail::Engine& Connection::engine(const char* operation) const {
    if (!engine_) {
        throw std::logic_error(std::string(operation) + ": the connection is empty (moved from)");
    }
    return *engine_;
}

void Connection::throw_last(const char* operation) const {
    engine(operation);
    // A user callback's own exception beats the generic handshake failure it caused.
    if (std::exception_ptr failure = engine_->take_failure()) {
        std::rethrow_exception(failure);
    }
    throw_error(engine_->last_error());
}

std::optional<CertificateInfo> Connection::getpeercert() const {
    return engine("getpeercert").peer_certificate();
}

std::optional<Bytes> Connection::getpeercert_der() const {
    return engine("getpeercert").peer_certificate_der();
}

std::optional<CipherDescription> Connection::cipher() const {
    return engine_ ? engine_->cipher() : std::nullopt;
}

std::optional<std::string> Connection::version() const {
    return engine_ ? engine_->version() : std::nullopt;
}

std::optional<std::string> Connection::selected_alpn_protocol() const {
    return engine_ ? engine_->selected_alpn_protocol() : std::nullopt;
}

std::size_t Connection::pending() const noexcept {
    return engine_ ? engine_->pending() : 0;
}

bool Connection::server_side() const noexcept {
    return engine_ && engine_->server_side();
}

const std::string& Connection::server_hostname() const noexcept {
    static const std::string none;
    return engine_ ? engine_->server_hostname() : none;
}

std::optional<std::string> Connection::server_name() const {
    return engine_ ? engine_->server_name() : std::nullopt;
}

Context Connection::context() const {
    return detail::ContextAccess::handle(engine("context").context());
}

bool Connection::handshake_done() const noexcept {
    return engine_ && engine_->handshake_done();
}

const ErrorInfo& Connection::last_error() const noexcept {
    static const ErrorInfo none;
    return engine_ ? engine_->last_error() : none;
}

Session Connection::session() const {
    return engine_ ? engine_->session() : Session();
}

void Connection::set_session(const Session& session) {
    if (!engine_) {
        throw std::logic_error("set_session: the connection is empty (moved from)");
    }
    engine_->set_session(session);
}

bool Connection::session_reused() const noexcept {
    return engine_ && engine_->session_reused();
}

std::optional<std::vector<CipherDescription>> Connection::shared_ciphers() const {
    return engine_ ? engine_->shared_ciphers() : std::nullopt;
}

std::vector<Bytes> Connection::get_verified_chain() const {
    return engine_ ? engine_->verified_chain() : std::vector<Bytes>{};
}

std::vector<Bytes> Connection::get_unverified_chain() const {
    return engine_ ? engine_->unverified_chain() : std::vector<Bytes>{};
}

std::optional<Bytes> Connection::get_channel_binding(std::string_view cb_type) const {
    return engine("get_channel_binding").channel_binding(cb_type);
}

void Connection::verify_client_post_handshake() {
    if (!engine_) {
        throw std::logic_error(
            "verify_client_post_handshake: the connection is empty (moved from)");
    }
    engine_->verify_client_post_handshake();
}

void* Connection::native_handle() const noexcept {
    return engine_ ? engine_->ssl() : nullptr;
}

}  // namespace tls
