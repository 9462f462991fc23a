// The web-PKI profile's rules on one certificate's own fields and extensions. Sources:
// RFC 5280 (sections as "RFC 5280 x.y") and the CA/Browser Forum TLS Baseline Requirements 2.0
// ("BR x.y"), the rules browsers and rustls-webpki apply to the public web.
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <string_view>

#include "ossl/handles.hpp"
#include "web_pki.hpp"

namespace tls::detail {
namespace {

RuleResult violation(const ChainPosition& at, long code, std::string reason) {
    return ProfileViolation{at.depth, code, "web-PKI profile: " + std::move(reason)};
}

// Where the extension sits, or -1; `critical` is set when present.
int find_extension(X509* cert, int nid, bool& critical) {
    const int index = X509_get_ext_by_NID(cert, nid, -1);
    critical = index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, index)) != 0;
    return index;
}

bool is_self_issued(X509* cert) {
    return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

// RFC 5280 4.1.2.2: the serial number is a positive integer of at most 20 octets. Trust anchors
// are exempt: they are trusted as configured, and old roots break the rule.
RuleResult serial_number(const ChainPosition& at) {
    if (at.anchor) {
        return std::nullopt;
    }
    const ASN1_INTEGER* serial = X509_get0_serialNumber(at.cert);
    if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) {
        return violation(at, X509_V_ERR_UNSPECIFIED,
                         "the serial number is negative (RFC 5280 4.1.2.2)");
    }
    const unsigned char* bytes = ASN1_STRING_get0_data(serial);
    const int length = ASN1_STRING_length(serial);
    bool zero = true;
    for (int i = 0; i < length; ++i) {
        zero = zero && bytes[i] == 0;
    }
    if (zero) {
        return violation(at, X509_V_ERR_UNSPECIFIED,
                         "the serial number is zero (RFC 5280 4.1.2.2)");
    }
    // DER adds a zero octet in front of a magnitude whose top bit is set.
    const int octets = length + ((bytes[0] & 0x80) != 0 ? 1 : 0);
    if (octets > 20) {
        return violation(at, X509_V_ERR_UNSPECIFIED,
                         "the serial number is longer than 20 octets (RFC 5280 4.1.2.2)");
    }
    return std::nullopt;
}

// BR 7.1.2.7.8: a subscriber (leaf) certificate is not a CA.
RuleResult leaf_is_not_ca(const ChainPosition& at) {
    if (at.leaf && !at.anchor && (X509_get_extension_flags(at.cert) & EXFLAG_CA) != 0) {
        return violation(at, X509_V_ERR_INVALID_NON_CA,
                         "the leaf certificate is a CA (basicConstraints cA) (BR 7.1.2.7.8)");
    }
    return std::nullopt;
}

// RFC 5280 4.2.1.3 with RFC 8446 4.4.2.2 and RFC 5246 7.4.2: every handshake tlsctx allows has
// the server (or client) sign with its certificate's key (no RSA key transport, no static DH),
// so a leaf keyUsage, when present, must allow digitalSignature (BR 7.1.2.7.11 requires it for
// ECDSA keys).
RuleResult leaf_key_usage(const ChainPosition& at) {
    if (at.leaf && (X509_get_extension_flags(at.cert) & EXFLAG_KUSAGE) != 0 &&
        (X509_get_key_usage(at.cert) & KU_DIGITAL_SIGNATURE) == 0) {
        return violation(at, X509_V_ERR_INVALID_PURPOSE,
                         "the leaf certificate's keyUsage does not allow digitalSignature "
                         "(RFC 5280 4.2.1.3, RFC 8446 4.4.2.2)");
    }
    return std::nullopt;
}

// BR 7.1.2.7.10: a subscriber certificate has a non-critical extendedKeyUsage naming its TLS
// purpose and never anyExtendedKeyUsage (OpenSSL checks the purpose itself where an EKU is
// present). BR 7.1.2.1.2: a root has no extendedKeyUsage.
RuleResult extended_key_usage(const ChainPosition& at) {
    bool critical = false;
    const bool present = find_extension(at.cert, NID_ext_key_usage, critical) >= 0;
    if (at.anchor && !at.leaf && is_self_issued(at.cert)) {
        if (present) {
            return violation(at, X509_V_ERR_INVALID_PURPOSE,
                             "the root certificate has an extendedKeyUsage (BR 7.1.2.1.2)");
        }
        return std::nullopt;
    }
    if (!at.leaf) {
        return std::nullopt;
    }
    if (!present) {
        return violation(at, X509_V_ERR_INVALID_PURPOSE,
                         "the leaf certificate has no extendedKeyUsage (BR 7.1.2.7.10)");
    }
    if (critical) {
        return violation(at, X509_V_ERR_INVALID_PURPOSE,
                         "the leaf certificate's extendedKeyUsage is critical (BR 7.1.2.7.10)");
    }
    if ((X509_get_extended_key_usage(at.cert) & XKU_ANYEKU) != 0) {
        return violation(
            at, X509_V_ERR_INVALID_PURPOSE,
            "the leaf certificate's extendedKeyUsage has anyExtendedKeyUsage (BR 7.1.2.7.10)");
    }
    return std::nullopt;
}

// BR 6.1.5 and 6.1.6: RSA keys of at least 2048 bits in whole bytes, or ECDSA keys on P-256,
// P-384 or P-521; nothing else (no DSA, no explicit curve parameters). Anchors included: a root
// signs with the key it conveys.
RuleResult public_key(const ChainPosition& at) {
    EVP_PKEY* key = X509_get0_pubkey(at.cert);
    const int type = key != nullptr ? EVP_PKEY_get_base_id(key) : EVP_PKEY_NONE;
    if (type == EVP_PKEY_RSA) {
        const int bits = EVP_PKEY_get_bits(key);
        if (bits < 2048 || bits % 8 != 0) {
            return violation(at,
                             at.leaf ? X509_V_ERR_EE_KEY_TOO_SMALL : X509_V_ERR_CA_KEY_TOO_SMALL,
                             "the RSA key has " + std::to_string(bits) +
                                 " bits; at least 2048 and a multiple of 8 are required "
                                 "(BR 6.1.5)");
        }
        return std::nullopt;
    }
    if (type == EVP_PKEY_EC) {
        char group[64] = {};
        std::size_t length = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &length) == 1) {
            const std::string_view name(group, length);
            if (name == "prime256v1" || name == "secp384r1" || name == "secp521r1") {
                return std::nullopt;
            }
        }
        ERR_clear_error();
        return violation(at, X509_V_ERR_UNSPECIFIED,
                         "the EC key is not on P-256, P-384 or P-521 (BR 6.1.5)");
    }
    return violation(at, X509_V_ERR_UNSPECIFIED,
                     std::string("the public key is ") +
                         (type == EVP_PKEY_NONE ? "unreadable" : OBJ_nid2sn(type)) +
                         "; only RSA and ECDSA keys are allowed (BR 6.1.5)");
}

// RFC 5280 4.2.1.10: nameConstraints only in CA certificates, with at least one subtree
// (BR 7.1.2.5.2 repeats both), and DNS bases are host names (a leading period is URI syntax).
RuleResult name_constraints(const ChainPosition& at) {
    bool critical = false;
    if (find_extension(at.cert, NID_name_constraints, critical) < 0) {
        return std::nullopt;
    }
    if ((X509_get_extension_flags(at.cert) & EXFLAG_CA) == 0) {
        return violation(at, X509_V_ERR_INVALID_EXTENSION,
                         "nameConstraints in a certificate that is not a CA (RFC 5280 4.2.1.10)");
    }
    int found = 0;
    ossl::NameConstraintsPtr nc(static_cast<NAME_CONSTRAINTS*>(
        X509_get_ext_d2i(at.cert, NID_name_constraints, &found, nullptr)));
    ERR_clear_error();
    if (!nc) {
        return violation(at, X509_V_ERR_INVALID_EXTENSION,
                         "the nameConstraints extension cannot be decoded (RFC 5280 4.2.1.10)");
    }
    const int permitted = nc->permittedSubtrees ? sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) : 0;
    const int excluded = nc->excludedSubtrees ? sk_GENERAL_SUBTREE_num(nc->excludedSubtrees) : 0;
    if ((nc->permittedSubtrees != nullptr && permitted == 0) ||
        (nc->excludedSubtrees != nullptr && excluded == 0) || permitted + excluded == 0) {
        return violation(at, X509_V_ERR_INVALID_EXTENSION,
                         "nameConstraints has an empty or no subtree (RFC 5280 4.2.1.10, "
                         "BR 7.1.2.5.2)");
    }
    for (const STACK_OF(GENERAL_SUBTREE) * subtrees :
         {nc->permittedSubtrees, nc->excludedSubtrees}) {
        for (int i = 0; subtrees != nullptr && i < sk_GENERAL_SUBTREE_num(subtrees); ++i) {
            const GENERAL_NAME* base = sk_GENERAL_SUBTREE_value(subtrees, i)->base;
            if (base->type != GEN_DNS) {
                continue;
            }
            const std::string_view name(
                reinterpret_cast<const char*>(ASN1_STRING_get0_data(base->d.dNSName)),
                static_cast<std::size_t>(ASN1_STRING_length(base->d.dNSName)));
            if (!name.empty() && !is_preferred_dns_name(name, false)) {
                return violation(at, X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX,
                                 "the DNS name constraint \"" + std::string(name) +
                                     "\" is not a host name (RFC 5280 4.2.1.10)");
            }
        }
    }
    return std::nullopt;
}

// RFC 5280 4.2.1.11: policyConstraints is always critical.
RuleResult policy_constraints(const ChainPosition& at) {
    bool critical = false;
    if (find_extension(at.cert, NID_policy_constraints, critical) >= 0 && !critical) {
        return violation(at, X509_V_ERR_INVALID_POLICY_EXTENSION,
                         "policyConstraints is not critical (RFC 5280 4.2.1.11)");
    }
    return std::nullopt;
}

// RFC 5280 4.2.2.1: authorityInfoAccess is non-critical and holds at least one access
// description (BR 7.1.2.7.7 for subscribers, 7.1.2.10.3 for CAs).
RuleResult authority_info_access(const ChainPosition& at) {
    bool critical = false;
    if (at.anchor || find_extension(at.cert, NID_info_access, critical) < 0) {
        return std::nullopt;
    }
    int found = 0;
    ossl::AuthorityInfoAccessPtr aia(static_cast<AUTHORITY_INFO_ACCESS*>(
        X509_get_ext_d2i(at.cert, NID_info_access, &found, nullptr)));
    ERR_clear_error();
    if (critical || !aia || sk_ACCESS_DESCRIPTION_num(aia.get()) == 0) {
        return violation(at, X509_V_ERR_INVALID_EXTENSION,
                         "authorityInfoAccess is critical, empty or malformed (RFC 5280 4.2.2.1, "
                         "BR 7.1.2.7.7)");
    }
    return std::nullopt;
}

// BR 7.1.2.1.3: in a root, the authorityKeyIdentifier, when present, holds only a keyIdentifier,
// equal to the root's subjectKeyIdentifier. (RFC 5280 4.2.1.1 also wants an AKI in an anchor
// that is not self-signed; x509-limbo's own cases disagree on that, so it is not enforced.)
RuleResult authority_key_identifier(const ChainPosition& at) {
    bool critical = false;
    if (!at.anchor || at.leaf || !is_self_issued(at.cert) ||
        find_extension(at.cert, NID_authority_key_identifier, critical) < 0) {
        return std::nullopt;
    }
    int found = 0;
    ossl::AuthorityKeyIdPtr aki(static_cast<AUTHORITY_KEYID*>(
        X509_get_ext_d2i(at.cert, NID_authority_key_identifier, &found, nullptr)));
    ERR_clear_error();
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(at.cert);
    if (!aki || aki->keyid == nullptr || aki->issuer != nullptr || aki->serial != nullptr ||
        ski == nullptr || ASN1_OCTET_STRING_cmp(aki->keyid, ski) != 0) {
        return violation(at, X509_V_ERR_INVALID_EXTENSION,
                         "the root's authorityKeyIdentifier is not exactly its "
                         "subjectKeyIdentifier (BR 7.1.2.1.3)");
    }
    return std::nullopt;
}

}  // namespace

RuleResult check_certificate_rules(const ChainPosition& at) {
    for (RuleResult (*rule)(const ChainPosition&) :
         {serial_number, leaf_is_not_ca, leaf_key_usage, extended_key_usage, public_key,
          name_constraints, policy_constraints, authority_info_access, authority_key_identifier}) {
        if (RuleResult broken = rule(at)) {
            return broken;
        }
    }
    return std::nullopt;
}

}  // namespace tls::detail
