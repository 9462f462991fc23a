// Parsing of the store URLs tlsctx accepts (redis://HOST:PORT[/DB], memcached://HOST:PORT),
// shared by the optional backends. Only what a session store needs: no user, password, query or
// fragment, so a URL that means more than tlsctx would do is refused rather than half-honoured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tls::store {

struct StoreUrl {
    std::string host;        ///< a name, an IPv4 address, or an IPv6 address without brackets
    std::uint16_t port = 0;  ///< never 0
    std::optional<std::string> path;  ///< what follows the first '/' after the port, if any
};

/// Parses `scheme://HOST:PORT[/PATH]`; `default_port` when ":PORT" is left out.
/// @throws std::invalid_argument naming what is wrong.
StoreUrl parse_store_url(std::string_view url, std::string_view scheme, std::uint16_t default_port);

/// Whether `host` is an IPv4 or IPv6 address, so connecting needs no name lookup (which has
/// no timeout a caller can set).
bool is_address_literal(const std::string& host) noexcept;

/// `host:port`, with brackets around an IPv6 address (for describe()).
std::string host_port(const StoreUrl& url);

}  // namespace tls::store
