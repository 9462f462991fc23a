// The fleet schedule's keys: every process holding the same secret computes the same key for an
// epoch, so a fleet rotates in step with no messages between its members (RFC 5869 HKDF).
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <string>

#include "ossl/error.hpp"
#include "ossl/handles.hpp"
#include "ticket_key_ring_state.hpp"

namespace tls::detail {

TicketKeyPtr derive_ticket_key(const std::vector<unsigned char>& secret, std::int64_t epoch) {
    // info = label || epoch (8 bytes, big-endian): a label of our own keeps these keys apart from
    // anything else derived from the same secret.
    std::string info = "tlsctx ticket key";
    const auto e = static_cast<std::uint64_t>(epoch);
    for (int shift = 56; shift >= 0; shift -= 8) {
        info += static_cast<char>((e >> shift) & 0xff);
    }
    ossl::EvpKdfPtr kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
    ossl::EvpKdfCtxPtr kctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
    if (!kctx) {
        ossl::throw_error("derive_from_secret", "HKDF is not available");
    }
    char digest[] = "SHA256";
    const std::array<OSSL_PARAM, 4> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        // OpenSSL reads but never writes the key and info buffers.
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                          const_cast<unsigned char*>(secret.data()),  // NOLINT
                                          secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end()};
    std::array<unsigned char, 80> out{};
    if (EVP_KDF_derive(kctx.get(), out.data(), out.size(), params.data()) != 1) {
        ossl::throw_error("derive_from_secret", "cannot derive a ticket key");
    }
    TicketKeyPtr key = parse_ticket_key(out.data(), out.size(), "");
    OPENSSL_cleanse(out.data(), out.size());
    return key;
}

}  // namespace tls::detail
