// A small pool of connections to one session store, shared by tlsctx::redis and
// tlsctx::memcached (each compiles its own copy; nothing of it is public).
//
// Why a pool and not one connection behind a mutex: a store call waits on the network, and a
// server runs handshakes on several threads; one connection would serialize them. Why not a
// connection per call: a TCP connect (and Redis's SELECT) per handshake would cost more than
// the lookup. Up to `size` callers each get a connection of their own; the next ones wait for
// one to come back, but never past their deadline.
//
// Why the back-off: when a connection fails, the store is most likely down or stalled, and
// every handshake that tries to reconnect would pay a connect timeout. For `backoff` after a
// failure, calls fail at once (StoreErrc::unavailable) and the handshakes go on without the
// store; then the next caller tries again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "tls/store_errors.hpp"

namespace tls::store {

using Clock = std::chrono::steady_clock;

/// The point in time a call with `budget` must have returned by.
inline Clock::time_point deadline_after(std::chrono::milliseconds budget) noexcept {
    return Clock::now() + budget;
}

/// Milliseconds left until `deadline` (0 when it has passed).
inline long long millis_left(Clock::time_point deadline) noexcept {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? left.count() : 0;
}

/// `Handle` is a move-only owner (a std::unique_ptr with its deleter) of one connection.
template <class Handle>
class Pool {
  public:
    /// Opens a connection, returning an empty Handle and setting `ec` on failure; it must
    /// return by the deadline it is given.
    using Connect = std::function<Handle(Clock::time_point deadline, std::error_code& ec)>;

    /// One connection, lent to one caller until the lease ends; then it goes back to the pool,
    /// unless the caller reported it broken.
    class Lease {
      public:
        Lease() noexcept = default;
        Lease(Pool* pool, Handle handle) noexcept : pool_(pool), handle_(std::move(handle)) {}
        ~Lease() { give_back(); }
        Lease(Lease&& other) noexcept
            : pool_(std::exchange(other.pool_, nullptr)), handle_(std::move(other.handle_)) {}
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        explicit operator bool() const noexcept { return static_cast<bool>(handle_); }
        auto get() const noexcept { return handle_.get(); }

        /// The connection is in an unknown state (I/O error, timeout mid-reply): it is closed,
        /// and the pool backs off.
        void broken() noexcept {
            if (pool_ != nullptr) {
                pool_->discard(std::move(handle_));
                pool_ = nullptr;
            }
        }

      private:
        void give_back() noexcept {
            if (pool_ != nullptr && handle_) {
                pool_->put_back(std::move(handle_));
            }
            pool_ = nullptr;
        }

        Pool* pool_ = nullptr;
        Handle handle_;
    };

    Pool(std::size_t size, std::chrono::milliseconds backoff, Connect connect)
        : size_(size == 0 ? 1 : size), backoff_(backoff), connect_(std::move(connect)) {}
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    ~Pool() = default;

    /// A connection for one call, or an empty Lease with `ec` set (timeout, unavailable, or
    /// what the Connect function reported).
    Lease acquire(Clock::time_point deadline, std::error_code& ec) noexcept {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            if (Clock::now() < down_until_) {
                ec = StoreErrc::unavailable;
                return {};
            }
            if (!idle_.empty()) {
                Handle handle = std::move(idle_.back());
                idle_.pop_back();
                return Lease(this, std::move(handle));
            }
            if (open_ < size_) {
                ++open_;
                lock.unlock();
                Handle handle;
                try {
                    handle = connect_(deadline, ec);
                } catch (...) {  // std::bad_alloc: the call fails, nothing leaks
                    ec = StoreErrc::unavailable;
                }
                if (handle) {
                    return Lease(this, std::move(handle));
                }
                lock.lock();
                --open_;
                back_off_locked();
                changed_.notify_all();
                return {};
            }
            if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
                ec = StoreErrc::timeout;
                return {};
            }
        }
    }

  private:
    void put_back(Handle handle) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        idle_.push_back(std::move(handle));  // never reallocates: reserved below
        changed_.notify_one();
    }

    void discard(Handle handle) noexcept {
        handle.reset();
        std::lock_guard<std::mutex> lock(mutex_);
        --open_;
        back_off_locked();
        changed_.notify_all();
    }

    // The idle connections were opened to the same server that just failed: after a restart
    // they are all dead, and each would cost one failed call to find out.
    void back_off_locked() noexcept {
        down_until_ = Clock::now() + backoff_;
        open_ -= idle_.size();
        idle_.clear();
    }

    const std::size_t size_;
    const std::chrono::milliseconds backoff_;
    const Connect connect_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Handle> idle_ = reserved(size_);
    std::size_t open_ = 0;
    Clock::time_point down_until_{};

    static std::vector<Handle> reserved(std::size_t n) {
        std::vector<Handle> v;
        v.reserve(n);
        return v;
    }
};

}  // namespace tls::store
