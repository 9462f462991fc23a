#include "tls/version.hpp"

#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <climits>
#include <stdexcept>

#include "ossl/error.hpp"
#include "ossl/handles.hpp"

namespace tls {

std::string openssl_version() {
    return OpenSSL_version(OPENSSL_VERSION);
}

std::string openssl_build_version() {
    return OPENSSL_VERSION_TEXT;
}

unsigned long openssl_version_number() noexcept {
    return OpenSSL_version_num();
}

std::tuple<int, int, int, int, int> openssl_version_info() noexcept {
    // Python decodes the 0xMNN00PPSL number the same way.
    unsigned long n = OpenSSL_version_num();
    return {static_cast<int>((n >> 28) & 0xF), static_cast<int>((n >> 20) & 0xFF),
            static_cast<int>((n >> 12) & 0xFF), static_cast<int>((n >> 4) & 0xFF),
            static_cast<int>(n & 0xF)};
}

// Python answers these from OpenSSL's build configuration (OPENSSL_NO_*), not from what a context
// accepts: OpenSSL 3 accepts SSL3_VERSION as a bound even when SSLv3 is compiled out.
bool HAS_SSLv3() noexcept {
#if defined(OPENSSL_NO_SSL3) || defined(OPENSSL_NO_SSL3_METHOD)
    return false;
#else
    return true;
#endif
}

bool HAS_TLSv1() noexcept {
#if defined(OPENSSL_NO_TLS1) || defined(OPENSSL_NO_TLS1_METHOD)
    return false;
#else
    return true;
#endif
}

bool HAS_TLSv1_1() noexcept {
#if defined(OPENSSL_NO_TLS1_1) || defined(OPENSSL_NO_TLS1_1_METHOD)
    return false;
#else
    return true;
#endif
}

bool HAS_TLSv1_2() noexcept {
#if defined(OPENSSL_NO_TLS1_2) || defined(OPENSSL_NO_TLS1_2_METHOD)
    return false;
#else
    return true;
#endif
}

bool HAS_TLSv1_3() noexcept {
#if defined(OPENSSL_NO_TLS1_3)
    return false;
#else
    return true;
#endif
}

Bytes RAND_bytes(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("RAND_bytes: num must be at most INT_MAX");
    }
    Bytes out(n);
    if (n > 0 && ::RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
        ossl::throw_error("RAND_bytes", "the random generator failed");
    }
    return out;
}

bool RAND_status() noexcept {
    return ::RAND_status() == 1;
}

void RAND_add(const void* data, std::size_t len, double entropy) noexcept {
    ::RAND_add(data, static_cast<int>(len > INT_MAX ? INT_MAX : len), entropy);
}

}  // namespace tls
