// tlsctx — tls::ClientHello: what a server sees of a client's first message before it chooses
// anything (version, cipher suite, certificate, ALPN), and the callback that sees it. The general
// form of Python's `sni_callback`: pick the Context to serve with, or refuse with an alert.
// Docs: docs/server.md ("ClientHello inspection").
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tls/constants.hpp"
#include "tls/context.hpp"
#include "tls/export.hpp"

namespace tls {

namespace detail {
struct ClientHelloAccess;
}

/// A ClientHello as the server's ClientHello callback sees it. Valid only inside the callback
/// (it refers to the connection in its handshake); copy out what you keep. Names follow OpenSSL
/// where OpenSSL names things, so they compare equal to what Connection reports after the
/// handshake; a value OpenSSL has no name for is spelled as its hex code point ("0x11ec").
/// GREASE values (RFC 8701) are left out of every list.
class TLS_API ClientHello {
  public:
    /// The SNI name (RFC 6066), as the client sent it (an A-label), or std::nullopt.
    std::optional<std::string> server_name() const;
    /// The ALPN protocols (RFC 7301), in the client's order; empty when it offered none.
    std::vector<std::string> alpn_protocols() const;
    /// The versions the client offers ("TLSv1.3", "TLSv1.2", ...), in its order: the
    /// supported_versions extension (RFC 8446 4.2.1), or, from a client that sends none (TLS 1.2
    /// and older), the one legacy_version it names.
    std::vector<std::string> supported_versions() const;
    /// The supported_groups extension, in the client's order, named as Connection::group()
    /// names a group ("x25519", "secp256r1", "ffdhe2048", "X25519MLKEM768").
    std::vector<std::string> groups() const;
    /// The groups the client sent a TLS 1.3 key share for, in its order; empty without TLS 1.3.
    std::vector<std::string> key_shares() const;
    /// The cipher suites, in the client's order, named as CipherDescription::name names them
    /// ("TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"); the signalling values keep
    /// OpenSSL's names ("TLS_EMPTY_RENEGOTIATION_INFO_SCSV").
    std::vector<std::string> cipher_suites() const;
    /// The signature_algorithms extension, in the client's order, by their RFC 8446 names
    /// ("ecdsa_secp256r1_sha256", "rsa_pss_rsae_sha256", "ed25519"; TLS 1.2's pairs as OpenSSL
    /// names them, "rsa_pkcs1_sha224", "dsa_sha256").
    std::vector<std::string> signature_algorithms() const;
    /// Whether the client tries to resume a session: it sent a TLS 1.3 pre_shared_key, a
    /// non-empty TLS 1.2 session ticket, or (only from a client that does not offer TLS 1.3) a
    /// session id. A TLS 1.3 client's session id is left out: RFC 8446 D.4 has every such client
    /// send a random one, so it tells nothing. Whether the server accepts is decided later.
    bool offers_resumption() const;
    /// The extension types in the order the client sent them (for JA3-style fingerprints). Only
    /// types the linked OpenSSL knows are listed: OpenSSL drops unknown ones (and GREASE) before
    /// the callback runs.
    std::vector<int> extension_types() const;

    /// The context the connection uses now.
    Context context() const;
    /// Serve this connection with `other`'s certificate and settings from here on (as
    /// ServerNameRequest::set_context). OpenSSL has not chosen anything yet, so `other`'s
    /// versions, cipher suites, groups and ALPN all apply. An SNI callback still runs after this
    /// one: `other`'s if it has one, else the original context's.
    void set_context(const Context& other);

  private:
    // Only the library makes one (the friend is defined in src/), so the pointer never comes
    // from user code.
    friend struct detail::ClientHelloAccess;
    explicit ClientHello(void* engine) noexcept : engine_(engine) {}

    void* engine_;  // the detail::Engine of the connection in its handshake
};

// ClientHelloCallback, the callback's type, is declared in tls/context.hpp next to SniCallback.

}  // namespace tls
