// Links against an installed tlsctx::redis or tlsctx::memcached and makes a store (which does
// not connect): proves the optional targets are exported with their client library.
#include <iostream>
#include <memory>

#ifdef TLSCTX_CONSUMER_REDIS
#include <tls/redis.hpp>
using Store = tls::redis::SessionStore;
constexpr const char* kUrl = "redis://127.0.0.1:6379/1";
#else
#include <tls/memcached.hpp>
using Store = tls::memcached::SessionStore;
constexpr const char* kUrl = "memcached://127.0.0.1:11211";
#endif

int main() {
    const std::unique_ptr<tls::SessionStore> store = std::make_unique<Store>(kUrl);
    std::cout << "tlsctx consumer: " << store->describe() << "\n";
    return store->describe() == kUrl ? 0 : 1;
}
