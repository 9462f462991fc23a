// The HAS_* flags of the calls Python 3.15 added that need a newer OpenSSL than 3.0. Each says
// whether the OpenSSL tlsctx was built against has the function the call uses.
#include <openssl/opensslv.h>

#include "tls/version.hpp"

namespace tls {

bool HAS_GET_GROUPS() noexcept {
    return OPENSSL_VERSION_NUMBER >= 0x30500000L;  // SSL_CTX_get0_implemented_groups
}

bool HAS_GET_SIGALGS() noexcept {
    return OPENSSL_VERSION_NUMBER >= 0x30400000L;  // SSL_get1_builtin_sigalgs
}

bool HAS_SIGALG_NAMES() noexcept {
    return OPENSSL_VERSION_NUMBER >= 0x30500000L;  // SSL_get0_signature_name
}

}  // namespace tls
