// tlsctx — the error hierarchy and error codes.
// Python: ssl.SSLError and its subclasses, ssl.SSLErrorNumber. Docs: docs/errors.md.
//
//   std::system_error                      (Python: OSError)
//   └─ SSLError                            code(), library(), reason(), os_errno()
//      ├─ SSLZeroReturnError  SSLWantReadError  SSLWantWriteError  SSLSyscallError  SSLEOFError
//      └─ SSLCertVerificationError         + verify_code(), verify_message()  (= CertificateError)
//
// The same facts travel without exceptions as a std::error_code in category tls::ssl_category()
// (the non-throwing overloads) plus ErrorInfo from last_error(). A transport failure's code also
// compares equal to its errno's std::errc (`ec == std::errc::connection_reset`), as Python
// raises ConnectionResetError.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

#include "tls/export.hpp"

namespace tls {

/// Python's `ssl.SSLErrorNumber` (SSL_ERROR_* values), plus the verification failure that Python
/// reports as SSL_ERROR_SSL with a verify code. Values are stable; new ones are appended.
enum class SSLErrc : int {
    ssl = 1,                  ///< SSL_ERROR_SSL: protocol or library failure
    want_read = 2,            ///< SSL_ERROR_WANT_READ: feed more bytes from the transport
    want_write = 3,           ///< SSL_ERROR_WANT_WRITE: flush bytes to the transport
    want_x509_lookup = 4,     ///< SSL_ERROR_WANT_X509_LOOKUP
    syscall = 5,              ///< SSL_ERROR_SYSCALL: the transport failed (see os_errno())
    zero_return = 6,          ///< SSL_ERROR_ZERO_RETURN: the peer sent close_notify
    want_connect = 7,         ///< SSL_ERROR_WANT_CONNECT
    eof = 8,                  ///< SSL_ERROR_EOF: transport closed without close_notify
    invalid_error_code = 10,  ///< SSL_ERROR_INVALID_ERROR_CODE
    cert_verification = 11,   ///< the peer's certificate failed verification
};

}  // namespace tls

namespace std {
template <>
struct is_error_code_enum<tls::SSLErrc> : true_type {};
}  // namespace std

namespace tls {

/// The category of SSLErrc codes ("tls"). Its messages name the condition, not the details.
TLS_API const std::error_category& ssl_category() noexcept;
/// Makes `SSLErrc` usable as a std::error_code.
TLS_API std::error_code make_error_code(SSLErrc e) noexcept;
/// A code that is `e` and also carries the errno that caused it (`os_errno` > 0): it compares
/// equal to `e` and, through the category's equivalence, to `std::errc(os_errno)` and any
/// std::error_code of the generic or system category with that value. tlsctx makes these for
/// SSLErrc::syscall. Its value() is `e` + 256 * os_errno: compare with the enum (the operators
/// below), not with value() or another std::error_code built from the enum.
TLS_API std::error_code make_error_code(SSLErrc e, int os_errno) noexcept;
/// The SSLErrc of a code in ssl_category(), without the errno; SSLErrc{} for other categories.
TLS_API SSLErrc ssl_errc(const std::error_code& code) noexcept;

/// `code == SSLErrc::x`: true for codes of ssl_category() whose SSLErrc is x, whether or not they
/// carry an errno.
inline bool operator==(const std::error_code& code, SSLErrc e) noexcept {
    return ssl_errc(code) == e;
}
inline bool operator==(SSLErrc e, const std::error_code& code) noexcept {
    return code == e;
}
inline bool operator!=(const std::error_code& code, SSLErrc e) noexcept {
    return !(code == e);
}
inline bool operator!=(SSLErrc e, const std::error_code& code) noexcept {
    return !(code == e);
}

/// Everything known about one failure, copied out of OpenSSL when it happened.
struct ErrorInfo {
    std::error_code code;  ///< SSLErrc code, or a system/generic code (timeout, errno)
    std::string library;   ///< OpenSSL library mnemonic of the first queued error ("SSL")
    std::string reason;    ///< OpenSSL reason mnemonic ("CERTIFICATE_VERIFY_FAILED")
    std::string message;   ///< "<operation>: <what failed> (<OpenSSL reason>)"
    int os_errno = 0;      ///< errno for transport failures, else 0
    unsigned long openssl_error = 0;  ///< the packed ERR_get_error() value, else 0
    long verify_code = 0;             ///< X509_V_* code when verification failed, else 0
    std::string verify_message;       ///< X509_verify_cert_error_string(verify_code), or ""
};

/// Python's `ssl.SSLError`: a TLS protocol or OpenSSL failure. `code()` is in ssl_category().
class TLS_API SSLError : public std::system_error {
  public:
    /// An error from its full record (what the library throws; see throw_error()).
    explicit SSLError(ErrorInfo info);
    /// An error with only a code and a message, for code that reports its own failures.
    SSLError(SSLErrc code, const std::string& message);
    ~SSLError() override;
    /// Copyable, as exceptions must be.
    SSLError(const SSLError&) = default;
    /// Copyable, as exceptions must be.
    SSLError& operator=(const SSLError&) = default;

    /// OpenSSL library mnemonic (Python: `SSLError.library`), empty if none.
    const std::string& library() const noexcept { return info_.library; }
    /// OpenSSL reason mnemonic (Python: `SSLError.reason`), empty if none.
    const std::string& reason() const noexcept { return info_.reason; }
    /// errno of a transport failure, or 0.
    int os_errno() const noexcept { return info_.os_errno; }
    /// The full record behind this exception.
    const ErrorInfo& info() const noexcept { return info_; }
    /// The message alone: "<operation>: <what failed> (<OpenSSL reason>)" (std::system_error
    /// would append the category's text, which the message already says).
    const char* what() const noexcept override { return info_.message.c_str(); }

  private:
    ErrorInfo info_;
};

/// The peer closed the TLS connection cleanly with close_notify (Python: SSLZeroReturnError).
class TLS_API SSLZeroReturnError : public SSLError {
  public:
    using SSLError::SSLError;  ///< SSLError's constructors
    ~SSLZeroReturnError() override;
};
/// Non-blocking: the operation needs more bytes from the transport (Python: SSLWantReadError).
class TLS_API SSLWantReadError : public SSLError {
  public:
    using SSLError::SSLError;  ///< SSLError's constructors
    ~SSLWantReadError() override;
};
/// Non-blocking: the operation needs to flush bytes to the transport (Python: SSLWantWriteError).
class TLS_API SSLWantWriteError : public SSLError {
  public:
    using SSLError::SSLError;  ///< SSLError's constructors
    ~SSLWantWriteError() override;
};
/// The transport failed under TLS (Python: SSLSyscallError); os_errno() says how.
class TLS_API SSLSyscallError : public SSLError {
  public:
    using SSLError::SSLError;  ///< SSLError's constructors
    ~SSLSyscallError() override;
};
/// The transport ended without close_notify: possible truncation (Python: SSLEOFError).
class TLS_API SSLEOFError : public SSLError {
  public:
    using SSLError::SSLError;  ///< SSLError's constructors
    ~SSLEOFError() override;
};
/// The peer's certificate failed verification (Python: SSLCertVerificationError). Unlike Python
/// it does not also derive from std::invalid_argument: two std::exception bases would make
/// `catch (const std::exception&)` ambiguous.
class TLS_API SSLCertVerificationError : public SSLError {
  public:
    using SSLError::SSLError;  ///< SSLError's constructors
    ~SSLCertVerificationError() override;
    /// OpenSSL's X509_V_ERR_* code (Python: `verify_code`).
    long verify_code() const noexcept { return info().verify_code; }
    /// OpenSSL's text for it, with the host name for mismatches (Python: `verify_message`).
    const std::string& verify_message() const noexcept { return info().verify_message; }
};
/// Python's alias (`ssl.CertificateError`).
using CertificateError = SSLCertVerificationError;

/// Python's `NotImplementedError`: the call needs a feature that the linked OpenSSL lacks (for
/// example `get_sigalgs()` before OpenSSL 3.4). Its message names the OpenSSL version that has
/// it; the matching `HAS_*()` flag in tls/version.hpp says so without a throw.
class TLS_API NotImplementedError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
    ~NotImplementedError() override;
};

/// Throws the exception type that matches `info.code`: one of the classes above for ssl_category
/// codes, std::system_error for system codes (timeouts are std::errc::timed_out).
[[noreturn]] TLS_API void throw_error(ErrorInfo info);

}  // namespace tls
