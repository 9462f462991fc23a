#include "tls/object.hpp"

#include <openssl/bio.h>

#include <stdexcept>

#include "engine.hpp"
#include "ossl/handles.hpp"
#include "tls/memory_bio.hpp"

namespace tls {

Object::Object() noexcept = default;
Object::Object(std::unique_ptr<detail::Engine> engine) noexcept : Connection(std::move(engine)) {}
Object::~Object() = default;
Object::Object(Object&&) noexcept = default;
Object& Object::operator=(Object&&) noexcept = default;

namespace {

std::error_code empty_error() {
    return std::make_error_code(std::errc::bad_file_descriptor);
}

}  // namespace

void Object::do_handshake(std::error_code& ec) noexcept {
    ec = engine_ ? engine_->handshake() : empty_error();
}

void Object::do_handshake() {
    std::error_code ec;
    do_handshake(ec);
    if (ec) {
        throw_last("do_handshake");
    }
}

std::size_t Object::read(void* buffer, std::size_t len, std::error_code& ec) noexcept {
    std::size_t n = 0;
    if (!engine_) {
        ec = empty_error();
        return 0;
    }
    if (len == 0) {
        ec.clear();
        return 0;
    }
    ec = engine_->read(buffer, len, n);
    return ec ? 0 : n;
}

std::size_t Object::read(void* buffer, std::size_t len) {
    std::error_code ec;
    std::size_t n = read(buffer, len, ec);
    if (ec) {
        throw_last("read");
    }
    return n;
}

std::string Object::read(std::size_t max_len) {
    std::string out(max_len, '\0');
    out.resize(read(out.data(), out.size()));
    return out;
}

std::size_t Object::write(const void* data, std::size_t len, std::error_code& ec) noexcept {
    std::size_t n = 0;
    ec = engine_ ? engine_->write(data, len, n) : empty_error();
    return ec ? 0 : n;
}

std::size_t Object::write(const void* data, std::size_t len) {
    std::error_code ec;
    std::size_t n = write(data, len, ec);
    if (ec) {
        throw_last("write");
    }
    return n;
}

void Object::update_keys(bool request_peer, std::error_code& ec) noexcept {
    ec = engine_ ? engine_->update_keys(request_peer) : empty_error();
}

void Object::update_keys(bool request_peer) {
    std::error_code ec;
    update_keys(request_peer, ec);
    if (ec == std::errc::not_connected) {
        throw std::logic_error(engine_->last_error().message);
    }
    if (ec) {
        throw_last("update_keys");
    }
}

void Object::unwrap(std::error_code& ec) noexcept {
    ec = engine_ ? engine_->shutdown() : empty_error();
}

void Object::unwrap() {
    std::error_code ec;
    unwrap(ec);
    if (ec) {
        throw_last("unwrap");
    }
}

void Object::send_close_notify(std::error_code& ec) noexcept {
    ec = engine_ ? engine_->close_notify() : empty_error();
}

void Object::send_close_notify() {
    std::error_code ec;
    send_close_notify(ec);
    if (ec) {
        throw_last("send_close_notify");
    }
}

Object Context::wrap_bio(MemoryBIO& incoming, MemoryBIO& outgoing,
                         const WrapOptions& options) const {
    auto engine = std::make_unique<detail::Engine>(state_, options.server_side,
                                                   options.server_hostname, options.session);
    auto* in = static_cast<BIO*>(incoming.native_handle());
    auto* out = static_cast<BIO*>(outgoing.native_handle());
    if (in == nullptr || out == nullptr) {
        throw std::invalid_argument("wrap_bio: a MemoryBIO is empty (moved from)");
    }
    // The Object shares the user's buffers: one more reference each, which set_transport hands
    // to the SSL, so the MemoryBIOs may be destroyed before the Object.
    engine->set_transport(ossl::up_ref(in), ossl::up_ref(out));
    engine->use_session_cache(options.session_cache_port, options.session.empty());
    return Object(std::move(engine));
}

}  // namespace tls
