// The one error mapper: OpenSSL's return values, SSL_get_error, errno and the error queue become
// an ErrorInfo here and nowhere else. Every function drains the thread's error queue so the next
// OpenSSL call never sees a stale error.
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

/// A failed SSL_do_handshake/read/write/shutdown. `ssl_error` is SSL_get_error() and
/// `saved_errno` the errno read right after the call, both captured before anything else ran.
ErrorInfo map_io_error(const SSL* ssl, std::string_view operation, int ssl_error, int saved_errno);

/// An error that did not come from OpenSSL (misuse is thrown separately; this is for runtime
/// conditions such as a peer that closed mid-handshake before TLS started).
ErrorInfo make_error(std::error_code code, std::string message, int os_errno = 0);

/// Empties the thread's error queue without reporting it.
inline void clear_errors() noexcept {
    ERR_clear_error();
}

}  // namespace tls::ossl
