// The web-PKI profile's rules on the leaf certificate's names. Sources: RFC 5280, RFC 1034's
// preferred name syntax, RFC 5321 (mailboxes), RFC 6125 6.4.3 (wildcards) and the CA/Browser
// Forum TLS Baseline Requirements 2.0 ("BR x.y").
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "ossl/handles.hpp"
#include "public_suffix.hpp"
#include "web_pki.hpp"

namespace tls::detail {
namespace {

RuleResult violation(long code, std::string reason) {
    return ProfileViolation{0, code, "web-PKI profile: " + std::move(reason)};
}

std::string_view text_of(const ASN1_STRING* s) {
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
            static_cast<std::size_t>(ASN1_STRING_length(s))};
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

bool is_ldh_label(std::string_view label) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
        return false;
    }
    for (char c : label) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

ossl::GeneralNamesPtr subject_alt_names(X509* cert) {
    int found = 0;
    ossl::GeneralNamesPtr names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &found, nullptr)));
    ERR_clear_error();
    return names;
}

// RFC 5322 3.2.3 atext, the characters of an unquoted mailbox local part besides dots.
bool is_atext(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 5280 4.2.1.6: an rfc822Name is a Mailbox (RFC 5321 4.1.2): a dot-atom or quoted local
// part, "@", and a domain. "a@b@example.com" is none.
bool is_mailbox(std::string_view name) {
    const std::size_t at = name.rfind('@');
    if (at == std::string_view::npos || at == 0) {
        return false;
    }
    const std::string_view local = name.substr(0, at);
    if (!is_preferred_dns_name(name.substr(at + 1), false)) {
        return false;
    }
    if (local.size() >= 2 && local.front() == '"' && local.back() == '"') {
        return true;
    }
    if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
        return false;
    }
    for (char c : local) {
        if (c != '.' && !is_atext(c)) {
            return false;
        }
    }
    return true;
}

// RFC 5280 4.2.1.6: a dNSName is in RFC 1034's preferred syntax (RFC 6125 6.4.3 and BR
// 7.1.2.7.12: a wildcard is a whole leftmost label), so "_", empty labels and ".example.com"
// are refused; an rfc822Name is a mailbox.
RuleResult san_syntax(const GENERAL_NAMES* names) {
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
        if (name->type == GEN_DNS && !is_preferred_dns_name(text_of(name->d.dNSName), true)) {
            return violation(X509_V_ERR_UNSUPPORTED_NAME_SYNTAX,
                             "the subjectAltName DNS name \"" +
                                 std::string(text_of(name->d.dNSName)) +
                                 "\" is not a host name (RFC 5280 4.2.1.6)");
        }
        if (name->type == GEN_EMAIL && !is_mailbox(text_of(name->d.rfc822Name))) {
            return violation(X509_V_ERR_UNSUPPORTED_NAME_SYNTAX,
                             "the subjectAltName email address \"" +
                                 std::string(text_of(name->d.rfc822Name)) +
                                 "\" is not a mailbox (RFC 5280 4.2.1.6)");
        }
    }
    return std::nullopt;
}

// BR 7.1.2.7.12 (and RFC 5280 4.2.1.6's SHOULD): subjectAltName is critical only when the
// subject is empty.
RuleResult san_criticality(X509* leaf) {
    const int index = X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1);
    if (index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(leaf, index)) != 0 &&
        X509_NAME_entry_count(X509_get_subject_name(leaf)) > 0) {
        return violation(X509_V_ERR_INVALID_EXTENSION,
                         "subjectAltName is critical although the subject is not empty "
                         "(BR 7.1.2.7.12)");
    }
    return std::nullopt;
}

}  // namespace

bool is_preferred_dns_name(std::string_view name, bool wildcard) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    bool first = true;
    while (true) {
        const std::size_t dot = name.find('.');
        const std::string_view label = name.substr(0, dot);
        if (!(first && wildcard && label == "*" && dot != std::string_view::npos) &&
            !is_ldh_label(label)) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        name.remove_prefix(dot + 1);
        first = false;
    }
}

RuleResult check_leaf_name_rules(X509* leaf) {
    const ossl::GeneralNamesPtr names = subject_alt_names(leaf);
    if (RuleResult broken = san_syntax(names.get())) {
        return broken;
    }
    return san_criticality(leaf);
}

namespace {

// The names a host is matched against: the SAN's DNS names or, when there are none, the
// subject CNs (which only hostname_checks_common_name lets OpenSSL match).
std::vector<std::string> dns_identities(X509* leaf) {
    std::vector<std::string> out;
    const ossl::GeneralNamesPtr names = subject_alt_names(leaf);
    for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* san = sk_GENERAL_NAME_value(names.get(), i);
        if (san->type == GEN_DNS) {
            out.emplace_back(text_of(san->d.dNSName));
        }
    }
    const X509_NAME* subject = X509_get_subject_name(leaf);
    for (int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); out.empty() && at >= 0;
         at = X509_NAME_get_index_by_NID(subject, NID_commonName, at)) {
        out.emplace_back(text_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at))));
    }
    return out;
}

}  // namespace

// Chrome: a wildcard never stands for a registrable name under a public suffix of the ICANN
// section (*.co.uk, *.com.au), which no CA may issue (BR 3.2.2.6). A host whose parent is such
// a suffix must therefore be in the certificate by name.
RuleResult check_public_suffix_wildcards(X509* leaf, X509_VERIFY_PARAM* param) {
    std::vector<std::string> identities;
    bool identities_read = false;
    for (int h = 0;; ++h) {
        const char* host = X509_VERIFY_PARAM_get0_host(param, h);
        if (host == nullptr) {
            return std::nullopt;
        }
        const std::string_view name(host);
        const std::size_t dot = name.find('.');
        if (dot == std::string_view::npos || !is_public_suffix(name.substr(dot + 1))) {
            continue;
        }
        if (!identities_read) {
            identities = dns_identities(leaf);
            identities_read = true;
        }
        const bool exact = std::any_of(
            identities.begin(), identities.end(),
            [name](const std::string& id) { return equal_ignoring_ascii_case(id, name); });
        if (!exact) {
            return violation(X509_V_ERR_HOSTNAME_MISMATCH,
                             "'" + std::string(name) +
                                 "' matches the certificate only through a wildcard over the "
                                 "public suffix '" +
                                 std::string(name.substr(dot + 1)) + "' (BR 3.2.2.6)");
        }
    }
}

}  // namespace tls::detail
