// One libmemcached handle (one server, one connection) with the settings and deadline handling
// tlsctx needs. libmemcached does its I/O non-blocking and waits in poll() for at most
// MEMCACHED_BEHAVIOR_POLL_TIMEOUT each time, so that value is set to what is left of the
// caller's deadline before every call; the connect happens when the handle is made (with a
// version request), so a call never pays a connect and its I/O wait one after the other.
#pragma once

#include <libmemcached/memcached.h>

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "store/pool.hpp"

namespace tls::memcached::detail {

struct HandleFree {
    void operator()(memcached_st* m) const noexcept {
        // memcached_free sends QUIT and reads until the server closes, each read waiting up to
        // the poll timeout: on a stalled server that would be one more deadline.
        memcached_behavior_set(m, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 0);
        memcached_free(m);
    }
};
using HandlePtr = std::unique_ptr<memcached_st, HandleFree>;

/// A connected handle to host:port; empty with `ec` set on failure.
HandlePtr connect(const std::string& host, std::uint16_t port, store::Clock::time_point deadline,
                  std::error_code& ec) noexcept;

/// Lets the next libmemcached call on `m` wait until `deadline`; false when it has passed.
bool arm(memcached_st* m, store::Clock::time_point deadline) noexcept;

/// Maps a libmemcached result that is not success (nor a miss) to `ec`; true when the
/// connection is now in an unknown state and must be closed.
bool classify(memcached_return_t rc, std::error_code& ec) noexcept;

}  // namespace tls::memcached::detail
