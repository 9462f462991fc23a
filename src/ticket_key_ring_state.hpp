// What every handle of a tls::TicketKeyRing shares, and what the ticket callback
// (context_ticket_keys.cpp) asks of it. Keys are immutable once made and handed out as
// shared_ptr, so a handshake keeps using a key the ring dropped meanwhile; the last owner
// wipes it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tls/ticket_keys.hpp"

namespace tls::detail {

inline constexpr std::size_t kTicketKeyNameSize = 16;

struct TicketKey {
    std::array<unsigned char, kTicketKeyNameSize> name{};
    std::array<unsigned char, 32> hmac_key{};
    std::array<unsigned char, 32> aes_key{};
    std::size_t hmac_key_size = 32;
    bool aes256 = true;

    TicketKey() = default;
    TicketKey(const TicketKey&) = delete;
    TicketKey& operator=(const TicketKey&) = delete;
    TicketKey(TicketKey&&) = delete;
    TicketKey& operator=(TicketKey&&) = delete;
    ~TicketKey();
};

using TicketKeyPtr = std::shared_ptr<const TicketKey>;

// A key from its 80- or 48-byte form (nginx's file layouts, ticket_keys.hpp). `path` only
// names the source in the error. @throws TicketKeyFileError for another size.
TicketKeyPtr parse_ticket_key(const unsigned char* data, std::size_t size, const std::string& path);
// 80 random bytes from the OpenSSL DRBG, as a key.
TicketKeyPtr random_ticket_key();
// The 80-byte key of `epoch` derived from `secret` (ticket_keys_derive.cpp).
TicketKeyPtr derive_ticket_key(const std::vector<unsigned char>& secret, std::int64_t epoch);

// A byte buffer wiped when it goes (the fleet secret).
class SecretBytes {
  public:
    SecretBytes() = default;
    explicit SecretBytes(std::vector<unsigned char> bytes) : bytes_(std::move(bytes)) {}
    SecretBytes(const SecretBytes&) = delete;
    SecretBytes& operator=(const SecretBytes&) = delete;
    SecretBytes(SecretBytes&&) = delete;
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    ~SecretBytes();
    const std::vector<unsigned char>& get() const noexcept { return bytes_; }

  private:
    void wipe() noexcept;
    std::vector<unsigned char> bytes_;
};

struct TicketKeyRingState {
    mutable std::mutex mutex;
    std::vector<TicketKeyPtr> keys;  // newest (encrypting) first
    std::size_t keep = 3;
    TicketKeyRing::Clock clock;

    // rotate_every(): 0 is off.
    std::chrono::seconds rotate_period{0};
    std::chrono::system_clock::time_point last_rotation{};

    // derive_from_secret(): keys follow the clock's epoch; `keys` then holds the current,
    // previous and next epochs' keys, current first, for `derived_epoch`.
    bool derived = false;
    SecretBytes secret;
    std::chrono::seconds derive_period{0};
    std::int64_t derived_epoch = 0;

    std::atomic<std::uint64_t> issued{0};
    std::atomic<std::uint64_t> decrypted_current{0};
    std::atomic<std::uint64_t> renewed{0};
    std::atomic<std::uint64_t> unknown{0};

    // The key that encrypts now, after any rotation the schedule asks for.
    TicketKeyPtr encrypting();
    // The key named `name` (kTicketKeyNameSize bytes), or null; `current` tells whether it
    // is the encrypting one.
    TicketKeyPtr find(const unsigned char* name, bool& current);

    // Callers hold `mutex`.
    std::chrono::system_clock::time_point now() const;
    void catch_up_locked();
    void push_locked(TicketKeyPtr key);
};

struct TicketKeyRingAccess {
    static const std::shared_ptr<TicketKeyRingState>& state(const TicketKeyRing& ring) noexcept {
        return ring.state_;
    }
};

}  // namespace tls::detail
