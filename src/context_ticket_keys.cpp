// A tls::TicketKeyRing behind a server Context: OpenSSL asks the callback for the key of each
// ticket it writes or opens, so every context sharing the ring sees a rotation at once.
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "context_state.hpp"
#include "ex_data.hpp"
#include "ticket_key_ring_state.hpp"
#include "tls/context.hpp"
#include "tls/ticket_keys.hpp"

namespace tls {

namespace {

// What SSL_CTX_set_tlsext_ticket_key_evp_cb's return values mean (OpenSSL 3.0+).
constexpr int kNoTicket = 0;  // encrypt: send none; decrypt: unknown key, full handshake
constexpr int kTicketOk = 1;
constexpr int kTicketRenew = 2;  // decrypt only: accepted, and a new ticket is issued

// The ticket HMAC is SHA-256 for both key sizes, as in OpenSSL's own ticket format and nginx's.
bool set_hmac_key(EVP_MAC_CTX* hctx, const detail::TicketKey& key) {
    char digest[] = "SHA256";
    const std::array<OSSL_PARAM, 3> params = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        // OpenSSL copies the key and never writes through this pointer.
        OSSL_PARAM_construct_octet_string(
            OSSL_MAC_PARAM_KEY,
            const_cast<unsigned char*>(key.hmac_key.data()),  // NOLINT
            key.hmac_key_size),
        OSSL_PARAM_construct_end()};
    return EVP_MAC_CTX_set_params(hctx, params.data()) == 1;
}

const EVP_CIPHER* cipher_of(const detail::TicketKey& key) {
    return key.aes256 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
}

std::shared_ptr<detail::TicketKeyRingState> ring_of(SSL* ssl) {
    // The context the SSL uses now: after an SNI switch, that context's ring, so contexts an SNI
    // callback switches between should share one ring (docs/fleet.md).
    detail::ContextState* state = detail::state_of(SSL_get_SSL_CTX(ssl));
    if (state == nullptr) {
        return nullptr;
    }
    std::lock_guard<std::mutex> lock(state->ticket_ring_mutex);
    return state->ticket_ring;
}

int encrypt_ticket(detail::TicketKeyRingState& ring, unsigned char* key_name, unsigned char* iv,
                   EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx) {
    const detail::TicketKeyPtr key = ring.encrypting();
    const EVP_CIPHER* cipher = cipher_of(*key);
    std::copy(key->name.begin(), key->name.end(), key_name);
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(cipher)) != 1 ||
        EVP_EncryptInit_ex(cctx, cipher, nullptr, key->aes_key.data(), iv) != 1 ||
        !set_hmac_key(hctx, *key)) {
        return kNoTicket;
    }
    ++ring.issued;
    return kTicketOk;
}

int decrypt_ticket(detail::TicketKeyRingState& ring, const unsigned char* key_name,
                   const unsigned char* iv, EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx) {
    bool current = false;
    const detail::TicketKeyPtr key = ring.find(key_name, current);
    if (!key) {
        ++ring.unknown;
        return kNoTicket;
    }
    if (!set_hmac_key(hctx, *key) ||
        EVP_DecryptInit_ex(cctx, cipher_of(*key), nullptr, key->aes_key.data(), iv) != 1) {
        return kNoTicket;
    }
    if (current) {
        ++ring.decrypted_current;
        return kTicketOk;
    }
    ++ring.renewed;
    return kTicketRenew;
}

int ticket_key_callback(SSL* ssl, unsigned char key_name[16], unsigned char* iv,
                        EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx, int enc) noexcept {
    // No exception crosses OpenSSL: any failure (no memory, a failing DRBG or KDF) costs this
    // connection its ticket or its resumption, never its handshake.
    try {
        const std::shared_ptr<detail::TicketKeyRingState> ring = ring_of(ssl);
        if (!ring) {
            return kNoTicket;
        }
        return enc == 1 ? encrypt_ticket(*ring, key_name, iv, cctx, hctx)
                        : decrypt_ticket(*ring, key_name, iv, cctx, hctx);
    } catch (...) {
        ERR_clear_error();
        return kNoTicket;
    }
}

}  // namespace

void Context::set_ticket_key_ring(const TicketKeyRing& ring) {
    if (state_->protocol == Protocol::PROTOCOL_TLS_CLIENT) {
        throw std::invalid_argument("set_ticket_key_ring: a client context issues no tickets");
    }
    {
        std::lock_guard<std::mutex> lock(state_->ticket_ring_mutex);
        state_->ticket_ring = detail::TicketKeyRingAccess::state(ring);
    }
    // The callback replaces OpenSSL's own per-context keys for every ticket from now on.
    SSL_CTX_set_tlsext_ticket_key_evp_cb(state_->ctx.get(), ticket_key_callback);
}

void Context::set_ticket_keys(const Bytes& keys) {
    if (keys.size() != 80) {
        throw std::invalid_argument("set_ticket_keys: ticket keys are exactly 80 bytes");
    }
    // A ring of one: the 80-byte layout is OpenSSL's SSL_CTX_set_tlsext_ticket_keys layout, so
    // tickets look exactly as before.
    TicketKeyRing ring(1);
    ring.set_keys({keys});
    set_ticket_key_ring(ring);
}

}  // namespace tls
