#include "tls/memory_bio.hpp"

#include <openssl/bio.h>

#include "ossl/error.hpp"
#include "ossl/handles.hpp"

namespace tls {
namespace detail {

void BioRelease::operator()(void* bio) const noexcept {
    ossl::BioPtr::deleter_type{}(static_cast<BIO*>(bio));
}

}  // namespace detail

namespace {

BIO* as_bio(const std::unique_ptr<void, detail::BioRelease>& p) noexcept {
    return static_cast<BIO*>(p.get());
}

}  // namespace

MemoryBIO::MemoryBIO() : bio_(BIO_new(BIO_s_mem())) {
    if (bio_ == nullptr) {
        ossl::throw_error("MemoryBIO", "cannot allocate a memory BIO");
    }
    // An empty buffer means "no data yet" (retry), not end of stream, until write_eof().
    BIO_set_mem_eof_return(as_bio(bio_), -1);
}

MemoryBIO::~MemoryBIO() = default;
MemoryBIO::MemoryBIO(MemoryBIO&& other) noexcept = default;
MemoryBIO& MemoryBIO::operator=(MemoryBIO&& other) noexcept = default;

std::size_t MemoryBIO::pending() const noexcept {
    return bio_ != nullptr ? BIO_ctrl_pending(as_bio(bio_)) : 0;
}

std::size_t MemoryBIO::read(void* buffer, std::size_t len) noexcept {
    if (bio_ == nullptr || len == 0) {
        return 0;
    }
    std::size_t n = 0;
    if (BIO_read_ex(as_bio(bio_), buffer, len, &n) != 1) {
        ossl::clear_errors();
        return 0;
    }
    return n;
}

std::string MemoryBIO::read(std::size_t max_len) {
    std::size_t available = pending();
    std::string out(max_len < available ? max_len : available, '\0');
    out.resize(read(out.data(), out.size()));
    return out;
}

std::size_t MemoryBIO::write(const void* data, std::size_t len) {
    if (eof_written_) {
        throw SSLError(SSLErrc::ssl, "MemoryBIO.write: cannot write() after write_eof()");
    }
    if (bio_ == nullptr) {
        throw SSLError(SSLErrc::ssl, "MemoryBIO.write: the MemoryBIO is empty (moved from)");
    }
    if (len == 0) {
        return 0;
    }
    std::size_t n = 0;
    if (BIO_write_ex(as_bio(bio_), data, len, &n) != 1 || n != len) {
        ossl::throw_error("MemoryBIO.write", "cannot append to the memory BIO");
    }
    return n;
}

void MemoryBIO::write_eof() noexcept {
    eof_written_ = true;
    if (bio_ != nullptr) {
        // Reading an empty buffer now reports end of stream (0) instead of "retry".
        BIO_set_mem_eof_return(as_bio(bio_), 0);
    }
}

}  // namespace tls
