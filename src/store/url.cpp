#include "store/url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <stdexcept>

namespace tls::store {
namespace {

[[noreturn]] void refuse(std::string_view url, const std::string& why) {
    throw std::invalid_argument("session store URL '" + std::string(url) + "': " + why);
}

bool all_digits(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (const char c : s) {
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
            return false;
        }
    }
    return true;
}

// RFC 3986 reg-name letters a store host name can use; anything else (user info, spaces,
// percent-encoding) is refused.
bool plain_host(std::string_view host) {
    for (const char c : host) {
        if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '-' && c != '_') {
            return false;
        }
    }
    return !host.empty();
}

}  // namespace

StoreUrl parse_store_url(std::string_view url, std::string_view scheme,
                         std::uint16_t default_port) {
    const std::string prefix = std::string(scheme) + "://";
    if (url.substr(0, prefix.size()) != prefix) {
        refuse(url, "it must start with " + prefix);
    }
    std::string_view rest = url.substr(prefix.size());
    StoreUrl out;
    if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
        out.path = std::string(rest.substr(slash + 1));
        rest = rest.substr(0, slash);
    }
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos) {
            refuse(url, "unclosed '[' in the host");
        }
        out.host = std::string(rest.substr(1, close - 1));
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            refuse(url, "unexpected text after the IPv6 address");
        }
        port = after.empty() ? after : after.substr(1);
        if (out.host.empty() ||
            out.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos) {
            refuse(url, "not an IPv6 address between '[' and ']'");
        }
    } else {
        const std::size_t colon = rest.rfind(':');
        out.host = std::string(rest.substr(0, colon));
        port = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        if (colon != std::string_view::npos && port.empty()) {
            refuse(url, "':' without a port");
        }
        if (!plain_host(out.host)) {
            refuse(url, "the host must be a name or an address (no user, no password)");
        }
    }
    if (port.empty()) {
        out.port = default_port;
    } else {
        if (!all_digits(port) || port.size() > 5 || std::stoul(std::string(port)) == 0 ||
            std::stoul(std::string(port)) > 65535) {
            refuse(url, "the port must be a number from 1 to 65535");
        }
        out.port = static_cast<std::uint16_t>(std::stoul(std::string(port)));
    }
    return out;
}

bool is_address_literal(const std::string& host) noexcept {
    in6_addr address{};
    return ::inet_pton(AF_INET, host.c_str(), &address) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

std::string host_port(const StoreUrl& url) {
    const bool ipv6 = url.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

}  // namespace tls::store
