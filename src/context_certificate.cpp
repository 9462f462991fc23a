// The certificate chains a tls::Context presents: Python's load_cert_chain (configuration,
// straight into the SSL_CTX) and set_cert_chains (live: published for new connections, see
// live_material.hpp).
#include <openssl/ssl.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cert_chain_data.hpp"
#include "cert_compression.hpp"
#include "context_state.hpp"
#include "live_material.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/context.hpp"

namespace tls {
namespace {

using detail::ContextState;

// `chains` with `added` in the place of the chain of its key type, or at the end.
std::vector<CertChain> with_chain(std::vector<CertChain> chains, const CertChain& added) {
    const std::string type = added.key_type();
    auto same = std::find_if(chains.begin(), chains.end(),
                             [&](const CertChain& c) { return c.key_type() == type; });
    if (same != chains.end()) {
        *same = added;
    } else {
        chains.push_back(added);
    }
    return chains;
}

// Checks `chains` the way every connection will take them, on a scratch SSL of this context, so
// publishing cannot make handshakes fail.
void check_chains(ContextState& s, const std::vector<CertChain>& chains, const char* op) {
    if (chains.empty()) {
        throw std::invalid_argument(std::string(op) + ": no certificate chain given");
    }
    for (std::size_t i = 0; i < chains.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (chains[i].key_type() == chains[j].key_type()) {
                throw std::invalid_argument(std::string(op) + ": two chains with " +
                                            chains[i].key_type() +
                                            " keys (one per key type; each replaces the other)");
            }
        }
    }
    ossl::SslPtr scratch(SSL_new(s.ctx.get()));
    if (!scratch) {
        ossl::throw_error(op, "cannot create an SSL object");
    }
    if (!detail::use_only_cert_chains(scratch.get(), chains)) {
        ossl::throw_error(op, "the context cannot use the certificate chain");
    }
}

void publish(ContextState& s, std::vector<CertChain> chains, const char* op) {
    check_chains(s, chains, op);
    auto snapshot = std::make_shared<detail::LiveChains>();
    for (const CertChain& chain : chains) {
        snapshot->compressed.push_back(
            detail::compress_for_live(s, detail::CertChainAccess::data(chain)));
    }
    snapshot->chains = std::move(chains);
    s.live.publish_chains(std::move(snapshot));
}

void use_chain(ContextState& s, const CertChain& chain) {
    const char* op = "load_cert_chain";
    // Once chains are live, the SSL_CTX's own certificates no longer reach anyone, and writing
    // there would race with connections being made: the new chain is published instead.
    std::unique_lock<std::mutex> lock(s.live_update_mutex);
    if (auto live = s.live.chains()) {
        publish(s, with_chain(*live, chain), op);
        return;
    }
    lock.unlock();
    // Built before the context changes: a bad_alloc after the SSL_CTX took the chain would leave
    // the context serving a chain cert_chains() does not list, and the call reporting failure.
    std::vector<CertChain> configured = with_chain(s.configured_chains, chain);
    // One step that either takes leaf, intermediates and key or leaves the slot as it was.
    if (!detail::use_cert_chain(s.ctx.get(), detail::CertChainAccess::data(chain))) {
        ossl::throw_error(op, "the context cannot use the certificate chain");
    }
    s.configured_chains = std::move(configured);
    detail::precompress_chain(s);
}

}  // namespace

namespace detail {

void refresh_live_chains(ContextState& s) {
    std::lock_guard<std::mutex> lock(s.live_update_mutex);
    if (auto live = s.live.chains()) {
        publish(s, *live, "set_certificate_compression");
    }
}

}  // namespace detail

void Context::load_cert_chain(const std::string& certfile, const std::string& keyfile,
                              std::string_view password) {
    use_chain(*state_, CertChain::load(certfile, keyfile, password));
}

void Context::load_cert_chain(const std::string& certfile, const std::string& keyfile,
                              const PasswordCallback& password) {
    use_chain(*state_, CertChain::load(certfile, keyfile, password));
}

void Context::load_cert_chain_pem(std::string_view chain_pem, std::string_view key_pem,
                                  std::string_view password) {
    use_chain(*state_, CertChain::from_pem(chain_pem, key_pem, password));
}

void Context::set_cert_chains(std::vector<CertChain> chains) {
    std::lock_guard<std::mutex> lock(state_->live_update_mutex);
    publish(*state_, std::move(chains), "set_cert_chains");
}

std::vector<CertChain> Context::cert_chains() const {
    if (auto live = state_->live.chains()) {
        return *live;
    }
    return state_->configured_chains;
}

}  // namespace tls
