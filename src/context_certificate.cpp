// The certificate chain and private key a tls::Context presents (Python's load_cert_chain), from
// files or from memory.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>
#include <string_view>

#include "cert_compression.hpp"
#include "context_state.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/context.hpp"

namespace tls {
namespace {

using detail::ContextState;

void load_chain_and_key(ContextState& s, std::string_view chain_pem, std::string_view key_pem,
                        detail::PasswordSource& password) {
    const char* op = "load_cert_chain";
    SSL_CTX* ctx = s.ctx.get();
    ossl::BioPtr chain_bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
    if (!chain_bio) {
        ossl::throw_error(op, "cannot allocate a memory BIO");
    }
    ossl::X509Ptr leaf(PEM_read_bio_X509_AUX(chain_bio.get(), nullptr, nullptr, nullptr));
    if (!leaf) {
        ossl::throw_error(op, "no certificate found in the certificate chain PEM");
    }
    ossl::X509StackPtr intermediates(sk_X509_new_null());
    while (ossl::X509Ptr next{PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)}) {
        if (sk_X509_push(intermediates.get(), next.get()) == 0) {
            ossl::throw_error(op, "cannot store an intermediate certificate");
        }
        static_cast<void>(next.release());  // the stack owns it now
    }
    // Reading stops at end of input with a "no start line" error: not a failure.
    unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
    } else if (last != 0) {
        ossl::throw_error(op, "malformed certificate in the chain PEM");
    }

    std::string_view key_source = key_pem.empty() ? chain_pem : key_pem;
    ossl::BioPtr key_bio(BIO_new_mem_buf(key_source.data(), static_cast<int>(key_source.size())));
    if (!key_bio) {
        ossl::throw_error(op, "cannot allocate a memory BIO");
    }
    ossl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr,
                                                 &detail::PasswordSource::trampoline, &password));
    password.rethrow_if_failed();
    if (!key) {
        ossl::throw_error(op, "cannot load the private key (wrong password or not a key)");
    }
    if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
        ossl::throw_error(op, "cannot use the certificate");
    }
    // set1: the context takes its own references to the chain certificates.
    if (SSL_CTX_set1_chain(ctx, intermediates.get()) != 1) {
        ossl::throw_error(op, "cannot use the certificate chain");
    }
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
        ossl::throw_error(op, "the private key does not match the certificate");
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ossl::throw_error(op, "the private key does not match the certificate");
    }
    detail::precompress_chain(s);
}

}  // namespace

void Context::load_cert_chain(const std::string& certfile, const std::string& keyfile,
                              std::string_view password) {
    std::string chain = detail::read_file(certfile, "load_cert_chain");
    std::string key =
        keyfile.empty() ? std::string() : detail::read_file(keyfile, "load_cert_chain");
    load_cert_chain_pem(chain, key, password);
    OPENSSL_cleanse(key.data(), key.size());
    OPENSSL_cleanse(chain.data(), chain.size());
}

void Context::load_cert_chain(const std::string& certfile, const std::string& keyfile,
                              const PasswordCallback& password) {
    std::string chain = detail::read_file(certfile, "load_cert_chain");
    std::string key =
        keyfile.empty() ? std::string() : detail::read_file(keyfile, "load_cert_chain");
    detail::PasswordSource source({}, &password);
    try {
        load_chain_and_key(*state_, chain, key, source);
    } catch (...) {
        OPENSSL_cleanse(key.data(), key.size());
        throw;
    }
    OPENSSL_cleanse(key.data(), key.size());
}

void Context::load_cert_chain_pem(std::string_view chain_pem, std::string_view key_pem,
                                  std::string_view password) {
    detail::PasswordSource source(password, nullptr);
    load_chain_and_key(*state_, chain_pem, key_pem, source);
}

}  // namespace tls
