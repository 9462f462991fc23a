// DER encoding of OpenSSL objects into tls::Bytes: certificates for getpeercert_der() and the
// chain accessors, sessions for Session::to_bytes(). Every i2d_* call in the library is here.
#pragma once

#include <cstddef>
#include <string_view>

#include "ossl/error.hpp"
#include "tls/bytes.hpp"

namespace tls::ossl {

/// The DER encoding of `object` by `i2d` (i2d_X509, i2d_SSL_SESSION, ...): one call to size the
/// buffer, one to fill it. Empty when OpenSSL cannot encode it (a DER encoding never is). Needs
/// nothing from libtlsctx, so the test CA (pki/) uses it too.
template <typename T>
Bytes der_or_empty(int (*i2d)(const T*, unsigned char**), const T* object) {
    const int len = i2d(object, nullptr);
    if (len <= 0) {
        return {};
    }
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (i2d(object, &p) != len) {
        return {};
    }
    return der;
}

/// der_or_empty() for the library. @throws SSLError naming `operation` when OpenSSL cannot encode.
template <typename T>
Bytes to_der(int (*i2d)(const T*, unsigned char**), const T* object, std::string_view operation) {
    Bytes der = der_or_empty(i2d, object);
    if (der.empty()) {
        throw_error(operation, "cannot encode as DER");
    }
    return der;
}

}  // namespace tls::ossl
