// tls::TicketKeyRing: the key list, its rotation and its files. The ticket format itself is
// OpenSSL's (context_ticket_keys.cpp only hands it keys); the fleet derivation is in
// ticket_keys_derive.cpp.
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "ossl/error.hpp"
#include "ossl/handles.hpp"
#include "ticket_key_ring_state.hpp"
#include "tls/ticket_keys.hpp"

namespace tls {

namespace {

constexpr std::size_t kKeySize = 80;
constexpr std::size_t kLegacyKeySize = 48;

std::string size_message(const std::string& path, std::size_t size) {
    return "ticket key" + (path.empty() ? std::string() : " file \"" + path + "\"") + ": " +
           std::to_string(size) + " bytes, expected " + std::to_string(kKeySize) + " or " +
           std::to_string(kLegacyKeySize);
}

// The whole file, or a system_error with its errno.
Bytes read_key_file(const std::string& path) {
    ossl::FilePtr file = ossl::open_file(path.c_str(), "rb");
    if (!file) {
        throw std::system_error(errno, std::generic_category(),
                                "load_files: cannot open \"" + path + "\"");
    }
    Bytes data;
    unsigned char buf[256];
    std::size_t n = 0;
    // A key file is tiny; anything past a few hundred bytes is the wrong file, and its size
    // is still reported right.
    while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) {
        data.insert(data.end(), buf, buf + n);
    }
    OPENSSL_cleanse(buf, sizeof buf);
    if (std::ferror(file.get()) != 0) {
        const int err = errno;
        OPENSSL_cleanse(data.data(), data.size());
        throw std::system_error(err, std::generic_category(),
                                "load_files: cannot read \"" + path + "\"");
    }
    return data;
}

}  // namespace

TicketKeyFileError::TicketKeyFileError(std::string path, std::size_t size)
    : std::invalid_argument(size_message(path, size)), path_(std::move(path)), size_(size) {}

namespace detail {

TicketKey::~TicketKey() {
    OPENSSL_cleanse(hmac_key.data(), hmac_key.size());
    OPENSSL_cleanse(aes_key.data(), aes_key.size());
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
    return *this;
}

SecretBytes::~SecretBytes() {
    wipe();
}

void SecretBytes::wipe() noexcept {
    OPENSSL_cleanse(bytes_.data(), bytes_.size());
    bytes_.clear();
}

TicketKeyPtr parse_ticket_key(const unsigned char* data, std::size_t size,
                              const std::string& path) {
    auto key = std::make_shared<TicketKey>();
    if (size == kKeySize) {
        // nginx's 80-byte files, which are also OpenSSL's own SSL_CTX_set_tlsext_ticket_keys
        // layout: name, HMAC secret, AES-256 key.
        std::copy(data, data + 16, key->name.begin());
        std::copy(data + 16, data + 48, key->hmac_key.begin());
        std::copy(data + 48, data + 80, key->aes_key.begin());
        key->hmac_key_size = 32;
        key->aes256 = true;
    } else if (size == kLegacyKeySize) {
        // nginx's 48-byte files put the AES-128 key before a 16-byte HMAC secret: the
        // opposite order of the 80-byte ones (proved against nginx in the interop test).
        std::copy(data, data + 16, key->name.begin());
        std::copy(data + 16, data + 32, key->aes_key.begin());
        std::copy(data + 32, data + 48, key->hmac_key.begin());
        key->hmac_key_size = 16;
        key->aes256 = false;
    } else {
        throw TicketKeyFileError(path, size);
    }
    return key;
}

TicketKeyPtr random_ticket_key() {
    unsigned char bytes[kKeySize];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        ossl::throw_error("rotate", "cannot draw a random ticket key");
    }
    TicketKeyPtr key = parse_ticket_key(bytes, sizeof bytes, "");
    OPENSSL_cleanse(bytes, sizeof bytes);
    return key;
}

std::chrono::system_clock::time_point TicketKeyRingState::now() const {
    return clock ? clock() : std::chrono::system_clock::now();
}

void TicketKeyRingState::push_locked(TicketKeyPtr key) {
    keys.insert(keys.begin(), std::move(key));
    if (keys.size() > keep) {
        keys.resize(keep);  // the dropped keys wipe themselves once no handshake holds them
    }
    last_rotation = now();
}

void TicketKeyRingState::catch_up_locked() {
    const auto t = now();
    if (derived) {
        const auto since_epoch =
            std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch());
        std::int64_t epoch = since_epoch.count() / derive_period.count();
        // Floor division, for clocks before 1970 (tests).
        if (since_epoch.count() < 0 && since_epoch.count() % derive_period.count() != 0) {
            --epoch;
        }
        if (keys.empty() || epoch != derived_epoch) {
            std::vector<TicketKeyPtr> next;
            next.push_back(derive_ticket_key(secret.get(), epoch));
            next.push_back(derive_ticket_key(secret.get(), epoch - 1));
            next.push_back(derive_ticket_key(secret.get(), epoch + 1));
            keys = std::move(next);
            derived_epoch = epoch;
        }
        return;
    }
    if (rotate_period.count() > 0 && t - last_rotation >= rotate_period) {
        push_locked(random_ticket_key());
    }
}

TicketKeyPtr TicketKeyRingState::encrypting() {
    std::lock_guard<std::mutex> lock(mutex);
    catch_up_locked();
    return keys.front();
}

TicketKeyPtr TicketKeyRingState::find(const unsigned char* name, bool& current) {
    std::lock_guard<std::mutex> lock(mutex);
    catch_up_locked();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (CRYPTO_memcmp(keys[i]->name.data(), name, kTicketKeyNameSize) == 0) {
            current = i == 0;
            return keys[i];
        }
    }
    return nullptr;
}

}  // namespace detail

TicketKeyRing::TicketKeyRing(std::size_t keep)
    : state_(std::make_shared<detail::TicketKeyRingState>()) {
    if (keep == 0) {
        throw std::invalid_argument("TicketKeyRing: keep must be at least 1");
    }
    state_->keep = keep;
    state_->push_locked(detail::random_ticket_key());
}

TicketKeyRing::~TicketKeyRing() = default;
TicketKeyRing::TicketKeyRing(const TicketKeyRing& other) noexcept = default;
TicketKeyRing& TicketKeyRing::operator=(const TicketKeyRing& other) noexcept = default;
TicketKeyRing::TicketKeyRing(TicketKeyRing&& other) noexcept = default;
TicketKeyRing& TicketKeyRing::operator=(TicketKeyRing&& other) noexcept = default;

void TicketKeyRing::rotate(const Bytes& key) {
    detail::TicketKeyPtr parsed = detail::parse_ticket_key(key.data(), key.size(), "");
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->derived = false;
    state_->push_locked(std::move(parsed));
}

void TicketKeyRing::rotate() {
    detail::TicketKeyPtr fresh = detail::random_ticket_key();
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->derived = false;
    state_->push_locked(std::move(fresh));
}

void TicketKeyRing::set_keys(const std::vector<Bytes>& keys) {
    if (keys.empty()) {
        throw std::invalid_argument("set_keys: a ring needs at least one key");
    }
    std::vector<detail::TicketKeyPtr> parsed;
    parsed.reserve(keys.size());
    for (const Bytes& key : keys) {
        parsed.push_back(detail::parse_ticket_key(key.data(), key.size(), ""));
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->derived = false;
    // Every given key stays, even beyond keep(): the caller listed them on purpose (nginx keeps
    // every ssl_session_ticket_key line).
    state_->keys = std::move(parsed);
    state_->last_rotation = state_->now();
}

void TicketKeyRing::load_files(const std::vector<std::string>& paths) {
    if (paths.empty()) {
        throw std::invalid_argument("load_files: no key files");
    }
    std::vector<detail::TicketKeyPtr> parsed;
    for (const std::string& path : paths) {
        Bytes data = read_key_file(path);
        try {
            parsed.push_back(detail::parse_ticket_key(data.data(), data.size(), path));
        } catch (...) {
            OPENSSL_cleanse(data.data(), data.size());
            throw;
        }
        OPENSSL_cleanse(data.data(), data.size());
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->derived = false;
    state_->keys = std::move(parsed);
    state_->last_rotation = state_->now();
}

std::size_t TicketKeyRing::keep() const noexcept {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->keep;
}

void TicketKeyRing::set_keep(std::size_t keep) {
    if (keep == 0) {
        throw std::invalid_argument("set_keep: keep must be at least 1");
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->keep = keep;
    if (!state_->derived && state_->keys.size() > keep) {
        state_->keys.resize(keep);
    }
}

void TicketKeyRing::rotate_every(std::chrono::seconds period) {
    if (period.count() < 0) {
        throw std::invalid_argument("rotate_every: negative period");
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->rotate_period = period;
}

void TicketKeyRing::derive_from_secret(const Bytes& secret, std::chrono::seconds period) {
    if (secret.size() < 32) {
        throw std::invalid_argument("derive_from_secret: the secret needs at least 32 bytes");
    }
    if (period.count() <= 0) {
        throw std::invalid_argument("derive_from_secret: the period must be positive");
    }
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->secret = detail::SecretBytes(std::vector<unsigned char>(secret.begin(), secret.end()));
    state_->derive_period = period;
    state_->derived = true;
    state_->keys.clear();
    state_->catch_up_locked();
}

void TicketKeyRing::set_clock(Clock clock) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->clock = std::move(clock);
}

std::vector<Bytes> TicketKeyRing::key_names() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->catch_up_locked();
    std::vector<Bytes> names;
    for (const detail::TicketKeyPtr& key : state_->keys) {
        names.emplace_back(key->name.begin(), key->name.end());
    }
    return names;
}

std::vector<std::string> TicketKeyRing::key_names_hex() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::vector<std::string> out;
    for (const Bytes& name : key_names()) {
        std::string hex;
        for (std::uint8_t b : name) {
            hex += kHex[b >> 4];
            hex += kHex[b & 0xf];
        }
        out.push_back(std::move(hex));
    }
    return out;
}

TicketKeyStats TicketKeyRing::stats() const noexcept {
    TicketKeyStats s;
    s.issued = state_->issued.load();
    s.decrypted_current = state_->decrypted_current.load();
    s.renewed = state_->renewed.load();
    s.unknown = state_->unknown.load();
    return s;
}

}  // namespace tls
