// tlsctx — verification profiles: which rules a certificate chain must meet beyond OpenSSL's.
// Python's ssl has one behaviour (OpenSSL's verifier with VERIFY_X509_STRICT); tlsctx keeps it as
// the default and adds the rules browsers and rustls-webpki enforce for the public web as an
// opt-in profile. Docs: docs/security.md ("Verification profiles").
#pragma once

namespace tls {

/// The rule set a peer's certificate chain is verified against, in handshakes
/// (Context::set_verify_profile) and offline (VerifyRequest::profile).
enum class VerifyProfile {
    /// Python 3.13's create_default_context() verification (OpenSSL's X509_verify_cert with
    /// VERIFY_X509_STRICT) plus the name-constraint check on the expected host name that tlsctx
    /// always adds. Accepts what a private PKI built with `openssl req`/`openssl ca` issues.
    standard,
    /// `standard` plus the RFC 5280 and CA/Browser Forum Baseline Requirements rules that
    /// OpenSSL 3 does not enforce: positive serial numbers of at most 20 octets; in every leaf
    /// a non-critical EKU naming its purpose, digitalSignature where a keyUsage is present, and
    /// no CA flag; no EKU in roots; RSA keys of whole bytes and P-256/P-384/P-521 EC keys only;
    /// DNS names and email addresses in their RFC syntax, and no wildcard over a public suffix
    /// (ICANN section of the Public Suffix List); name constraints only in CAs and never empty;
    /// well-formed AKI/AIA; CRLs with a CRL number; notAfter inclusive; self-issued certificates
    /// left out of the maximum depth. Meant for clients of the public web; a private PKI may
    /// fail it. The rule table is in docs/security.md.
    web_pki,
};

}  // namespace tls
