// What a live context publishes while it serves (Context::set_cert_chains,
// Context::reload_verify_locations), and how each new connection takes it. The SSL_CTX itself is
// never changed once connections are made from it: OpenSSL copies a context's certificates into
// every SSL it creates without a lock, so replacing them there would race. Instead each new SSL
// gets its own references to the newest published snapshot; an SSL already in its handshake keeps
// what it has, and a snapshot lives until its last connection ends.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "cert_compression.hpp"
#include "ossl/handles.hpp"
#include "tls/cert_chain.hpp"

namespace tls::detail {

struct TrustSnapshot {
    ossl::X509StorePtr store;
};

// The chains, and for each its RFC 8879 compressed forms (OpenSSL never compresses during a
// handshake, so a live chain is compressed once when it is published).
struct LiveChains {
    std::vector<CertChain> chains;
    std::vector<std::vector<CompressedChain>> compressed;  // one entry per chain
};

class LiveMaterial {
  public:
    // Gives `ssl` the published chains (replacing every certificate it got from the context)
    // and trust store. Without any publication it costs one atomic load. False when OpenSSL
    // refused (out of memory: what was published was checked when it was published).
    bool apply(SSL* ssl) const noexcept;

    void publish_chains(std::shared_ptr<const LiveChains> chains);
    void publish_trust(std::shared_ptr<const TrustSnapshot> trust);

    // What apply() would give a connection now; nullptr when nothing of that kind was published.
    std::shared_ptr<const std::vector<CertChain>> chains() const;
    std::shared_ptr<const TrustSnapshot> trust() const;

  private:
    std::atomic<bool> published_{false};
    mutable std::mutex mutex_;
    std::shared_ptr<const LiveChains> chains_;
    std::shared_ptr<const TrustSnapshot> trust_;
};

// Gives `ssl` exactly `chains`: every certificate slot cleared, then each chain in its slot (with
// its compressed forms when `compressed` has them).
bool use_only_cert_chains(
    SSL* ssl, const std::vector<CertChain>& chains,
    const std::vector<std::vector<CompressedChain>>* compressed = nullptr) noexcept;

}  // namespace tls::detail
