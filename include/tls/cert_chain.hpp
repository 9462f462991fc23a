// tlsctx — tls::CertChain: a certificate chain and its private key, loaded and checked but not yet
// in use. What Context::set_cert_chains swaps into a live context (docs/server.md), and what
// load_cert_chain builds before it touches the context, so a bad file changes nothing.
//
// A CertChain is an immutable handle: copies share the loaded objects, any thread may read it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tls/bytes.hpp"
#include "tls/certificate.hpp"
#include "tls/export.hpp"

namespace tls {

namespace detail {
struct CertChainData;
struct CertChainAccess;
}  // namespace detail

/// Supplies the password of an encrypted private key (Python's callable `password`).
using PasswordCallback = std::function<std::string()>;

/// A leaf certificate, the intermediates sent with it and the leaf's private key.
class TLS_API CertChain {
  public:
    /// Loads `certfile` (PEM: leaf first, then intermediates) and `keyfile` (PEM; empty = the key
    /// is in `certfile`), as Python's load_cert_chain reads them.
    /// @throws std::system_error for a file that cannot be read; SSLError for a file without a
    /// certificate, a malformed one, a key that cannot be decrypted, or a key that does not match
    /// the leaf.
    static CertChain load(const std::string& certfile, const std::string& keyfile = {},
                          std::string_view password = {});
    /// The same with a password callback, called only if the key is encrypted.
    static CertChain load(const std::string& certfile, const std::string& keyfile,
                          const PasswordCallback& password);
    /// The same from PEM text in memory.
    static CertChain from_pem(std::string_view chain_pem, std::string_view key_pem = {},
                              std::string_view password = {});

    /// The leaf decoded as getpeercert() shows a certificate (subject, notAfter, SANs...).
    CertificateInfo leaf() const;
    /// The chain as DER, leaf first (what a server sends).
    std::vector<Bytes> chain_der() const;
    /// The key's algorithm as OpenSSL names it: "RSA", "RSA-PSS", "EC", "ED25519", "ED448",
    /// "ML-DSA-65"... Two chains of one context must differ in it.
    std::string key_type() const;

    /// Whether both hold the same leaf, intermediates and key (the same files loaded twice are
    /// equal).
    friend TLS_API bool operator==(const CertChain& a, const CertChain& b);
    /// The opposite of operator==.
    friend bool operator!=(const CertChain& a, const CertChain& b) { return !(a == b); }

  private:
    friend struct detail::CertChainAccess;
    explicit CertChain(std::shared_ptr<const detail::CertChainData> data) noexcept
        : data_(std::move(data)) {}
    std::shared_ptr<const detail::CertChainData> data_;
};

}  // namespace tls
