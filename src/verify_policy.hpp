// tlsctx's certificate verification on top of OpenSSL's X509_verify_cert, shared by the handshake
// and tls::verify_certificate_chain so that both reach the same verdict. Implemented in verify.cpp.
#pragma once

#include <openssl/x509_vfy.h>

namespace tls::detail {

/// X509_verify_cert(ctx) followed by the checks OpenSSL 3.0 lacks and tlsctx's policy requires:
///  - the expected host name itself (not only the certificate's names) must satisfy the DNS name
///    constraints of every CA in the verified chain, so a wildcard SAN such as *.example.com
///    cannot carry a name a CA excluded (bar.example.com; CVE-2025-61727 in Go's verifier).
/// Has the signature of SSL_CTX_set_cert_verify_callback (`arg` unused). Returns X509_verify_cert's
/// value, or 0 with the store context's error, depth and current certificate set. Never throws.
int verify_cert_with_policy(X509_STORE_CTX* ctx, void* arg) noexcept;

}  // namespace tls::detail
