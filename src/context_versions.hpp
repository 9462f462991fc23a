// Protocol versions of a context: the protocol floor, the versions fixed-version protocols pin,
// and what this OpenSSL build can speak.
#pragma once

#include <optional>

#include "tls/constants.hpp"

namespace tls::detail {

// The protocol floor (docs/security.md): TLS 1.2, as Python 3.10+. New contexts start at it;
// Context::set_minimum_version and Context(Protocol) refuse anything below it.
inline constexpr TLSVersion kProtocolFloor = TLSVersion::TLSv1_2;

// Whether a minimum of `version` would let a peer negotiate below the floor (MINIMUM_SUPPORTED
// does; MAXIMUM_SUPPORTED, a floor of the highest version, does not).
bool below_protocol_floor(TLSVersion version) noexcept;

// The one version PROTOCOL_TLSv1, _TLSv1_1 and _TLSv1_2 pin; std::nullopt for the flexible ones.
std::optional<TLSVersion> pinned_version(Protocol protocol) noexcept;

// The lowest version this OpenSSL was built with (TLS 1.0 on Debian: SSLv3 is compiled out).
int lowest_protocol_version() noexcept;

}  // namespace tls::detail
