// The web-PKI verification profile (tls::VerifyProfile::web_pki): the RFC 5280 and CA/Browser
// Forum Baseline Requirements rules OpenSSL 3 does not enforce, checked on a chain
// X509_verify_cert has accepted. Each rule is a small function named after what it checks, with
// its source beside it; docs/security.md has the table.
#pragma once

#include <openssl/x509_vfy.h>

#include <optional>
#include <string>
#include <string_view>

namespace tls::detail {

/// A rule the chain breaks: where, OpenSSL's nearest X509_V_ERR_* code, and the rule in words.
struct ProfileViolation {
    int depth = 0;
    long code = X509_V_ERR_UNSPECIFIED;
    std::string reason;
};
using RuleResult = std::optional<ProfileViolation>;

/// Where a certificate sits in a verified chain (leaf at depth 0, the trust anchor last).
struct ChainPosition {
    X509* cert = nullptr;
    int depth = 0;
    bool leaf = false;
    bool anchor = false;
};

/// The rules on one certificate's own fields and extensions (web_pki_certificate_rules.cpp).
RuleResult check_certificate_rules(const ChainPosition& at);

/// The rules on the leaf's names: DNS and email syntax, SAN criticality
/// (web_pki_name_rules.cpp).
RuleResult check_leaf_name_rules(X509* leaf);

/// The expected host names of `param` must not match the leaf only through a wildcard whose
/// base is a public suffix (web_pki_name_rules.cpp).
RuleResult check_public_suffix_wildcards(X509* leaf, X509_VERIFY_PARAM* param);

/// Whether `name` is a DNS name in RFC 1034's preferred syntax (letters, digits, hyphens;
/// labels of 1-63 octets, none starting or ending with a hyphen; 253 octets at most), with a
/// leftmost "*" label allowed when `wildcard`.
bool is_preferred_dns_name(std::string_view name, bool wildcard);

/// What a web-PKI verification changes around X509_verify_cert, kept between its two halves.
struct WebPkiRun {
    int requested_depth = -1;  // the caller's maximum depth, enforced by count_depth
    X509_STORE_CTX_verify_cb previous_callback = nullptr;
};

/// Before X509_verify_cert: lifts OpenSSL's depth limit (RFC 5280 6.1.4(l): self-issued
/// certificates do not count; finish_web_pki counts instead) and wraps the verify callback so a
/// certificate is valid through its notAfter second (RFC 5280 4.1.2.5). `run` must outlive the
/// verification: the wrapped callback finds it through the store context's app data.
void begin_web_pki(X509_STORE_CTX* ctx, WebPkiRun& run) noexcept;

/// After X509_verify_cert accepted the chain: every web-PKI rule. Restores what begin_web_pki
/// changed. @throws std::bad_alloc.
RuleResult finish_web_pki(X509_STORE_CTX* ctx, const WebPkiRun& run);

/// Undoes begin_web_pki after a rejected chain.
void end_web_pki(X509_STORE_CTX* ctx, const WebPkiRun& run) noexcept;

}  // namespace tls::detail
