// tlsctx tests — the key-exchange group a connection negotiated, read through the native handle
// (tls/native.hpp) until Connection::group() is available to every suite. Header-only.
#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "tls/connection.hpp"
#include "tls/native.hpp"

namespace tls::test {

/// The negotiated group's name in lower case ("x25519mlkem768", "x25519", "secp256r1"), or ""
/// before a handshake or when none was used. Lower case because OpenSSL spells the classical
/// groups in lower case and the hybrids in mixed case.
inline std::string negotiated_group(const tls::Connection& connection) {
    SSL* ssl = tls::native::handle(connection);
#if OPENSSL_VERSION_NUMBER >= 0x30200000L
    const char* name = SSL_get0_group_name(ssl);
#else
    const int nid = SSL_get_negotiated_group(ssl);
    const char* name = nid == 0 ? nullptr : SSL_group_to_name(ssl, nid);
#endif
    std::string out = name != nullptr ? name : "";
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace tls::test
