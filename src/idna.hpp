// Host names with non-ASCII labels become A-labels ("xn--...", RFC 3492 Punycode) before they are
// sent as SNI or matched against certificates, as Python's `server_hostname` handling does.
#pragma once

#include <string>
#include <string_view>

namespace tls::detail {

// ASCII names come back unchanged. Non-ASCII labels are case-folded (Latin, Greek and Cyrillic,
// ß to "ss", as IDNA2003) and Punycode-encoded; the rest of nameprep (NFKC normalization,
// other scripts' case folding) is not applied.
// @throws std::invalid_argument for invalid UTF-8 or a label that cannot be encoded.
std::string to_a_label(std::string_view host);

}  // namespace tls::detail
