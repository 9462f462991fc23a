// tlsctx — tls::Bytes, the byte string of the API: DER certificates, serialized sessions, keys,
// channel bindings, random bytes. Python uses `bytes` for all of these. Docs:
// docs/python-mapping.md.
#pragma once

#include <cstdint>
#include <vector>

namespace tls {

/// Raw bytes (Python's `bytes`).
using Bytes = std::vector<std::uint8_t>;

}  // namespace tls
