#include "tls/session.hpp"

#include <openssl/ssl.h>

#include <chrono>
#include <ctime>
#include <utility>

#include "ossl/der.hpp"
#include "ossl/error.hpp"
#include "ossl/handles.hpp"
#include "session_access.hpp"

namespace tls {
namespace detail {

void SessionRelease::operator()(void* ssl_session) const noexcept {
    ossl::SessionPtr::deleter_type{}(static_cast<SSL_SESSION*>(ssl_session));
}

}  // namespace detail

namespace {

SSL_SESSION* as_session(const std::unique_ptr<void, detail::SessionRelease>& p) noexcept {
    return static_cast<SSL_SESSION*>(p.get());
}

}  // namespace

Session::~Session() = default;

// Copies share the SSL_SESSION: each holds its own reference.
Session::Session(const Session& other) noexcept
    : session_(other.empty() ? nullptr : ossl::up_ref(as_session(other.session_)).release()) {}

Session& Session::operator=(const Session& other) noexcept {
    if (this != &other) {
        session_ = std::move(Session(other).session_);
    }
    return *this;
}

Session::Session(Session&& other) noexcept = default;
Session& Session::operator=(Session&& other) noexcept = default;

Bytes Session::id() const {
    if (empty()) {
        return {};
    }
    unsigned int len = 0;
    const unsigned char* data = SSL_SESSION_get_id(as_session(session_), &len);
    return Bytes(data, data + len);
}

std::chrono::system_clock::time_point Session::time() const noexcept {
    if (empty()) {
        return std::chrono::system_clock::time_point(std::chrono::seconds(0));
    }
    // OpenSSL 3.3 added the time_t getter (the long one is not Y2038-safe, deprecated in 3.4).
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
    const time_t t = SSL_SESSION_get_time_ex(as_session(session_));
#else
    const long t = SSL_SESSION_get_time(as_session(session_));
#endif
    return std::chrono::system_clock::from_time_t(static_cast<time_t>(t));
}

std::chrono::seconds Session::timeout() const noexcept {
    return std::chrono::seconds(empty() ? 0 : SSL_SESSION_get_timeout(as_session(session_)));
}

std::chrono::seconds Session::ticket_lifetime_hint() const noexcept {
    return std::chrono::seconds(
        empty() ? 0 : SSL_SESSION_get_ticket_lifetime_hint(as_session(session_)));
}

bool Session::has_ticket() const noexcept {
    return !empty() && SSL_SESSION_has_ticket(as_session(session_)) == 1;
}

bool Session::is_resumable() const noexcept {
    return !empty() && SSL_SESSION_is_resumable(as_session(session_)) == 1;
}

Bytes Session::to_bytes() const {
    if (empty()) {
        return {};
    }
    return ossl::to_der(i2d_SSL_SESSION, as_session(session_), "Session::to_bytes");
}

Session Session::from_bytes(const Bytes& data) {
    const unsigned char* p = data.data();
    ossl::SessionPtr s(d2i_SSL_SESSION(nullptr, &p, static_cast<long>(data.size())));
    if (!s) {
        ossl::throw_error("Session::from_bytes", "malformed session data");
    }
    return detail::SessionAccess::adopt(std::move(s));
}

}  // namespace tls
