// tlsctx — opt-in access to the OpenSSL objects under tlsctx handles.
//
// The one public header that includes OpenSSL. What you change through these pointers is not
// checked by tlsctx (no dangerous() gate), and the pointers live only as long as their handle.
#pragma once

#include <openssl/ssl.h>

#include "tls/connection.hpp"
#include "tls/context.hpp"
#include "tls/socket.hpp"

namespace tls::native {

/// The SSL_CTX of a Context (borrowed: do not free).
inline SSL_CTX* handle(const Context& context) noexcept {
    return static_cast<SSL_CTX*>(context.native_handle());
}
/// The SSL of a Socket or Object (borrowed: do not free).
inline SSL* handle(const Connection& connection) noexcept {
    return static_cast<SSL*>(connection.native_handle());
}

}  // namespace tls::native
