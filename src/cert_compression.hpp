// RFC 8879 certificate compression: what the linked OpenSSL offers and the server-side
// precompression of a context's chain (context_cert_compression.cpp).
#pragma once

#include <cstddef>
#include <vector>

#include "ossl/handles.hpp"
#include "tls/constants.hpp"

namespace tls::detail {

struct ContextState;
struct CertChainData;

// One chain compressed with one algorithm, as a live reload stores it for every new connection.
struct CompressedChain {
    int algorithm = 0;
    std::vector<unsigned char> data;
    std::size_t original_length = 0;
};

// The algorithms the linked OpenSSL can compress with, in OpenSSL's default preference order
// (brotli, zlib, zstd); empty before OpenSSL 3.2 or without any of the three libraries.
std::vector<CertCompression> available_cert_compression();

// Compresses the context's chain once for each algorithm it offers, so handshakes send the
// stored bytes: OpenSSL's server sends a CompressedCertificate only for a chain compressed
// beforehand, never compressing during a handshake. Does nothing without a chain or without
// algorithms; a chain that does not shrink is simply sent uncompressed.
void precompress_chain(ContextState& s) noexcept;

// The same for a chain a live reload publishes (the SSL_CTX is not touched): its compressed
// forms, one per algorithm the context offers; empty when nothing compresses.
std::vector<CompressedChain> compress_for_live(const ContextState& s, const CertChainData& chain);
// Gives the certificate slot `ssl` has just been given (SSL_use_cert_and_key makes it current)
// the stored compressed forms.
bool use_compressed_chain(SSL* ssl, const std::vector<CompressedChain>& compressed) noexcept;
// Compresses the live chains again after the algorithms changed (context_certificate.cpp).
void refresh_live_chains(ContextState& s);

}  // namespace tls::detail
