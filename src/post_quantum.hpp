// Which key-exchange groups count as post-quantum, shared by the requirement
// (context_post_quantum.cpp) and the group setters (context_key_exchange.cpp).
#pragma once

#include <openssl/ssl.h>

#include <string_view>

namespace tls::detail {

struct ContextState;

// Whether every group `groups` adds (OpenSSL's list syntax: ':' and '/' separators, '?', '*'
// and '-' prefixes) is an ML-KEM group. OpenSSL names each of them with "MLKEM" (the hybrids
// X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024 and the pure MLKEM512/768/1024);
// "DEFAULT" stands for OpenSSL's list, which holds classical groups, so it does not qualify.
bool only_post_quantum_groups(std::string_view groups);

// Throws std::invalid_argument for `operation` when `s` requires post-quantum key exchange and
// `groups` would let a classical group in.
void check_groups_keep_post_quantum(const ContextState& s, std::string_view groups,
                                    const char* operation);

// Throws std::invalid_argument for `operation` when `s` requires post-quantum key exchange and
// `version` (an OpenSSL version number, 0 for "no bound") would allow a version below TLS 1.3.
void check_version_keeps_post_quantum(const ContextState& s, int version, bool minimum,
                                      const char* operation);

// Whether the connection's handshake used an ML-KEM group. An SNI callback that switches a
// connection to a context requiring post-quantum key exchange comes too late for OpenSSL to
// apply that context's groups (the key share is chosen while the ClientHello is parsed, before
// the callback, and SSL_set_SSL_CTX does not copy groups), so the Engine checks the outcome.
bool negotiated_post_quantum(SSL* ssl) noexcept;

}  // namespace tls::detail
