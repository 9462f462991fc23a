// tlsctx's certificate verification on top of OpenSSL's X509_verify_cert, shared by the handshake
// and tls::verify_certificate_chain so that both reach the same verdict. Implemented in verify.cpp.
#pragma once

#include <openssl/x509_vfy.h>

#include <string>

#include "tls/verify_profile.hpp"
#include "verify_chain_cache.hpp"

namespace tls::detail {

/// X509_verify_cert(ctx) followed by the checks OpenSSL 3.0 lacks and tlsctx's policy requires:
///  - the expected host name itself (not only the certificate's names) must satisfy the DNS name
///    constraints of every CA in the verified chain, so a wildcard SAN such as *.example.com
///    cannot carry a name a CA excluded (bar.example.com; CVE-2025-61727 in Go's verifier);
///  - under VerifyProfile::web_pki, the profile's rules (web_pki.hpp).
/// Returns X509_verify_cert's value, or 0 with the store context's error, depth and current
/// certificate set; a broken profile rule also puts its words in `reason`. Never throws.
/// With `cache`, a chain that verified before under the same conditions is answered from it
/// (verify_chain_cache.hpp), and a chain that verifies now is added to it.
int verify_chain(X509_STORE_CTX* ctx, VerifyProfile profile, std::string& reason,
                 const ChainCacheUse* cache = nullptr) noexcept;

/// verify_chain for a handshake, with the signature of SSL_CTX_set_cert_verify_callback: `arg`
/// points to the context's VerifyProfile (profile_argument), and a rule's reason goes to the
/// connection's engine, which puts it in the SSLCertVerificationError.
int verify_cert_with_policy(X509_STORE_CTX* ctx, void* arg) noexcept;

/// The `arg` verify_cert_with_policy expects for `profile`: the address of a constant.
void* profile_argument(VerifyProfile profile) noexcept;

}  // namespace tls::detail
