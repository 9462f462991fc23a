#include "tls/socket.hpp"

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "close_linger.hpp"
#include "engine.hpp"
#include "fd_bio.hpp"
#include "ktls.hpp"
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

// The peer's TCP port, 0 when the descriptor is not connected (or not TCP/IP).
std::uint16_t peer_port(int fd) noexcept {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return 0;
    }
    if (addr.ss_family == AF_INET) {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    }
    if (addr.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    }
    return 0;
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
      fd_was_nonblocking_(other.fd_was_nonblocking_),
      close_timeout_(other.close_timeout_),
      ktls_capable_(other.ktls_capable_) {}

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        close();
        Connection::operator=(std::move(other));
        fd_ = other.fd_;
        ownership_ = other.ownership_;
        timeout_ = other.timeout_;
        suppress_ragged_eofs_ = other.suppress_ragged_eofs_;
        fd_was_nonblocking_ = other.fd_was_nonblocking_;
        close_timeout_ = other.close_timeout_;
        ktls_capable_ = other.ktls_capable_;
        other.fd_ = -1;
    }
    return *this;
}
// NOLINTEND(bugprone-use-after-move)

template <typename Op>
std::error_code Socket::drive(Op&& op, const Clock::time_point* bound) noexcept {
    if (!engine_ || fd_ < 0) {
        return closed_error();
    }
    const bool timed = bound != nullptr || (timeout_.has_value() && timeout_->count() > 0);
    const Clock::time_point deadline = bound != nullptr ? *bound
                                       : timed          ? Clock::now() + *timeout_
                                                        : Clock::time_point::max();
    for (;;) {
        const char* operation = "read";
        std::error_code ec;
        if (ktls_capable_) {
            const detail::SigpipeGuard no_sigpipe;
            ec = op(operation);
        } else {
            ec = op(operation);
        }
        if (!ec || (ec != SSLErrc::want_read && ec != SSLErrc::want_write)) {
            return ec;
        }
        if (bound == nullptr && timeout_.has_value() && timeout_->count() == 0) {
            return ec;  // non-blocking: the caller waits for readiness
        }
        if (bound == nullptr && !timeout_.has_value() &&
            kernel_timeout_expired(fd_, ec == SSLErrc::want_read)) {
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
    if (timeout_.has_value() && timeout_->count() == 0) {
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
    // Python waits as long as settimeout() allows, forever without one; tlsctx never waits
    // longer than the close timeout either.
    return unwrap(timeout_.has_value() ? std::min(*timeout_, close_timeout_) : close_timeout_, ec);
}

int Socket::unwrap(std::chrono::milliseconds deadline, std::error_code& ec) noexcept {
    if (!engine_ || fd_ < 0) {
        ec = closed_error();
        return -1;
    }
    const Clock::time_point until = Clock::now() + std::max(deadline, std::chrono::milliseconds(0));
    // Waiting happens in poll(), so the descriptor must not block inside SSL_shutdown; the mode
    // settimeout() chose comes back if the Socket keeps the descriptor.
    const bool was_nonblocking = fd_is_nonblocking(fd_);
    if (!was_nonblocking) {
        try {
            set_fd_nonblocking(fd_, true);
        } catch (const std::system_error& e) {
            ec = engine_->fail(ossl::make_error(e.code(), "unwrap: fcntl", e.code().value()));
            return -1;
        }
    }
    ec = drive(
        [&](const char*& op) {
            op = "shutdown";
            return engine_->shutdown();
        },
        &until);
    if (ec) {
        if (!was_nonblocking) {
            try {
                set_fd_nonblocking(fd_, false);
            } catch (const std::system_error&) {
                // The Socket stays usable: a non-blocking descriptor is still waited for.
            }
        }
        return -1;
    }
    int fd = fd_;
    restore_fd_mode();
    fd_ = -1;
    return fd;
}

int Socket::unwrap(std::chrono::milliseconds deadline) {
    std::error_code ec;
    int fd = unwrap(deadline, ec);
    if (ec) {
        throw_for(ec, "unwrap");
    }
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
    // An event loop's non-blocking socket must not stall its thread: one attempt only.
    const bool may_wait = !(timeout_.has_value() && timeout_->count() == 0);
    const Clock::time_point deadline =
        Clock::now() + (may_wait ? close_timeout_ : std::chrono::milliseconds(0));
    // Waiting happens in poll() against the deadline, never inside a blocking send or recv.
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) {
        ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    }
    if (engine_) {
        const auto send_alert = [&] {
            if (ktls_capable_) {
                const detail::SigpipeGuard no_sigpipe;
                return engine_->send_close_notify();
            }
            return engine_->send_close_notify();
        };
        while (send_alert() && detail::wait_writable(fd_, deadline)) {
        }
    }
    // Only a descriptor the Socket closes itself: a borrowed one's owner decides, and may still
    // want the unread bytes. After a fatal error the peer that kept sending must get to read
    // our alert, so it is given until the deadline to close first; in a normal close, what
    // already arrived (a TLS 1.3 client's unread tickets, say) is thrown away without waiting, so
    // that a peer still reading our data is not reset.
    if (ownership_ == FdOwnership::adopt && detail::has_unread_input(fd_)) {
        if (engine_ && engine_->failed()) {
            detail::linger_before_close(fd_, deadline);
        } else {
            detail::discard_unread_input(fd_);
        }
    }
    if (ownership_ == FdOwnership::borrow) {
        restore_fd_mode();
    }
    release_fd();
}

void Socket::set_close_timeout(std::chrono::milliseconds timeout) {
    if (timeout.count() < 0) {
        throw std::invalid_argument("set_close_timeout: the timeout must be non-negative");
    }
    close_timeout_ = timeout;
}

bool Socket::ktls_send_active() const noexcept {
    return engine_ && fd_ >= 0 && engine_->ktls_send();
}

bool Socket::ktls_recv_active() const noexcept {
    return engine_ && fd_ >= 0 && engine_->ktls_recv();
}

std::size_t Socket::sendfile(int fd, std::uint64_t offset, std::size_t count,
                             std::error_code& ec) noexcept {
    ec.clear();
    if (!engine_ || fd_ < 0) {
        ec = closed_error();
        return 0;
    }
    if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()) ||
        count > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()) - offset) {
        ec = engine_->fail(ossl::make_error(std::make_error_code(std::errc::invalid_argument),
                                            "sendfile: offset and count exceed the file range"));
        return 0;
    }
    std::size_t total = 0;
    if (engine_->ktls_send()) {
        while (total < count) {
            std::size_t n = 0;
            ec = drive([&](const char*& op) {
                op = "write";
                return engine_->sendfile(fd, offset + total, count - total, n);
            });
            if (ec || n == 0) {
                return total;
            }
            total += n;
        }
        return total;
    }
    // Without kTLS every byte passes through user space anyway; one record-sized buffer keeps
    // memory bounded whatever the count.
    char chunk[16384];
    while (total < count) {
        const std::size_t want = std::min(sizeof chunk, count - total);
        ssize_t got;
        do {
            got = ::pread(fd, chunk, want, static_cast<off_t>(offset + total));
        } while (got < 0 && errno == EINTR);
        if (got < 0) {
            const int e = errno;
            ec = engine_->fail(ossl::make_error(std::error_code(e, std::generic_category()),
                                                "sendfile: cannot read the file", e));
            return total;
        }
        if (got == 0) {
            return total;
        }
        std::size_t n = write(chunk, static_cast<std::size_t>(got), ec);
        if (ec) {
            return total;
        }
        total += n;
    }
    return total;
}

std::size_t Socket::sendfile(int fd, std::uint64_t offset, std::size_t count) {
    std::error_code ec;
    std::size_t n = sendfile(fd, offset, count, ec);
    if (ec) {
        throw_for(ec, "sendfile");
    }
    return n;
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
    bool ktls = false;
    try {
        require_stream_socket(fd);
        engine = std::make_unique<detail::Engine>(state_, options.server_side,
                                                  options.server_hostname, options.session);
        // OpenSSL hands keys to the kernel only through its own socket BIO; everyone else keeps
        // fd_bio (no SIGPIPE, no per-call signal masking).
        ktls = (SSL_get_options(engine->ssl()) & SSL_OP_ENABLE_KTLS) != 0;
        engine->set_transport(ktls ? detail::make_ktls_capable_bio(fd) : detail::make_fd_bio(fd));
        const std::uint16_t peer = options.server_side ? 0 : peer_port(fd);
        engine->use_session_cache(peer != 0 ? peer : options.session_cache_port,
                                  options.session.empty());
        if (fd_is_nonblocking(fd)) {
            timeout = std::chrono::milliseconds(0);
        }
    } catch (...) {
        close_if_adopted();
        throw;
    }
    Socket socket(std::move(engine), fd, ownership, timeout, options.suppress_ragged_eofs);
    socket.ktls_capable_ = ktls;
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
