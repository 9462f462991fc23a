// tlsctx — a verify callback: the application's say on each certificate of the peer's chain,
// after OpenSSL's (Context::set_verify_callback). Python's ssl has no such hook; asio::ssl's
// set_verify_callback and OpenSSL's SSL_CTX_set_verify callback are the models, with one
// difference: a callback can only add reasons to reject. Accepting what OpenSSL rejected takes
// `dangerous().set_verify_callback`. Docs: docs/security.md.
#pragma once

#include <functional>
#include <string>

#include "tls/bytes.hpp"
#include "tls/certificate.hpp"
#include "tls/export.hpp"

namespace tls {

/// One certificate of the peer's chain, as verification reaches it: from the trust anchor (the
/// highest depth) down to the peer's own certificate (depth 0). A certificate may be shown more
/// than once, once per problem OpenSSL finds in it.
struct CertificateCheck {
    /// 0 for the peer's own certificate, 1 for its issuer, and so on up to the anchor.
    int depth = 0;
    /// Decoded as getpeercert() decodes.
    CertificateInfo certificate;
    /// The certificate's DER bytes (for pinning: hash them, or their public key).
    Bytes der;
    /// OpenSSL's verdict on this certificate (asio's `preverified`).
    bool preverified = false;
    /// When !preverified: OpenSSL's X509_V_ERR_* code and its text (as
    /// SSLCertVerificationError::verify_code/verify_message would give them); 0 and "ok" when
    /// preverified.
    /// @{
    long verify_code = 0;
    std::string verify_message;
    /// @}
};

/// A verify callback's answer for one certificate.
class TLS_API VerifyDecision {
  public:
    /// Which of the three answers (the factory functions below).
    enum class Kind { keep, reject, accept };

    /// OpenSSL's verdict stands.
    static VerifyDecision keep() noexcept { return VerifyDecision(Kind::keep, {}); }
    /// Fails the handshake, whatever OpenSSL concluded: SSLCertVerificationError with
    /// verify_code X509_V_ERR_APPLICATION_VERIFICATION (50) and `reason` as verify_message (when
    /// OpenSSL had rejected the certificate already, its own code and message stay).
    static VerifyDecision reject(std::string reason) {
        return VerifyDecision(Kind::reject, std::move(reason));
    }
    /// Accepts this certificate although OpenSSL rejected it. Only a callback set through
    /// `dangerous().set_verify_callback` may do this; from Context::set_verify_callback's
    /// callback it is the same as keep().
    static VerifyDecision accept() noexcept { return VerifyDecision(Kind::accept, {}); }

    /// Which answer this is.
    Kind kind() const noexcept { return kind_; }
    /// The reason given to reject(); empty otherwise.
    const std::string& reason() const noexcept { return reason_; }

  private:
    VerifyDecision(Kind kind, std::string reason) noexcept
        : kind_(kind), reason_(std::move(reason)) {}
    Kind kind_;
    std::string reason_;
};

/// Called on the handshake's thread for each certificate of a verified peer chain (a client's
/// view of the server's, a server's of a client's when it asks for one). An exception thrown in
/// it aborts the handshake and is rethrown from the handshake call.
using VerifyCallback = std::function<VerifyDecision(const CertificateCheck&)>;

}  // namespace tls
