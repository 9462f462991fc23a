// When and how chain verification consults a tls::VerifiedChainCache (verify_chain_cache.cpp):
// the key, the answer from a hit, and what a successful verification leaves behind.
#pragma once

#include <openssl/x509_vfy.h>

#include <string>

#include "tls/verify_profile.hpp"

namespace tls::detail {

struct VerifiedChainCacheState;

/// The cache a verification may use, and what identifies the trust it verifies against.
struct ChainCacheUse {
    VerifiedChainCacheState* cache = nullptr;
    /// Bytes that differ whenever the trust anchors or CRLs may differ: a context's store address
    /// and trust generation, or a digest of an offline request's PEM text.
    std::string trust_identity;
    /// The store to hold in a new entry, so its address is not reused while the entry lives.
    X509_STORE* store = nullptr;
    /// Which side's verification: a client checking a server, or a server checking a client.
    bool client_certificate = false;
};

/// The key for verifying `ctx`'s chain with `use` under `profile`; empty when the cache must
/// not be used (CRL checking on). @throws std::bad_alloc.
std::string chain_cache_key(X509_STORE_CTX* ctx, const ChainCacheUse& use, VerifyProfile profile);

/// On a hit, gives `ctx` the cached verified chain (with `ctx`'s own leaf) and no error, and
/// returns true. @throws std::bad_alloc.
bool answer_from_cache(X509_STORE_CTX* ctx, const ChainCacheUse& use, const std::string& key);

/// Files `ctx`'s verified chain under `key` after a successful verification.
/// @throws std::bad_alloc.
void remember_verified_chain(X509_STORE_CTX* ctx, const ChainCacheUse& use, const std::string& key);

}  // namespace tls::detail
