// tls::memcached::SessionStore: the pool (store/pool.hpp) lends a libmemcached handle per call;
// keys are the prefix followed by the binary key in hex (memcached keys are printable text).
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "memcached/connection.hpp"
#include "store/pool.hpp"
#include "store/url.hpp"
#include "tls/memcached.hpp"

namespace tls::memcached {
namespace {

constexpr std::uint16_t kDefaultPort = 11211;
constexpr std::size_t kMaxKeyLength = 250;  // memcached's limit
constexpr std::size_t kMaxPrefixLength = 100;
// memcached reads an expiration above 30 days as a Unix time, not as seconds from now.
constexpr long long kMaxRelativeExpiration = 60LL * 60 * 24 * 30;

struct FreeValue {
    void operator()(char* p) const noexcept { std::free(p); }  // NOLINT: libmemcached mallocs
};

bool printable_key_text(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

}  // namespace

// Hidden: a nested class takes its exported enclosing class's visibility, and the closures in
// its constructor would put their typeinfo in the shared library's exports (docs/abi.md).
struct __attribute__((visibility("hidden"))) SessionStore::Impl {
    Impl(store::StoreUrl url_in, Options options_in)
        : url(std::move(url_in)),
          options(std::move(options_in)),
          pool(options.pool_size, options.backoff,
               [this](store::Clock::time_point deadline, std::error_code& ec) {
                   const auto connect_by =
                       std::min(deadline, store::Clock::now() + options.connect_timeout);
                   return detail::connect(url.host, url.port, connect_by, ec);
               }) {}

    // The prefix and the key in hex; false (and `ec` set) when that is too long for memcached.
    bool make_key(const Bytes& key, std::string& out, std::error_code& ec) const noexcept {
        static constexpr char kHex[] = "0123456789abcdef";
        if (key.empty() || options.key_prefix.size() + 2 * key.size() > kMaxKeyLength) {
            ec = std::make_error_code(std::errc::invalid_argument);
            return false;
        }
        try {
            out = options.key_prefix;
            for (const std::uint8_t b : key) {
                out += kHex[b >> 4];
                out += kHex[b & 0x0f];
            }
            return true;
        } catch (...) {
            ec = std::make_error_code(std::errc::not_enough_memory);
            return false;
        }
    }

    // A connection armed with the caller's deadline, or an empty lease with `ec` set.
    store::Pool<detail::HandlePtr>::Lease lease(store::Clock::time_point deadline,
                                                std::error_code& ec) noexcept {
        if (store::millis_left(deadline) == 0) {  // not the store's fault: no back-off
            ec = StoreErrc::timeout;
            return {};
        }
        auto lease = pool.acquire(deadline, ec);
        if (lease && !detail::arm(lease.get(), deadline)) {
            ec = StoreErrc::timeout;
            return {};
        }
        return lease;
    }

    const store::StoreUrl url;
    const Options options;
    const bool address_literal = store::is_address_literal(url.host);
    store::Pool<detail::HandlePtr> pool;
};

SessionStore::SessionStore(std::string_view url, Options options) {
    store::StoreUrl parsed = store::parse_store_url(url, "memcached", kDefaultPort);
    if (parsed.path && !parsed.path->empty()) {
        throw std::invalid_argument("session store URL '" + std::string(url) +
                                    "': memcached has no databases (no path after the port)");
    }
    if (options.pool_size == 0) {
        throw std::invalid_argument("memcached::SessionStore: pool_size must be at least 1");
    }
    if (options.connect_timeout.count() <= 0 || options.backoff.count() < 0) {
        throw std::invalid_argument(
            "memcached::SessionStore: connect_timeout must be positive and backoff not negative");
    }
    if (options.key_prefix.size() > kMaxPrefixLength || !printable_key_text(options.key_prefix)) {
        throw std::invalid_argument(
            "memcached::SessionStore: key_prefix must be at most 100 printable characters "
            "without spaces");
    }
    impl_ = std::make_unique<Impl>(std::move(parsed), std::move(options));
}

SessionStore::~SessionStore() = default;

void SessionStore::put(const Bytes& key, const Bytes& value, std::chrono::seconds ttl,
                       Deadline deadline, std::error_code& ec) noexcept {
    ec.clear();
    std::string full_key;
    if (!impl_->make_key(key, full_key, ec)) {
        return;
    }
    const auto by = store::deadline_after(deadline);
    auto lease = impl_->lease(by, ec);
    if (!lease) {
        return;
    }
    long long expiration = std::max<long long>(1, ttl.count());
    if (expiration > kMaxRelativeExpiration) {
        expiration += static_cast<long long>(std::time(nullptr));
    }
    const memcached_return_t rc = memcached_set(lease.get(), full_key.data(), full_key.size(),
                                                reinterpret_cast<const char*>(value.data()),
                                                value.size(), static_cast<time_t>(expiration), 0);
    if (rc != MEMCACHED_SUCCESS && detail::classify(rc, ec)) {
        lease.broken();
    }
}

Bytes SessionStore::get(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept {
    ec.clear();
    std::string full_key;
    if (!impl_->make_key(key, full_key, ec)) {
        return {};
    }
    const auto by = store::deadline_after(deadline);
    auto lease = impl_->lease(by, ec);
    if (!lease) {
        return {};
    }
    std::size_t length = 0;
    std::uint32_t flags = 0;
    memcached_return_t rc = MEMCACHED_SUCCESS;
    const std::unique_ptr<char, FreeValue> value(
        memcached_get(lease.get(), full_key.data(), full_key.size(), &length, &flags, &rc));
    if (rc == MEMCACHED_NOTFOUND) {
        return {};
    }
    if (rc != MEMCACHED_SUCCESS) {
        if (detail::classify(rc, ec)) {
            lease.broken();
        }
        return {};
    }
    if (!value) {
        return {};  // an empty value: the same as none, as for the other stores
    }
    try {
        const auto* data = reinterpret_cast<const std::uint8_t*>(value.get());
        return Bytes(data, data + length);
    } catch (...) {
        ec = std::make_error_code(std::errc::not_enough_memory);
        return {};
    }
}

void SessionStore::remove(const Bytes& key, Deadline deadline, std::error_code& ec) noexcept {
    ec.clear();
    std::string full_key;
    if (!impl_->make_key(key, full_key, ec)) {
        return;
    }
    const auto by = store::deadline_after(deadline);
    auto lease = impl_->lease(by, ec);
    if (!lease) {
        return;
    }
    const memcached_return_t rc =
        memcached_delete(lease.get(), full_key.data(), full_key.size(), 0);
    if (rc != MEMCACHED_SUCCESS && rc != MEMCACHED_NOTFOUND && detail::classify(rc, ec)) {
        lease.broken();
    }
}

std::string SessionStore::describe() const {
    return "memcached://" + store::host_port(impl_->url);
}

bool SessionStore::keeps_deadlines() const noexcept {
    return impl_->address_literal;
}

}  // namespace tls::memcached
