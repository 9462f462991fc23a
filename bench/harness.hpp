// tlsctx benchmarks — the shared harness: test PKI, identical contexts built through tlsctx and
// through raw OpenSSL calls, and one connection's lifecycle written twice (tlsctx API / raw API).
//
// The raw side is what a careful programmer writes by hand: the same SSL_CTX settings as
// src/defaults.cpp (checked field by field at start-up, see check_parity), the same host-name
// check (SSL_set1_host + SSL_VERIFY_PEER), the same call sequence per connection. Neither side
// skips verification. Used by tlsctx_bench (Google Benchmark), tlsctx_bench_instr (callgrind)
// and tlsctx_bench_memory (heap counting).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "tls/tls.hpp"

namespace bench {

// Longer than std::string's small-buffer (15 chars), as most real host names are, so that any
// per-connection copy of it shows up as an allocation.
inline constexpr const char* kHostname = "bench-server.tlsctx.example";

// ecdsa_p256_intermediate: root -> intermediate -> leaf, the leaf sent with the intermediate, as
// servers on the public web do (the others: the root issues the leaf).
enum class Key { ecdsa_p256, rsa2048, ecdsa_p256_intermediate };

// A CA and a leaf for kHostname signed by it, as PEM. Loaded from $TLSCTX_BENCH_PKI (a directory)
// when it holds them, else generated with tls::pki and saved there (RSA key generation is slow).
struct Pki {
    std::string ca_pem;
    std::string chain_pem;
    std::string key_pem;
};
const Pki& pki(Key key);

// Diagnosis only: what the raw side does with OpenSSL's error queue around each SSL call.
// "clear" calls ERR_clear_error before every SSL_do_handshake / SSL_read_ex / SSL_write_ex /
// SSL_shutdown and again after a want_read/want_write (as libtls and Asio do, and tlsctx's first
// Engine did); "peek" clears only when ERR_peek_error() reports something (tlsctx until
// 2026-11-23). tlsctx now looks at the queue only after a call fails, like "untouched".
enum class ErrorQueue { untouched, clear, peek };

// What differs between scenarios; everything else is tlsctx's secure default on both sides.
struct Config {
    Key key = Key::ecdsa_p256;
    bool tls12 = false;                  // client maximum_version TLS 1.2
    const char* tls12_cipher = nullptr;  // pins the TLS 1.2 suite on both ends
    const char* tls13_suite = nullptr;   // pins the TLS 1.3 suite on both ends (see below)
    bool no_ticket = false;              // server OP_NO_TICKET: TLS 1.2 session-id resumption
    const char* groups = nullptr;        // pins the key-exchange groups on both ends
    bool release_buffers = true;         // raw only: SSL_MODE_RELEASE_BUFFERS (tlsctx default)
    // For the "where does a handshake go" breakdown only (raw side):
    int num_tickets = -1;     // server SSL_CTX_set_num_tickets; -1 = OpenSSL's default (2)
    bool auto_chain = false;  // no explicit chain: the server builds one from its store each time
    ErrorQueue error_queue = ErrorQueue::untouched;  // raw side only
};
// "tls13_ecdsa", "tls13_rsa", "tls12_rsa", "tls13_ticket", "tls12_session_id", "aes128gcm",
// "aes256gcm", "chacha20"; for the breakdown, "tls13_ecdsa_no_tickets" and
// "tls13_ecdsa_auto_chain"; for key exchange, "kex_x25519" and "kex_x25519mlkem768" (tls13_ecdsa
// with only that group); a suffix ":clear" or ":peek" sets error_queue. Aborts on an unknown
// name.
Config named_config(std::string_view name);
// Whether the linked OpenSSL implements a TLS group (X25519MLKEM768 needs OpenSSL 3.5).
bool has_group(const char* group);

[[noreturn]] void die(const char* what);

// ---- tlsctx side -----------------------------------------------------------------------------

// A client context that trusts the CA of config.key / a server context with its leaf.
tls::Context tlsctx_client_context(const Config& config);
tls::Context tlsctx_server_context(const Config& config);

struct TlsctxEnv {
    tls::Context client;
    tls::Context server;
    tls::WrapOptions client_options = tls::WrapOptions::client(kHostname);
    tls::WrapOptions server_options = tls::WrapOptions::server();
    // Resumption through the public API: capture_session() stores Connection::session() in
    // client_options.session, which wrap_bio hands to every later client connection.

    explicit TlsctxEnv(const Config& config);
    TlsctxEnv(const TlsctxEnv&) = delete;
    TlsctxEnv& operator=(const TlsctxEnv&) = delete;

    // One connection over a pair of shared memory BIOs: wrap_bio x2, handshake, the client reads
    // what the server sent after it (TLS 1.3 tickets), close_notify both ways. Resumes `session`
    // when one was captured. Returns whether the session was resumed.
    bool connect_once();
    // Runs one connection and keeps its session for connect_once to resume.
    void capture_session();
};

// ---- raw OpenSSL side ------------------------------------------------------------------------

// The same two contexts by hand (the caller frees them).
SSL_CTX* raw_client_context(const Config& config);
SSL_CTX* raw_server_context(const Config& config);

struct RawEnv {
    SSL_CTX* client = nullptr;
    SSL_CTX* server = nullptr;
    SSL_SESSION* session = nullptr;
    ErrorQueue error_queue = ErrorQueue::untouched;

    explicit RawEnv(const Config& config);
    ~RawEnv();
    RawEnv(const RawEnv&) = delete;
    RawEnv& operator=(const RawEnv&) = delete;

    SSL* new_client() const;  // SSL_new + connect state + SNI + host-name check
    SSL* new_server() const;  // SSL_new + accept state
    bool connect_once();      // same steps as TlsctxEnv::connect_once
    void capture_session();
};

// Aborts unless the two contexts are configured identically (options, modes, verify mode and
// flags, versions, security level, cipher lists, tickets, session cache), and unless a client
// connection of each checks the same host name with the same flags. `raw_release_buffers` false
// tolerates exactly that one mode bit.
void check_parity(const TlsctxEnv& t, const RawEnv& r, bool raw_release_buffers);

// ---- memory-BIO pumping (both sides) ---------------------------------------------------------

// tlsctx: steps until both handshakes are done (abort on error).
void tlsctx_handshake(tls::Object& client, tls::Object& server);
void tlsctx_read_pending(tls::Object& client);  // reads until want_read
void tlsctx_close(tls::Object& client, tls::Object& server);
// raw
void raw_handshake(SSL* client, SSL* server, ErrorQueue q = ErrorQueue::untouched);
void raw_read_pending(SSL* client, ErrorQueue q = ErrorQueue::untouched);
void raw_close(SSL* client, SSL* server, ErrorQueue q = ErrorQueue::untouched);

// ---- established connections over shared memory BIOs (records benchmarks) --------------------

// One connection kept open; transfer() has the client write `len` bytes as one record and the
// server read them.
struct TlsctxMemPair {
    TlsctxEnv env;
    tls::MemoryBIO c2s;
    tls::MemoryBIO s2c;
    tls::Object client;
    tls::Object server;
    explicit TlsctxMemPair(const Config& config);
    void transfer(const char* data, char* buffer, std::size_t len);
};

struct RawMemPair {
    RawEnv env;
    SSL* client = nullptr;
    SSL* server = nullptr;
    explicit RawMemPair(const Config& config);
    ~RawMemPair();
    RawMemPair(const RawMemPair&) = delete;
    RawMemPair& operator=(const RawMemPair&) = delete;
    void transfer(const char* data, char* buffer, std::size_t len);
};

// ---- socketpair connections (blocking, handshake done in two threads) ------------------------

struct TlsctxSocketPair {
    int fds[2] = {-1, -1};
    tls::Socket client;
    tls::Socket server;
    explicit TlsctxSocketPair(TlsctxEnv& env);
    ~TlsctxSocketPair();
    bool client_write(const void* data, std::size_t len);
    std::size_t client_read(void* buffer, std::size_t len);  // 0 = end of stream or error
    bool server_write(const void* data, std::size_t len);
    std::size_t server_read(void* buffer, std::size_t len);
    void end_client_stream();  // the server's next read returns 0
};

struct RawSocketPair {
    int fds[2] = {-1, -1};
    SSL* client = nullptr;
    SSL* server = nullptr;
    explicit RawSocketPair(RawEnv& env);
    ~RawSocketPair();
    bool client_write(const void* data, std::size_t len);
    std::size_t client_read(void* buffer, std::size_t len);
    bool server_write(const void* data, std::size_t len);
    std::size_t server_read(void* buffer, std::size_t len);
    void end_client_stream();
};

}  // namespace bench
