// What a tls::Context handle shares with every connection made from it, and the one door from a
// handle to it (ContextAccess): the public header names neither.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ossl/handles.hpp"
#include "tls/constants.hpp"
#include "tls/context.hpp"

namespace tls::detail {

struct ContextState {
    ossl::SslCtxPtr ctx;
    Protocol protocol = Protocol::PROTOCOL_TLS;
    bool check_hostname = false;
    bool hostname_checks_common_name = false;
    // Set by every call that chooses trust anchors; until then the first verifying connection
    // loads the system store (see ensure_default_trust).
    bool trust_configured = false;
    std::once_flag default_trust_once;
    // Server-side ALPN preference list in wire format (length-prefixed names).
    std::vector<unsigned char> alpn_wire;
    SniCallback sni_callback;
    ClientHelloCallback client_hello_callback;
    PskClientCallback psk_client_callback;
    PskServerCallback psk_server_callback;
    MessageCallback msg_callback;
    bool post_handshake_auth = false;
    // Key exchange restricted to ML-KEM groups (context_post_quantum.cpp); the classifier then
    // words a handshake without a shared group as the peer's lack of post-quantum support.
    bool require_post_quantum = false;
    // RFC 8879 algorithms in preference order, as last given to OpenSSL (which has no getter).
    std::vector<CertCompression> cert_compression;
    // The key log: one file per context, appended under a lock because connections on many
    // threads log through the same context.
    std::string keylog_path;
    ossl::FilePtr keylog_file;
    std::mutex keylog_mutex;

    // Loads the system CA store once, unless the user configured trust anchors. Runs before the
    // first handshake of a verifying connection, so a context configured on one thread and then
    // shared is never mutated while other connections use it (context_trust.cpp).
    void ensure_default_trust();

    // Whether this context may act as a client (PROTOCOL_TLS_SERVER cannot).
    bool can_be_client() const noexcept { return protocol != Protocol::PROTOCOL_TLS_SERVER; }

    // Whether a callback may need to find the connection's Engine (to switch its context or to
    // hand it an exception). Every Engine now puts itself in its SSL's ex_data (stats() needs
    // it, engine.cpp), so nothing asks this any more; kept while other branches still add to it.
    bool callbacks_need_engine() const noexcept {
        return sni_callback || client_hello_callback || psk_client_callback ||
               psk_server_callback || msg_callback;
    }
};

// A new context's state for `protocol` with every default set (defaults.cpp: the one place to
// read them top to bottom). Refuses nothing: Context's constructor applies the protocol floor.
std::shared_ptr<ContextState> make_context_state(Protocol protocol);

// The library's way between a tls::Context handle and its state. Context befriends only this,
// so user code can neither reach the state nor build a handle around a stray one.
struct ContextAccess {
    static ContextState& state(const Context& context) noexcept { return *context.state_; }
    static const std::shared_ptr<ContextState>& shared_state(const Context& context) noexcept {
        return context.state_;
    }
    // A handle for existing state (how a connection hands back the context it uses).
    static Context handle(std::shared_ptr<ContextState> state) noexcept {
        return Context(std::move(state));
    }
};

}  // namespace tls::detail
