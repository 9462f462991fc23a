// RFC 8879 certificate compression: what the linked OpenSSL offers and the server-side
// precompression of a context's chain (context_cert_compression.cpp).
#pragma once

#include <vector>

#include "tls/constants.hpp"

namespace tls::detail {

struct ContextState;

// The algorithms the linked OpenSSL can compress with, in OpenSSL's default preference order
// (brotli, zlib, zstd); empty before OpenSSL 3.2 or without any of the three libraries.
std::vector<CertCompression> available_cert_compression();

// Compresses the context's chain once for each algorithm it offers, so handshakes send the
// stored bytes: OpenSSL's server sends a CompressedCertificate only for a chain compressed
// beforehand, never compressing during a handshake. Does nothing without a chain or without
// algorithms; a chain that does not shrink is simply sent uncompressed.
void precompress_chain(ContextState& s) noexcept;

}  // namespace tls::detail
