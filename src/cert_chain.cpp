// Loading a certificate chain and its key off any context (tls::CertChain), and handing one to
// OpenSSL in a single step.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cert_chain_data.hpp"
#include "certificate_decode.hpp"
#include "ossl/der.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/cert_chain.hpp"

namespace tls {
namespace detail {

CertChain parse_cert_chain(std::string_view chain_pem, std::string_view key_pem,
                           PasswordSource& password, const char* operation) {
    auto data = std::make_shared<CertChainData>();
    ossl::BioPtr chain_bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
    if (!chain_bio) {
        ossl::throw_error(operation, "cannot allocate a memory BIO");
    }
    data->leaf.reset(PEM_read_bio_X509_AUX(chain_bio.get(), nullptr, nullptr, nullptr));
    if (!data->leaf) {
        ossl::throw_error(operation, "no certificate found in the certificate chain PEM");
    }
    data->intermediates.reset(sk_X509_new_null());
    if (!data->intermediates) {
        ossl::throw_error(operation, "cannot allocate the certificate chain");
    }
    while (ossl::X509Ptr next{PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)}) {
        if (sk_X509_push(data->intermediates.get(), next.get()) == 0) {
            ossl::throw_error(operation, "cannot store an intermediate certificate");
        }
        static_cast<void>(next.release());  // the stack owns it now
    }
    // Reading stops at end of input with a "no start line" error: not a failure. Anything else,
    // an empty queue included, is: OpenSSL 3.0's PEM_read_bio_ex returns 0 without queueing
    // anything when its last allocation fails, which must not pass for the end of the chain (the
    // context would serve the leaf without its intermediates).
    unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
    } else {
        ossl::throw_error(operation, last != 0 ? "malformed certificate in the chain PEM"
                                               : "cannot read a certificate of the chain PEM");
    }
    detail::decode_extensions_now(data->leaf.get(), operation);
    for (int i = 0; i < sk_X509_num(data->intermediates.get()); ++i) {
        detail::decode_extensions_now(sk_X509_value(data->intermediates.get(), i), operation);
    }

    std::string_view key_source = key_pem.empty() ? chain_pem : key_pem;
    ossl::BioPtr key_bio(BIO_new_mem_buf(key_source.data(), static_cast<int>(key_source.size())));
    if (!key_bio) {
        ossl::throw_error(operation, "cannot allocate a memory BIO");
    }
    data->key.reset(
        PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &PasswordSource::trampoline, &password));
    password.rethrow_if_failed();
    if (!data->key) {
        ossl::throw_error(operation, "cannot load the private key (wrong password or not a key)");
    }
    if (X509_check_private_key(data->leaf.get(), data->key.get()) != 1) {
        ossl::throw_error(operation, "the private key does not match the certificate");
    }
    return CertChainAccess::make(std::move(data));
}

bool use_cert_chain(SSL* ssl, const CertChainData& chain) noexcept {
    // override = 1: replace what the slot of this key type held; the SSL takes its own
    // references (the chain stack is copied), so the CertChain may go away afterwards.
    return SSL_use_cert_and_key(ssl, chain.leaf.get(), chain.key.get(), chain.intermediates.get(),
                                1) == 1;
}

bool use_cert_chain(SSL_CTX* ctx, const CertChainData& chain) noexcept {
    return SSL_CTX_use_cert_and_key(ctx, chain.leaf.get(), chain.key.get(),
                                    chain.intermediates.get(), 1) == 1;
}

}  // namespace detail

namespace {

// Wipes what was read from a key file once it is parsed (or failed to parse).
class Cleansed {
  public:
    explicit Cleansed(std::string text) noexcept : text_(std::move(text)) {}
    ~Cleansed() { OPENSSL_cleanse(text_.data(), text_.size()); }
    Cleansed(const Cleansed&) = delete;
    Cleansed& operator=(const Cleansed&) = delete;
    std::string_view view() const noexcept { return text_; }

  private:
    std::string text_;
};

CertChain load_files(const std::string& certfile, const std::string& keyfile,
                     detail::PasswordSource& password) {
    const char* op = "load_cert_chain";
    Cleansed chain(detail::read_file(certfile, op));
    Cleansed key(keyfile.empty() ? std::string() : detail::read_file(keyfile, op));
    return detail::parse_cert_chain(chain.view(), key.view(), password, op);
}

}  // namespace

CertChain CertChain::load(const std::string& certfile, const std::string& keyfile,
                          std::string_view password) {
    detail::PasswordSource source(password, nullptr);
    return load_files(certfile, keyfile, source);
}

CertChain CertChain::load(const std::string& certfile, const std::string& keyfile,
                          const PasswordCallback& password) {
    detail::PasswordSource source({}, &password);
    return load_files(certfile, keyfile, source);
}

CertChain CertChain::from_pem(std::string_view chain_pem, std::string_view key_pem,
                              std::string_view password) {
    detail::PasswordSource source(password, nullptr);
    return detail::parse_cert_chain(chain_pem, key_pem, source, "load_cert_chain");
}

CertificateInfo CertChain::leaf() const {
    return detail::decode_x509(data_->leaf.get());
}

std::vector<Bytes> CertChain::chain_der() const {
    std::vector<Bytes> out;
    out.push_back(ossl::to_der(i2d_X509, data_->leaf.get(), "CertChain"));
    for (int i = 0; i < sk_X509_num(data_->intermediates.get()); ++i) {
        out.push_back(
            ossl::to_der(i2d_X509, sk_X509_value(data_->intermediates.get(), i), "CertChain"));
    }
    return out;
}

std::string CertChain::key_type() const {
    const char* name = EVP_PKEY_get0_type_name(data_->key.get());
    return name != nullptr ? std::string(name) : std::string("unknown");
}

bool operator==(const CertChain& a, const CertChain& b) {
    if (a.data_ == b.data_) {
        return true;
    }
    return a.chain_der() == b.chain_der() &&
           EVP_PKEY_eq(a.data_->key.get(), b.data_->key.get()) == 1;
}

}  // namespace tls
