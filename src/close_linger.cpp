#include "close_linger.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>

namespace tls::detail {
namespace {

using Clock = std::chrono::steady_clock;

// poll() on one descriptor until `deadline`; true when `events` came up (or an error or hang-up
// that the next call will report).
bool wait_for(int fd, short events, Clock::time_point deadline) noexcept {
    pollfd p{fd, events, 0};
    for (;;) {
        const auto now = Clock::now();
        if (now >= deadline) {
            return false;
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
        const int r = ::poll(&p, 1, left > INT_MAX ? INT_MAX : static_cast<int>(left));
        if (r > 0) {
            return true;
        }
        if (r < 0 && errno != EINTR) {
            return false;
        }
    }
}

}  // namespace

bool has_unread_input(int fd) noexcept {
    int unread = 0;
    return ::ioctl(fd, FIONREAD, &unread) == 0 && unread > 0;
}

bool wait_writable(int fd, Clock::time_point deadline) noexcept {
    return wait_for(fd, POLLOUT, deadline);
}

void discard_unread_input(int fd) noexcept {
    char sink[16384];
    std::size_t drained = 0;
    while (drained < kLingerDrainCap) {
        const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
        if (n > 0) {
            drained += static_cast<std::size_t>(n);
        } else if (n == 0 || errno != EINTR) {
            return;
        }
    }
}

void linger_before_close(int fd, Clock::time_point deadline) noexcept {
    // FIN after what we queued: the peer reads our alert, then end of stream, and closes.
    if (::shutdown(fd, SHUT_WR) != 0) {
        return;
    }
    char sink[16384];
    std::size_t drained = 0;
    while (drained < kLingerDrainCap) {
        const ssize_t n = ::recv(fd, sink, sizeof sink, 0);
        if (n > 0) {
            drained += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            return;  // the peer closed, or the connection is gone
        }
        if (errno != EINTR && !wait_for(fd, POLLIN, deadline)) {
            return;
        }
    }
}

}  // namespace tls::detail
