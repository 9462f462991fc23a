// What a tls::Context handle shares with every connection made from it.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
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
    PskClientCallback psk_client_callback;
    PskServerCallback psk_server_callback;
    MessageCallback msg_callback;
    bool post_handshake_auth = false;
    // The key log: one file per context, appended under a lock because connections on many
    // threads log through the same context.
    struct FileCloser {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    std::string keylog_path;
    std::unique_ptr<std::FILE, FileCloser> keylog_file;
    std::mutex keylog_mutex;

    // Loads the system CA store once, unless the user configured trust anchors. Runs before the
    // first handshake of a verifying connection, so a context configured on one thread and then
    // shared is never mutated while other connections use it.
    void ensure_default_trust();

    // Whether this context may act as a client (PROTOCOL_TLS_SERVER cannot).
    bool can_be_client() const noexcept { return protocol != Protocol::PROTOCOL_TLS_SERVER; }

    // Whether a callback may need to find the connection's Engine (to switch its context or to
    // hand it an exception), which puts the Engine in the SSL's ex_data.
    bool callbacks_need_engine() const noexcept {
        return sni_callback || psk_client_callback || psk_server_callback || msg_callback;
    }
};

// set_ciphers; `allow_lower_level` is the dangerous() spelling. Restores the previous list when
// it refuses.
void apply_ciphers(ContextState& state, std::string_view cipher_string, bool allow_lower_level);

// Python's create_default_context() and _create_unverified_context() (and only they) turn on key
// logging when SSLKEYLOGFILE names a file: setting the variable is the explicit request.
void honour_sslkeylogfile(Context& context);

// The lowest version this OpenSSL was built with (TLS 1.0 on Debian: SSLv3 is compiled out).
int lowest_protocol_version() noexcept;

// Sets every default of a new context (defaults.cpp): the one place to read them top to bottom.
void apply_defaults(ContextState& state);

}  // namespace tls::detail
