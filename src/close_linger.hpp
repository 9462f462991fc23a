// The last step of closing a TCP connection whose peer may still be sending. Closing a socket
// with unread input makes the kernel answer with a reset and drop what it has not sent yet:
// our close_notify or fatal alert, the very record that tells the peer why the connection
// ends. Half-closing first and reading until the peer closes (bounded) lets the alert through,
// as nginx's lingering close does for HTTP.
#pragma once

#include <chrono>
#include <cstddef>

namespace tls::detail {

// At most this much unread input is read and thrown away before closing anyway.
inline constexpr std::size_t kLingerDrainCap = std::size_t{256} * 1024;

// Whether bytes the peer sent are waiting unread in the kernel (FIONREAD).
bool has_unread_input(int fd) noexcept;

// shutdown(SHUT_WR), then reads and discards until the peer's EOF, an error, kLingerDrainCap
// bytes or `deadline`, whichever comes first. `fd` must be non-blocking.
void linger_before_close(int fd, std::chrono::steady_clock::time_point deadline) noexcept;

// Reads and discards what has already arrived (at most kLingerDrainCap bytes), without
// waiting, so that closing sends FIN instead of a reset. `fd` must be non-blocking.
void discard_unread_input(int fd) noexcept;

// Waits until `fd` is writable or `deadline` passes; false at the deadline or on an error.
bool wait_writable(int fd, std::chrono::steady_clock::time_point deadline) noexcept;

}  // namespace tls::detail
