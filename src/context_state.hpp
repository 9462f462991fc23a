// What a tls::Context handle shares with every connection made from it, and the one door from a
// handle to it (ContextAccess): the public header names neither.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "live_material.hpp"
#include "ossl/handles.hpp"
#include "tls/constants.hpp"
#include "tls/context.hpp"

namespace tls::detail {

struct OcspStaple;               // ocsp_check.hpp
struct TicketKeyRingState;       // ticket_key_ring_state.hpp
struct ClientSessionCacheState;  // client_session_cache_state.hpp
struct SessionStoreBinding;      // session_store_binding.hpp
struct VerifiedChainCacheState;  // verified_chain_cache_state.hpp

struct ContextState {
    ossl::SslCtxPtr ctx;
    Protocol protocol = Protocol::PROTOCOL_TLS;
    bool check_hostname = false;
    bool hostname_checks_common_name = false;
    // The chains load_cert_chain put into `ctx`, one per key type, for cert_chains() and for
    // turning a later load_cert_chain into a live reload (context_certificate.cpp).
    std::vector<CertChain> configured_chains;
    // What set_cert_chains / reload_verify_locations published for new connections, and the
    // lock that makes a read-modify-write of it (load_cert_chain on a live context) one step.
    LiveMaterial live;
    std::mutex live_update_mutex;
    // Set by every call that chooses trust anchors; until then the first verifying connection
    // loads the system store (see ensure_default_trust). Atomic: reload_verify_locations sets it
    // while the context serves, and every new connection reads it (a plain bool here was a data
    // race that ThreadSanitizer found in tests/concurrency).
    std::atomic<bool> trust_configured{false};
    std::once_flag default_trust_once;
    // Server-side ALPN preference list in wire format (length-prefixed names).
    std::vector<unsigned char> alpn_wire;
    SniCallback sni_callback;
    ClientHelloCallback client_hello_callback;
    PskClientCallback psk_client_callback;
    PskServerCallback psk_server_callback;
    MessageCallback msg_callback;
    // Asked per certificate of a verified chain (context_verify_callback.cpp); its accept()
    // counts only when set through dangerous().
    VerifyCallback verify_callback;
    bool verify_callback_may_accept = false;
    // The rules beyond OpenSSL's (verify_policy.hpp); also the cert_verify_callback's argument.
    VerifyProfile verify_profile = VerifyProfile::standard;
    // Positive verdicts reused across connections (verify_chain_cache.cpp), when set; and a count
    // of the changes to this context's trust, part of the cache key, so that a verdict reached
    // against other anchors or CRLs is never reused.
    std::shared_ptr<VerifiedChainCacheState> verified_chain_cache;
    std::atomic<std::uint64_t> trust_generation{0};
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
    // OCSP stapling (context_ocsp.cpp). Server: the staple is immutable and replaced whole
    // under ocsp_mutex, so set_ocsp_response may run while handshakes on other threads hold
    // the previous one; the callback, when set, is asked instead. Client: the policy.
    std::shared_ptr<const OcspStaple> ocsp_staple;
    std::mutex ocsp_mutex;
    Context::OcspResponseCallback ocsp_callback;
    OcspPolicy ocsp_policy = OcspPolicy::off;
    // Server: the ticket keys (context_ticket_keys.cpp). The ring rotates while handshakes run;
    // set_ticket_key_ring itself installs OpenSSL's callback, so it belongs to configuration.
    std::shared_ptr<TicketKeyRingState> ticket_ring;
    std::mutex ticket_ring_mutex;
    // Client session cache (context_client_session_cache.cpp): a connection copies the pointer
    // once, under the mutex, so clearing it while others connect is safe; setting it also sets
    // OpenSSL's cache mode and callback, so it belongs to configuration.
    std::shared_ptr<ClientSessionCacheState> client_session_cache;
    std::mutex client_session_cache_mutex;
    // What server connections bind their sessions to (SSL_set_session_id_context), and the
    // shared session store, when set (context_session_store.cpp). Connections keep the binding
    // they started with.
    std::string session_id_context = "tlsctx";
    std::shared_ptr<SessionStoreBinding> session_store;

    // Loads the system CA store once, unless the user configured trust anchors. Runs before the
    // first handshake of a verifying connection, so a context configured on one thread and then
    // shared is never mutated while other connections use it (context_trust.cpp).
    void ensure_default_trust();

    // Whether this context may act as a client (PROTOCOL_TLS_SERVER cannot).
    bool can_be_client() const noexcept { return protocol != Protocol::PROTOCOL_TLS_SERVER; }
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
