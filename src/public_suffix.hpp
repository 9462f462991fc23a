// The Public Suffix List's verdict on a domain (public_suffix_table.hpp holds the list).
#pragma once

#include <string_view>

namespace tls::detail {

// Whether `domain` (A-labels, any ASCII case, no trailing dot) is a public suffix: a name under
// which anyone may register (com, co.uk, s3.amazonaws.com). The list's wildcard ("*.ck") and
// exception ("!www.ck") rules apply; a name the list does not know is not a public suffix,
// except a single label, which the list's default rule ("*") makes one.
bool is_public_suffix(std::string_view domain);

}  // namespace tls::detail
