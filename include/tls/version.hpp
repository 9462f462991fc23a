// tlsctx — facts about the OpenSSL underneath and the CSPRNG: Python's `ssl.OPENSSL_VERSION*`,
// `ssl.HAS_*` and `ssl.RAND_*`. Docs: docs/python-mapping.md.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>

#include "tls/bytes.hpp"
#include "tls/export.hpp"

namespace tls {

// Python's OPENSSL_VERSION* names are macros in OpenSSL's own headers, so the C++ spellings are
// lower case (a program may include both).

/// Python: `ssl.OPENSSL_VERSION`, e.g. "OpenSSL 3.0.19 27 Jan 2026" (of the running library).
TLS_API std::string openssl_version();
/// The OpenSSL whose headers tlsctx was compiled with (OPENSSL_VERSION_TEXT), e.g. "OpenSSL 3.5.7
/// 1 Jul 2025". Features that need a newer OpenSSL follow this one; openssl_version() is what runs.
TLS_API std::string openssl_build_version();
/// Python: `ssl.OPENSSL_VERSION_NUMBER`.
TLS_API unsigned long openssl_version_number() noexcept;
/// Python: `ssl.OPENSSL_VERSION_INFO`: (major, minor, fix, patch, status).
TLS_API std::tuple<int, int, int, int, int> openssl_version_info() noexcept;

/// Python: `ssl.HAS_*`: what this build of OpenSSL can do.
inline constexpr bool HAS_SNI = true;
inline constexpr bool HAS_ALPN = true;
inline constexpr bool HAS_ECDH = true;
inline constexpr bool HAS_NPN = false;  ///< NPN is gone; ALPN replaces it
inline constexpr bool HAS_NEVER_CHECK_COMMON_NAME = true;
inline constexpr bool HAS_SSLv2 = false;
inline constexpr bool HAS_PSK = true;        ///< Context::set_psk_*_callback (TLS 1.2 suites)
inline constexpr bool HAS_PSK_TLS13 = true;  ///< the same callbacks work for TLS 1.3
inline constexpr bool HAS_PHA = true;        ///< post-handshake client authentication (TLS 1.3)
/// Whether the linked OpenSSL can negotiate these versions at all (checked at run time).
TLS_API bool HAS_SSLv3() noexcept;
TLS_API bool HAS_TLSv1() noexcept;
TLS_API bool HAS_TLSv1_1() noexcept;
TLS_API bool HAS_TLSv1_2() noexcept;
TLS_API bool HAS_TLSv1_3() noexcept;

/// Whether the linked OpenSSL implements ML-KEM key exchange (OpenSSL 3.5+): the hybrid
/// X25519MLKEM768 that it offers first by default, and Context::set_require_post_quantum.
/// Python has no flag for it (a tlsctx extension).
TLS_API bool HAS_MLKEM() noexcept;
/// Whether the linked OpenSSL can compress certificates (RFC 8879): OpenSSL 3.2+ built with at
/// least one of zlib, brotli, zstd. Context::set_certificate_compression needs it. A tlsctx
/// extension.
TLS_API bool HAS_CERT_COMPRESSION() noexcept;
// Python 3.15 names
/// Python has no flags for these: its calls raise NotImplementedError on an older OpenSSL, and
/// so do tlsctx's (tls::NotImplementedError). These say so without a throw.
/// Context::get_groups() works (OpenSSL 3.5: SSL_CTX_get0_implemented_groups).
TLS_API bool HAS_GET_GROUPS() noexcept;
/// tls::get_sigalgs() works (OpenSSL 3.4: SSL_get1_builtin_sigalgs).
TLS_API bool HAS_GET_SIGALGS() noexcept;
/// Connection::client_sigalg() and server_sigalg() work (OpenSSL 3.5: SSL_get0_signature_name).
TLS_API bool HAS_SIGALG_NAMES() noexcept;

/// Python: `ssl.RAND_bytes(n)`: n cryptographically strong bytes. @throws SSLError.
TLS_API Bytes RAND_bytes(std::size_t n);
/// Python: `ssl.RAND_status()`: whether the CSPRNG is seeded.
TLS_API bool RAND_status() noexcept;
/// Python: `ssl.RAND_add(bytes, entropy)`: mixes bytes into the CSPRNG.
TLS_API void RAND_add(const void* data, std::size_t len, double entropy) noexcept;

}  // namespace tls
