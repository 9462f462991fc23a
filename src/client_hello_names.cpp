#include "client_hello_names.hpp"

#include <cstdio>

namespace tls::detail {
namespace {

struct Named {
    std::uint16_t value;
    const char* name;
};

// RFC 8446 4.2.3, RFC 8422 (TLS 1.2 pairs), RFC 8734 (Brainpool in TLS 1.3), and the ML-DSA
// code points OpenSSL 3.5 offers (draft-ietf-tls-mldsa); the TLS 1.2 pairs without an RFC 8446
// name carry OpenSSL's.
constexpr Named kSignatureSchemes[] = {
    {0x0201, "rsa_pkcs1_sha1"},
    {0x0202, "dsa_sha1"},
    {0x0203, "ecdsa_sha1"},
    {0x0301, "rsa_pkcs1_sha224"},
    {0x0302, "dsa_sha224"},
    {0x0303, "ecdsa_sha224"},
    {0x0401, "rsa_pkcs1_sha256"},
    {0x0402, "dsa_sha256"},
    {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0501, "rsa_pkcs1_sha384"},
    {0x0502, "dsa_sha384"},
    {0x0503, "ecdsa_secp384r1_sha384"},
    {0x0601, "rsa_pkcs1_sha512"},
    {0x0602, "dsa_sha512"},
    {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0804, "rsa_pss_rsae_sha256"},
    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},
    {0x0808, "ed448"},
    {0x0809, "rsa_pss_pss_sha256"},
    {0x080a, "rsa_pss_pss_sha384"},
    {0x080b, "rsa_pss_pss_sha512"},
    {0x081a, "ecdsa_brainpoolP256r1tls13_sha256"},
    {0x081b, "ecdsa_brainpoolP384r1tls13_sha384"},
    {0x081c, "ecdsa_brainpoolP512r1tls13_sha512"},
    {0x0904, "mldsa44"},
    {0x0905, "mldsa65"},
    {0x0906, "mldsa87"},
};

constexpr Named kVersions[] = {
    {0x0304, "TLSv1.3"}, {0x0303, "TLSv1.2"}, {0x0302, "TLSv1.1"},
    {0x0301, "TLSv1"},   {0x0300, "SSLv3"},
};

template <std::size_t N>
std::string lookup(const Named (&table)[N], std::uint16_t value) {
    for (const Named& entry : table) {
        if (entry.value == value) {
            return entry.name;
        }
    }
    return hex_code_point(value);
}

}  // namespace

std::string hex_code_point(std::uint16_t value) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(value));
    return buf;
}

std::string protocol_version_name(std::uint16_t version) {
    return lookup(kVersions, version);
}

std::string signature_scheme_name(std::uint16_t scheme) {
    return lookup(kSignatureSchemes, scheme);
}

}  // namespace tls::detail
