#include "live_material.hpp"

#include <openssl/ssl.h>

#include <utility>

#include "cert_chain_data.hpp"

namespace tls::detail {

bool use_only_cert_chains(SSL* ssl, const std::vector<CertChain>& chains,
                          const std::vector<std::vector<CompressedChain>>* compressed) noexcept {
    SSL_certs_clear(ssl);
    for (std::size_t i = 0; i < chains.size(); ++i) {
        if (!use_cert_chain(ssl, CertChainAccess::data(chains[i]))) {
            return false;
        }
        if (compressed != nullptr && i < compressed->size() &&
            !use_compressed_chain(ssl, (*compressed)[i])) {
            return false;
        }
    }
    return true;
}

bool LiveMaterial::apply(SSL* ssl) const noexcept {
    if (!published_.load(std::memory_order_acquire)) {
        return true;
    }
    std::shared_ptr<const LiveChains> chains;
    std::shared_ptr<const TrustSnapshot> trust;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        chains = chains_;
        trust = trust_;
    }
    if (chains && !use_only_cert_chains(ssl, chains->chains, &chains->compressed)) {
        return false;
    }
    // set1: the SSL holds its own reference, so the store outlives a later reload as long as
    // this connection needs it.
    return !trust || SSL_set1_verify_cert_store(ssl, trust->store.get()) == 1;
}

void LiveMaterial::publish_chains(std::shared_ptr<const LiveChains> chains) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        chains_ = std::move(chains);
    }
    published_.store(true, std::memory_order_release);
}

void LiveMaterial::publish_trust(std::shared_ptr<const TrustSnapshot> trust) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        trust_ = std::move(trust);
    }
    published_.store(true, std::memory_order_release);
}

std::shared_ptr<const std::vector<CertChain>> LiveMaterial::chains() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!chains_) {
        return nullptr;
    }
    // Aliasing: shares ownership of the whole snapshot, points at its chains.
    return std::shared_ptr<const std::vector<CertChain>>(chains_, &chains_->chains);
}

std::shared_ptr<const TrustSnapshot> LiveMaterial::trust() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return trust_;
}

}  // namespace tls::detail
