#include "public_suffix.hpp"

#include <algorithm>
#include <string>

#include "public_suffix_table.hpp"

namespace tls::detail {
namespace {

bool listed(const std::string& rule) {
    return std::binary_search(std::begin(kPublicSuffixRules), std::end(kPublicSuffixRules),
                              std::string_view(rule));
}

}  // namespace

bool is_public_suffix(std::string_view domain) {
    std::string name(domain);
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    const std::size_t dot = name.find('.');
    if (name.empty() || dot == std::string::npos) {
        return !name.empty();
    }
    if (listed("!" + name)) {
        return false;
    }
    return listed(name) || listed("*" + name.substr(dot));
}

}  // namespace tls::detail
