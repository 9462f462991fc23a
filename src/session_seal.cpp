// AES-256-GCM sealing of stored sessions (session_seal.hpp). A fresh random 96-bit nonce per
// value: with a fleet writing at most millions of sessions per key lifetime, random nonces stay
// far below GCM's 2^32 bound.
#include "session_seal.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <climits>

#include "ossl/handles.hpp"

namespace tls::detail {
namespace {

constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kHeaderSize = 1 + kNonceSize;

bool add_aad(EVP_CIPHER_CTX* c, const Bytes& store_key) {
    int n = 0;
    const unsigned char version = kSealVersion;
    return EVP_CipherUpdate(c, nullptr, &n, &version, 1) == 1 &&
           EVP_CipherUpdate(c, nullptr, &n, store_key.data(), static_cast<int>(store_key.size())) ==
               1;
}

}  // namespace

Bytes seal_session(const Bytes& key, const Bytes& store_key, const Bytes& plain) {
    if (key.size() != kFleetKeySize || plain.size() > INT_MAX / 2 ||
        store_key.size() > INT_MAX / 2) {
        return {};
    }
    Bytes out(kHeaderSize + plain.size() + kTagSize);
    out[0] = kSealVersion;
    unsigned char* nonce = out.data() + 1;
    if (RAND_bytes(nonce, static_cast<int>(kNonceSize)) != 1) {
        return {};
    }
    ossl::CipherCtxPtr c(EVP_CIPHER_CTX_new());
    int n = 0;
    int tail = 0;
    if (!c || EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
        !add_aad(c.get(), store_key) ||
        EVP_EncryptUpdate(c.get(), out.data() + kHeaderSize, &n, plain.data(),
                          static_cast<int>(plain.size())) != 1 ||
        EVP_EncryptFinal_ex(c.get(), out.data() + kHeaderSize + n, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize),
                            out.data() + kHeaderSize + plain.size()) != 1) {
        return {};
    }
    return out;
}

std::optional<Bytes> open_session(const Bytes& key, const Bytes& store_key, const Bytes& sealed) {
    if (key.size() != kFleetKeySize || sealed.size() < kHeaderSize + kTagSize ||
        sealed.size() > INT_MAX / 2 || store_key.size() > INT_MAX / 2 ||
        sealed[0] != kSealVersion) {
        return std::nullopt;
    }
    const std::size_t length = sealed.size() - kHeaderSize - kTagSize;
    Bytes plain(length);
    Bytes tag(sealed.end() - static_cast<std::ptrdiff_t>(kTagSize), sealed.end());
    ossl::CipherCtxPtr c(EVP_CIPHER_CTX_new());
    int n = 0;
    int tail = 0;
    if (!c ||
        EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, key.data(), sealed.data() + 1) !=
            1 ||
        !add_aad(c.get(), store_key) ||
        EVP_DecryptUpdate(c.get(), plain.data(), &n, sealed.data() + kHeaderSize,
                          static_cast<int>(length)) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize),
                            tag.data()) != 1 ||
        EVP_DecryptFinal_ex(c.get(), plain.data() + n, &tail) != 1) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return std::nullopt;
    }
    return plain;
}

}  // namespace tls::detail
