#include "faults/failing_allocator.hpp"

#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace tls::test::faults {
namespace {

// Per thread: plain data with constant initialisation, so operator new may run before main
// and on threads the test never arms without any TLS constructor.
struct ThreadState {
    bool armed;
    std::uint64_t count;
    std::uint64_t fail_at;
    bool fired;
    const char* fired_file;
    int fired_line;
};
thread_local ThreadState t_state = {false, 0, 0, false, nullptr, 0};

std::atomic<std::int64_t> g_openssl_blocks{0};
std::atomic<std::int64_t> g_openssl_bytes{0};
std::atomic<std::int64_t> g_new_blocks{0};
std::atomic<std::int64_t> g_new_bytes{0};

// True when this allocation is the one to fail. Counts only on an armed thread.
bool inject(const char* file = "operator new", int line = 0) noexcept {
    ThreadState& s = t_state;
    if (!s.armed) {
        return false;
    }
    ++s.count;
    if (s.fail_at != 0 && s.count == s.fail_at) {
        s.fired = true;
        s.fired_file = file != nullptr ? file : "OpenSSL (no file name)";
        s.fired_line = line;
        return true;
    }
    return false;
}

// Every block carries its size in front of it. 16 bytes keep the user pointer as aligned as
// malloc's (max_align_t), which OpenSSL and operator new both rely on.
constexpr std::size_t kHeader = 16;
static_assert(kHeader >= alignof(std::max_align_t), "the header must keep malloc's alignment");
constexpr std::uint64_t kOpensslMagic = 0x6f70656e73736c21ULL;  // "openssl!"
constexpr std::uint64_t kNewMagic = 0x6f70657261746f72ULL;      // "operator"

struct Header {
    std::uint64_t size;
    std::uint64_t magic;
};
static_assert(sizeof(Header) == kHeader, "one header");

Header* header_of(void* user) noexcept {
    return reinterpret_cast<Header*>(static_cast<unsigned char*>(user) - kHeader);
}

void* user_of(void* block) noexcept {
    return static_cast<unsigned char*>(block) + kHeader;
}

// A header whose magic is not ours means memory from another allocator came back: abort at
// once rather than corrupt the counts (or the heap) quietly.
void check_magic(const Header* h, std::uint64_t magic) noexcept {
    if (h->magic != magic) {
        std::abort();
    }
}

// --- OpenSSL's allocator (CRYPTO_malloc_fn, CRYPTO_realloc_fn, CRYPTO_free_fn) ---

void* ossl_malloc(std::size_t num, const char* file, int line) {
    // OpenSSL's own CRYPTO_malloc returns NULL for 0 bytes; callers expect that.
    if (num == 0) {
        return nullptr;
    }
    if (inject(file, line) || num > SIZE_MAX - kHeader) {
        return nullptr;
    }
    void* block = std::malloc(kHeader + num);
    if (block == nullptr) {
        return nullptr;
    }
    auto* h = static_cast<Header*>(block);
    h->size = num;
    h->magic = kOpensslMagic;
    g_openssl_blocks.fetch_add(1, std::memory_order_relaxed);
    g_openssl_bytes.fetch_add(static_cast<std::int64_t>(num), std::memory_order_relaxed);
    return user_of(block);
}

void ossl_free(void* ptr, const char* /*file*/, int /*line*/) {
    if (ptr == nullptr) {
        return;
    }
    Header* h = header_of(ptr);
    check_magic(h, kOpensslMagic);
    g_openssl_blocks.fetch_sub(1, std::memory_order_relaxed);
    g_openssl_bytes.fetch_sub(static_cast<std::int64_t>(h->size), std::memory_order_relaxed);
    h->magic = 0;
    std::free(h);
}

void* ossl_realloc(void* ptr, std::size_t num, const char* file, int line) {
    // CRYPTO_realloc's contract for its special cases.
    if (ptr == nullptr) {
        return ossl_malloc(num, file, line);
    }
    if (num == 0) {
        ossl_free(ptr, file, line);
        return nullptr;
    }
    // A failed realloc leaves the old block as it was (the caller still owns it).
    if (inject(file, line) || num > SIZE_MAX - kHeader) {
        return nullptr;
    }
    Header* h = header_of(ptr);
    check_magic(h, kOpensslMagic);
    const std::uint64_t old_size = h->size;
    void* block = std::realloc(h, kHeader + num);
    if (block == nullptr) {
        return nullptr;
    }
    auto* nh = static_cast<Header*>(block);
    nh->size = num;
    g_openssl_bytes.fetch_add(static_cast<std::int64_t>(num) - static_cast<std::int64_t>(old_size),
                              std::memory_order_relaxed);
    return user_of(block);
}

// --- operator new / delete ---

// Blocks of over-aligned types keep the header in the last 16 bytes of an `align`-sized prefix,
// so the user pointer is aligned and the header is still just before it.
void* new_block(std::size_t size, std::size_t align) noexcept {
    if (inject()) {
        return nullptr;
    }
    const std::size_t prefix = align > kHeader ? align : kHeader;
    if (size > SIZE_MAX - prefix - align) {
        return nullptr;
    }
    void* base = nullptr;
    if (align > kHeader) {
        // aligned_alloc wants a multiple of the alignment.
        const std::size_t total = (prefix + size + align - 1) / align * align;
        base = std::aligned_alloc(align, total);
    } else {
        base = std::malloc(prefix + (size == 0 ? 1 : size));
    }
    if (base == nullptr) {
        return nullptr;
    }
    void* user = static_cast<unsigned char*>(base) + prefix;
    Header* h = header_of(user);
    h->size = size;
    h->magic = kNewMagic;
    g_new_blocks.fetch_add(1, std::memory_order_relaxed);
    g_new_bytes.fetch_add(static_cast<std::int64_t>(size), std::memory_order_relaxed);
    return user;
}

void delete_block(void* user, std::size_t align) noexcept {
    if (user == nullptr) {
        return;
    }
    Header* h = header_of(user);
    check_magic(h, kNewMagic);
    g_new_blocks.fetch_sub(1, std::memory_order_relaxed);
    g_new_bytes.fetch_sub(static_cast<std::int64_t>(h->size), std::memory_order_relaxed);
    h->magic = 0;
    const std::size_t prefix = align > kHeader ? align : kHeader;
    std::free(static_cast<unsigned char*>(user) - prefix);
}

// The throwing forms: an injected failure throws at once; a real one asks the new-handler, as
// the standard's operator new does.
void* new_or_throw(std::size_t size, std::size_t align) {
    for (;;) {
        const bool injected_before = t_state.fired;
        if (void* p = new_block(size, align)) {
            return p;
        }
        if (t_state.fired != injected_before) {
            throw std::bad_alloc();
        }
        std::new_handler handler = std::get_new_handler();
        if (handler == nullptr) {
            throw std::bad_alloc();
        }
        handler();
    }
}

}  // namespace

bool install_openssl_allocator() noexcept {
    return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
}

Outstanding outstanding() noexcept {
    Outstanding o;
    o.openssl_blocks = g_openssl_blocks.load(std::memory_order_relaxed);
    o.openssl_bytes = g_openssl_bytes.load(std::memory_order_relaxed);
    o.new_blocks = g_new_blocks.load(std::memory_order_relaxed);
    o.new_bytes = g_new_bytes.load(std::memory_order_relaxed);
    return o;
}

bool operator==(const Outstanding& a, const Outstanding& b) noexcept {
    return a.openssl_blocks == b.openssl_blocks && a.openssl_bytes == b.openssl_bytes &&
           a.new_blocks == b.new_blocks && a.new_bytes == b.new_bytes;
}

Armed::Armed(std::uint64_t fail_at) noexcept {
    t_state = ThreadState{true, 0, fail_at, false, nullptr, 0};
}

Armed::~Armed() {
    t_state.armed = false;
}

std::uint64_t Armed::count() const noexcept {
    return t_state.count;
}

bool Armed::fired() const noexcept {
    return t_state.fired;
}

const char* Armed::fired_file() const noexcept {
    return t_state.fired_file != nullptr ? t_state.fired_file : "";
}

int Armed::fired_line() const noexcept {
    return t_state.fired_line;
}

Paused::Paused() noexcept : was_armed_(t_state.armed) {
    t_state.armed = false;
}

Paused::~Paused() {
    t_state.armed = was_armed_;
}

}  // namespace tls::test::faults

// The replaceable global allocation functions ([new.delete]), all of them routed to the counting
// blocks above. Exported with default visibility (the project builds with hidden visibility) so
// that libstdc++'s own calls resolve here too: a block allocated inside libstdc++ and freed by an
// inline destructor must come from the same allocator.
#define TLSCTX_FAULTS_EXPORT __attribute__((visibility("default")))

namespace faults = tls::test::faults;

namespace {
constexpr std::size_t kPlain = 0;  // malloc's own alignment
std::size_t align_of(std::align_val_t al) noexcept {
    return static_cast<std::size_t>(al);
}
}  // namespace

TLSCTX_FAULTS_EXPORT void* operator new(std::size_t size) {
    return faults::new_or_throw(size, kPlain);
}
TLSCTX_FAULTS_EXPORT void* operator new[](std::size_t size) {
    return faults::new_or_throw(size, kPlain);
}
TLSCTX_FAULTS_EXPORT void* operator new(std::size_t size, const std::nothrow_t& /*tag*/) noexcept {
    return faults::new_block(size, kPlain);
}
TLSCTX_FAULTS_EXPORT void* operator new[](std::size_t size,
                                          const std::nothrow_t& /*tag*/) noexcept {
    return faults::new_block(size, kPlain);
}
TLSCTX_FAULTS_EXPORT void* operator new(std::size_t size, std::align_val_t al) {
    return faults::new_or_throw(size, align_of(al));
}
TLSCTX_FAULTS_EXPORT void* operator new[](std::size_t size, std::align_val_t al) {
    return faults::new_or_throw(size, align_of(al));
}
TLSCTX_FAULTS_EXPORT void* operator new(std::size_t size, std::align_val_t al,
                                        const std::nothrow_t& /*tag*/) noexcept {
    return faults::new_block(size, align_of(al));
}
TLSCTX_FAULTS_EXPORT void* operator new[](std::size_t size, std::align_val_t al,
                                          const std::nothrow_t& /*tag*/) noexcept {
    return faults::new_block(size, align_of(al));
}

TLSCTX_FAULTS_EXPORT void operator delete(void* p) noexcept {
    faults::delete_block(p, kPlain);
}
TLSCTX_FAULTS_EXPORT void operator delete[](void* p) noexcept {
    faults::delete_block(p, kPlain);
}
TLSCTX_FAULTS_EXPORT void operator delete(void* p, std::size_t /*size*/) noexcept {
    faults::delete_block(p, kPlain);
}
TLSCTX_FAULTS_EXPORT void operator delete[](void* p, std::size_t /*size*/) noexcept {
    faults::delete_block(p, kPlain);
}
TLSCTX_FAULTS_EXPORT void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept {
    faults::delete_block(p, kPlain);
}
TLSCTX_FAULTS_EXPORT void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept {
    faults::delete_block(p, kPlain);
}
TLSCTX_FAULTS_EXPORT void operator delete(void* p, std::align_val_t al) noexcept {
    faults::delete_block(p, align_of(al));
}
TLSCTX_FAULTS_EXPORT void operator delete[](void* p, std::align_val_t al) noexcept {
    faults::delete_block(p, align_of(al));
}
TLSCTX_FAULTS_EXPORT void operator delete(void* p, std::size_t /*size*/,
                                          std::align_val_t al) noexcept {
    faults::delete_block(p, align_of(al));
}
TLSCTX_FAULTS_EXPORT void operator delete[](void* p, std::size_t /*size*/,
                                            std::align_val_t al) noexcept {
    faults::delete_block(p, align_of(al));
}
TLSCTX_FAULTS_EXPORT void operator delete(void* p, std::align_val_t al,
                                          const std::nothrow_t& /*tag*/) noexcept {
    faults::delete_block(p, align_of(al));
}
TLSCTX_FAULTS_EXPORT void operator delete[](void* p, std::align_val_t al,
                                            const std::nothrow_t& /*tag*/) noexcept {
    faults::delete_block(p, align_of(al));
}
