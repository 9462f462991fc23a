// One connection to Redis, driven with deadlines. hiredis's own blocking mode bounds each
// read() and write() by a socket timeout, not the call as a whole, so the connection is
// non-blocking and every wait is a poll() against the caller's deadline.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "store/pool.hpp"

namespace tls::redis::detail {

struct ContextFree {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextFree>;

struct ReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

/// Connects to host:port and selects database `db`; empty with `ec` set on failure.
ContextPtr connect(const std::string& host, std::uint16_t port, long db,
                   store::Clock::time_point deadline, std::error_code& ec) noexcept;

/// Sends one command (binary-safe arguments) and reads its reply. On failure `ec` is set and
/// `broken` says whether the connection is now unusable (false for an error reply, which is
/// returned too, with `ec` set to StoreErrc::protocol).
ReplyPtr command(redisContext* c, const std::vector<std::string_view>& args,
                 store::Clock::time_point deadline, std::error_code& ec, bool& broken) noexcept;

}  // namespace tls::redis::detail
