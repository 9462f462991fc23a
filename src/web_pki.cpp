// The web-PKI profile around X509_verify_cert: what it changes before (the depth limit, the
// notAfter second) and the rules it checks after, over the whole verified chain.
#include "web_pki.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "ossl/handles.hpp"

namespace tls::detail {
namespace {

// The most certificates OpenSSL builds a chain of when no depth is set (X509_VERIFY_MAX_CHAIN
// in crypto/x509/x509_vfy.c); the profile builds up to it and counts itself.
constexpr int kOpenSslDefaultDepth = 100;

std::time_t check_time(X509_STORE_CTX* ctx) {
    const X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    return (X509_VERIFY_PARAM_get_flags(param) & X509_V_FLAG_USE_CHECK_TIME) != 0
               ? X509_VERIFY_PARAM_get_time(param)
               : std::time(nullptr);
}

// RFC 5280 4.1.2.5: "the period of time from notBefore through notAfter, inclusive". OpenSSL
// counts a certificate as expired at its notAfter second (X509_cmp_time treats equal as past);
// this takes back exactly that verdict and hands the rest to the callback that was set.
int verify_callback_with_inclusive_not_after(int ok, X509_STORE_CTX* ctx) {
    const auto* run = static_cast<const WebPkiRun*>(X509_STORE_CTX_get_app_data(ctx));
    if (ok == 0 && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_HAS_EXPIRED) {
        const X509* cert = X509_STORE_CTX_get_current_cert(ctx);
        if (cert != nullptr &&
            ASN1_TIME_cmp_time_t(X509_get0_notAfter(cert), check_time(ctx)) == 0) {
            X509_STORE_CTX_set_error(ctx, X509_V_OK);
            ok = 1;
        }
    }
    return run != nullptr && run->previous_callback != nullptr ? run->previous_callback(ok, ctx)
                                                               : ok;
}

RuleResult at(int depth, long code, std::string reason) {
    return ProfileViolation{depth, code, "web-PKI profile: " + std::move(reason)};
}

// RFC 5280 6.1.4(l): a self-issued intermediate does not count toward the path length, so the
// caller's maximum depth counts only the others.
RuleResult count_depth(const STACK_OF(X509) * chain, int requested_depth) {
    if (requested_depth < 0) {
        return std::nullopt;
    }
    int counted = 0;
    for (int depth = 1; depth + 1 < sk_X509_num(chain); ++depth) {
        X509* cert = sk_X509_value(chain, depth);
        if (X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0 &&
            ++counted > requested_depth) {
            return at(depth, X509_V_ERR_CERT_CHAIN_TOO_LONG,
                      "more than " + std::to_string(requested_depth) +
                          " intermediates that are not self-issued (RFC 5280 6.1.4(l))");
        }
    }
    return std::nullopt;
}

// RFC 5280 5.2.3: conforming CRL issuers include the CRL number in every CRL. Checked for the
// CRLs the store holds for each issuer in the chain, when CRL checking is on.
RuleResult crl_numbers(X509_STORE_CTX* ctx, const STACK_OF(X509) * chain) {
    const unsigned long flags = X509_VERIFY_PARAM_get_flags(X509_STORE_CTX_get0_param(ctx));
    if ((flags & X509_V_FLAG_CRL_CHECK) == 0) {
        return std::nullopt;
    }
    const int issuers = (flags & X509_V_FLAG_CRL_CHECK_ALL) != 0 ? sk_X509_num(chain) : 2;
    for (int depth = 1; depth < issuers && depth < sk_X509_num(chain); ++depth) {
        ossl::X509CrlStackPtr crls(
            X509_STORE_CTX_get1_crls(ctx, X509_get_subject_name(sk_X509_value(chain, depth))));
        ERR_clear_error();
        for (int i = 0; crls && i < sk_X509_CRL_num(crls.get()); ++i) {
            if (X509_CRL_get_ext_by_NID(sk_X509_CRL_value(crls.get(), i), NID_crl_number, -1) < 0) {
                return at(depth - 1, X509_V_ERR_UNSPECIFIED,
                          "a CRL of this certificate's issuer has no CRL number (RFC 5280 5.2.3)");
            }
        }
    }
    return std::nullopt;
}

}  // namespace

void begin_web_pki(X509_STORE_CTX* ctx, WebPkiRun& run) noexcept {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    run.requested_depth = X509_VERIFY_PARAM_get_depth(param);
    if (run.requested_depth >= 0) {
        X509_VERIFY_PARAM_set_depth(param, kOpenSslDefaultDepth);
    }
    run.previous_callback = X509_STORE_CTX_get_verify_cb(ctx);
    X509_STORE_CTX_set_app_data(ctx, &run);
    X509_STORE_CTX_set_verify_cb(ctx, &verify_callback_with_inclusive_not_after);
}

void end_web_pki(X509_STORE_CTX* ctx, const WebPkiRun& run) noexcept {
    X509_STORE_CTX_set_verify_cb(ctx, run.previous_callback);
    X509_STORE_CTX_set_app_data(ctx, nullptr);
    X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(ctx), run.requested_depth);
}

RuleResult finish_web_pki(X509_STORE_CTX* ctx, const WebPkiRun& run) {
    end_web_pki(ctx, run);
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    const int length = sk_X509_num(chain);
    for (int depth = 0; depth < length; ++depth) {
        const ChainPosition position{sk_X509_value(chain, depth), depth, depth == 0,
                                     depth == length - 1};
        if (RuleResult broken = check_certificate_rules(position)) {
            return broken;
        }
    }
    X509* leaf = sk_X509_value(chain, 0);
    if (RuleResult broken = check_leaf_name_rules(leaf)) {
        return broken;
    }
    if (RuleResult broken = check_public_suffix_wildcards(leaf, X509_STORE_CTX_get0_param(ctx))) {
        return broken;
    }
    if (RuleResult broken = count_depth(chain, run.requested_depth)) {
        return broken;
    }
    return crl_numbers(ctx, chain);
}

}  // namespace tls::detail
