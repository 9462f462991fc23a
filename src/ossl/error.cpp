#include "ossl/error.hpp"

#include "ossl/handles.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

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
    // OpenSSL 3.2 reworded "sslv3 alert ..." as "ssl/tls alert ..."; the mnemonics (Python's
    // table is built from the SSL_R_SSLV3_ALERT_* names) did not change, so neither does ours.
    constexpr std::string_view kReworded = "SSL/TLS_ALERT_";
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && out.compare(0, kReworded.size(), kReworded) == 0) {
        out.replace(0, kReworded.size(), "SSLV3_ALERT_");
    }
    return out;
}

// OpenSSL 3.2+ wraps every failure of its record layer in a last RECORD_LAYER_FAILURE entry;
// the entry before it is the failure itself (what 3.0 reported last: a bad record MAC, say).
unsigned long unwrap_record_layer_failure(unsigned long last) noexcept {
#ifdef SSL_R_RECORD_LAYER_FAILURE
    if (ERR_GET_LIB(last) != ERR_LIB_SSL || ERR_GET_REASON(last) != SSL_R_RECORD_LAYER_FAILURE) {
        return last;
    }
    unsigned long previous = 0;
    for (unsigned long e = ERR_get_error(); e != 0 && e != last; e = ERR_get_error()) {
        previous = e;
    }
    return previous != 0 ? previous : last;
#else
    return last;
#endif
}

// Takes the most specific (last) error as Python does, then empties the queue.
void drain_into(ErrorInfo& info) {
    unsigned long e = unwrap_record_layer_failure(ERR_peek_last_error());
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

// A client's OCSP status callback (context_ocsp.cpp) refused the server's staple: OpenSSL fails
// the handshake with INVALID_STATUS_RESPONSE, and the callback left a verify result saying why.
bool is_refused_staple(const SSL* ssl, unsigned long e) noexcept {
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_INVALID_STATUS_RESPONSE &&
           SSL_is_server(ssl) == 0 && SSL_get_verify_result(ssl) != X509_V_OK;
}

// X509_verify_cert_error_string() says "certificate revoked" for a CRL and a staple alike; the
// verify message says where an OCSP verdict came from.
const char* staple_verify_message(long code) noexcept {
    switch (code) {
        case X509_V_ERR_CERT_REVOKED:
            return "the OCSP staple says the certificate is revoked";
        case X509_V_ERR_OCSP_CERT_UNKNOWN:
            return "the OCSP staple says the certificate's status is unknown";
        case X509_V_ERR_OCSP_VERIFY_NEEDED:
            return "no OCSP staple, and one is required";
        default:
            return "the OCSP staple is not valid for the certificate";
    }
}

// What a failed handshake means when the context accepts only post-quantum groups, or nullptr
// when the reason has nothing to do with key exchange. OpenSSL's reasons cannot say "post-quantum"
// (it does not know why the group list is what it is), so tlsctx words them.
const char* post_quantum_failure(const SSL* ssl, unsigned long e) noexcept {
    if (ERR_GET_LIB(e) != ERR_LIB_SSL) {
        return nullptr;
    }
    const bool server = SSL_is_server(ssl) == 1;
    switch (ERR_GET_REASON(e)) {
        // A TLS 1.3 server that shares no group with the client (RFC 8446 4.2.8: not even one
        // to ask for in a HelloRetryRequest).
        case SSL_R_NO_SUITABLE_KEY_SHARE:
        case SSL_R_NO_SHARED_GROUPS:
            return server ? "the peer offered no post-quantum key exchange group and this "
                            "context requires one"
                          : "the server accepted none of the post-quantum key exchange groups "
                            "this context requires";
        // The floor is TLS 1.3 while post-quantum key exchange is required.
        case SSL_R_UNSUPPORTED_PROTOCOL:
            return "the peer does not speak TLS 1.3, so it offers no post-quantum key exchange, "
                   "and this context requires it";
        // A client learns only the server's alert; missing shared groups is the usual cause.
        case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
            return server ? nullptr
                          : "the server refused the handshake; this context requires "
                            "post-quantum key exchange, which the server may not support";
        default:
            return nullptr;
    }
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

namespace {

// Step 1 of the rule (see the header): what the connection itself says, before SSL_get_error()
// can be misled by entries other code left in the queue. Returns SSL_ERROR_NONE when the
// connection's state does not decide.
int classify_from_connection(SSL* ssl, IoCall call) noexcept {
    switch (SSL_want(ssl)) {
        case SSL_READING:
            if (BIO_should_read(SSL_get_rbio(ssl))) {
                return SSL_ERROR_WANT_READ;
            }
            break;
        case SSL_WRITING:
            if (BIO_should_write(SSL_get_wbio(ssl))) {
                return SSL_ERROR_WANT_WRITE;
            }
            break;
        default:
            break;
    }
    if (call == IoCall::read && (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN) != 0) {
        const unsigned long last = ERR_peek_last_error();
        const bool alert =
            ERR_GET_LIB(last) == ERR_LIB_SSL && ERR_GET_REASON(last) >= SSL_AD_REASON_OFFSET;
        if (last != 0 && !alert && ERR_GET_LIB(last) != ERR_LIB_SYS) {
            return SSL_ERROR_ZERO_RETURN;
        }
    }
    return SSL_ERROR_NONE;
}

void set_message(ErrorInfo& info, IoCall call, const char* what) {
    info.message = io_call_name(call);
    info.message += ": ";
    info.message += what;
}

// Step 2: everything that is not a would-block, worded as Python words it.
void describe_failure(SSL* ssl, IoCall call, int ssl_error, int saved_errno,
                      bool post_quantum_required, ErrorInfo& info) {
    switch (ssl_error) {
        case SSL_ERROR_ZERO_RETURN:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::zero_return);
            set_message(info, call, "TLS/SSL connection has been closed (EOF)");
            return;
        case SSL_ERROR_WANT_X509_LOOKUP:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::want_x509_lookup);
            set_message(info, call, "the X509 lookup did not complete");
            return;
        case SSL_ERROR_WANT_CONNECT:
            ERR_clear_error();
            info.code = make_error_code(SSLErrc::want_connect);
            set_message(info, call, "the connect operation did not complete");
            return;
        case SSL_ERROR_SYSCALL:
            // OpenSSL 3.2+ also queues the transport's errno as an ERR_LIB_SYS entry; it is the
            // same failure as an empty queue with errno set (Python raises OSError for both).
            if (const unsigned long e = ERR_peek_last_error();
                e != 0 && ERR_GET_LIB(e) == ERR_LIB_SYS && ERR_GET_REASON(e) > 0) {
                saved_errno = ERR_GET_REASON(e);
                ERR_clear_error();
            }
            if (ERR_peek_error() == 0) {
                if (saved_errno == 0) {
                    info.code = make_error_code(SSLErrc::eof);
                    set_message(info, call, "EOF occurred in violation of protocol");
                } else {
                    info.code = make_error_code(SSLErrc::syscall, saved_errno);
                    info.os_errno = saved_errno;
                    set_message(info, call, std::strerror(saved_errno));
                }
                return;
            }
            [[fallthrough]];
        case SSL_ERROR_SSL:
        default: {
            const unsigned long e = ERR_peek_last_error();
            if (is_unexpected_eof(e)) {
                drain_into(info);
                info.code = make_error_code(SSLErrc::eof);
                info.message =
                    compose(io_call_name(call), "EOF occurred in violation of protocol", info);
                return;
            }
            if (is_verify_failure(e)) {
                drain_into(info);
                info.code = make_error_code(SSLErrc::cert_verification);
                describe_verify_failure(ssl, info);
                info.message = compose(io_call_name(call),
                                       "certificate verify failed: " + info.verify_message, info);
                return;
            }
            if (is_refused_staple(ssl, e)) {
                drain_into(info);
                info.code = make_error_code(SSLErrc::cert_verification);
                info.verify_code = SSL_get_verify_result(ssl);
                info.verify_message = staple_verify_message(info.verify_code);
                info.message = compose(io_call_name(call),
                                       "certificate verify failed: " + info.verify_message, info);
                return;
            }
            const char* post_quantum = post_quantum_required && call == IoCall::handshake
                                           ? post_quantum_failure(ssl, e)
                                           : nullptr;
            drain_into(info);
            info.code = make_error_code(SSLErrc::ssl);
            info.message = compose(
                io_call_name(call),
                post_quantum != nullptr ? post_quantum : openssl_text(info.openssl_error), info);
            return;
        }
    }
}

}  // namespace

const char* io_call_name(IoCall call) noexcept {
    switch (call) {
        case IoCall::handshake:
            return "do_handshake";
        case IoCall::read:
            return "read";
        case IoCall::write:
            return "write";
        case IoCall::shutdown:
            return "shutdown";
    }
    return "";
}

IoFailure classify_io_failure(SSL* ssl, IoCall call, int ret, int saved_errno, ErrorInfo& info,
                              bool post_quantum_required) noexcept {
    int ssl_error = classify_from_connection(ssl, call);
    if (ssl_error == SSL_ERROR_NONE) {
        ssl_error = SSL_get_error(ssl, ret);
    }
    if (ssl_error == SSL_ERROR_WANT_READ || ssl_error == SSL_ERROR_WANT_WRITE) {
        // The call stopped on its BIO, not on an error: whatever is queued is stale. Drop it so
        // that the next failure is classified on its own entries.
        if (ERR_peek_error() != 0) {
            ERR_clear_error();
        }
        if (!info.message.empty() || info.openssl_error != 0) {
            info = ErrorInfo{};
        }
        info.code = make_error_code(ssl_error == SSL_ERROR_WANT_READ ? SSLErrc::want_read
                                                                     : SSLErrc::want_write);
        return {info.code, false};
    }
    const bool fatal = ssl_error == SSL_ERROR_SSL || ssl_error == SSL_ERROR_SYSCALL;
    info = ErrorInfo{};
    try {
        describe_failure(ssl, call, ssl_error, saved_errno, post_quantum_required, info);
    } catch (...) {
        ERR_clear_error();
        info = ErrorInfo{};
        info.code = std::make_error_code(std::errc::not_enough_memory);
    }
    return {info.code, fatal};
}

}  // namespace tls::ossl
