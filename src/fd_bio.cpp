#include "fd_bio.hpp"

#include <openssl/bio.h>

#include <sys/socket.h>
#include <cerrno>
#include <climits>

#include "ossl/error.hpp"

namespace tls::detail {
namespace {

// EINTR is retried in place (as Python does since PEP 475), so a retry flag on a blocking
// descriptor always means SO_RCVTIMEO / SO_SNDTIMEO expired (socket.cpp relies on that).
bool would_block(int e) noexcept {
    return e == EAGAIN || e == EWOULDBLOCK;
}

int fd_of(BIO* bio) noexcept {
    return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
}

int fd_write(BIO* bio, const char* data, int len) noexcept {
    ssize_t n;
    do {
        errno = 0;
        n = ::send(fd_of(bio), data, static_cast<size_t>(len), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    BIO_clear_retry_flags(bio);
    if (n < 0 && would_block(errno)) {
        BIO_set_retry_write(bio);
    }
    return static_cast<int>(n);
}

int fd_read(BIO* bio, char* data, int len) noexcept {
    ssize_t n;
    do {
        errno = 0;
        n = ::recv(fd_of(bio), data, static_cast<size_t>(len), 0);
    } while (n < 0 && errno == EINTR);
    BIO_clear_retry_flags(bio);
    if (n < 0 && would_block(errno)) {
        BIO_set_retry_read(bio);
    }
    if (n == 0 && len > 0) {
        // Remembered for BIO_CTRL_EOF: OpenSSL 3 asks it to tell an EOF from a failed read.
        // Without it a ragged EOF lost its reason (UNEXPECTED_EOF_WHILE_READING, which
        // Python's socket BIO reports) and OP_IGNORE_UNEXPECTED_EOF did nothing on a Socket.
        BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
    }
    return static_cast<int>(n);
}

long fd_ctrl(BIO* bio, int cmd, long, void*) noexcept {
    switch (cmd) {
        case BIO_CTRL_FLUSH:  // writes go straight to the kernel
            return 1;
        case BIO_CTRL_EOF:
            return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
        default:  // kTLS, MTU, ...: unsupported, which OpenSSL treats as "not available"
            return 0;
    }
}

int fd_create(BIO* bio) noexcept {
    BIO_set_init(bio, 1);
    return 1;
}

// The method table is created once and never modified afterwards; BIO_METHODs are meant to be
// shared by every BIO of their kind.
const BIO_METHOD* fd_method() {
    static const BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(
            BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "tlsctx socket");
        if (m == nullptr) {
            return static_cast<BIO_METHOD*>(nullptr);
        }
        BIO_meth_set_write(m, fd_write);
        BIO_meth_set_read(m, fd_read);
        BIO_meth_set_ctrl(m, fd_ctrl);
        BIO_meth_set_create(m, fd_create);
        return m;
    }();
    return method;
}

}  // namespace

ossl::BioPtr make_fd_bio(int fd) {
    const BIO_METHOD* method = fd_method();
    if (method == nullptr) {
        ossl::throw_error("wrap_socket", "cannot create the socket BIO method");
    }
    ossl::BioPtr bio(BIO_new(method));
    if (!bio) {
        ossl::throw_error("wrap_socket", "cannot create a socket BIO");
    }
    // The descriptor rides in the BIO's data pointer, as OpenSSL's own socket BIO keeps it in
    // its num field: no allocation per connection.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    BIO_set_data(bio.get(), reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
    return bio;
}

}  // namespace tls::detail
