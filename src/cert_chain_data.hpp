// What a tls::CertChain holds, and the one door from the handle to it.
#pragma once

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "ossl/handles.hpp"
#include "pem_loading.hpp"
#include "tls/cert_chain.hpp"

namespace tls::detail {

// Never changed after parse_cert_chain: handshakes on many threads take references to these.
struct CertChainData {
    ossl::X509Ptr leaf;
    ossl::X509StackPtr intermediates;
    ossl::EvpPkeyPtr key;
};

struct CertChainAccess {
    static const CertChainData& data(const CertChain& chain) noexcept { return *chain.data_; }
    static CertChain make(std::shared_ptr<const CertChainData> data) noexcept {
        return CertChain(std::move(data));
    }
};

// Parses PEM (leaf first, then intermediates; the key from `key_pem`, or from `chain_pem` when
// it is empty) and checks the key matches the leaf. Errors name `operation`.
CertChain parse_cert_chain(std::string_view chain_pem, std::string_view key_pem,
                           PasswordSource& password, const char* operation);

// Gives one certificate slot of `ssl` (or of `ctx`) the chain, in one step that either
// succeeds or changes nothing. Returns OpenSSL's verdict.
bool use_cert_chain(SSL* ssl, const CertChainData& chain) noexcept;
bool use_cert_chain(SSL_CTX* ctx, const CertChainData& chain) noexcept;

}  // namespace tls::detail
