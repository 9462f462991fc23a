#include "tls/socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "engine.hpp"
#include "fd_bio.hpp"
#include "ossl/error.hpp"

namespace tls {
namespace {

using Clock = std::chrono::steady_clock;

bool fd_is_nonblocking(int fd) noexcept {
    int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

void set_fd_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) {
        throw std::system_error(errno, std::generic_category(), "settimeout: fcntl");
    }
    int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0) {
        throw std::system_error(errno, std::generic_category(), "settimeout: fcntl");
    }
}

bool fd_is_connected(int fd) noexcept {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    return ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
}

void require_stream_socket(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
        throw std::system_error(errno, std::generic_category(), "wrap_socket: not a socket");
    }
    if (type != SOCK_STREAM) {
        throw std::invalid_argument("wrap_socket: only stream sockets are supported");
    }
}

const char* timeout_message(const char* operation) {
    std::string_view op(operation);
    if (op == "do_handshake") {
        return "do_handshake: The handshake operation timed out";
    }
    if (op == "write") {
        return "write: The write operation timed out";
    }
    if (op == "shutdown") {
        return "shutdown: The shutdown operation timed out";
    }
    return "read: The read operation timed out";
}

// Without a Socket timeout the descriptor is blocking, so a transport call that asked to be
// retried gave up inside the kernel: SO_RCVTIMEO / SO_SNDTIMEO expired (the socket BIO retries
// EINTR itself). Honour that as the Socket's own timeout would, instead of waiting in poll(),
// which ignores both options. Read only on this slow path, so the options may change at any
// time. A descriptor made non-blocking behind the Socket's back keeps being waited for.
bool kernel_timeout_expired(int fd, bool reading) noexcept {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (::getsockopt(fd, SOL_SOCKET, reading ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &len) != 0) {
        return false;
    }
    return (tv.tv_sec != 0 || tv.tv_usec != 0) && !fd_is_nonblocking(fd);
}

std::error_code closed_error() {
    return std::make_error_code(std::errc::bad_file_descriptor);
}

}  // namespace

Socket::Socket() noexcept = default;

Socket::Socket(std::unique_ptr<detail::Engine> engine, int fd, FdOwnership ownership,
               Timeout timeout, bool suppress_ragged_eofs)
    : Connection(std::move(engine)),
      fd_(fd),
      ownership_(ownership),
      timeout_(timeout),
      suppress_ragged_eofs_(suppress_ragged_eofs),
      fd_was_nonblocking_(fd >= 0 && fd_is_nonblocking(fd)) {}

Socket::~Socket() {
    close();
}

// Only the Connection base subobject of `other` is moved from; Socket's own members are still
// valid to read afterwards.
// NOLINTBEGIN(bugprone-use-after-move)
Socket::Socket(Socket&& other) noexcept
    : Connection(std::move(other)),
      fd_(std::exchange(other.fd_, -1)),
      ownership_(other.ownership_),
      timeout_(other.timeout_),
      suppress_ragged_eofs_(other.suppress_ragged_eofs_),
      fd_was_nonblocking_(other.fd_was_nonblocking_) {}

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        close();
        Connection::operator=(std::move(other));
        fd_ = other.fd_;
        ownership_ = other.ownership_;
        timeout_ = other.timeout_;
        suppress_ragged_eofs_ = other.suppress_ragged_eofs_;
        fd_was_nonblocking_ = other.fd_was_nonblocking_;
        other.fd_ = -1;
    }
    return *this;
}
// NOLINTEND(bugprone-use-after-move)

template <typename Op>
std::error_code Socket::drive(Op&& op) noexcept {
    if (!engine_ || fd_ < 0) {
        return closed_error();
    }
    const bool timed = timeout_.has_value() && timeout_->count() > 0;
    const Clock::time_point deadline = timed ? Clock::now() + *timeout_ : Clock::time_point::max();
    for (;;) {
        const char* operation = "read";
        std::error_code ec = op(operation);
        if (!ec || (ec != SSLErrc::want_read && ec != SSLErrc::want_write)) {
            return ec;
        }
        if (timeout_.has_value() && timeout_->count() == 0) {
            return ec;  // non-blocking: the caller waits for readiness
        }
        if (!timeout_.has_value() && kernel_timeout_expired(fd_, ec == SSLErrc::want_read)) {
            return engine_->fail(ossl::make_error(std::make_error_code(std::errc::timed_out),
                                                  timeout_message(operation)));
        }
        if (std::error_code wait_error =
                wait_ready(ec == SSLErrc::want_read, timed, deadline, operation)) {
            return wait_error;
        }
    }
}

std::error_code Socket::wait_ready(bool for_read, bool timed, Clock::time_point deadline,
                                   const char* operation) noexcept {
    pollfd p{fd_, static_cast<short>(for_read ? POLLIN : POLLOUT), 0};
    for (;;) {
        int wait_ms = -1;
        if (timed) {
            const auto now = Clock::now();
            if (now >= deadline) {
                return engine_->fail(ossl::make_error(std::make_error_code(std::errc::timed_out),
                                                      timeout_message(operation)));
            }
            // Rounded up: poll() must not give up before the deadline.
            auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
            wait_ms = left.count() > INT32_MAX ? INT32_MAX : static_cast<int>(left.count());
        }
        int r = ::poll(&p, 1, wait_ms);
        if (r > 0) {
            return {};
        }
        if (r < 0 && errno != EINTR) {
            int e = errno;
            return engine_->fail(ossl::make_error(std::error_code(e, std::generic_category()),
                                                  std::string(operation) + ": poll failed", e));
        }
        // r == 0 or EINTR: look at the clock again.
    }
}

void Socket::throw_for(std::error_code ec, const char* operation) const {
    if (ec == closed_error() && (fd_ < 0 || !engine_)) {
        throw std::system_error(ec, std::string(operation) + ": the tls::Socket is closed");
    }
    throw_last(operation);
}

void Socket::do_handshake(std::error_code& ec) noexcept {
    ec = drive([&](const char*& op) {
        op = "do_handshake";
        return engine_->handshake();
    });
}

void Socket::do_handshake() {
    std::error_code ec;
    do_handshake(ec);
    if (ec) {
        throw_for(ec, "do_handshake");
    }
}

std::size_t Socket::read(void* buffer, std::size_t len, std::error_code& ec) noexcept {
    std::size_t n = 0;
    if (len == 0) {
        ec.clear();
        return 0;
    }
    ec = drive([&](const char*& op) {
        op = "read";
        return engine_->read(buffer, len, n);
    });
    if (ec == SSLErrc::eof && suppress_ragged_eofs_) {
        ec.clear();
        return 0;
    }
    return ec ? 0 : n;
}

std::size_t Socket::read(void* buffer, std::size_t len) {
    std::error_code ec;
    std::size_t n = read(buffer, len, ec);
    if (ec) {
        throw_for(ec, "read");
    }
    return n;
}

std::string Socket::recv(std::size_t max_len) {
    std::string out(max_len, '\0');
    out.resize(read(out.data(), out.size()));
    return out;
}

std::size_t Socket::write(const void* data, std::size_t len, std::error_code& ec) noexcept {
    std::size_t n = 0;
    ec = drive([&](const char*& op) {
        op = "write";
        return engine_->write(data, len, n);
    });
    return ec ? 0 : n;
}

std::size_t Socket::write(const void* data, std::size_t len) {
    std::error_code ec;
    std::size_t n = write(data, len, ec);
    if (ec) {
        throw_for(ec, "write");
    }
    return n;
}

void Socket::update_keys(bool request_peer, std::error_code& ec) noexcept {
    ec = drive([&](const char*& op) {
        op = "write";
        return engine_->update_keys(request_peer);
    });
}

void Socket::update_keys(bool request_peer) {
    std::error_code ec;
    update_keys(request_peer, ec);
    if (ec == std::errc::not_connected && engine_ && fd_ >= 0) {
        throw std::logic_error(engine_->last_error().message);
    }
    if (ec) {
        throw_for(ec, "update_keys");
    }
}

void Socket::sendall(std::string_view data) {
    // SSL_write_ex without partial writes sends all or nothing; a timed-out or would-block
    // attempt is retried with the same bytes, as OpenSSL requires.
    std::size_t done = 0;
    while (done < data.size()) {
        done += write(data.data() + done, data.size() - done);
    }
}

int Socket::unwrap(std::error_code& ec) noexcept {
    ec = drive([&](const char*& op) {
        op = "shutdown";
        return engine_->shutdown();
    });
    if (ec) {
        return -1;
    }
    int fd = fd_;
    restore_fd_mode();
    fd_ = -1;
    return fd;
}

int Socket::unwrap() {
    std::error_code ec;
    int fd = unwrap(ec);
    if (ec) {
        throw_for(ec, "unwrap");
    }
    return fd;
}

// Not const: it changes the descriptor's flags, which are this Socket's state.
// NOLINTNEXTLINE(readability-make-member-function-const)
void Socket::restore_fd_mode() noexcept {
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0) {
        int wanted = fd_was_nonblocking_ ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
        if (wanted != flags) {
            ::fcntl(fd_, F_SETFL, wanted);
        }
    }
}

void Socket::send_close_notify() noexcept {
    if (engine_ && fd_ >= 0) {
        engine_->send_close_notify();
    }
}

void Socket::close() noexcept {
    if (fd_ < 0) {
        return;
    }
    if (engine_) {
        // One non-blocking attempt: close() must not hang on a peer that stopped reading.
        int flags = ::fcntl(fd_, F_GETFL);
        if (flags >= 0 && (flags & O_NONBLOCK) == 0) {
            ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
        }
        engine_->send_close_notify();
    }
    if (ownership_ == FdOwnership::borrow) {
        restore_fd_mode();
    }
    release_fd();
}

void Socket::release_fd() noexcept {
    if (fd_ >= 0 && ownership_ == FdOwnership::adopt) {
        ::close(fd_);
    }
    fd_ = -1;
}

void Socket::settimeout(Timeout timeout) {
    if (timeout && timeout->count() < 0) {
        throw std::invalid_argument("settimeout: timeout must be non-negative");
    }
    if (fd_ >= 0) {
        set_fd_nonblocking(fd_, timeout.has_value());
    }
    timeout_ = timeout;
}

Socket Context::wrap_socket(int fd, FdOwnership ownership, const WrapOptions& options) const {
    // An adopted descriptor belongs to the Socket from this call on, so it is closed on failure.
    auto close_if_adopted = [&] {
        if (ownership == FdOwnership::adopt && fd >= 0) {
            ::close(fd);
        }
    };
    std::unique_ptr<detail::Engine> engine;
    Timeout timeout;
    try {
        require_stream_socket(fd);
        engine = std::make_unique<detail::Engine>(state_, options.server_side,
                                                  options.server_hostname, options.session);
        engine->set_transport(detail::make_fd_bio(fd));
        if (fd_is_nonblocking(fd)) {
            timeout = std::chrono::milliseconds(0);
        }
    } catch (...) {
        close_if_adopted();
        throw;
    }
    Socket socket(std::move(engine), fd, ownership, timeout, options.suppress_ragged_eofs);
    if (options.do_handshake_on_connect && fd_is_connected(fd)) {
        if (timeout.has_value()) {
            throw std::invalid_argument(
                "wrap_socket: a non-blocking descriptor cannot handshake inside wrap_socket; set "
                "WrapOptions::do_handshake_on_connect = false and call do_handshake() when the "
                "descriptor is ready");
        }
        socket.do_handshake();
    }
    return socket;
}

}  // namespace tls
