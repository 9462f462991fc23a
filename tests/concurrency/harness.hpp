// tlsctx concurrency suite — the harness: 16 threads that each run many whole connections (both
// ends on the same thread, so nothing blocks on another thread) through contexts, caches, key
// rings and stores they all share, while a helper thread changes what the library documents as
// changeable at run time. A connection is a pair of tls::Objects over MemoryBIOs or a pair of
// non-blocking tls::Sockets over 127.0.0.1, taken in turn; every step is checked, every
// failure recorded with its message. Under ThreadSanitizer (TLSCTX_SANITIZE_THREAD) this is the
// race detector's workload; without it, a quick functional test of the same promises.
// Docs: docs/security.md ("Thread safety under ThreadSanitizer").
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "support/peers.hpp"
#include "tls/pki.hpp"
#include "tls/tls.hpp"

namespace tls::test::concurrency {

/// Threads that share the contexts in every test (the figure).
inline constexpr int kThreads = 16;

/// The certificates of the suite, made once in memory. Root -> intermediate A -> most leaves;
/// root -> intermediate B -> the renewal, so a chain mixing the two would be visible.
struct Pki {
    static const Pki& get();

    pki::CertificateAuthority root;
    pki::CertificateAuthority intermediate_a;
    pki::CertificateAuthority intermediate_b;
    pki::IssuedCert localhost_a;  ///< localhost, 127.0.0.1 under intermediate A
    pki::IssuedCert localhost_b;  ///< the same names under intermediate B (the "new" chain)
    pki::IssuedCert client_1;     ///< client certificates under intermediate A
    pki::IssuedCert client_2;
    std::vector<std::string> sni_names;       ///< host00.example.test ... host15.example.test
    std::vector<pki::IssuedCert> sni_leaves;  ///< one per name, that name only
    std::vector<unsigned char> ocsp_good_1;   ///< "good" for localhost_a, thisUpdate 1 h ago
    std::vector<unsigned char> ocsp_good_2;   ///< the same, thisUpdate 2 h ago

    /// The chain a client receives for `leaf` (leaf, then its intermediate), as DER.
    static std::vector<Bytes> chain_der(const pki::IssuedCert& leaf);

  private:
    Pki();
};

/// A server context presenting `leaf`'s chain.
Context server_context(const pki::IssuedCert& leaf);
/// A verifying client context trusting the suite's root.
Context client_context();

/// What one connection saw. `error` is empty when every step went well.
struct Outcome {
    std::string error;                ///< the first failure: "<step> <side>: <message>"
    std::error_code client_code;      ///< the client's handshake error (empty when it completed)
    std::string client_reason;        ///< its OpenSSL reason mnemonic
    std::error_code server_code;      ///< the server's handshake error
    std::vector<Bytes> server_chain;  ///< what the client was sent, leaf first
                                      ///< (empty when resumed: nothing is sent)
    Bytes server_leaf;                ///< the client's getpeercert_der()
    std::vector<Bytes> client_chain;  ///< what the server was sent (client auth)
    bool client_reused = false;       ///< session_reused() on each end
    bool server_reused = false;
    std::string version;                     ///< the client's version()
    std::optional<std::string> alpn;         ///< the client's selected_alpn_protocol()
    std::optional<OcspResponseInfo> staple;  ///< what the client was stapled
    Session session;                         ///< the client's session after the first read
    bool ok() const { return error.empty(); }
};

/// How a connection carries its bytes.
enum class Transport : int {
    memory = 0,  ///< two Objects, bytes moved between their MemoryBIOs
    socket = 1,  ///< two non-blocking Sockets over one TCP connection on 127.0.0.1
};

/// What to connect with.
struct Connect {
    Transport transport = Transport::memory;
    std::string server_hostname = "localhost";
    Session session;  ///< offered by the client; empty: its context's cache decides
    /// The server port the client files its sessions under on a memory link (a socket
    /// link uses the listener's real port).
    std::uint16_t memory_port = 4433;
};

/// A listener on 127.0.0.1 shared by every thread. pair() connects and accepts under one lock,
/// so the accepted descriptor is the one just connected, and every client sees the same server
/// port (a ClientSessionCache files all their sessions under one key).
class Loopback {
  public:
    Loopback();
    struct Pair {
        Fd client;
        Fd server;
    };
    /// A connected, non-blocking pair. @throws std::system_error.
    Pair pair();
    std::uint16_t port() const { return port_; }

  private:
    Fd listener_;
    std::uint16_t port_ = 0;
    std::mutex mutex_;
};

/// Runs one whole connection: handshake, "ping" one way and back, both sides' facts, then a
/// bidirectional close (unwrap on both ends).
Outcome run_connection(const Context& client, const Context& server, const Connect& how,
                       Loopback& loopback);

/// Failures collected from many threads.
class Failures {
  public:
    void add(std::string what);
    std::vector<std::string> list() const;
    std::size_t count() const;

  private:
    mutable std::mutex mutex_;
    std::vector<std::string> list_;
};

/// Connections completed, which a helper thread paces itself on (no sleeps, no clocks).
class Progress {
  public:
    void add();
    /// Ends every wait.
    void finish();
    /// Waits until `count` connections are done; false once finish() was called.
    bool wait_for(std::size_t count);
    std::size_t done() const;

  private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t done_ = 0;
    bool finished_ = false;
};

/// Runs body(thread) on kThreads threads that start together, while `helper` (if given) runs on
/// one more thread; the helper must return once `progress` finishes, which happens when every
/// body has returned. Exceptions from any of them are failures.
void run_threads(const std::function<void(int thread)>& body, Failures& failures,
                 Progress& progress, const std::function<void()>& helper = {});

/// Calls `action(step)` every `every` connections until the workers are done; returns how many
/// times it ran. For the helper thread of run_threads.
std::size_t every_n_connections(Progress& progress, std::size_t every,
                                const std::function<void(std::size_t step)>& action);

/// One line of the suite's figures ("[ figures  ] ..."), as the other suites print them.
void print_figures(const std::string& line);

}  // namespace tls::test::concurrency
