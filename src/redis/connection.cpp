#include "redis/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace tls::redis::detail {
namespace {

// Waits for `events` on fd until the deadline: true when ready (or in error: the next read or
// write reports it), false at the deadline.
bool wait_for(int fd, short events, store::Clock::time_point deadline) noexcept {
    for (;;) {
        const long long left = store::millis_left(deadline);
        if (left == 0) {
            return false;
        }
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left));
        if (n > 0) {
            return true;
        }
        if (n < 0 && errno != EINTR) {
            return true;
        }
    }
}

}  // namespace

ContextPtr connect(const std::string& host, std::uint16_t port, long db,
                   store::Clock::time_point deadline, std::error_code& ec) noexcept {
    ContextPtr c(redisConnectNonBlock(host.c_str(), port));
    if (!c || c->err != 0) {
        ec = StoreErrc::unavailable;
        return {};
    }
    if (!wait_for(c->fd, POLLOUT, deadline)) {
        ec = StoreErrc::timeout;
        return {};
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
        ec = StoreErrc::unavailable;
        return {};
    }
    // Requests are small and answered at once: Nagle would hold each for an ACK.
    const int one = 1;
    ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (db != 0) {
        const std::string number = std::to_string(db);
        bool broken = false;
        ReplyPtr reply = command(c.get(), {"SELECT", number}, deadline, ec, broken);
        if (!reply) {
            return {};
        }
        if (reply->type != REDIS_REPLY_STATUS) {
            ec = StoreErrc::protocol;  // the server has no such database
            return {};
        }
    }
    return c;
}

ReplyPtr command(redisContext* c, const std::vector<std::string_view>& args,
                 store::Clock::time_point deadline, std::error_code& ec, bool& broken) noexcept {
    broken = true;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    try {
        argv.reserve(args.size());
        lengths.reserve(args.size());
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        broken = false;
        return {};
    }
    for (const std::string_view arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
        REDIS_OK) {
        ec = StoreErrc::unavailable;
        return {};
    }
    // Write first and poll only when the socket buffer is full: a request nearly always fits.
    for (int done = 0; done == 0;) {
        if (redisBufferWrite(c, &done) != REDIS_OK) {
            ec = StoreErrc::unavailable;
            return {};
        }
        if (done == 0 && !wait_for(c->fd, POLLOUT, deadline)) {
            ec = StoreErrc::timeout;
            return {};
        }
    }
    void* reply = nullptr;
    for (;;) {
        if (redisGetReplyFromReader(c, &reply) != REDIS_OK) {
            ec = StoreErrc::protocol;
            return {};
        }
        if (reply != nullptr) {
            break;
        }
        if (!wait_for(c->fd, POLLIN, deadline)) {
            ec = StoreErrc::timeout;
            return {};
        }
        if (redisBufferRead(c) != REDIS_OK) {  // EOF or reset: the server went away
            ec = StoreErrc::unavailable;
            return {};
        }
    }
    ReplyPtr owned(static_cast<redisReply*>(reply));
    broken = false;
    if (owned->type == REDIS_REPLY_ERROR) {
        ec = StoreErrc::protocol;  // the reply still says why ("ERR unknown command ...")
    }
    return owned;
}

}  // namespace tls::redis::detail
