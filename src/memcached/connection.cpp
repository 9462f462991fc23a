#include "memcached/connection.hpp"

namespace tls::memcached::detail {

bool arm(memcached_st* m, store::Clock::time_point deadline) noexcept {
    const long long left = store::millis_left(deadline);
    if (left == 0) {
        return false;
    }
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, static_cast<std::uint64_t>(left));
    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, static_cast<std::uint64_t>(left));
    return true;
}

HandlePtr connect(const std::string& host, std::uint16_t port, store::Clock::time_point deadline,
                  std::error_code& ec) noexcept {
    HandlePtr m(memcached_create(nullptr));
    if (!m) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
    // The binary protocol carries keys and values by length, and reports a miss, a refusal
    // and a server error as distinct statuses.
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    // The pool does its own back-off and drops a failed handle; libmemcached's marking of
    // dead servers would only delay the recovery after a restart.
    memcached_behavior_set(m.get(), MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
    if (memcached_server_add(m.get(), host.c_str(), port) != MEMCACHED_SUCCESS) {
        ec = StoreErrc::unavailable;
        return {};
    }
    if (!arm(m.get(), deadline)) {
        ec = StoreErrc::timeout;
        return {};
    }
    const memcached_return_t rc = memcached_version(m.get());
    if (rc != MEMCACHED_SUCCESS) {
        classify(rc, ec);
        return {};
    }
    return m;
}

bool classify(memcached_return_t rc, std::error_code& ec) noexcept {
    switch (rc) {
        case MEMCACHED_TIMEOUT:
            ec = StoreErrc::timeout;
            return true;
        // The server read the request and refused it: the connection is still in step.
        case MEMCACHED_E2BIG:
        case MEMCACHED_NOTSTORED:
        case MEMCACHED_DATA_EXISTS:
        case MEMCACHED_BAD_KEY_PROVIDED:
        case MEMCACHED_CLIENT_ERROR:
        case MEMCACHED_SERVER_ERROR:
        case MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE:
        case MEMCACHED_MEMORY_ALLOCATION_FAILURE:
            ec = StoreErrc::protocol;
            return false;
        default:  // refused, reset, closed, unreadable: the server is gone or out of step
            ec = StoreErrc::unavailable;
            return true;
    }
}

}  // namespace tls::memcached::detail
