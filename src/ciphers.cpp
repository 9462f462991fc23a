// Python's historical `_DEFAULT_CIPHERS` strings, by the Python version that shipped them.
#include "tls/ciphers.hpp"

#include <array>
#include <utility>

namespace tls {
namespace {

// 2.7, 3.5 and 3.7 share this string in the policy table tlsctx follows; stock 3.7-3.9 builds
// compiled in another default, offered as python_3_7_builtin (docs/security.md).
constexpr std::string_view kPython35 =
    "ECDH+AESGCM:ECDH+CHACHA20:DH+AESGCM:DH+CHACHA20:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:"
    "ECDH+HIGH:DH+HIGH:RSA+AESGCM:RSA+AES:RSA+HIGH:!aNULL:!eNULL:!MD5:!3DES";

struct PolicyEntry {
    CipherPolicy policy;
    std::string_view name;
    std::string_view cipher_string;
};

constexpr std::array<PolicyEntry, 8> kPolicies{{
    {CipherPolicy::python_3_10, "python3.10",
     "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"},
    {CipherPolicy::python_2_7, "python2.7", kPython35},
    {CipherPolicy::python_3_3, "python3.3", "DEFAULT:!aNULL:!eNULL:!LOW:!EXPORT:!SSLv2"},
    {CipherPolicy::python_3_4, "python3.4",
     "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+HIGH:DH+HIGH:"
     "ECDH+3DES:DH+3DES:RSA+AESGCM:RSA+AES:RSA+HIGH:RSA+3DES:!aNULL:!eNULL:!MD5"},
    {CipherPolicy::python_3_5, "python3.5", kPython35},
    // The TLS13-* names are OpenSSL 1.1.1-pre spellings; OpenSSL 3 matches nothing for them and
    // configures TLS 1.3 suites separately, exactly as it did for Python 3.6 on release builds.
    {CipherPolicy::python_3_6, "python3.6",
     "TLS13-AES-256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES-128-GCM-SHA256:"
     "ECDH+AESGCM:ECDH+CHACHA20:DH+AESGCM:DH+CHACHA20:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:"
     "ECDH+HIGH:DH+HIGH:RSA+AESGCM:RSA+AES:RSA+HIGH:!aNULL:!eNULL:!MD5:!3DES"},
    {CipherPolicy::python_3_7, "python3.7", kPython35},
    {CipherPolicy::python_3_7_builtin, "python3.7-builtin",
     "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK"},
}};

}  // namespace

std::string_view cipher_string(CipherPolicy policy) noexcept {
    for (const auto& entry : kPolicies) {
        if (entry.policy == policy) {
            return entry.cipher_string;
        }
    }
    return kPolicies[0].cipher_string;
}

std::string_view cipher_policy_name(CipherPolicy policy) noexcept {
    for (const auto& entry : kPolicies) {
        if (entry.policy == policy) {
            return entry.name;
        }
    }
    return kPolicies[0].name;
}

std::optional<CipherPolicy> cipher_policy_from_name(std::string_view name) noexcept {
    if (name == "default") {
        return CipherPolicy::default_policy;
    }
    for (const auto& entry : kPolicies) {
        if (entry.name == name) {
            return entry.policy;
        }
    }
    return std::nullopt;
}

}  // namespace tls
