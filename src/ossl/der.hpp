// DER encoding of OpenSSL objects into tls::Bytes: certificates for getpeercert_der() and the
// chain accessors, sessions for Session::to_bytes(). Every i2d_* call in the library is here.
#pragma once

#include <cstddef>
#include <string_view>

#include "ossl/error.hpp"
#include "tls/bytes.hpp"

namespace tls::ossl {

/// The DER encoding of `object` by `i2d` (i2d_X509, i2d_SSL_SESSION, ...): one call to size the
/// buffer, one to fill it. @throws SSLError naming `operation` when OpenSSL cannot encode it.
template <typename T>
Bytes to_der(int (*i2d)(const T*, unsigned char**), const T* object, std::string_view operation) {
    const int len = i2d(object, nullptr);
    if (len <= 0) {
        throw_error(operation, "cannot encode as DER");
    }
    Bytes der(static_cast<std::size_t>(len));
    unsigned char* p = der.data();
    if (i2d(object, &p) != len) {
        throw_error(operation, "cannot encode as DER");
    }
    return der;
}

}  // namespace tls::ossl
