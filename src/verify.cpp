// Offline chain verification. Every step mirrors what the handshake does (OpenSSL 3.0's
// ssl_verify_cert_chain with a default tlsctx context: defaults.cpp sets the flags, engine.cpp
// the host check), so an offline verdict is the verdict a connection would reach.
#include "tls/verify.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "ossl/der.hpp"
#include "ossl/error.hpp"
#include "ossl/handles.hpp"
#include "tls/errors.hpp"
#include "verified_chain_cache_state.hpp"
#include "verify_policy.hpp"
#include "web_pki.hpp"

namespace tls {
namespace detail {
namespace {

// OpenSSL's own DNS name-constraint match (nc_dns in crypto/x509/v3_ncons.c), so that the peer
// name is judged exactly as the certificate's DNS names were: an empty base matches everything;
// otherwise the name must equal the base or end in it after a label boundary (a base with a
// leading dot matches subdomains only); ASCII case is ignored.
bool dns_within(std::string_view name, const ASN1_IA5STRING* base_string) {
    std::string_view base(reinterpret_cast<const char*>(ASN1_STRING_get0_data(base_string)),
                          static_cast<std::size_t>(ASN1_STRING_length(base_string)));
    if (base.empty()) {
        return true;
    }
    if (name.size() < base.size()) {
        return false;
    }
    std::string_view tail = name.substr(name.size() - base.size());
    if (name.size() > base.size() && base.front() != '.' &&
        name[name.size() - base.size() - 1] != '.') {
        return false;
    }
    for (std::size_t i = 0; i < base.size(); ++i) {
        auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(tail[i]) != lower(base[i])) {
            return false;
        }
    }
    return true;
}

bool dns_subtree(const GENERAL_SUBTREE* subtree) {
    // OpenSSL refuses subtrees with minimum/maximum while checking the certificate's names, so
    // a chain that got this far has none that apply to DNS names.
    return subtree->base->type == GEN_DNS && subtree->minimum == nullptr &&
           subtree->maximum == nullptr;
}

long check_name_against(std::string_view name, const NAME_CONSTRAINTS* nc) {
    bool permitted_dns = false;
    bool permitted = false;
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++i) {
        const GENERAL_SUBTREE* subtree = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i);
        if (dns_subtree(subtree)) {
            permitted_dns = true;
            permitted = permitted || dns_within(name, subtree->base->d.dNSName);
        }
    }
    if (permitted_dns && !permitted) {
        return X509_V_ERR_PERMITTED_VIOLATION;
    }
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(nc->excludedSubtrees); ++i) {
        const GENERAL_SUBTREE* subtree = sk_GENERAL_SUBTREE_value(nc->excludedSubtrees, i);
        if (dns_subtree(subtree) && dns_within(name, subtree->base->d.dNSName)) {
            return X509_V_ERR_EXCLUDED_VIOLATION;
        }
    }
    return X509_V_OK;
}

// RFC 5280 applies name constraints to the certificate's names; a client, though, trusts the
// certificate for the name it asked for. With a wildcard the two differ (*.example.com does not
// fall under an excluded bar.example.com, yet it matches it), so the asked-for name is checked
// too. IP addresses need nothing more: they match an IP SAN exactly, which OpenSSL checked.
bool peer_name_within_constraints(X509_STORE_CTX* ctx) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    for (int h = 0;; ++h) {
        const char* host = X509_VERIFY_PARAM_get0_host(param, h);
        if (host == nullptr) {
            return true;
        }
        for (int depth = 1; depth < sk_X509_num(chain); ++depth) {
            X509* ca = sk_X509_value(chain, depth);
            int critical = 0;
            ossl::NameConstraintsPtr nc(static_cast<NAME_CONSTRAINTS*>(
                X509_get_ext_d2i(ca, NID_name_constraints, &critical, nullptr)));
            if (!nc) {
                continue;
            }
            long err = check_name_against(host, nc.get());
            if (err != X509_V_OK) {
                // Reported like OpenSSL's own violations: at the certificate holding the name.
                X509_STORE_CTX_set_error_depth(ctx, 0);
                X509_STORE_CTX_set_current_cert(ctx, sk_X509_value(chain, 0));
                X509_STORE_CTX_set_error(ctx, static_cast<int>(err));
                return false;
            }
        }
    }
}

}  // namespace

int verify_chain(X509_STORE_CTX* ctx, VerifyProfile profile, std::string& reason,
                 const ChainCacheUse* cache) noexcept {
    std::string key;
    if (cache != nullptr && cache->cache != nullptr) {
        try {
            key = chain_cache_key(ctx, *cache, profile);
            if (!key.empty() && answer_from_cache(ctx, *cache, key)) {
                return 1;
            }
        } catch (...) {
            key.clear();  // out of memory: verify in full, and remember nothing
        }
    }
    WebPkiRun run;
    const bool web_pki = profile == VerifyProfile::web_pki;
    if (web_pki) {
        begin_web_pki(ctx, run);
    }
    const int rc = X509_verify_cert(ctx);
    if (rc != 1) {
        if (web_pki) {
            end_web_pki(ctx, run);
        }
        return rc;
    }
    bool ok = true;
    try {
        if (web_pki) {
            if (RuleResult broken = finish_web_pki(ctx, run)) {
                STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
                X509_STORE_CTX_set_error_depth(ctx, broken->depth);
                X509_STORE_CTX_set_current_cert(ctx, sk_X509_value(chain, broken->depth));
                X509_STORE_CTX_set_error(ctx, static_cast<int>(broken->code));
                reason = std::move(broken->reason);
                ok = false;
            }
        }
    } catch (...) {
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_OUT_OF_MEM);
        ok = false;
    }
    ok = ok && peer_name_within_constraints(ctx);
    if (ok && !key.empty()) {
        try {
            remember_verified_chain(ctx, *cache, key);
        } catch (...) {
            // Out of memory: the verdict stands; only the cache misses it.
        }
    }
    ERR_clear_error();
    return ok ? 1 : 0;
}

int verify_cert_with_policy(X509_STORE_CTX* ctx, void* arg) noexcept {
    const VerifyProfile profile =
        arg != nullptr ? *static_cast<const VerifyProfile*>(arg) : VerifyProfile::standard;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
    const ContextState* state = ssl != nullptr ? state_of(SSL_get_SSL_CTX(ssl)) : nullptr;
    ChainCacheUse cache;
    // A verify callback must see every certificate, so it turns the cache off.
    if (state != nullptr && state->verified_chain_cache && !state->verify_callback) {
        try {
            // The store's address (an entry holds the store, so no other store takes it while
            // the entry lives) and the number of trust changes made in place.
            X509_STORE* store = X509_STORE_CTX_get0_store(ctx);
            const auto address = reinterpret_cast<std::uintptr_t>(store);
            const std::uint64_t generation = state->trust_generation.load();
            cache.trust_identity = std::to_string(address) + "/" + std::to_string(generation);
            cache.store = store;
            cache.client_certificate = SSL_is_server(ssl) == 1;
            cache.cache = state->verified_chain_cache.get();
        } catch (...) {
            cache.cache = nullptr;
        }
    }
    std::string reason;
    const int rc = verify_chain(ctx, profile, reason, &cache);
    if (rc != 1 && !reason.empty()) {
        if (Engine* engine = ssl != nullptr ? engine_of(ssl) : nullptr) {
            engine->note_verify_refusal(std::move(reason));
        }
    }
    return rc;
}

void* profile_argument(VerifyProfile profile) noexcept {
    // OpenSSL's callback argument is a void*; these constants are only ever read through it.
    static constexpr VerifyProfile kProfiles[] = {VerifyProfile::standard, VerifyProfile::web_pki};
    return const_cast<VerifyProfile*>(&kProfiles[profile == VerifyProfile::web_pki ? 1 : 0]);
}

}  // namespace detail

namespace {

constexpr const char* kOperation = "verify_certificate_chain";

// defaults.cpp's cipher policy pins security level 2, and ssl_verify_cert_chain hands the SSL's
// level to X509_VERIFY_PARAM_set_auth_level: keys and signatures under 112 bits fail.
constexpr int kSecurityLevel = 2;

struct PemObjects {
    std::vector<ossl::X509Ptr> certs;
    std::vector<ossl::X509CrlPtr> crls;
};

// PEM_X509_INFO_read_bio is what SSL_CTX_load_verify_file and cadata use, so "TRUSTED
// CERTIFICATE" blocks (with their trust settings) and CRLs read here as they would there.
void read_pem(std::string_view pem, std::string_view field, PemObjects& out) {
    if (pem.size() > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument(std::string(kOperation) + ": " + std::string(field) +
                                    " is too large");
    }
    ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        ossl::throw_error(kOperation, "cannot allocate a memory BIO");
    }
    ossl::X509InfoStackPtr infos(PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr));
    if (!infos) {
        ossl::throw_error(kOperation, "malformed PEM in " + std::string(field));
    }
    for (int i = 0; i < sk_X509_INFO_num(infos.get()); ++i) {
        X509_INFO* info = sk_X509_INFO_value(infos.get(), i);
        // Ownership moves out of the X509_INFO; X509_INFO_free skips the nulled members.
        if (info->x509 != nullptr) {
            out.certs.emplace_back(info->x509);
            info->x509 = nullptr;
        }
        if (info->crl != nullptr) {
            out.crls.emplace_back(info->crl);
            info->crl = nullptr;
        }
    }
    ossl::clear_errors();
}

[[noreturn]] void throw_nothing_found(std::string_view field, std::string_view what) {
    throw SSLError(SSLErrc::ssl, std::string(kOperation) + ": no " + std::string(what) +
                                     " found in " + std::string(field));
}

bool is_ip_address(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// The X509_VERIFY_PARAM an SSL of a default context carries into verification: the context's
// flags (defaults.cpp) and the connection's host check (engine.cpp). ssl_verify_cert_chain
// copies it over the "ssl_server"/"ssl_client" defaults, so it is built separately here too.
ossl::X509VerifyParamPtr connection_param(const VerifyRequest& request, bool& name_is_ip,
                                          std::string& name) {
    if (!request.dns_name.empty() && !request.ip_address.empty()) {
        throw std::invalid_argument(std::string(kOperation) +
                                    ": give at most one of dns_name and ip_address");
    }
    if (request.max_depth && *request.max_depth < 0) {
        throw std::invalid_argument(std::string(kOperation) + ": max_depth cannot be negative");
    }
    ossl::X509VerifyParamPtr param(X509_VERIFY_PARAM_new());
    if (!param) {
        ossl::throw_error(kOperation, "cannot allocate verification parameters");
    }
    VerifyFlags flags = request.flags;
    if (!request.crls_pem.empty() && !has(flags, VerifyFlags::VERIFY_CRL_CHECK_LEAF)) {
        flags |= VerifyFlags::VERIFY_CRL_CHECK_LEAF;
    }
    X509_VERIFY_PARAM_set_flags(param.get(), static_cast<unsigned long>(flags));
    if (request.max_depth) {
        X509_VERIFY_PARAM_set_depth(param.get(), *request.max_depth);
    }
    if (request.at_time) {
        X509_VERIFY_PARAM_set_time(param.get(),
                                   std::chrono::system_clock::to_time_t(*request.at_time));
    }

    if (!request.email_address.empty() &&
        (request.email_address.find('\0') != std::string::npos ||
         X509_VERIFY_PARAM_set1_email(param.get(), request.email_address.data(),
                                      request.email_address.size()) != 1)) {
        ossl::clear_errors();
        throw std::invalid_argument(std::string(kOperation) + ": invalid email address '" +
                                    request.email_address + "'");
    }

    name = request.dns_name.empty() ? request.ip_address : request.dns_name;
    if (name.empty()) {
        return param;
    }
    if (!request.dns_name.empty()) {
        // wrap_socket refuses these before OpenSSL sees them: an embedded NUL would let
        // "a\0.evil" pass as "a", and a leading dot is never a valid name.
        if (name.find('\0') != std::string::npos) {
            throw std::invalid_argument(std::string(kOperation) +
                                        ": dns_name cannot contain NUL characters");
        }
        if (name.front() == '.') {
            throw std::invalid_argument(std::string(kOperation) +
                                        ": dns_name cannot start with a dot");
        }
    }
    // As in wrap_socket, an address literal is matched against IP subjectAltName entries only.
    name_is_ip = !request.ip_address.empty() || is_ip_address(name);
    unsigned int host_flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
    if (!request.hostname_checks_common_name) {
        host_flags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
    }
    X509_VERIFY_PARAM_set_hostflags(param.get(), host_flags);
    int ok = name_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param.get(), name.c_str())
                        : X509_VERIFY_PARAM_set1_host(param.get(), name.c_str(), 0);
    if (ok != 1) {
        ossl::clear_errors();
        throw std::invalid_argument(std::string(kOperation) + ": invalid " +
                                    (name_is_ip ? "IP address '" : "host name '") + name + "'");
    }
    return param;
}

// What identifies an offline request's trust for a VerifiedChainCache: a digest of the exact
// anchor and CRL text, each entry length-prefixed.
std::string trust_digest(const VerifyRequest& request) {
    ossl::EvpMdCtxPtr md(EVP_MD_CTX_new());
    bool ok = md && EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) == 1;
    for (const auto* list : {&request.trusted_pem, &request.crls_pem}) {
        const std::uint64_t count = list->size();
        ok = ok && EVP_DigestUpdate(md.get(), &count, sizeof count) == 1;
        for (const std::string& pem : *list) {
            const std::uint64_t length = pem.size();
            ok = ok && EVP_DigestUpdate(md.get(), &length, sizeof length) == 1 &&
                 EVP_DigestUpdate(md.get(), pem.data(), pem.size()) == 1;
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ok || EVP_DigestFinal_ex(md.get(), digest, &length) != 1) {
        ossl::throw_error(kOperation, "cannot hash the trust anchors");
    }
    return std::string(reinterpret_cast<const char*>(digest), length);
}

// Worded as SSLCertVerificationError::verify_message() (ossl/error.cpp): Python names the
// expected name in host and IP mismatches.
std::string describe(long code, bool name_is_ip, const std::string& name,
                     const std::string& email) {
    if (code == X509_V_ERR_HOSTNAME_MISMATCH && !name_is_ip) {
        return "Hostname mismatch, certificate is not valid for '" + name + "'.";
    }
    if (code == X509_V_ERR_EMAIL_MISMATCH && !email.empty()) {
        return "Email address mismatch, certificate is not valid for '" + email + "'.";
    }
    if (code == X509_V_ERR_IP_ADDRESS_MISMATCH && name_is_ip) {
        return "IP address mismatch, certificate is not valid for '" + name + "'.";
    }
    return X509_verify_cert_error_string(code);
}

}  // namespace

VerifyResult verify_certificate_chain(const VerifyRequest& request) {
    if (request.leaf_pem.empty()) {
        throw std::invalid_argument(std::string(kOperation) + ": leaf_pem is empty");
    }
    bool name_is_ip = false;
    std::string name;
    ossl::X509VerifyParamPtr connection = connection_param(request, name_is_ip, name);

    // The peer's certificate list: its certificate first, then what it sent after it. The
    // handshake passes the whole list (leaf included) as the untrusted certificates.
    PemObjects peer;
    read_pem(request.leaf_pem, "leaf_pem", peer);
    if (peer.certs.empty()) {
        throw_nothing_found("leaf_pem", "certificate");
    }
    for (const std::string& pem : request.intermediates_pem) {
        std::size_t before = peer.certs.size();
        read_pem(pem, "intermediates_pem", peer);
        if (peer.certs.size() == before) {
            throw_nothing_found("intermediates_pem", "certificate");
        }
    }

    // A fresh store, like a new SSL_CTX's: only what the request names, never the system's.
    ossl::X509StorePtr store(X509_STORE_new());
    if (!store) {
        ossl::throw_error(kOperation, "cannot allocate a certificate store");
    }
    PemObjects trust;
    for (const std::string& pem : request.trusted_pem) {
        std::size_t before = trust.certs.size() + trust.crls.size();
        read_pem(pem, "trusted_pem", trust);
        if (trust.certs.size() + trust.crls.size() == before) {
            throw_nothing_found("trusted_pem", "certificate or CRL");
        }
    }
    for (const std::string& pem : request.crls_pem) {
        PemObjects crls;
        read_pem(pem, "crls_pem", crls);
        if (crls.crls.empty()) {
            throw_nothing_found("crls_pem", "CRL");
        }
        for (ossl::X509CrlPtr& crl : crls.crls) {
            trust.crls.push_back(std::move(crl));
        }
    }
    // X509_STORE_add_* take their own references; `trust` releases ours. A duplicate is not an
    // error (OpenSSL 3 ignores it), as when loading a bundle twice.
    for (const ossl::X509Ptr& cert : trust.certs) {
        if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
            ossl::throw_error(kOperation, "cannot add a trusted certificate");
        }
    }
    for (const ossl::X509CrlPtr& crl : trust.crls) {
        if (X509_STORE_add_crl(store.get(), crl.get()) != 1) {
            ossl::throw_error(kOperation, "cannot add a CRL");
        }
    }

    ossl::X509StackPtr untrusted(sk_X509_new_null());
    if (!untrusted) {
        ossl::throw_error(kOperation, "cannot allocate a certificate stack");
    }
    for (const ossl::X509Ptr& cert : peer.certs) {
        ossl::X509Ptr ref = ossl::up_ref(cert.get());
        if (sk_X509_push(untrusted.get(), ref.get()) == 0) {
            ossl::throw_error(kOperation, "cannot grow a certificate stack");
        }
        static_cast<void>(ref.release());  // the stack owns this reference now
    }

    // The order of ssl_verify_cert_chain: init, the security level, the side's defaults
    // (purpose and trust: "ssl_server" on a client, "ssl_client" on a server), then the
    // connection's parameters over them.
    ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx) {
        ossl::throw_error(kOperation, "cannot allocate a verification context");
    }
    // init borrows the store, the leaf and the stack; all outlive ctx.
    if (X509_STORE_CTX_init(ctx.get(), store.get(), peer.certs.front().get(), untrusted.get()) !=
        1) {
        ossl::throw_error(kOperation, "cannot initialise verification");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    X509_VERIFY_PARAM_set_auth_level(param, kSecurityLevel);
    const char* side = request.purpose == Purpose::CLIENT_AUTH ? "ssl_client" : "ssl_server";
    if (X509_STORE_CTX_set_default(ctx.get(), side) != 1 ||
        X509_VERIFY_PARAM_set1(param, connection.get()) != 1) {
        ossl::throw_error(kOperation, "cannot set verification parameters");
    }

    // The handshake runs the same function (installed as the context's cert_verify_callback).
    detail::ChainCacheUse cache;
    if (request.chain_cache) {
        cache.cache = detail::VerifiedChainCacheAccess::state(*request.chain_cache).get();
        cache.trust_identity = trust_digest(request);
        cache.client_certificate = request.purpose == Purpose::CLIENT_AUTH;
    }
    std::string reason;
    const int rc = detail::verify_chain(ctx.get(), request.profile, reason, &cache);
    VerifyResult result;
    result.ok = rc == 1;
    if (!result.ok) {
        result.verify_code = X509_STORE_CTX_get_error(ctx.get());
        // A failure without a code is an internal error (allocation, bad input to OpenSSL);
        // a handshake would fail too, so it is a rejection, not a pass.
        if (result.verify_code == X509_V_OK) {
            result.verify_code = X509_V_ERR_UNSPECIFIED;
        }
        result.error_depth = X509_STORE_CTX_get_error_depth(ctx.get());
        result.verify_message =
            reason.empty() ? describe(result.verify_code, name_is_ip, name, request.email_address)
                           : std::move(reason);
    }
    ossl::X509StackPtr chain(X509_STORE_CTX_get1_chain(ctx.get()));
    ossl::clear_errors();
    for (int i = 0; chain && i < sk_X509_num(chain.get()); ++i) {
        result.chain.push_back(ossl::to_der(i2d_X509, sk_X509_value(chain.get(), i), kOperation));
    }
    return result;
}

}  // namespace tls
