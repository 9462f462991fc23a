// tlsctx — tls::MemoryBIO, Python's `ssl.MemoryBIO`: a byte queue between a tls::Object and
// whatever transport you drive yourself. Docs: docs/sans-io.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "tls/export.hpp"

namespace tls {

namespace detail {
/// Releases the one BIO reference a MemoryBIO owns (defined where OpenSSL is known).
/// Not exported: only the library's own out-of-line members destroy the pointer (docs/abi.md).
struct BioRelease {
    void operator()(void* bio) const noexcept;
};
}  // namespace detail

/// Python's `ssl.MemoryBIO`. Move-only; a tls::Object made over it keeps the underlying buffer
/// alive, so the MemoryBIO may be destroyed first. Not thread-safe.
class TLS_API MemoryBIO {
  public:
    /// An empty buffer. @throws SSLError if OpenSSL cannot allocate it.
    MemoryBIO();
    ~MemoryBIO();
    /// Movable, not copyable (an Object shares the buffer).
    /// @{
    MemoryBIO(MemoryBIO&& other) noexcept;
    MemoryBIO& operator=(MemoryBIO&& other) noexcept;
    /// @}
    MemoryBIO(const MemoryBIO&) = delete;
    MemoryBIO& operator=(const MemoryBIO&) = delete;

    /// Python: `pending`: bytes buffered.
    std::size_t pending() const noexcept;
    /// Python: `eof`: write_eof() was called and every byte has been read.
    bool eof() const noexcept { return eof_written_ && pending() == 0; }

    /// Python: `read(n)`: takes up to `len` bytes into `buffer`; returns the count (0 if empty).
    [[nodiscard]] std::size_t read(void* buffer, std::size_t len) noexcept;
    /// Python: `read(n=-1)`: takes up to `max_len` bytes (all by default).
    std::string read(std::size_t max_len = static_cast<std::size_t>(-1));
    /// Python: `write(buf)`: appends all of `data`; returns its size.
    /// @throws SSLError after write_eof() (Python: "cannot write() after write_eof()").
    std::size_t write(const void* data, std::size_t len);
    /// The same for a string.
    std::size_t write(std::string_view data) { return write(data.data(), data.size()); }
    /// Room for `len` more bytes at the end of the buffer, for a transport to read into directly
    /// instead of through write()'s copy (an Asio stream reads the socket straight into it);
    /// commit() then appends the part that was filled. Valid until commit(), write() or the next
    /// prepare(); reading from the buffer in between is fine. @throws SSLError as write() does,
    /// std::bad_alloc.
    void* prepare(std::size_t len);
    /// Appends the first `len` bytes of the room prepare() gave (at most what it gave).
    void commit(std::size_t len) noexcept;
    /// Python: `write_eof()`: the transport has ended; reading past the buffered bytes then
    /// reports EOF instead of "want read".
    void write_eof() noexcept;

    /// The `BIO*`, as `void*`: tlsctx's own memory BIO method (BIO_s_mem's behaviour without
    /// its zero-filling), not BIO_s_mem itself, so BIO_get_mem_data() does not apply.
    void* native_handle() const noexcept { return bio_.get(); }

  private:
    std::unique_ptr<void, detail::BioRelease> bio_;  // BIO*, one reference
    bool eof_written_ = false;
};

}  // namespace tls
