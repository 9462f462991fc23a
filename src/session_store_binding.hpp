// A server context's tie to its SessionStore: the store, the sealing key, the worker threads
// that call the store, and the counters. Shared (shared_ptr) by the context and by every
// connection made from it, so an SNI switch or a replaced store never leaves a handshake with a
// dangling one; the workers hold only the parts they use, so a store call that outlives the
// deadline (or the context) finishes harmlessly.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "tls/session_store.hpp"

namespace tls::detail {

// Lock-free counters and a ring of recent lookup latencies. Written by handshakes and workers
// on any thread; a snapshot may mix values of calls in flight, which stats can afford.
class StoreCounters {
  public:
    std::atomic<std::uint64_t> hits{0}, misses{0}, errors{0}, timeouts{0}, rejected{0}, puts{0},
        removes{0};
    void record_latency(std::chrono::microseconds latency) noexcept;
    SessionStoreStats snapshot() const;

  private:
    static constexpr std::size_t kWindow = 1024;
    std::array<std::atomic<std::uint32_t>, kWindow> latencies_{};
    std::atomic<std::uint64_t> recorded_{0};
};

// A few threads that call the store, so a handshake waits for a lookup only until its deadline
// and never for a write. The queue is bounded: when the store lags that far behind, new work is
// refused at once (a full handshake) instead of piling up threads or memory.
class StoreWorkers {
  public:
    StoreWorkers(std::size_t threads, std::size_t max_queue);
    ~StoreWorkers();  // tells the threads to leave; does not wait for a stalled store call
    StoreWorkers(const StoreWorkers&) = delete;
    StoreWorkers& operator=(const StoreWorkers&) = delete;
    // Queues `job`; false when the queue is full or the threads cannot be started.
    bool post(std::function<void()> job) noexcept;

  private:
    struct Queue {
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<std::function<void()>> jobs;
        bool stopping = false;
    };
    static void run(const std::shared_ptr<Queue>& queue) noexcept;

    std::shared_ptr<Queue> queue_;
    std::size_t threads_;
    std::size_t max_queue_;
    std::once_flag started_;
    bool start_failed_ = false;
};

struct SessionStoreBinding {
    SessionStoreBinding(std::shared_ptr<SessionStore> store, SessionStoreOptions options,
                        std::chrono::seconds ttl);
    ~SessionStoreBinding();  // cleanses the fleet key
    SessionStoreBinding(const SessionStoreBinding&) = delete;
    SessionStoreBinding& operator=(const SessionStoreBinding&) = delete;

    Bytes store_key(const unsigned char* id, std::size_t length) const;

    std::shared_ptr<SessionStore> store;
    SessionStoreOptions options;
    std::chrono::seconds ttl;
    bool
        calls_here;  // the store keeps its deadlines: get() and put() run on the handshake's thread
    std::shared_ptr<StoreCounters> counters = std::make_shared<StoreCounters>();
    StoreWorkers workers;
};

// OpenSSL's one new-session callback, for both roles of a context: a server's sessions go to
// its SessionStore, a client's to its ClientSessionCache (engine_session_cache.cpp).
int on_new_session(SSL* ssl, SSL_SESSION* session) noexcept;

// Points `ctx`'s external session cache at the binding its ContextState holds (or, with none,
// back to OpenSSL's internal cache).
void install_session_store_callbacks(SSL_CTX* ctx, bool on);

}  // namespace tls::detail
