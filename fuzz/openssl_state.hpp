// tlsctx fuzzing — feedback from inside OpenSSL (see the comment below). Header-only; one
// translation unit per target includes it.
#pragma once

#include <cstdint>
#include <string_view>

#include "tls/tls.hpp"

namespace tls::fuzz {

/// Coverage of OpenSSL, which is not instrumented (only tlsctx is): libFuzzer counts the bytes of
/// the __libfuzzer_extra_counters section as extra features, so an input is kept when it makes a
/// new pair of consecutive TLS messages (direction, content type, handshake type, alert) or a new
/// pair of outcomes (OpenSSL error reason, verify code, what a parsed object holds).
namespace state {
__attribute__((section("__libfuzzer_extra_counters"))) static std::uint8_t counters[1 << 14];
inline std::uint32_t previous = 0;

inline void hit(std::uint32_t key) {
    const std::uint32_t h = (previous * 0x9e3779b1U) ^ (key * 0x85ebca6bU);
    std::uint8_t& c = counters[(h ^ (h >> 15)) % sizeof counters];
    if (c != 0xff) {
        ++c;
    }
    previous = key;
}

/// For Context::set_msg_callback on every context of a target.
inline MessageCallback message_callback() {
    return [](const TlsMessage& m) {
        if (m.content_type == 256) {
            return;  // record headers: the records themselves come next
        }
        std::uint32_t key =
            (m.outgoing ? 1U : 0U) | (static_cast<std::uint32_t>(m.content_type) << 1);
        if (m.content_type == 22 && m.size > 0) {
            key |= static_cast<std::uint32_t>(m.data[0]) << 10;
        }
        if (m.alert_description) {
            key |= static_cast<std::uint32_t>(*m.alert_description) << 18;
        }
        hit(key);
    };
}

/// A string (an OpenSSL library/reason pair) and a number (a verify code) as one feature.
inline void text(std::string_view s, long number = 0) {
    std::uint32_t key = 0x5a5a5a5aU ^ static_cast<std::uint32_t>(number);
    for (const char c : s) {
        key = key * 31 + static_cast<unsigned char>(c);
    }
    hit(key);
}

inline void error(const ErrorInfo& e) {
    text(e.library + "/" + e.reason, e.verify_code);
}
}  // namespace state

}  // namespace tls::fuzz
