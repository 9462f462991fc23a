// tlsctx — constants: protocols, verify modes and flags, options, TLS versions, purposes.
// Python: ssl.PROTOCOL_*, ssl.VerifyMode, ssl.VerifyFlags, ssl.Options, ssl.TLSVersion,
// ssl.Purpose. Values equal Python's (which equal OpenSSL's), so numbers printed by either can be
// compared. Docs: docs/python-mapping.md.
#pragma once

#include <cstdint>
#include <type_traits>

namespace tls {

/// Flag-set operators for the bitmask enums below (`|`, `&`, `^`, `~`, compound forms).
#define TLSCTX_FLAG_ENUM_OPERATORS(E)                                                \
    constexpr E operator|(E a, E b) noexcept {                                       \
        using U = std::underlying_type_t<E>;                                         \
        return static_cast<E>(static_cast<U>(a) | static_cast<U>(b));                \
    }                                                                                \
    constexpr E operator&(E a, E b) noexcept {                                       \
        using U = std::underlying_type_t<E>;                                         \
        return static_cast<E>(static_cast<U>(a) & static_cast<U>(b));                \
    }                                                                                \
    constexpr E operator^(E a, E b) noexcept {                                       \
        using U = std::underlying_type_t<E>;                                         \
        return static_cast<E>(static_cast<U>(a) ^ static_cast<U>(b));                \
    }                                                                                \
    constexpr E operator~(E a) noexcept {                                            \
        using U = std::underlying_type_t<E>;                                         \
        return static_cast<E>(~static_cast<U>(a));                                   \
    }                                                                                \
    constexpr E& operator|=(E& a, E b) noexcept {                                    \
        return a = a | b;                                                            \
    }                                                                                \
    constexpr E& operator&=(E& a, E b) noexcept {                                    \
        return a = a & b;                                                            \
    }                                                                                \
    constexpr E& operator^=(E& a, E b) noexcept {                                    \
        return a = a ^ b;                                                            \
    }                                                                                \
    /** True when every bit of `flag` is set in `set`. */                            \
    constexpr bool has(E set, E flag) noexcept {                                     \
        using U = std::underlying_type_t<E>;                                         \
        return (static_cast<U>(set) & static_cast<U>(flag)) == static_cast<U>(flag); \
    }                                                                                \
    constexpr std::underlying_type_t<E> to_underlying(E e) noexcept {                \
        return static_cast<std::underlying_type_t<E>>(e);                            \
    }

/// Python's `ssl.PROTOCOL_*` (`_SSLMethod`). Values are Python's.
enum class Protocol : int {
    PROTOCOL_TLS = 2,          ///< version-flexible, either side (Python's default before 3.10)
    PROTOCOL_SSLv23 = 2,       ///< old name of PROTOCOL_TLS
    PROTOCOL_TLSv1 = 3,        ///< deprecated: pins TLS 1.0; needs tls::dangerous
    PROTOCOL_TLSv1_1 = 4,      ///< deprecated: pins TLS 1.1; needs tls::dangerous
    PROTOCOL_TLSv1_2 = 5,      ///< deprecated: pins TLS 1.2 (min = max)
    PROTOCOL_TLS_CLIENT = 16,  ///< client side only; verifies and checks host names
    PROTOCOL_TLS_SERVER = 17,  ///< server side only; asks for no client certificate
};
inline constexpr Protocol PROTOCOL_TLS = Protocol::PROTOCOL_TLS;
inline constexpr Protocol PROTOCOL_SSLv23 = Protocol::PROTOCOL_SSLv23;
inline constexpr Protocol PROTOCOL_TLSv1 = Protocol::PROTOCOL_TLSv1;
inline constexpr Protocol PROTOCOL_TLSv1_1 = Protocol::PROTOCOL_TLSv1_1;
inline constexpr Protocol PROTOCOL_TLSv1_2 = Protocol::PROTOCOL_TLSv1_2;
inline constexpr Protocol PROTOCOL_TLS_CLIENT = Protocol::PROTOCOL_TLS_CLIENT;
inline constexpr Protocol PROTOCOL_TLS_SERVER = Protocol::PROTOCOL_TLS_SERVER;

/// Python's `ssl.VerifyMode`.
enum class VerifyMode : int {
    CERT_NONE = 0,      ///< client: no checking (dangerous); server: ask for no client certificate
    CERT_OPTIONAL = 1,  ///< server: ask for a client certificate, verify it if sent
    CERT_REQUIRED = 2,  ///< a valid peer certificate is required
};
inline constexpr VerifyMode CERT_NONE = VerifyMode::CERT_NONE;
inline constexpr VerifyMode CERT_OPTIONAL = VerifyMode::CERT_OPTIONAL;
inline constexpr VerifyMode CERT_REQUIRED = VerifyMode::CERT_REQUIRED;

/// Python's `ssl.VerifyFlags` (OpenSSL's X509_V_FLAG_* values).
enum class VerifyFlags : unsigned long {
    VERIFY_DEFAULT = 0,
    VERIFY_CRL_CHECK_LEAF = 0x4,
    VERIFY_CRL_CHECK_CHAIN = 0xC,
    VERIFY_X509_STRICT = 0x20,
    VERIFY_ALLOW_PROXY_CERTS = 0x40,
    VERIFY_X509_TRUSTED_FIRST = 0x8000,
    VERIFY_X509_PARTIAL_CHAIN = 0x80000,
};
TLSCTX_FLAG_ENUM_OPERATORS(VerifyFlags)
inline constexpr VerifyFlags VERIFY_DEFAULT = VerifyFlags::VERIFY_DEFAULT;
inline constexpr VerifyFlags VERIFY_CRL_CHECK_LEAF = VerifyFlags::VERIFY_CRL_CHECK_LEAF;
inline constexpr VerifyFlags VERIFY_CRL_CHECK_CHAIN = VerifyFlags::VERIFY_CRL_CHECK_CHAIN;
inline constexpr VerifyFlags VERIFY_X509_STRICT = VerifyFlags::VERIFY_X509_STRICT;
inline constexpr VerifyFlags VERIFY_ALLOW_PROXY_CERTS = VerifyFlags::VERIFY_ALLOW_PROXY_CERTS;
inline constexpr VerifyFlags VERIFY_X509_TRUSTED_FIRST = VerifyFlags::VERIFY_X509_TRUSTED_FIRST;
inline constexpr VerifyFlags VERIFY_X509_PARTIAL_CHAIN = VerifyFlags::VERIFY_X509_PARTIAL_CHAIN;

/// Python's `ssl.Options` (OpenSSL's SSL_OP_* values on OpenSSL 3; several are 0 there).
enum class Options : std::uint64_t {
    OP_NONE = 0,
    OP_ALL = 0x80000050,  ///< OpenSSL's SSL_OP_ALL without OP_DONT_INSERT_EMPTY_FRAGMENTS
    OP_NO_SSLv2 = 0,      ///< SSLv2 is gone from OpenSSL 3
    OP_NO_SSLv3 = 1ull << 25,
    OP_NO_TLSv1 = 1ull << 26,    ///< deprecated: use minimum_version
    OP_NO_TLSv1_1 = 1ull << 28,  ///< deprecated: use minimum_version
    OP_NO_TLSv1_2 = 1ull << 27,  ///< deprecated: use maximum_version
    OP_NO_TLSv1_3 = 1ull << 29,  ///< deprecated: use maximum_version
    OP_NO_RENEGOTIATION = 1ull << 30,
    OP_CIPHER_SERVER_PREFERENCE = 1ull << 22,
    OP_SINGLE_DH_USE = 0,    ///< always on in OpenSSL 3
    OP_SINGLE_ECDH_USE = 0,  ///< always on in OpenSSL 3
    OP_ENABLE_MIDDLEBOX_COMPAT = 1ull << 20,
    OP_NO_COMPRESSION = 1ull << 17,
    OP_NO_TICKET = 1ull << 14,
    OP_IGNORE_UNEXPECTED_EOF = 1ull << 7,  ///< weakens truncation detection; see docs/security.md
    OP_ENABLE_KTLS = 1ull << 3,
    OP_LEGACY_SERVER_CONNECT = 1ull << 2,
    OP_DONT_INSERT_EMPTY_FRAGMENTS = 1ull << 11,
    OP_NO_ANTI_REPLAY = 1ull << 24,
    OP_PRIORITIZE_CHACHA = 1ull << 21,
};
TLSCTX_FLAG_ENUM_OPERATORS(Options)
inline constexpr Options OP_ALL = Options::OP_ALL;
inline constexpr Options OP_NO_SSLv2 = Options::OP_NO_SSLv2;
inline constexpr Options OP_NO_SSLv3 = Options::OP_NO_SSLv3;
inline constexpr Options OP_NO_TLSv1 = Options::OP_NO_TLSv1;
inline constexpr Options OP_NO_TLSv1_1 = Options::OP_NO_TLSv1_1;
inline constexpr Options OP_NO_TLSv1_2 = Options::OP_NO_TLSv1_2;
inline constexpr Options OP_NO_TLSv1_3 = Options::OP_NO_TLSv1_3;
inline constexpr Options OP_NO_RENEGOTIATION = Options::OP_NO_RENEGOTIATION;
inline constexpr Options OP_CIPHER_SERVER_PREFERENCE = Options::OP_CIPHER_SERVER_PREFERENCE;
inline constexpr Options OP_SINGLE_DH_USE = Options::OP_SINGLE_DH_USE;
inline constexpr Options OP_SINGLE_ECDH_USE = Options::OP_SINGLE_ECDH_USE;
inline constexpr Options OP_ENABLE_MIDDLEBOX_COMPAT = Options::OP_ENABLE_MIDDLEBOX_COMPAT;
inline constexpr Options OP_NO_COMPRESSION = Options::OP_NO_COMPRESSION;
inline constexpr Options OP_NO_TICKET = Options::OP_NO_TICKET;
inline constexpr Options OP_IGNORE_UNEXPECTED_EOF = Options::OP_IGNORE_UNEXPECTED_EOF;
inline constexpr Options OP_ENABLE_KTLS = Options::OP_ENABLE_KTLS;
inline constexpr Options OP_LEGACY_SERVER_CONNECT = Options::OP_LEGACY_SERVER_CONNECT;

/// Python's `ssl.TLSVersion`.
enum class TLSVersion : int {
    MINIMUM_SUPPORTED = -2,
    MAXIMUM_SUPPORTED = -1,
    SSLv3 = 0x0300,
    TLSv1 = 0x0301,
    TLSv1_1 = 0x0302,
    TLSv1_2 = 0x0303,
    TLSv1_3 = 0x0304,
};

/// Python's `ssl.Purpose`: which side a default context is for.
enum class Purpose : int {
    SERVER_AUTH = 1,  ///< verify servers: a client context (OID 1.3.6.1.5.5.7.3.1)
    CLIENT_AUTH = 2,  ///< verify clients: a server context (OID 1.3.6.1.5.5.7.3.2)
};

/// Python's `ssl.AlertDescription` (TLS alert numbers, RFC 8446 section 6).
enum class AlertDescription : int {
    ALERT_DESCRIPTION_CLOSE_NOTIFY = 0,
    ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10,
    ALERT_DESCRIPTION_BAD_RECORD_MAC = 20,
    ALERT_DESCRIPTION_RECORD_OVERFLOW = 22,
    ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30,
    ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40,
    ALERT_DESCRIPTION_BAD_CERTIFICATE = 42,
    ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43,
    ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44,
    ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45,
    ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46,
    ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47,
    ALERT_DESCRIPTION_UNKNOWN_CA = 48,
    ALERT_DESCRIPTION_ACCESS_DENIED = 49,
    ALERT_DESCRIPTION_DECODE_ERROR = 50,
    ALERT_DESCRIPTION_DECRYPT_ERROR = 51,
    ALERT_DESCRIPTION_PROTOCOL_VERSION = 70,
    ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71,
    ALERT_DESCRIPTION_INTERNAL_ERROR = 80,
    ALERT_DESCRIPTION_USER_CANCELLED = 90,
    ALERT_DESCRIPTION_NO_RENEGOTIATION = 100,
    ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110,
    ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111,
    ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112,
    ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
    ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114,
    ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115,
};

/// RFC 8879 certificate compression algorithms, with their code points on the wire. Python has
/// no such setting (OpenSSL 3.2+ compresses on its own there); tlsctx names the algorithms so a
/// context can choose them (Context::set_certificate_compression).
enum class CertCompression : int {
    zlib = 1,
    brotli = 2,
    zstd = 3,
};

/// Whether a wrapped socket takes ownership of the descriptor (closes it) or only borrows it.
/// Python's `wrap_socket` takes the socket over; C++ callers with their own event loop often must
/// not.
enum class FdOwnership : int {
    adopt = 0,   ///< the tls::Socket closes the descriptor when it is closed or destroyed
    borrow = 1,  ///< the caller keeps the descriptor; the tls::Socket never closes it
};

}  // namespace tls
