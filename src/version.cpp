#include "tls/version.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <climits>
#include <stdexcept>

#include "ossl/error.hpp"
#include "ossl/handles.hpp"

namespace tls {
namespace {

// A version is available when a context can be limited to it and OpenSSL keeps the limit.
bool can_pin(int version) noexcept {
    ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_method()));
    if (!ctx) {
        ERR_clear_error();
        return false;
    }
    bool ok = SSL_CTX_set_min_proto_version(ctx.get(), version) == 1 &&
              SSL_CTX_set_max_proto_version(ctx.get(), version) == 1;
    ERR_clear_error();
    return ok;
}

}  // namespace

std::string openssl_version() {
    return OpenSSL_version(OPENSSL_VERSION);
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

bool HAS_SSLv3() noexcept {
    return can_pin(SSL3_VERSION);
}
bool HAS_TLSv1() noexcept {
    return can_pin(TLS1_VERSION);
}
bool HAS_TLSv1_1() noexcept {
    return can_pin(TLS1_1_VERSION);
}
bool HAS_TLSv1_2() noexcept {
    return can_pin(TLS1_2_VERSION);
}
bool HAS_TLSv1_3() noexcept {
    return can_pin(TLS1_3_VERSION);
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
