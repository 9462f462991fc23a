#include "tls/errors.hpp"

#include <climits>
#include <utility>

namespace tls {
namespace {

class SslCategory final : public std::error_category {
  public:
    constexpr SslCategory() noexcept = default;
    const char* name() const noexcept override { return "tls"; }
    std::string message(int value) const override {
        std::string text = base_message(value % 256);
        if (const int os_errno = value / 256; os_errno > 0) {
            text += ": ";
            text += std::generic_category().message(os_errno);
        }
        return text;
    }
    // An SSL error caused by an errno is also that errno's condition, so
    // `ec == std::errc::connection_reset` holds for a reset under TLS (Python:
    // ConnectionResetError).
    bool equivalent(int value, const std::error_condition& condition) const noexcept override {
        const int os_errno = value / 256;
        if (os_errno > 0 && (condition.category() == std::generic_category() ||
                             condition.category() == std::system_category())) {
            return condition.value() == os_errno;
        }
        return std::error_category::equivalent(value, condition);
    }

  private:
    static std::string base_message(int value) {
        switch (static_cast<SSLErrc>(value)) {
            case SSLErrc::ssl:
                return "TLS protocol or library error";
            case SSLErrc::want_read:
                return "the operation needs more input";
            case SSLErrc::want_write:
                return "the operation needs to flush output";
            case SSLErrc::want_x509_lookup:
                return "the operation needs an X509 lookup";
            case SSLErrc::syscall:
                return "transport error under TLS";
            case SSLErrc::zero_return:
                return "TLS connection closed by close_notify";
            case SSLErrc::want_connect:
                return "the operation needs the transport to connect";
            case SSLErrc::eof:
                return "EOF occurred in violation of protocol";
            case SSLErrc::invalid_error_code:
                return "invalid SSL error code";
            case SSLErrc::cert_verification:
                return "certificate verify failed";
            default:
                return "unknown TLS error";
        }
    }
};

ErrorInfo info_from(SSLErrc code, const std::string& message) {
    ErrorInfo info;
    info.code = make_error_code(code);
    info.message = message;
    return info;
}

// Constant-initialized at namespace scope: a function-local static would cost a guard check on
// every make_error_code(), which event loops call on every would-block.
const SslCategory kSslCategory;

}  // namespace

const std::error_category& ssl_category() noexcept {
    return kSslCategory;
}

std::error_code make_error_code(SSLErrc e) noexcept {
    return {static_cast<int>(e), ssl_category()};
}

std::error_code make_error_code(SSLErrc e, int os_errno) noexcept {
    if (os_errno <= 0 || os_errno > INT_MAX / 256 - 1) {
        return make_error_code(e);
    }
    return {static_cast<int>(e) + 256 * os_errno, ssl_category()};
}

SSLErrc ssl_errc(const std::error_code& code) noexcept {
    if (code.category() != ssl_category()) {
        return SSLErrc{};
    }
    return static_cast<SSLErrc>(code.value() % 256);
}

SSLError::SSLError(ErrorInfo info)
    : std::system_error(info.code, info.message), info_(std::move(info)) {}
SSLError::SSLError(SSLErrc code, const std::string& message) : SSLError(info_from(code, message)) {}
// Out-of-line destructors anchor each class's vtable and type_info in the library, so catching
// by type works across shared-library boundaries.
SSLError::~SSLError() = default;
SSLZeroReturnError::~SSLZeroReturnError() = default;
SSLWantReadError::~SSLWantReadError() = default;
SSLWantWriteError::~SSLWantWriteError() = default;
SSLSyscallError::~SSLSyscallError() = default;
SSLEOFError::~SSLEOFError() = default;
SSLCertVerificationError::~SSLCertVerificationError() = default;
NotImplementedError::~NotImplementedError() = default;

void throw_error(ErrorInfo info) {
    if (info.code.category() != ssl_category()) {
        throw std::system_error(info.code, info.message);
    }
    switch (ssl_errc(info.code)) {
        case SSLErrc::zero_return:
            throw SSLZeroReturnError(std::move(info));
        case SSLErrc::want_read:
            throw SSLWantReadError(std::move(info));
        case SSLErrc::want_write:
            throw SSLWantWriteError(std::move(info));
        case SSLErrc::syscall:
            throw SSLSyscallError(std::move(info));
        case SSLErrc::eof:
            throw SSLEOFError(std::move(info));
        case SSLErrc::cert_verification:
            throw SSLCertVerificationError(std::move(info));
        default:
            throw SSLError(std::move(info));
    }
}

}  // namespace tls
