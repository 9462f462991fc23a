// tlsctx — cipher suites: Python's historical default cipher strings as named policies, and the
// shape of Python's `SSLContext.get_ciphers()` entries. Docs: docs/security.md ("Cipher policies").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/export.hpp"

namespace tls {

/// Python's `_DEFAULT_CIPHERS` by Python version. These strings govern TLS 1.2 and below; TLS 1.3
/// suites are configured separately by OpenSSL. Values are stable; new ones are appended.
enum class CipherPolicy : int {
    python_3_10 = 0,  ///< 3.10 and later: ECDHE/DHE with AES-GCM, ChaCha20, AES; no SHA-1 MACs.
    python_2_7 = 1,   ///< 2.7: the same string as 3.5, 3.7 and 3.6 without its TLS 1.3 prefix
    python_3_3 = 2,   ///< 3.3: OpenSSL DEFAULT minus the anonymous, null, low and export suites
    python_3_4 = 3,   ///< 3.4: adds 3DES fallbacks
    python_3_5 = 4,   ///< 3.5: same string as 2.7
    python_3_6 = 5,   ///< 3.6: 3.5's string prefixed by the draft TLS 1.3 names of its era
    /// 3.7 with the 3.5 string, as tlsctx's cipher policy lists its `_DEFAULT_CIPHERS`. Stock 3.7
    /// builds used python_3_7_builtin instead (docs/security.md, "Cipher policies").
    python_3_7 = 6,
    /// 3.7-3.9 stock builds: the default compiled into the C layer instead of `_DEFAULT_CIPHERS`.
    python_3_7_builtin = 7,
    default_policy = python_3_10,  ///< what a default Context uses
};

/// The OpenSSL cipher string of a policy.
TLS_API std::string_view cipher_string(CipherPolicy policy) noexcept;
/// Looks a policy up by name: "python2.7", "python3.3", "python3.4", "python3.5", "python3.6",
/// "python3.7", "python3.7-builtin", "python3.10", "default". Empty when unknown.
TLS_API std::optional<CipherPolicy> cipher_policy_from_name(std::string_view name) noexcept;
/// The canonical name of a policy ("python3.10").
TLS_API std::string_view cipher_policy_name(CipherPolicy policy) noexcept;

/// One enabled suite, as a dict of Python's `get_ciphers()`. `std::nullopt` where Python has None.
struct CipherInfo {
    unsigned long id = 0;                  ///< OpenSSL's cipher id (0x03000000 | IANA value)
    std::string name;                      ///< OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256"
    std::string protocol;                  ///< "TLSv1.2", "TLSv1.3", ...
    std::string description;               ///< SSL_CIPHER_description text
    int strength_bits = 0;                 ///< secret bits
    int alg_bits = 0;                      ///< algorithm bits
    bool aead = false;                     ///< an AEAD suite (GCM, CCM, ChaCha20-Poly1305)
    std::optional<std::string> symmetric;  ///< e.g. "aes-128-gcm"
    std::optional<std::string> digest;     ///< e.g. "sha256"; none for AEAD suites
    std::optional<std::string> kea;        ///< e.g. "kx-ecdhe"
    std::optional<std::string> auth;       ///< e.g. "auth-rsa"
};

/// Python 3.15: `ssl.get_sigalgs()`: the TLS signature algorithm names this OpenSSL has built
/// in ("ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", ...), the names that
/// Context::set_server_sigalgs() and set_client_sigalgs() take.
/// @throws NotImplementedError before OpenSSL 3.4 (HAS_GET_SIGALGS() says so).
TLS_API std::vector<std::string> get_sigalgs();

/// The negotiated suite of a connection: Python's `SSLSocket.cipher()` tuple.
struct CipherDescription {
    std::string name;      ///< "TLS_AES_256_GCM_SHA384"
    std::string protocol;  ///< the version that introduced the suite, as OpenSSL says ("TLSv1.3")
    int secret_bits = 0;   ///< secret bits of the symmetric cipher
};

}  // namespace tls
