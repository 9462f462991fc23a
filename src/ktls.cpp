#include "ktls.hpp"

#include <openssl/bio.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "ossl/error.hpp"
#include "tls/socket.hpp"

namespace tls {
namespace detail {
namespace {

sigset_t sigpipe_set() noexcept {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return set;
}

bool sigpipe_pending() noexcept {
    sigset_t pending;
    sigemptyset(&pending);
    return ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
}

// /proc/sys/net/ipv4/tcp_available_ulp lists the ULPs the running kernel has loaded.
bool kernel_lists_tls_ulp() {
    std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
    std::string word;
    while (in >> word) {
        if (word == "tls") {
            return true;
        }
    }
    return false;
}

// Whether the linked OpenSSL attaches the "tls" ULP to a socket it wraps: built without kTLS
// (our OpenSSL 3.5 build) it never does, whatever its headers say, so this asks it on a real
// loopback connection, once.
bool openssl_attaches_tls_ulp() noexcept {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int accepted = -1;
    bool attached = false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener >= 0 && client >= 0 &&
        ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::listen(listener, 1) == 0 &&
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0 &&
        ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (accepted >= 0) {
            BIO* bio = BIO_new_socket(accepted, BIO_NOCLOSE);
            char ulp[16] = {};
            socklen_t ulp_len = sizeof ulp - 1;
            attached = ::getsockopt(accepted, IPPROTO_TCP, TCP_ULP, ulp, &ulp_len) == 0 &&
                       std::strcmp(ulp, "tls") == 0;
            BIO_free(bio);
        }
    }
    for (int fd : {accepted, client, listener}) {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    ossl::clear_errors();
    return attached;
}

}  // namespace

ossl::BioPtr make_ktls_capable_bio(int fd) {
    // BIO_NOCLOSE: the Socket decides when the descriptor closes.
    ossl::BioPtr bio(BIO_new_socket(fd, BIO_NOCLOSE));
    if (!bio) {
        ossl::throw_error("wrap_socket", "cannot create a socket BIO for kTLS");
    }
    return bio;
}

SigpipeGuard::SigpipeGuard() noexcept : was_pending_(sigpipe_pending()) {
    const sigset_t set = sigpipe_set();
    ::pthread_sigmask(SIG_BLOCK, &set, &previous_);
}

SigpipeGuard::~SigpipeGuard() {
    if (!was_pending_ && sigpipe_pending()) {
        const sigset_t set = sigpipe_set();
        const timespec now{};
        ::sigtimedwait(&set, nullptr, &now);
    }
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace detail

bool ktls_available() noexcept {
    static const bool available = [] {
        try {
            return detail::kernel_lists_tls_ulp() && detail::openssl_attaches_tls_ulp();
        } catch (...) {
            return false;
        }
    }();
    return available;
}

}  // namespace tls
