// Names for the code points a ClientHello carries that OpenSSL has no public name function for
// (protocol versions, signature schemes), and the GREASE test (RFC 8701).
#pragma once

#include <cstdint>
#include <string>

namespace tls::detail {

// RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa in cipher suites, groups, versions, signature schemes.
constexpr bool is_grease(std::uint16_t value) noexcept {
    return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

// "0x11ec": how a value without a name is spelled.
std::string hex_code_point(std::uint16_t value);

// "TLSv1.3", "TLSv1.2", ... as Connection::version() spells them.
std::string protocol_version_name(std::uint16_t version);

// RFC 8446 4.2.3 SignatureScheme names (OpenSSL's spelling of TLS 1.2's hash/signature pairs).
std::string signature_scheme_name(std::uint16_t scheme);

}  // namespace tls::detail
