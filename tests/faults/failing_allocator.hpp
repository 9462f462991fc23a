// tlsctx fault tests — an allocator that fails the N-th allocation on demand. It replaces
// OpenSSL's malloc/realloc/free (CRYPTO_set_mem_functions) and the global operator new/delete
// of this process, counts what is outstanding in each (the leak check), and, while a test thread
// has armed it, counts that thread's allocations across both and fails the N-th: OpenSSL's gets
// NULL, operator new throws std::bad_alloc (its nothrow forms return nullptr). Other threads and
// unarmed stretches (gtest's own bookkeeping) are counted as outstanding but never failed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tls::test::faults {

/// Installs the OpenSSL allocator. Must run before OpenSSL's first allocation (first thing in
/// main): CRYPTO_set_mem_functions refuses afterwards. Returns its verdict.
bool install_openssl_allocator() noexcept;

/// Blocks and bytes allocated and not yet freed, per allocator, in the whole process.
struct Outstanding {
    std::int64_t openssl_blocks = 0;
    std::int64_t openssl_bytes = 0;
    std::int64_t new_blocks = 0;
    std::int64_t new_bytes = 0;
};
Outstanding outstanding() noexcept;
bool operator==(const Outstanding& a, const Outstanding& b) noexcept;
inline bool operator!=(const Outstanding& a, const Outstanding& b) noexcept {
    return !(a == b);
}

/// Arms injection on the calling thread for its lifetime. `fail_at` = 0 only counts; otherwise
/// the `fail_at`-th allocation (1-based, OpenSSL's malloc/realloc and operator new together)
/// fails, and every later one succeeds. Not nestable.
class Armed {
  public:
    explicit Armed(std::uint64_t fail_at) noexcept;
    ~Armed();
    Armed(const Armed&) = delete;
    Armed& operator=(const Armed&) = delete;

    /// Allocations counted so far, and whether the failure was injected.
    std::uint64_t count() const noexcept;
    bool fired() const noexcept;
    /// Where the failed allocation was asked for: OpenSSL's file and line (OPENSSL_FILE, when
    /// OpenSSL was built with them), or "operator new" and 0.
    const char* fired_file() const noexcept;
    int fired_line() const noexcept;
};

/// Pauses an armed thread for its lifetime: allocations in between are neither counted nor
/// failed (a scenario's own checks, which must not shift or take the N-th allocation).
class Paused {
  public:
    Paused() noexcept;
    ~Paused();
    Paused(const Paused&) = delete;
    Paused& operator=(const Paused&) = delete;

  private:
    bool was_armed_;
};

}  // namespace tls::test::faults
