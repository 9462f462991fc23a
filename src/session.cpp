#include "tls/session.hpp"

#include <openssl/ssl.h>

#include <utility>

#include "ossl/error.hpp"

namespace tls {
namespace {

SSL_SESSION* as_session(void* p) noexcept {
    return static_cast<SSL_SESSION*>(p);
}

}  // namespace

Session Session::adopt(void* ssl_session) noexcept {
    Session s;
    s.session_ = ssl_session;
    return s;
}

Session::~Session() {
    if (session_ != nullptr) {
        SSL_SESSION_free(as_session(session_));
    }
}

Session::Session(const Session& other) noexcept : session_(other.session_) {
    if (session_ != nullptr) {
        SSL_SESSION_up_ref(as_session(session_));
    }
}

Session& Session::operator=(const Session& other) noexcept {
    if (this != &other) {
        Session copy(other);
        std::swap(session_, copy.session_);
    }
    return *this;
}

Session::Session(Session&& other) noexcept : session_(std::exchange(other.session_, nullptr)) {}

Session& Session::operator=(Session&& other) noexcept {
    if (this != &other) {
        Session taken(std::move(other));
        std::swap(session_, taken.session_);
    }
    return *this;
}

Bytes Session::id() const {
    if (session_ == nullptr) {
        return {};
    }
    unsigned int len = 0;
    const unsigned char* data = SSL_SESSION_get_id(as_session(session_), &len);
    return Bytes(data, data + len);
}

std::chrono::system_clock::time_point Session::time() const noexcept {
    long t = session_ != nullptr ? SSL_SESSION_get_time(as_session(session_)) : 0;
    return std::chrono::system_clock::time_point(std::chrono::seconds(t));
}

std::chrono::seconds Session::timeout() const noexcept {
    return std::chrono::seconds(session_ != nullptr ? SSL_SESSION_get_timeout(as_session(session_))
                                                    : 0);
}

std::chrono::seconds Session::ticket_lifetime_hint() const noexcept {
    return std::chrono::seconds(
        session_ != nullptr ? SSL_SESSION_get_ticket_lifetime_hint(as_session(session_)) : 0);
}

bool Session::has_ticket() const noexcept {
    return session_ != nullptr && SSL_SESSION_has_ticket(as_session(session_)) == 1;
}

bool Session::is_resumable() const noexcept {
    return session_ != nullptr && SSL_SESSION_is_resumable(as_session(session_)) == 1;
}

Bytes Session::to_bytes() const {
    if (session_ == nullptr) {
        return {};
    }
    int len = i2d_SSL_SESSION(as_session(session_), nullptr);
    if (len <= 0) {
        ossl::throw_error("Session::to_bytes", "cannot encode the session");
    }
    Bytes out(static_cast<std::size_t>(len));
    unsigned char* p = out.data();
    i2d_SSL_SESSION(as_session(session_), &p);
    return out;
}

Session Session::from_bytes(const Bytes& data) {
    const unsigned char* p = data.data();
    SSL_SESSION* s = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(data.size()));
    if (s == nullptr) {
        ossl::throw_error("Session::from_bytes", "malformed session data");
    }
    return adopt(s);
}

}  // namespace tls
