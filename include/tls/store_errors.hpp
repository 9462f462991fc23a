// tlsctx — errors of session stores (tls::SessionStore, include/tls/session_store.hpp): the codes
// a store puts in its std::error_code, in category tls::store_category() ("tlsctx.store"). The
// server treats every one alike (a full handshake for that connection); they exist so that logs
// and stats can say why. Docs: docs/fleet.md.
#pragma once
#include <system_error>
#include <type_traits>

#include "tls/export.hpp"

namespace tls {

/// Why a SessionStore call failed. A miss is not an error (get returns empty Bytes).
enum class StoreErrc : int {
    timeout = 1,      ///< the call's deadline passed first (a slow, stalled or unreachable store)
    unavailable = 2,  ///< no connection: refused, reset, or still backing off after an error
    protocol = 3,     ///< the store answered something unexpected, or refused the request
};

}  // namespace tls

namespace std {
template <>
struct is_error_code_enum<tls::StoreErrc> : true_type {};
}  // namespace std

namespace tls {

/// The category of StoreErrc codes ("tlsctx.store").
TLS_API const std::error_category& store_category() noexcept;
/// Makes `StoreErrc` usable as a std::error_code (`ec == tls::StoreErrc::timeout`).
TLS_API std::error_code make_error_code(StoreErrc e) noexcept;

}  // namespace tls
