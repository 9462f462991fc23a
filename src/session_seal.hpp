// Sealing a server's sessions for a shared store: AES-256-GCM under the fleet key, so a store
// (or whoever can write to it) can neither read a session's secrets nor plant a session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "tls/bytes.hpp"

namespace tls::detail {

// The sealed layout: version (1) | nonce (12) | ciphertext | tag (16). The associated data is
// the version byte and the store key, so a value copied under another key does not open.
inline constexpr std::uint8_t kSealVersion = 1;
inline constexpr std::size_t kFleetKeySize = 32;

// `plain` sealed under `key` (kFleetKeySize bytes) for `store_key`; empty when OpenSSL fails.
Bytes seal_session(const Bytes& key, const Bytes& store_key, const Bytes& plain);
// The plaintext of `sealed`, or nullopt when it is malformed, of another version, for another
// store key or sealed under another key.
std::optional<Bytes> open_session(const Bytes& key, const Bytes& store_key, const Bytes& sealed);

}  // namespace tls::detail
