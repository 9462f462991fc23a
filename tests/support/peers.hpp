// tlsctx tests — real peers on 127.0.0.1: subprocesses (openssl s_server / s_client, python3 ssl
// scripts), loopback TCP pairs and tlsctx servers on a thread. No mocks.
//
// Rules every helper here keeps (STYLE.md section 9):
// - Loopback only. Peers bind port 0 and report the port they got; nothing guesses a free port
//   unless a peer cannot report one (pick_loopback_port()).
// - Everything ends by itself. Each subprocess runs under `timeout` in its own process group, is
//   killed (the whole group) when its owner is destroyed, and every wait has a deadline; threads
//   only block in calls bounded by a timeout.
// - No sleeps: waiting is poll()/condition variables with deadlines.
// - Every descriptor is close-on-exec, so children never hold a test's sockets open.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tls/context.hpp"
#include "tls/net.hpp"
#include "tls/socket.hpp"

namespace tls::test {

using Millis = std::chrono::milliseconds;

/// The default bound of any single wait in a test (a handshake, a subprocess, an accept).
inline constexpr Millis kPeerTimeout{10000};

// ---------------------------------------------------------------------------------------------
// Descriptors

/// An owned file descriptor (closed by the destructor).
class Fd {
  public:
    Fd() noexcept = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    int get() const noexcept { return fd_; }
    int release() noexcept;
    void reset(int fd = -1) noexcept;
    explicit operator bool() const noexcept { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

/// Both ends of one TCP connection on 127.0.0.1 (blocking, close-on-exec, TCP_NODELAY).
struct SocketPair {
    Fd client;
    Fd server;
};
/// Makes a connected TCP pair through a listener on 127.0.0.1:0 that is closed again.
SocketPair loopback_pair();

/// A TCP port on 127.0.0.1 that was free a moment ago: for peers that cannot bind port 0 and
/// report it. Binds 127.0.0.1:0, reads the port, closes. Callers retry on EADDRINUSE.
std::uint16_t pick_loopback_port();

/// The number of open descriptors of this process (entries of /proc/self/fd).
int count_open_fds();

/// Whether `fd` is an open descriptor.
bool fd_is_open(int fd);

/// Waits until `fd` is readable; false at the deadline.
bool wait_readable(int fd, Millis timeout);

// ---------------------------------------------------------------------------------------------
// Subprocesses

/// How a subprocess ended, with everything it printed.
struct ProcessResult {
    int exit_code = -1;      ///< exit status, or -1 when a signal ended it
    int term_signal = 0;     ///< the signal that ended it, or 0
    bool timed_out = false;  ///< ended by a deadline (ours or the `timeout` wrapper's)
    std::string out;         ///< everything written to stdout
    std::string err;         ///< everything written to stderr
};

/// A child process with pipes for stdin, stdout and stderr (Python's subprocess.Popen, minus
/// the parts tests never need). argv[0] is looked up in PATH. The child runs as
/// `timeout --kill-after=2 <limit> argv...` in a new process group, so it ends by itself even if
/// this process dies; the destructor kills the group and reaps it. A background thread collects
/// the output; waits are condition-variable waits with deadlines.
class Subprocess {
  public:
    using OutputPredicate = std::function<bool(const std::string& out, const std::string& err)>;

    /// @throws std::system_error when the process cannot be started.
    explicit Subprocess(std::vector<std::string> argv, Millis limit = Millis(20000));
    ~Subprocess();
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;

    pid_t pid() const noexcept { return pid_; }
    const std::vector<std::string>& argv() const noexcept { return argv_; }

    /// Writes all of `data` to the child's stdin. @throws std::system_error (EPIPE when the
    /// child closed it, EBADF after close_stdin()).
    void write_stdin(std::string_view data);
    /// Closes the child's stdin (it reads EOF).
    void close_stdin() noexcept;

    /// Waits until `pred(stdout, stderr)` holds, the child has exited or `timeout` passed.
    /// Returns the last value of `pred`.
    bool wait_for_output(const OutputPredicate& pred, Millis timeout);
    /// Waits until stdout contains `needle` (see wait_for_output).
    bool wait_for_stdout(std::string_view needle, Millis timeout);

    /// Waits up to `timeout` for the child to exit; kills its group when it has not, then
    /// returns how it ended and all of its output.
    ProcessResult wait(Millis timeout = kPeerTimeout);
    /// Kills the process group now (SIGKILL). Idempotent.
    void kill() noexcept;
    /// Asks the command to stop (SIGTERM), as a service manager would; wait() then bounds the
    /// shutdown and reports how it ended.
    void terminate() noexcept;
    /// Sends `signal` to the command (not to its `timeout` wrapper), e.g. SIGHUP to reload.
    void send_signal(int signal) noexcept;

    /// Output so far.
    std::string stdout_text() const;
    std::string stderr_text() const;
    /// A one-line description for assertion messages: argv and output so far.
    std::string describe() const;

  private:
    struct Shared;
    void collect();                                  // the reader thread
    bool signal_command(int signal) const noexcept;  // false while there is no command yet

    std::vector<std::string> argv_;
    pid_t pid_ = -1;
    Fd stdin_;
    Fd stdout_;
    Fd stderr_;
    std::shared_ptr<Shared> shared_;
    std::thread reader_;
};

/// Runs argv to completion with `input` on stdin (then EOF) and returns its result; kills it at
/// `timeout`.
ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input = {},
                          Millis timeout = kPeerTimeout);

// ---------------------------------------------------------------------------------------------
// openssl s_server

/// What `openssl s_server` is asked to do.
struct OpensslServerOptions {
    enum class Mode {
        www,   ///< -www: answers "GET /" with a status page describing the connection
        rev,   ///< -rev: echoes each line reversed; prints protocol and suite on stdout
        echo,  ///< plain: prints what it receives; prints ALPN and client certificate
    };
    enum class ClientAuth {
        none,      ///< asks for no client certificate
        optional,  ///< -verify 1
        required,  ///< -Verify 1
    };
    std::string cert;        ///< -cert: the leaf
    std::string key;         ///< -key
    std::string cert_chain;  ///< -cert_chain: intermediates to send (optional)
    std::string cafile;      ///< -CAfile: anchors for client certificates (optional)
    ClientAuth client_auth = ClientAuth::none;
    std::vector<std::string> alpn;  ///< -alpn a,b (server preference order)
    std::string version_flag;       ///< "-tls1_2" / "-tls1_3" or empty
    Mode mode = Mode::www;
    std::vector<std::string> extra_args;
    Millis limit = Millis(20000);  ///< the process never outlives this
};

/// `openssl s_server -accept 127.0.0.1:0 -naccept 1 ...`: serves exactly one connection on the
/// port it reports ("ACCEPT 127.0.0.1:PORT") and exits.
class OpensslServer {
  public:
    /// Starts the server and waits (bounded) until it accepts. @throws std::runtime_error when
    /// it does not report a port in time.
    explicit OpensslServer(const OpensslServerOptions& options);
    std::uint16_t port() const noexcept { return port_; }
    /// Waits for the server to exit after its one connection and returns its output.
    ProcessResult finish(Millis timeout = kPeerTimeout);
    Subprocess& process() noexcept { return process_; }

  private:
    Subprocess process_;
    std::uint16_t port_ = 0;
};

/// What `openssl s_client` is asked to do.
struct OpensslClientOptions {
    std::uint16_t port = 0;
    std::string servername = "localhost";  ///< -servername (SNI) and -verify_hostname
    std::string verify_ip;                 ///< -verify_ip instead of a host name
    std::string cafile;                    ///< -CAfile; with it, -verify_return_error
    std::string cert;                      ///< -cert (client certificate)
    std::string key;                       ///< -key
    std::string cert_chain;                ///< -cert_chain
    std::vector<std::string> alpn;         ///< -alpn a,b
    std::string version_flag;              ///< "-tls1_2" / "-tls1_3" or empty
    std::string input;                     ///< written to stdin, then EOF
    bool ign_eof = true;  ///< -ign_eof: stay until the server closes, not until stdin ends
    std::vector<std::string> extra_args;
    Millis limit = kPeerTimeout;
};

/// The facts `openssl s_client` printed about its connection.
struct OpensslClientResult {
    ProcessResult process;
    std::optional<std::string> protocol;  ///< "TLSv1.3" from "New, TLSv1.3, Cipher is ..."
    std::optional<std::string> cipher;    ///< the suite from the same line
    std::optional<std::string> alpn;      ///< "ALPN protocol: h2"; nullopt for "No ALPN ..."
    std::optional<long> verify_code;      ///< "Verify return code: N (...)"
};

/// Runs `openssl s_client -connect 127.0.0.1:PORT ...` to completion.
OpensslClientResult run_openssl_client(const OpensslClientOptions& options);

/// The value after `prefix` up to the end of its line, from the first line holding `prefix`.
std::optional<std::string> find_line_value(std::string_view text, std::string_view prefix);

// What the openssl command prints differs between releases; these read both spellings.

/// The key-exchange line of `s_client`: "Server Temp Key: X" (3.0) or "Peer Temp Key: X" (3.2+).
/// 3.5 prints neither for a hybrid group (it prints "Negotiated TLS1.3 group: X25519MLKEM768").
std::optional<std::string> find_temp_key(std::string_view s_client_output);
/// `text` with distinguished names in one spelling: 3.0 prints "CN = name, O = x", 3.2+
/// "CN=name, O=x"; this returns the latter.
std::string normalize_dn(std::string_view text);

// ---------------------------------------------------------------------------------------------
// python3 ssl peers (scripts in tests/support/python/)

/// Arguments of tests/support/python/tls_server.py.
struct PythonServerOptions {
    std::string certfile;  ///< load_cert_chain(certfile, keyfile): the chain file
    std::string keyfile;
    std::string cafile;             ///< load_verify_locations (for client certificates)
    std::string verify = "none";    ///< "none" | "optional" | "required"
    std::vector<std::string> alpn;  ///< set_alpn_protocols
    std::string min_version;        ///< "1.2" | "1.3" or empty
    std::string max_version;        ///< "1.2" | "1.3" or empty
    std::string reply = "pong";     ///< sent back (plus "\n") after one line is received
    Millis limit = Millis(20000);
};

/// A Python `ssl` server for one connection. It reports as JSON on stdout: first
/// {"event": "listening", "port": N}, then one {"event": "result", ...} describing the
/// handshake ("handshake": "ok"|"failed"), the negotiated version, cipher, ALPN, peer
/// certificate (getpeercert() dict or null), the error with its type, reason, library,
/// verify_code (when it failed) and "alert" (the reason when it was a TLS alert), the line it
/// received and how the stream ended.
class PythonServer {
  public:
    /// Starts the script and waits (bounded) for its port. @throws std::runtime_error.
    explicit PythonServer(const PythonServerOptions& options);
    std::uint16_t port() const noexcept { return port_; }
    /// Waits for the result line and the exit. @throws std::runtime_error (with the output)
    /// when no result came.
    nlohmann::json result(Millis timeout = kPeerTimeout);
    Subprocess& process() noexcept { return process_; }

  private:
    Subprocess process_;
    std::uint16_t port_ = 0;
};

/// Arguments of tests/support/python/tls_client.py.
struct PythonClientOptions {
    std::uint16_t port = 0;
    std::string server_hostname = "localhost";
    std::string cafile;
    std::string certfile;  ///< client certificate chain (optional)
    std::string keyfile;
    std::vector<std::string> alpn;
    std::string min_version;
    std::string max_version;
    bool check_hostname = true;
    std::string send = "ping";  ///< sent (plus "\n") after the handshake
    /// Read once before sending: sees an alert the server sends right after the handshake
    /// (sending first races the server's close and can turn the alert into a reset).
    bool read_first = false;
    Millis limit = Millis(20000);
};

/// Runs the Python client to completion: it connects, handshakes, sends one line, reads until
/// the server closes and reports one JSON object shaped like PythonServer's result.
nlohmann::json run_python_client(const PythonClientOptions& options);

/// Runs `python3 -c code args...` and parses its stdout as JSON. @throws std::runtime_error
/// (with the output) when it fails or prints no JSON.
nlohmann::json run_python_json(const std::string& code, const std::vector<std::string>& args = {},
                               Millis timeout = kPeerTimeout);

/// Python's `ssl._ssl._test_decode_cert(path)` for each path, in order (one python3 run).
std::vector<nlohmann::json> python_decode_certs(const std::vector<std::string>& paths);

/// The path of a script in tests/support/python/.
std::string python_script(const std::string& name);

// ---------------------------------------------------------------------------------------------
// tlsctx peers in this process

/// A tlsctx server for one connection on its own thread: waits (bounded) for a connection on
/// `listener`, handshakes with `timeout` and runs `handler` on the socket, which keeps that
/// timeout, so every blocking call in the handler is bounded too.
class ServerThread {
  public:
    using Handler = std::function<void(tls::Socket&)>;

    ServerThread(tls::Listener& listener, Handler handler, Millis timeout = kPeerTimeout);
    ~ServerThread();
    ServerThread(ServerThread&&) noexcept;
    ServerThread& operator=(ServerThread&&) = delete;
    ServerThread(const ServerThread&) = delete;
    ServerThread& operator=(const ServerThread&) = delete;

    /// Waits for the thread and returns the exception that ended it (accept, handshake or
    /// handler), or nullptr.
    std::exception_ptr join();

  private:
    std::thread thread_;
    std::shared_ptr<std::exception_ptr> error_;
};

/// Starts a ServerThread (see there).
ServerThread run_server_in_thread(tls::Listener& listener, ServerThread::Handler handler,
                                  Millis timeout = kPeerTimeout);

/// A client and a server tlsctx Socket over one loopback TCP connection, after a handshake that
/// either completed or failed on either side (the errors are kept; the sockets stay usable for
/// inspection). Both sockets keep `timeout`.
struct TlsPair {
    tls::Socket client;
    tls::Socket server;
    std::exception_ptr client_error;
    std::exception_ptr server_error;

    TlsPair() = default;
    TlsPair(TlsPair&&) = default;
    TlsPair& operator=(TlsPair&&) = default;
    TlsPair(const TlsPair&) = delete;
    TlsPair& operator=(const TlsPair&) = delete;
    /// Closes both ends at once. A Socket whose handshake failed lingers on close until its
    /// peer closes too (close_linger.hpp), so closing one after the other made every test
    /// where both sides failed wait out the close timeout.
    ~TlsPair();
};

/// Handshakes `client_options` (a client) against `server_options` (a server) over
/// loopback_pair(): the server on a thread, the client on the caller's, each bounded by
/// `timeout`.
TlsPair handshake_pair(const tls::Context& client_context, const tls::Context& server_context,
                       tls::WrapOptions client_options,
                       tls::WrapOptions server_options = tls::WrapOptions::server(),
                       Millis timeout = kPeerTimeout);

/// Rethrows `e` inside a function so tests can use EXPECT_THROW on a stored error.
void rethrow(const std::exception_ptr& e);

/// A readable description of a stored exception ("none" when null).
std::string describe(const std::exception_ptr& e);

}  // namespace tls::test
