// The one error mapper: OpenSSL's return values, SSL_get_error, the connection's own state, errno
// and the error queue become an ErrorInfo here and nowhere else. Every function leaves the
// thread's error queue empty so the next OpenSSL call never sees a stale error.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "tls/errors.hpp"

namespace tls::ossl {

/// A failed non-I/O call (loading keys, setting ciphers, ...): drains the queue into an
/// ErrorInfo whose message reads "<operation>: <what> (<OpenSSL reason>)".
ErrorInfo capture_error(std::string_view operation, std::string_view what,
                        SSLErrc code = SSLErrc::ssl);

/// Drains the queue into an exception and throws it (capture_error + throw_error).
[[noreturn]] void throw_error(std::string_view operation, std::string_view what,
                              SSLErrc code = SSLErrc::ssl);

/// The I/O calls classify_io_failure() knows how to word.
enum class IoCall { handshake, read, write, shutdown };

/// "do_handshake", "read", "write", "shutdown": how messages name the call.
const char* io_call_name(IoCall call) noexcept;

/// What classify_io_failure() decided: the code (also stored in the ErrorInfo) and whether the
/// connection is now unusable (OpenSSL forbids SSL_shutdown after SSL_ERROR_SSL/SYSCALL).
struct IoFailure {
    std::error_code code;
    bool fatal = false;
};

/// The whole rule for a failed SSL_do_handshake/SSL_read_ex/SSL_write_ex/SSL_shutdown (`ret` its
/// return value, `saved_errno` the errno read right after it, before anything else ran):
///  1. The connection's own state first. SSL_get_error() trusts the thread's error queue, so an
///     entry other code left there would turn a would-block into SSL_ERROR_SSL. If the SSL
///     stopped because its BIO asked to be called again (SSL_want + the BIO's retry flag), it is
///     want_read / want_write and anything queued is stale and dropped. A read on a connection
///     that received close_notify is a clean close (zero_return) even with stale entries (a
///     close_notify queues nothing; a fatal alert queues its own reason, a transport failure
///     ERR_LIB_SYS).
///  2. Otherwise SSL_get_error(): ZERO_RETURN, the remaining WANT_*, SYSCALL with an empty queue
///     (errno 0: EOF without close_notify -> eof; errno set -> syscall carrying the errno, see
///     make_error_code(SSLErrc, int)), and SSL_ERROR_SSL from the newest queued entry
///     (UNEXPECTED_EOF_WHILE_READING -> eof, CERTIFICATE_VERIFY_FAILED -> cert_verification with
///     the verify result, a client's INVALID_STATUS_RESPONSE with a verify result left by the
///     OCSP check (context_ocsp.cpp) -> cert_verification too, anything else -> ssl).
/// Would-block, the hot path of every event loop, allocates nothing: `info` gets the code and
/// loses an earlier failure's details, if any. Other outcomes replace `info`. The success path
/// never comes here, so it never looks at the error queue (that costs ~1 % of bulk throughput;
/// bench/README.md). Leaves the queue empty.
/// `post_quantum_required`: the connection's context accepts only post-quantum key exchange, so
/// a handshake that found no shared group, or a peer without TLS 1.3, is worded as the peer's
/// lack of post-quantum support (the code and OpenSSL's reason stay as they are).
IoFailure classify_io_failure(SSL* ssl, IoCall call, int ret, int saved_errno, ErrorInfo& info,
                              bool post_quantum_required = false) noexcept;

/// An error that did not come from OpenSSL (misuse is thrown separately; this is for runtime
/// conditions such as a peer that closed mid-handshake before TLS started).
ErrorInfo make_error(std::error_code code, std::string message, int os_errno = 0);

/// Empties the thread's error queue without reporting it.
inline void clear_errors() noexcept {
    ERR_clear_error();
}

}  // namespace tls::ossl
