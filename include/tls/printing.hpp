// tlsctx — printing connection facts as Python prints them: `pprint.pprint()` text and
// `json.dumps()` JSON of the getpeercert() dict, the cipher() tuple and the get_ciphers() dicts,
// so a program ported from Python prints the same bytes. Docs: docs/printing.md.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "tls/certificate.hpp"
#include "tls/ciphers.hpp"
#include "tls/export.hpp"

namespace tls {

// Every to_string() below returns exactly what Python's `pprint.pformat(x)` returns for the
// equivalent Python value x (width 80, dict keys sorted, long containers one element per line,
// long strings split into adjacent literals), without a final newline: `pprint.pprint(x)` is
// `std::cout << to_string(x) << '\n'`. Every to_json() returns exactly `json.dumps(x)` (", " and
// ": " separators, dict keys in Python's order, non-ASCII as \uXXXX, tuples as arrays).
// Strings are UTF-8; a byte that is not UTF-8 prints as Python's surrogateescape shows it
// ('\udcXX'). Non-ASCII characters are escaped in pprint text where Python's str.isprintable()
// (Unicode 14.0, Python 3.11) says so. All are thread-safe and throw only std::bad_alloc.

/// `pprint.pformat(sock.getpeercert())`: the dict of tuples; an empty CertificateInfo (Python's
/// `{}` for an unverified peer) prints as `{}`.
TLS_API std::string to_string(const CertificateInfo& cert);
/// `json.dumps(sock.getpeercert())`.
TLS_API std::string to_json(const CertificateInfo& cert);
/// Writes to_string(cert).
TLS_API std::ostream& operator<<(std::ostream& out, const CertificateInfo& cert);

/// `pprint.pformat(sock.cipher())`: `('TLS_AES_256_GCM_SHA384', 'TLSv1.3', 256)`.
TLS_API std::string to_string(const CipherDescription& cipher);
/// `json.dumps(sock.cipher())`: `["TLS_AES_256_GCM_SHA384", "TLSv1.3", 256]`.
TLS_API std::string to_json(const CipherDescription& cipher);
/// Writes to_string(cipher).
TLS_API std::ostream& operator<<(std::ostream& out, const CipherDescription& cipher);

/// `pprint.pformat(entry)` for one dict of `ctx.get_ciphers()`; None where the member is empty.
TLS_API std::string to_string(const CipherInfo& cipher);
/// `json.dumps(entry)`, keys in Python's order (id, name, protocol, description, ...).
TLS_API std::string to_json(const CipherInfo& cipher);
/// Writes to_string(cipher).
TLS_API std::ostream& operator<<(std::ostream& out, const CipherInfo& cipher);

// The lists Python returns: `ctx.get_ciphers()`, `ctx.get_ca_certs()`, `sock.shared_ciphers()`.

/// `pprint.pformat(ctx.get_ciphers())`.
TLS_API std::string to_string(const std::vector<CipherInfo>& ciphers);
/// `json.dumps(ctx.get_ciphers())`.
TLS_API std::string to_json(const std::vector<CipherInfo>& ciphers);
/// `pprint.pformat(ctx.get_ca_certs())`.
TLS_API std::string to_string(const std::vector<CertificateInfo>& certs);
/// `json.dumps(ctx.get_ca_certs())`.
TLS_API std::string to_json(const std::vector<CertificateInfo>& certs);
/// `pprint.pformat(sock.shared_ciphers())`.
TLS_API std::string to_string(const std::vector<CipherDescription>& ciphers);
/// `json.dumps(sock.shared_ciphers())`.
TLS_API std::string to_json(const std::vector<CipherDescription>& ciphers);

}  // namespace tls
