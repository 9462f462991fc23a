// The byte queue behind tls::MemoryBIO: appends at the end, takes from the front, and never
// initializes memory it is about to overwrite. OpenSSL's BIO_s_mem zero-fills every region it
// appends before copying into it, which cost a 16 KiB record a sixth of its instructions on the
// Asio stream's bulk path (bench/README.md, "Asio").
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace tls::detail {

// std::allocator that default-initializes (leaves bytes as they are) where a vector would
// value-initialize (zero) them.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = UninitializedAllocator<U>;
    };
    UninitializedAllocator() noexcept = default;
    template <class U>
    explicit UninitializedAllocator(const UninitializedAllocator<U>& /*other*/) noexcept {}

    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

class ByteQueue {
  public:
    std::size_t size() const noexcept { return tail_ - head_; }
    bool eof = false;  // the transport ended: an empty queue reads as end of stream

    void append(const void* data, std::size_t len) {
        if (len == 0) {
            return;
        }
        std::memcpy(reserve(len), data, len);
        tail_ += len;
    }

    // Room for `len` bytes after the queued ones (moving them to the front, or growing, when
    // there is not): the caller fills some of it and commit()s that much. Taking bytes out in
    // between does not move anything, so the room stays valid until the next reserve/append.
    unsigned char* reserve(std::size_t len) {
        if (buffer_.size() - tail_ < len) {
            if (head_ > 0) {
                std::memmove(buffer_.data(), buffer_.data() + head_, size());
                tail_ -= head_;
                head_ = 0;
            }
            if (buffer_.size() - tail_ < len) {
                buffer_.resize(std::max(tail_ + len, buffer_.size() + buffer_.size() / 2));
            }
        }
        return buffer_.data() + tail_;
    }
    void commit(std::size_t len) noexcept { tail_ += std::min(len, buffer_.size() - tail_); }

    std::size_t take(void* out, std::size_t len) noexcept {
        const std::size_t n = std::min(len, size());
        if (n > 0) {
            std::memcpy(out, buffer_.data() + head_, n);
            head_ += n;
        }
        return n;
    }

    void clear() noexcept { head_ = tail_ = 0; }

  private:
    std::vector<unsigned char, UninitializedAllocator<unsigned char>> buffer_;
    std::size_t head_ = 0;  // first queued byte
    std::size_t tail_ = 0;  // one past the last
};

}  // namespace tls::detail
