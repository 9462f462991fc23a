// kTLS: the Linux kernel encrypting and decrypting records itself (OP_ENABLE_KTLS). OpenSSL only
// hands the keys to the kernel through its own socket BIO (BIO_s_socket answers
// BIO_CTRL_SET_KTLS and attaches the "tls" ULP to the descriptor), so a Socket whose SSL has the
// option runs over that BIO instead of fd_bio. That BIO writes with write(2), which raises
// SIGPIPE on a vanished peer; SigpipeGuard keeps it away from the process for the calls on such
// a socket.
#pragma once

#include <csignal>

#include "ossl/handles.hpp"

namespace tls::detail {

// OpenSSL's socket BIO over `fd` (never closing it), where OpenSSL can switch kTLS on.
ossl::BioPtr make_ktls_capable_bio(int fd);

// Blocks SIGPIPE in this thread for its lifetime and swallows one that the guarded calls
// raised, so that neither the process's handler nor its default action (exit) sees it. A
// SIGPIPE that was already pending stays pending.
class SigpipeGuard {
  public:
    SigpipeGuard() noexcept;
    ~SigpipeGuard();
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  private:
    sigset_t previous_{};
    bool was_pending_ = false;
};

}  // namespace tls::detail
