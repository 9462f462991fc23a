#include "ossl/error.hpp"

#include "ossl/handles.hpp"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

namespace tls::ossl {
namespace {

// OpenSSL 3 has no API for library mnemonics; Python keeps a generated table for the same reason.
// These are the libraries a TLS user meets.
const char* library_mnemonic(int lib) noexcept {
    switch (lib) {
        case ERR_LIB_SSL:
            return "SSL";
        case ERR_LIB_PEM:
            return "PEM";
        case ERR_LIB_X509:
            return "X509";
        case ERR_LIB_X509V3:
            return "X509V3";
        case ERR_LIB_ASN1:
            return "ASN1";
        case ERR_LIB_EVP:
            return "EVP";
        case ERR_LIB_SYS:
            return "SYS";
        case ERR_LIB_BIO:
            return "BIO";
        case ERR_LIB_RSA:
            return "RSA";
        case ERR_LIB_EC:
            return "EC";
        case ERR_LIB_BN:
            return "BN";
        case ERR_LIB_PKCS12:
            return "PKCS12";
        case ERR_LIB_PKCS7:
            return "PKCS7";
        case ERR_LIB_CRYPTO:
            return "CRYPTO";
        case ERR_LIB_OSSL_DECODER:
            return "DECODER";
        case ERR_LIB_OSSL_ENCODER:
            return "ENCODER";
        case ERR_LIB_PROV:
            return "PROV";
        case ERR_LIB_OSSL_STORE:
            return "OSSL_STORE";
        default:
            return "";
    }
}

// OpenSSL's reason strings are its mnemonics in lower case with spaces ("certificate verify
// failed" for CERTIFICATE_VERIFY_FAILED), so the mnemonic Python shows can be recovered.
std::string reason_mnemonic(unsigned long e) {
    const char* text = ERR_reason_error_string(e);
    if (text == nullptr) {
        return ERR_GET_REASON(e) == 0 ? std::string() : std::to_string(ERR_GET_REASON(e));
    }
    std::string out(text);
    for (char& c : out) {
        c = (c == ' ') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

// Takes the most specific (last) error as Python does, then empties the queue.
void drain_into(ErrorInfo& info) {
    unsigned long e = ERR_peek_last_error();
    ERR_clear_error();
    if (e == 0) {
        return;
    }
    info.openssl_error = e;
    info.library = library_mnemonic(ERR_GET_LIB(e));
    info.reason = reason_mnemonic(e);
}

std::string reason_text(const ErrorInfo& info) {
    if (info.reason.empty()) {
        return {};
    }
    return info.library.empty() ? "[" + info.reason + "]"
                                : "[" + info.library + ": " + info.reason + "]";
}

std::string compose(std::string_view operation, std::string_view what, const ErrorInfo& info) {
    std::string msg(operation);
    msg += ": ";
    msg += what;
    std::string reason = reason_text(info);
    if (!reason.empty()) {
        msg += " (";
        msg += reason;
        msg += ")";
    }
    return msg;
}

std::string openssl_text(unsigned long e) {
    const char* text = e != 0 ? ERR_reason_error_string(e) : nullptr;
    return text != nullptr ? std::string(text) : std::string("unknown error");
}

bool is_unexpected_eof(unsigned long e) noexcept {
    // OpenSSL 3 reports a transport EOF without close_notify as an SSL_ERROR_SSL with this
    // reason; Python maps it to SSLEOFError and so do we.
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

bool is_verify_failure(unsigned long e) noexcept {
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

void describe_verify_failure(const SSL* ssl, ErrorInfo& info) {
    info.verify_code = SSL_get_verify_result(ssl);
    X509_VERIFY_PARAM* param = SSL_get0_param(const_cast<SSL*>(ssl));
    // Python words host and IP mismatches itself, naming the name that was expected.
    if (info.verify_code == X509_V_ERR_HOSTNAME_MISMATCH) {
        const char* host = X509_VERIFY_PARAM_get0_host(param, 0);
        info.verify_message = std::string("Hostname mismatch, certificate is not valid for '") +
                              (host != nullptr ? host : "") + "'.";
    } else if (info.verify_code == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        OpensslStringPtr ip(X509_VERIFY_PARAM_get1_ip_asc(param));
        info.verify_message = std::string("IP address mismatch, certificate is not valid for '") +
                              (ip ? ip.get() : "") + "'.";
    } else {
        info.verify_message = X509_verify_cert_error_string(info.verify_code);
    }
}

}  // namespace

ErrorInfo make_error(std::error_code code, std::string message, int os_errno) {
    ErrorInfo info;
    info.code = code;
    info.message = std::move(message);
    info.os_errno = os_errno;
    return info;
}

ErrorInfo capture_error(std::string_view operation, std::string_view what, SSLErrc code) {
    ErrorInfo info;
    info.code = make_error_code(code);
    drain_into(info);
    info.message = compose(operation, what, info);
    return info;
}

void throw_error(std::string_view operation, std::string_view what, SSLErrc code) {
    tls::throw_error(capture_error(operation, what, code));
}

ErrorInfo map_io_error(const SSL* ssl, std::string_view operation, int ssl_error, int saved_errno) {
    ErrorInfo info;
    switch (ssl_error) {
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::zero_return);
            info.message = std::string(operation) + ": TLS/SSL connection has been closed (EOF)";
            return info;
        case SSL_ERROR_WANT_READ:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::want_read);
            info.message = std::string(operation) + ": the read operation did not complete";
            return info;
        case SSL_ERROR_WANT_WRITE:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::want_write);
            info.message = std::string(operation) + ": the write operation did not complete";
            return info;
        case SSL_ERROR_WANT_X509_LOOKUP:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::want_x509_lookup);
            info.message = std::string(operation) + ": the X509 lookup did not complete";
            return info;
        case SSL_ERROR_WANT_CONNECT:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::want_connect);
            info.message = std::string(operation) + ": the connect operation did not complete";
            return info;
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0) {
                if (saved_errno == 0) {
                    info.code = make_error_code(SSLErrc::eof);
                    info.message =
                        std::string(operation) + ": EOF occurred in violation of protocol";
                } else {
                    info.code = make_error_code(SSLErrc::syscall);
                    info.os_errno = saved_errno;
                    info.message = std::string(operation) + ": " + std::strerror(saved_errno);
                }
                return info;
            }
            [[fallthrough]];
        case SSL_ERROR_SSL:
        default: {
            unsigned long e = ERR_peek_last_error();
            if (is_unexpected_eof(e)) {
                drain_into(info);
                info.code = make_error_code(SSLErrc::eof);
                info.message = compose(operation, "EOF occurred in violation of protocol", info);
                return info;
            }
            if (is_verify_failure(e)) {
                drain_into(info);
                info.code = make_error_code(SSLErrc::cert_verification);
                describe_verify_failure(ssl, info);
                info.message =
                    compose(operation, "certificate verify failed: " + info.verify_message, info);
                return info;
            }
            std::string what = openssl_text(e);
            drain_into(info);
            info.code = make_error_code(SSLErrc::ssl);
            info.message = compose(operation, what, info);
            return info;
        }
    }
}

}  // namespace tls::ossl
