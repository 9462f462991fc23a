// tlsctx tests — the key-exchange group a connection negotiated, through Connection::group(),
// in one case for comparisons. Header-only.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

#include "tls/connection.hpp"

namespace tls::test {

/// The negotiated group's name in lower case ("x25519mlkem768", "x25519", "secp256r1"), or ""
/// before a handshake or when none was used. Lower case because OpenSSL spells the classical
/// groups in lower case and the hybrids in mixed case.
inline std::string negotiated_group(const tls::Connection& connection) {
    std::string out = connection.group().value_or("");
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

}  // namespace tls::test
