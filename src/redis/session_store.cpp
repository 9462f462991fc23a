// tls::redis::SessionStore: the pool (store/pool.hpp) lends a connection per call; the commands
// are SET key value EX ttl, GET key and DEL key, with binary-safe arguments.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "redis/connection.hpp"
#include "store/pool.hpp"
#include "store/url.hpp"
#include "tls/redis.hpp"

namespace tls::redis {
namespace {

constexpr std::uint16_t kDefaultPort = 6379;

long parse_database(const std::optional<std::string>& path, std::string_view url) {
    if (!path || path->empty()) {
        return 0;
    }
    if (path->size() > 6 || !std::all_of(path->begin(), path->end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
        throw std::invalid_argument("session store URL '" + std::string(url) +
                                    "': the path must be a database number");
    }
    return std::stol(*path);
}

std::string_view as_chars(const Bytes& bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

// Hidden: a nested class takes its exported enclosing class's visibility, and the closures in
// its constructor would put their typeinfo in the shared library's exports (docs/abi.md).
struct __attribute__((visibility("hidden"))) SessionStore::Impl {
    Impl(store::StoreUrl url_in, long db_in, Options options_in)
        : url(std::move(url_in)),
          db(db_in),
          options(std::move(options_in)),
          pool(options.pool_size, options.backoff,
               [this](store::Clock::time_point deadline, std::error_code& ec) {
                   const auto connect_by =
                       std::min(deadline, store::Clock::now() + options.connect_timeout);
                   return detail::connect(url.host, url.port, db, connect_by, ec);
               }) {}

    // One command on a pooled connection; the reply, or empty with `ec` set.
    detail::ReplyPtr run(const std::vector<std::string_view>& args, Deadline budget,
                         std::error_code& ec) noexcept {
        ec.clear();
        if (budget.count() <= 0) {
            ec = StoreErrc::timeout;
            return {};
        }
        const auto deadline = store::deadline_after(budget);
        auto lease = pool.acquire(deadline, ec);
        if (!lease) {
            return {};
        }
        bool broken = false;
        detail::ReplyPtr reply = detail::command(lease.get(), args, deadline, ec, broken);
        if (broken) {
            lease.broken();
        }
        return reply;
    }

    // The prefixed key; false (and `ec` set) when it cannot be built.
    bool make_key(const Bytes& key, std::string& out, std::error_code& ec) const noexcept {
        try {
            out = options.key_prefix;
            out += as_chars(key);
            return true;
        } catch (...) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return false;
        }
    }

    const store::StoreUrl url;
    const long db;
    const Options options;
    const bool address_literal = store::is_address_literal(url.host);
    std::atomic<bool> getdel_missing{false};
    store::Pool<detail::ContextPtr> pool;

    // GET or GETDEL of `key`: the value, empty for none, or empty with `ec` set.
    Bytes fetch(std::string_view command, const Bytes& key, Deadline deadline,
                std::error_code& ec) noexcept;
};

SessionStore::SessionStore(std::string_view url, Options options) {
    store::StoreUrl parsed = store::parse_store_url(url, "redis", kDefaultPort);
    const long db = parse_database(parsed.path, url);
    if (options.pool_size == 0) {
        throw std::invalid_argument("redis::SessionStore: pool_size must be at least 1");
    }
    if (options.connect_timeout.count() <= 0 || options.backoff.count() < 0) {
        throw std::invalid_argument(
            "redis::SessionStore: connect_timeout must be positive and backoff not negative");
    }
    impl_ = std::make_unique<Impl>(std::move(parsed), db, std::move(options));
}

SessionStore::~SessionStore() = default;

void SessionStore::put(const Bytes& key, const Bytes& value, std::chrono::seconds ttl,
                       Deadline deadline, std::error_code& ec) noexcept {
    std::string full_key;
    if (!impl_->make_key(key, full_key, ec)) {
        return;
    }
    const std::string seconds = std::to_string(std::max<long long>(1, ttl.count()));
    detail::ReplyPtr reply =
        impl_->run({"SET", full_key, as_chars(value), "EX", seconds}, deadline, ec);
    if (reply && reply->type != REDIS_REPLY_STATUS) {
        ec = StoreErrc::protocol;
    }
}

Bytes SessionStore::get(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept {
    return impl_->fetch("GET", key, deadline, ec);
}

Bytes SessionStore::take(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept {
    if (!impl_->getdel_missing.load(std::memory_order_relaxed)) {
        Bytes value = impl_->fetch("GETDEL", key, deadline, ec);
        if (ec != StoreErrc::protocol || !impl_->getdel_missing.load()) {
            return value;
        }
        ec.clear();
    }
    return ::tls::SessionStore::take(key, deadline, ec);
}

bool SessionStore::can_take() const noexcept {
    return !impl_->getdel_missing.load(std::memory_order_relaxed);
}

Bytes SessionStore::Impl::fetch(std::string_view command, const Bytes& key, Deadline deadline,
                                std::error_code& ec) noexcept {
    std::string full_key;
    if (!make_key(key, full_key, ec)) {
        return {};
    }
    detail::ReplyPtr reply = run({command, full_key}, deadline, ec);
    if (reply && reply->type == REDIS_REPLY_ERROR && command == "GETDEL" &&
        std::string_view(reply->str, reply->len).rfind("ERR unknown command", 0) == 0) {
        getdel_missing = true;  // before Redis 6.2
    }
    if (!reply || reply->type == REDIS_REPLY_NIL) {
        return {};
    }
    if (reply->type != REDIS_REPLY_STRING) {
        ec = StoreErrc::protocol;
        return {};
    }
    try {
        const auto* data = reinterpret_cast<const std::uint8_t*>(reply->str);
        return Bytes(data, data + reply->len);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

void SessionStore::remove(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept {
    std::string full_key;
    if (!impl_->make_key(key, full_key, ec)) {
        return;
    }
    detail::ReplyPtr reply = impl_->run({"DEL", full_key}, deadline, ec);
    if (reply && reply->type != REDIS_REPLY_INTEGER) {
        ec = StoreErrc::protocol;
    }
}

std::string SessionStore::describe() const {
    return "redis://" + store::host_port(impl_->url) + "/" + std::to_string(impl_->db);
}

bool SessionStore::keeps_deadlines() const noexcept {
    return impl_->address_literal;
}

}  // namespace tls::redis
