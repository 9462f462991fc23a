#include "tls/memory_bio.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <cstddef>
#include <memory>
#include <new>

#include "byte_queue.hpp"
#include "ossl/error.hpp"
#include "ossl/handles.hpp"

namespace tls {
namespace detail {

void BioRelease::operator()(void* bio) const noexcept {
    ossl::BioPtr::deleter_type{}(static_cast<BIO*>(bio));
}

}  // namespace detail

namespace {

using detail::ByteQueue;

ByteQueue* queue_of(BIO* bio) noexcept {
    return static_cast<ByteQueue*>(BIO_get_data(bio));
}

// BIO_s_mem's contract, which OpenSSL's record layer relies on: an empty queue asks to retry
// until the transport has ended, then reads as end of stream and BIO_eof() says so.
// The int form, not write_ex: a failure must reach the record layer as BIO_write() == -1.
// OpenSSL 3.5's (tls_retry_write_records) takes a 0 without a retry flag, all write_ex can say,
// for success and drops the record while SSL_write reports it sent.
int queue_write(BIO* bio, const char* data, int len) noexcept {
    BIO_clear_retry_flags(bio);
    try {
        queue_of(bio)->append(data, static_cast<std::size_t>(len));
    } catch (const std::bad_alloc&) {
        // Said on the error queue, or OpenSSL would see a transport that stopped taking bytes
        // without a reason (SSL_ERROR_SYSCALL, errno 0) and the write would be reported as an
        // EOF in violation of protocol instead of what it is.
        ERR_raise(ERR_LIB_BIO, ERR_R_MALLOC_FAILURE);
        return -1;
    }
    return len;
}

int queue_read(BIO* bio, char* data, size_t len, size_t* read) noexcept {
    BIO_clear_retry_flags(bio);
    ByteQueue* q = queue_of(bio);
    *read = q->take(data, len);
    if (*read == 0 && len > 0) {
        if (!q->eof) {
            BIO_set_retry_read(bio);
        }
        return 0;
    }
    return 1;
}

long queue_ctrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) noexcept {
    ByteQueue* q = queue_of(bio);
    switch (cmd) {
        case BIO_CTRL_PENDING:
            return static_cast<long>(q->size());
        case BIO_CTRL_EOF:
            return q->eof && q->size() == 0 ? 1 : 0;
        case BIO_CTRL_RESET:
            q->clear();
            return 1;
        case BIO_CTRL_FLUSH:  // nothing is ever held back
            return 1;
        default:  // WPENDING, kTLS, MTU, ...: nothing, which OpenSSL reads as "not available"
            return 0;
    }
}

int queue_create(BIO* bio) noexcept {
    try {
        // The BIO owns its queue from here on: queue_destroy takes it back.
        BIO_set_data(bio, std::make_unique<ByteQueue>().release());
    } catch (const std::bad_alloc&) {
        return 0;
    }
    BIO_set_init(bio, 1);
    return 1;
}

int queue_destroy(BIO* bio) noexcept {
    std::unique_ptr<ByteQueue> owned(queue_of(bio));
    BIO_set_data(bio, nullptr);
    BIO_set_init(bio, 0);
    return 1;
}

// Created once and never modified afterwards; BIO_METHODs are shared by every BIO of their kind.
const BIO_METHOD* queue_method() {
    static const BIO_METHOD* method = [] {
        BIO_METHOD* m =
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlsctx memory BIO");
        if (m == nullptr) {
            return static_cast<BIO_METHOD*>(nullptr);
        }
        BIO_meth_set_write(m, queue_write);
        BIO_meth_set_read_ex(m, queue_read);
        BIO_meth_set_ctrl(m, queue_ctrl);
        BIO_meth_set_create(m, queue_create);
        BIO_meth_set_destroy(m, queue_destroy);
        return m;
    }();
    return method;
}

BIO* as_bio(const std::unique_ptr<void, detail::BioRelease>& p) noexcept {
    return static_cast<BIO*>(p.get());
}

}  // namespace

MemoryBIO::MemoryBIO() {
    const BIO_METHOD* method = queue_method();
    if (method != nullptr) {
        bio_.reset(BIO_new(method));
    }
    if (bio_ == nullptr) {
        ossl::throw_error("MemoryBIO", "cannot allocate a memory BIO");
    }
}

MemoryBIO::~MemoryBIO() = default;
MemoryBIO::MemoryBIO(MemoryBIO&& other) noexcept = default;
MemoryBIO& MemoryBIO::operator=(MemoryBIO&& other) noexcept = default;

std::size_t MemoryBIO::pending() const noexcept {
    return bio_ != nullptr ? queue_of(as_bio(bio_))->size() : 0;
}

std::size_t MemoryBIO::read(void* buffer, std::size_t len) noexcept {
    return bio_ != nullptr ? queue_of(as_bio(bio_))->take(buffer, len) : 0;
}

std::string MemoryBIO::read(std::size_t max_len) {
    std::size_t available = pending();
    std::string out(max_len < available ? max_len : available, '\0');
    out.resize(read(out.data(), out.size()));
    return out;
}

namespace {

void check_writable(const std::unique_ptr<void, detail::BioRelease>& bio, bool eof_written,
                    const char* operation) {
    if (eof_written) {
        throw SSLError(SSLErrc::ssl, std::string(operation) + ": cannot write() after write_eof()");
    }
    if (bio == nullptr) {
        throw SSLError(SSLErrc::ssl,
                       std::string(operation) + ": the MemoryBIO is empty (moved from)");
    }
}

}  // namespace

std::size_t MemoryBIO::write(const void* data, std::size_t len) {
    check_writable(bio_, eof_written_, "MemoryBIO.write");
    queue_of(as_bio(bio_))->append(data, len);
    return len;
}

void* MemoryBIO::prepare(std::size_t len) {
    check_writable(bio_, eof_written_, "MemoryBIO.prepare");
    return queue_of(as_bio(bio_))->reserve(len);
}

void MemoryBIO::commit(std::size_t len) noexcept {
    if (bio_ != nullptr && !eof_written_) {
        queue_of(as_bio(bio_))->commit(len);
    }
}

void MemoryBIO::write_eof() noexcept {
    eof_written_ = true;
    if (bio_ != nullptr) {
        queue_of(as_bio(bio_))->eof = true;
    }
}

}  // namespace tls
