#include "pem_loading.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "tls/errors.hpp"

namespace tls::detail {

void decode_extensions_now(X509* cert, std::string_view operation) {
    ERR_clear_error();
    if (X509_check_purpose(cert, -1, 0) == 1) {
        return;
    }
    ERR_clear_error();
    // OpenSSL drops the cause (it pops its errors and queues only INVALID_CERTIFICATE), so a
    // fresh copy, decoded from the same DER, tells a failure of the moment from extensions that
    // are really malformed.
    const ossl::X509Ptr copy(X509_dup(cert));
    const bool transient = copy && X509_check_purpose(copy.get(), -1, 0) == 1;
    ERR_clear_error();
    if (transient) {
        throw SSLError(SSLErrc::ssl, std::string(operation) +
                                         ": cannot decode the certificate's extensions (out of "
                                         "memory)");
    }
}

std::string read_file(const std::string& path, std::string_view operation) {
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        int e = errno != 0 ? errno : ENOENT;
        throw std::system_error(e, std::generic_category(),
                                std::string(operation) + ": cannot open '" + path + "'");
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(),
                                std::string(operation) + ": cannot read '" + path + "'");
    }
    return std::move(buffer).str();
}

int PasswordSource::trampoline(char* buf, int size, int /*rwflag*/, void* userdata) noexcept {
    auto* self = static_cast<PasswordSource*>(userdata);
    try {
        std::string from_callback;
        std::string_view password = self->password_;
        if (self->callback_ != nullptr && *self->callback_) {
            from_callback = (*self->callback_)();
            password = from_callback;
        }
        // Returning -1 (not 0) for "no password" makes OpenSSL fail instead of prompting on a
        // terminal, which a library must never do.
        if (password.empty()) {
            return -1;
        }
        if (password.size() > static_cast<std::size_t>(size)) {
            self->too_long_ = true;
            OPENSSL_cleanse(from_callback.data(), from_callback.size());
            return -1;
        }
        std::memcpy(buf, password.data(), password.size());
        OPENSSL_cleanse(from_callback.data(), from_callback.size());
        return static_cast<int>(password.size());
    } catch (...) {
        self->failure_ = std::current_exception();
        return -1;
    }
}

void PasswordSource::rethrow_if_failed() const {
    if (failure_) {
        std::rethrow_exception(failure_);
    }
    if (too_long_) {
        throw std::invalid_argument("load_cert_chain: the password is longer than OpenSSL accepts");
    }
}

}  // namespace tls::detail
