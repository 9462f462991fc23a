// A verified-chain cache in chain verification: the key holds everything that can change the
// verdict, so a hit is the verdict a full verification would reach (tls/verified_chain_cache.hpp).
#include "verify_chain_cache.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <memory>
#include <new>
#include <utility>

#include "ossl/handles.hpp"
#include "verified_chain_cache_state.hpp"

namespace tls::detail {
namespace {

// SHA-256 over length-prefixed fields, so that no two different field lists hash alike.
class KeyDigest {
  public:
    KeyDigest() : md_(EVP_MD_CTX_new()) {
        if (!md_ || EVP_DigestInit_ex(md_.get(), EVP_sha256(), nullptr) != 1) {
            throw std::bad_alloc();
        }
    }
    void add(const void* data, std::size_t size) {
        const std::uint64_t length = size;
        if (EVP_DigestUpdate(md_.get(), &length, sizeof length) != 1 ||
            EVP_DigestUpdate(md_.get(), data, size) != 1) {
            throw std::bad_alloc();
        }
    }
    void add(const std::string& text) { add(text.data(), text.size()); }
    void add_number(std::int64_t value) { add(&value, sizeof value); }
    void add_certificate(X509* cert) {
        // A parsed certificate keeps its received encoding; i2d copies it out.
        const int length = i2d_X509(cert, nullptr);
        if (length <= 0) {
            throw std::bad_alloc();
        }
        std::string der(static_cast<std::size_t>(length), '\0');
        auto* out = reinterpret_cast<unsigned char*>(der.data());
        if (i2d_X509(cert, &out) != length) {
            throw std::bad_alloc();
        }
        add(der);
    }
    std::string finish() {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        if (EVP_DigestFinal_ex(md_.get(), digest, &length) != 1) {
            throw std::bad_alloc();
        }
        return std::string(reinterpret_cast<const char*>(digest), length);
    }

  private:
    ossl::EvpMdCtxPtr md_;
};

std::time_t check_time(const X509_VERIFY_PARAM* param) {
    return (X509_VERIFY_PARAM_get_flags(param) & X509_V_FLAG_USE_CHECK_TIME) != 0
               ? X509_VERIFY_PARAM_get_time(param)
               : std::time(nullptr);
}

bool to_time_t(const ASN1_TIME* time, std::time_t& out) {
    std::tm tm{};
    if (ASN1_TIME_to_tm(time, &tm) != 1) {
        return false;
    }
    out = timegm(&tm);
    return true;
}

}  // namespace

std::string chain_cache_key(X509_STORE_CTX* ctx, const ChainCacheUse& use, VerifyProfile profile) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
    const unsigned long flags = X509_VERIFY_PARAM_get_flags(param);
    if ((flags & (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)) != 0) {
        return {};
    }
    KeyDigest key;
    key.add(std::string("tlsctx verified chain 1"));
    key.add(use.trust_identity);
    key.add_number(use.client_certificate ? 1 : 0);
    key.add_number(static_cast<std::int64_t>(profile));
    key.add_number(static_cast<std::int64_t>(flags));
    key.add_number(X509_VERIFY_PARAM_get_depth(param));
    key.add_number(X509_VERIFY_PARAM_get_auth_level(param));
    key.add_number(X509_VERIFY_PARAM_get_hostflags(param));
    key.add_number(static_cast<std::int64_t>(X509_VERIFY_PARAM_get_inh_flags(param)));
    if ((flags & X509_V_FLAG_USE_CHECK_TIME) != 0) {
        key.add_number(static_cast<std::int64_t>(X509_VERIFY_PARAM_get_time(param)));
    }
    for (int h = 0;; ++h) {
        const char* host = X509_VERIFY_PARAM_get0_host(param, h);
        if (host == nullptr) {
            break;
        }
        key.add(std::string("host:") + host);
    }
    const ossl::OpensslStringPtr ip(X509_VERIFY_PARAM_get1_ip_asc(param));
    key.add(std::string("ip:") + (ip ? ip.get() : ""));
    const char* email = X509_VERIFY_PARAM_get0_email(param);
    key.add(std::string("email:") + (email != nullptr ? email : ""));
    key.add_certificate(X509_STORE_CTX_get0_cert(ctx));
    const STACK_OF(X509)* untrusted = X509_STORE_CTX_get0_untrusted(ctx);
    for (int i = 0; untrusted != nullptr && i < sk_X509_num(untrusted); ++i) {
        key.add_certificate(sk_X509_value(untrusted, i));
    }
    return key.finish();
}

bool answer_from_cache(X509_STORE_CTX* ctx, const ChainCacheUse& use, const std::string& key) {
    const std::shared_ptr<const VerifiedChainEntry> entry =
        use.cache->find(key, check_time(X509_STORE_CTX_get0_param(ctx)));
    if (!entry) {
        return false;
    }
    // The connection's own leaf (getpeercert() and the verified chain then agree), then the
    // cached issuers, equal to what a full verification would build from the same bytes.
    ossl::X509StackPtr chain(sk_X509_new_null());
    if (!chain) {
        throw std::bad_alloc();
    }
    for (std::size_t i = 0; i < entry->chain.size(); ++i) {
        X509* cert = i == 0 ? X509_STORE_CTX_get0_cert(ctx) : entry->chain[i].get();
        ossl::X509Ptr ref = ossl::up_ref(cert);
        if (sk_X509_push(chain.get(), ref.get()) == 0) {
            throw std::bad_alloc();
        }
        static_cast<void>(ref.release());  // the stack owns it now
    }
    X509_STORE_CTX_set0_verified_chain(ctx, chain.release());
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return true;
}

void remember_verified_chain(X509_STORE_CTX* ctx, const ChainCacheUse& use,
                             const std::string& key) {
    auto entry = std::make_shared<VerifiedChainEntry>();
    const STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx);
    entry->not_before = 0;
    entry->not_after = static_cast<std::time_t>(INT64_MAX);
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) {
        X509* cert = sk_X509_value(chain, i);
        std::time_t not_before = 0;
        std::time_t not_after = 0;
        if (!to_time_t(X509_get0_notBefore(cert), not_before) ||
            !to_time_t(X509_get0_notAfter(cert), not_after)) {
            return;  // a time it cannot bound: never reused
        }
        entry->not_before = std::max(entry->not_before, not_before);
        entry->not_after = std::min(entry->not_after, not_after);
        entry->chain.push_back(ossl::up_ref(cert));
    }
    if (entry->chain.empty()) {
        return;
    }
    if (use.store != nullptr) {
        entry->store = ossl::up_ref(use.store);
    }
    entry->made = std::chrono::steady_clock::now();
    use.cache->insert(key, std::move(entry));
}

}  // namespace tls::detail
