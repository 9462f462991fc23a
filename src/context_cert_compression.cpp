// Certificate compression of a tls::Context (RFC 8879, TLS 1.3 only): a tlsctx extension; Python
// leaves it to OpenSSL's defaults.
// bio.h first: comp.h declares the BIO_f_* methods only after it.
#include <openssl/bio.h>
#include <openssl/comp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "cert_chain_data.hpp"
#include "cert_compression.hpp"
#include "context_state.hpp"
#include "ossl/error.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/version.hpp"

// OpenSSL 3.2 added RFC 8879; OPENSSL_NO_COMP_ALG marks a build without any algorithm library.
#if OPENSSL_VERSION_NUMBER >= 0x30200000L && !defined(OPENSSL_NO_COMP_ALG)
#define TLSCTX_CERT_COMPRESSION 1
#else
#define TLSCTX_CERT_COMPRESSION 0
#endif

namespace tls {
namespace detail {

std::vector<CertCompression> available_cert_compression() {
    std::vector<CertCompression> out;
#if TLSCTX_CERT_COMPRESSION
    // A BIO_f_* method is non-null exactly when OpenSSL can load that library, the same test
    // OpenSSL applies before offering an algorithm.
    if (BIO_f_brotli() != nullptr) {
        out.push_back(CertCompression::brotli);
    }
    if (BIO_f_zlib() != nullptr) {
        out.push_back(CertCompression::zlib);
    }
    if (BIO_f_zstd() != nullptr) {
        out.push_back(CertCompression::zstd);
    }
#endif
    return out;
}

void precompress_chain(ContextState& s) noexcept {
#if TLSCTX_CERT_COMPRESSION
    if (s.cert_compression.empty() || SSL_CTX_get0_certificate(s.ctx.get()) == nullptr) {
        return;
    }
    // 0 = every algorithm in the preference list. It returns 0 when nothing got smaller or the
    // context cannot serve (a client-only method): handshakes then send the chain as it is.
    static_cast<void>(SSL_CTX_compress_certs(s.ctx.get(), 0));
    ERR_clear_error();
#else
    static_cast<void>(s);
#endif
}

std::vector<CompressedChain> compress_for_live(const ContextState& s, const CertChainData& chain) {
    std::vector<CompressedChain> out;
#if TLSCTX_CERT_COMPRESSION
    if (s.cert_compression.empty()) {
        return out;
    }
    // A scratch connection holding only this chain: OpenSSL compresses what is in its slot.
    ossl::SslPtr scratch(SSL_new(s.ctx.get()));
    if (!scratch) {
        ossl::throw_error("set_cert_chains", "cannot create an SSL object");
    }
    SSL_certs_clear(scratch.get());
    if (!use_cert_chain(scratch.get(), chain) || SSL_compress_certs(scratch.get(), 0) == 0) {
        ERR_clear_error();  // a client-only context or a chain that does not shrink: sent as is
        return out;
    }
    for (CertCompression algorithm : s.cert_compression) {
        unsigned char* data = nullptr;
        std::size_t original = 0;
        const std::size_t length =
            SSL_get1_compressed_cert(scratch.get(), static_cast<int>(algorithm), &data, &original);
        ossl::OpensslBytesPtr owner(data);
        if (length > 0 && data != nullptr) {
            out.push_back({static_cast<int>(algorithm),
                           std::vector<unsigned char>(data, data + length), original});
        }
    }
    ERR_clear_error();
#else
    static_cast<void>(s);
    static_cast<void>(chain);
#endif
    return out;
}

bool use_compressed_chain(SSL* ssl, const std::vector<CompressedChain>& compressed) noexcept {
#if TLSCTX_CERT_COMPRESSION
    for (const CompressedChain& c : compressed) {
        // OpenSSL copies the bytes; its parameter is not const only by history.
        if (SSL_set1_compressed_cert(ssl, c.algorithm, const_cast<unsigned char*>(c.data.data()),
                                     c.data.size(), c.original_length) != 1) {
            return false;
        }
    }
#else
    static_cast<void>(ssl);
    static_cast<void>(compressed);
#endif
    return true;
}

}  // namespace detail

bool HAS_CERT_COMPRESSION() noexcept {
    static const bool has = !detail::available_cert_compression().empty();
    return has;
}

std::vector<CertCompression> Context::certificate_compression() const {
    return state_->cert_compression;
}

void Context::set_certificate_compression(const std::vector<CertCompression>& algorithms) {
    const char* op = "set_certificate_compression";
    const std::vector<CertCompression> available = detail::available_cert_compression();
    if (available.empty()) {
        throw NotImplementedError(std::string(op) +
                                  ": needs OpenSSL 3.2 or later built with zlib, brotli or zstd "
                                  "(linked: " +
                                  openssl_version() + ")");
    }
    std::vector<int> codes;
    for (CertCompression a : algorithms) {
        const int code = static_cast<int>(a);
        if (std::find(available.begin(), available.end(), a) == available.end()) {
            throw std::invalid_argument(std::string(op) + ": algorithm " + std::to_string(code) +
                                        " is not available in the linked OpenSSL");
        }
        if (std::find(codes.begin(), codes.end(), code) != codes.end()) {
            throw std::invalid_argument(std::string(op) + ": algorithm " + std::to_string(code) +
                                        " is listed twice");
        }
        codes.push_back(code);
    }
#if TLSCTX_CERT_COMPRESSION
    SSL_CTX* ctx = state_->ctx.get();
    if (codes.empty()) {
        // An empty preference list would still accept any algorithm from a peer; the options
        // switch it off in both directions.
        static_cast<void>(SSL_CTX_set1_cert_comp_preference(ctx, nullptr, 0));
        SSL_CTX_set_options(
            ctx, SSL_OP_NO_TX_CERTIFICATE_COMPRESSION | SSL_OP_NO_RX_CERTIFICATE_COMPRESSION);
    } else {
        if (SSL_CTX_set1_cert_comp_preference(ctx, codes.data(), codes.size()) != 1) {
            ERR_clear_error();
            throw std::invalid_argument(std::string(op) + ": OpenSSL refused the algorithms");
        }
        SSL_CTX_clear_options(
            ctx, SSL_OP_NO_TX_CERTIFICATE_COMPRESSION | SSL_OP_NO_RX_CERTIFICATE_COMPRESSION);
    }
    state_->cert_compression = algorithms;
    detail::precompress_chain(*state_);
    detail::refresh_live_chains(*state_);
#endif
}

}  // namespace tls
