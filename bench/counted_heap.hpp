// The counting heap of the memory benchmarks (bench_memory.cpp, bench_asio_memory.cpp): every
// OpenSSL allocation (install ossl_malloc/ossl_realloc/ossl_free with CRYPTO_set_mem_functions
// before OpenSSL allocates) and every C++ one (the replaced operator new/delete below) carries a
// header naming who made it, so a free is charged back to its owner from any thread.
//
// Include it from exactly one file per program (it defines the replaceable operators), which
// defines the two hooks: counted_heap::current_owner() (who allocates now) and
// counted_heap::account(kind, owner, delta).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace counted_heap {

enum Kind : int { kOpenssl = 0, kCxx = 1 };

int current_owner() noexcept;
void account(int kind, int owner, long long delta) noexcept;

struct alignas(16) Header {
    std::size_t size;
    int owner;
    int kind;
};
static_assert(sizeof(Header) == 16, "the header keeps malloc's 16-byte alignment");

// Not inlined into operator new/delete, where GCC would track the block and warn about the
// header arithmetic.
__attribute__((noinline)) inline void* counted_alloc(std::size_t n, int kind) {
    auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + n));
    if (h == nullptr) {
        return nullptr;
    }
    h->size = n;
    h->owner = current_owner();
    h->kind = kind;
    account(kind, h->owner, static_cast<long long>(n));
    return h + 1;
}

__attribute__((noinline)) inline void counted_free(void* p) {
    if (p == nullptr) {
        return;
    }
    Header* h = static_cast<Header*>(p) - 1;
    account(h->kind, h->owner, -static_cast<long long>(h->size));
    std::free(h);
}

inline void* ossl_malloc(std::size_t n, const char*, int) {
    return counted_alloc(n, kOpenssl);
}

inline void* ossl_realloc(void* p, std::size_t n, const char*, int) {
    if (p == nullptr) {
        return counted_alloc(n, kOpenssl);
    }
    Header* h = static_cast<Header*>(p) - 1;
    const Header old = *h;
    auto* moved = static_cast<Header*>(std::realloc(h, sizeof(Header) + n));
    if (moved == nullptr) {
        return nullptr;
    }
    // A grown buffer stays charged to the end that first allocated it.
    moved->size = n;
    account(old.kind, old.owner, static_cast<long long>(n) - static_cast<long long>(old.size));
    return moved + 1;
}

inline void ossl_free(void* p, const char*, int) {
    counted_free(p);
}

// Over-aligned C++ allocations: the header sits right before the aligned block.
__attribute__((noinline)) inline void* counted_aligned_alloc(std::size_t n, std::size_t align) {
    const std::size_t pad = align < sizeof(Header) ? sizeof(Header) : align;
    std::size_t total = (pad + n + align - 1) / align * align;
    auto* base = static_cast<char*>(std::aligned_alloc(align, total));
    if (base == nullptr) {
        return nullptr;
    }
    Header* h = reinterpret_cast<Header*>(base + pad) - 1;
    h->size = n;
    h->owner = current_owner();
    h->kind = kCxx;
    account(kCxx, h->owner, static_cast<long long>(n));
    return base + pad;
}

__attribute__((noinline)) inline void counted_aligned_free(void* p, std::size_t align) {
    if (p == nullptr) {
        return;
    }
    const std::size_t pad = align < sizeof(Header) ? sizeof(Header) : align;
    Header* h = static_cast<Header*>(p) - 1;
    account(h->kind, h->owner, -static_cast<long long>(h->size));
    std::free(static_cast<char*>(p) - pad);
}

}  // namespace counted_heap

void* operator new(std::size_t n) {
    void* p = counted_heap::counted_alloc(n, counted_heap::kCxx);
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
}
void* operator new[](std::size_t n) {
    return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return counted_heap::counted_alloc(n, counted_heap::kCxx);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return counted_heap::counted_alloc(n, counted_heap::kCxx);
}
void operator delete(void* p) noexcept {
    counted_heap::counted_free(p);
}
void operator delete[](void* p) noexcept {
    counted_heap::counted_free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    counted_heap::counted_free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    counted_heap::counted_free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    counted_heap::counted_free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    counted_heap::counted_free(p);
}
void* operator new(std::size_t n, std::align_val_t a) {
    void* p = counted_heap::counted_aligned_alloc(n, static_cast<std::size_t>(a));
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
}
void* operator new[](std::size_t n, std::align_val_t a) {
    return operator new(n, a);
}
void operator delete(void* p, std::align_val_t a) noexcept {
    counted_heap::counted_aligned_free(p, static_cast<std::size_t>(a));
}
void operator delete[](void* p, std::align_val_t a) noexcept {
    counted_heap::counted_aligned_free(p, static_cast<std::size_t>(a));
}
void operator delete(void* p, std::size_t, std::align_val_t a) noexcept {
    counted_heap::counted_aligned_free(p, static_cast<std::size_t>(a));
}
void operator delete[](void* p, std::size_t, std::align_val_t a) noexcept {
    counted_heap::counted_aligned_free(p, static_cast<std::size_t>(a));
}
