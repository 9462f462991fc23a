// `tlsctx serve`: a TLS server on a PROTOCOL_TLS_SERVER context, in the spirit of `openssl
// s_server`. One thread per connection, at most --max-connections at once (the rest wait in the
// listen backlog). Every handshake and read is bounded by --idle-timeout, so idle or slow peers
// are dropped; a failed connection is logged to stderr and never stops the server. SIGTERM and
// SIGINT stop it cleanly: it stops accepting, wakes the connections and joins every thread.
// SIGHUP reloads the certificates (and --cafile) from their files while it serves, as nginx
// does: connections already made keep theirs, a file that fails to load changes nothing.
// --ticket-keys files are read again with them (the first file encrypts, as in nginx).
// With --session-store, sessions live in a store a fleet can share; SIGUSR1 (and exit) prints
// how many connections resumed and what the store cost.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "tls/context.hpp"
#include "tls/memory_session_store.hpp"
#if defined(TLSCTX_TOOL_HAS_REDIS)
#include "tls/redis.hpp"
#endif
#if defined(TLSCTX_TOOL_HAS_MEMCACHED)
#include "tls/memcached.hpp"
#endif
#include "tls/net.hpp"
#include "tls/socket.hpp"
#include "tls/version.hpp"
#include "tlsctx/commands.hpp"

namespace tlsctx_tool {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kMaxRequest = std::size_t{16} * 1024;
// How long accepting pauses when the process is out of descriptors.
constexpr milliseconds kAcceptBackoff{100};

struct ServeOptions {
    std::vector<std::string> certs;  // one chain per key type; keys[i] belongs to certs[i]
    std::vector<std::string> keys;
    std::string password;
    std::string host = "127.0.0.1";
    int port = 4433;
    std::string cafile;
    std::string verify_client;
    std::string alpn;
    std::string policy;
    bool www = false;
    bool echo = false;
    int max_connections = 64;
    double idle_timeout_seconds = 10.0;
    std::string port_file;
    long exit_after = 0;
    std::string ocsp_response;
    std::vector<std::string> ticket_keys;  // nginx-style key files; the first encrypts
    std::string session_store;
    std::string fleet_key;
    long store_deadline_ms = tls::SessionStoreOptions{}.deadline.count();
    bool no_tickets = false;
};

// The signal handler may only write to a pipe; the accept loop polls the other end. The byte
// says which signal: kReloadByte for SIGHUP, kStatsByte for SIGUSR1, anything else stops.
volatile std::sig_atomic_t g_signal_write_fd = -1;
constexpr char kReloadByte = 'H';
constexpr char kStatsByte = 'U';

void on_signal(int signal) {
    const int saved = errno;
    const char byte = signal == SIGHUP ? kReloadByte : signal == SIGUSR1 ? kStatsByte : 'T';
    (void)!::write(g_signal_write_fd, &byte, 1);
    errno = saved;
}

class Pipe {
  public:
    Pipe() {
        if (::pipe2(fds_.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
            throw std::system_error(errno, std::generic_category(), "pipe2");
        }
    }
    ~Pipe() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    int read_end() const noexcept { return fds_[0]; }
    int write_end() const noexcept { return fds_[1]; }
    void notify() const noexcept {
        char byte = 1;
        (void)!::write(fds_[1], &byte, 1);
    }
    // Empties the pipe; returns what was in it.
    std::string drain() const {
        std::string got;
        char buffer[64];
        ssize_t n = 0;
        while ((n = ::read(fds_[0], buffer, sizeof buffer)) > 0) {
            got.append(buffer, static_cast<std::size_t>(n));
        }
        return got;
    }

  private:
    std::array<int, 2> fds_{-1, -1};
};

// Routes SIGTERM/SIGINT/SIGHUP to the pipe while the server runs. The handler stays installed
// afterwards (writing to no pipe): `timeout` and process-group kills deliver a second SIGTERM,
// which must not kill a server that is already shutting down cleanly.
class SignalGuard {
  public:
    explicit SignalGuard(const Pipe& pipe) {
        g_signal_write_fd = pipe.write_end();
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR and re-checks the pipe
        ::sigaction(SIGTERM, &action, nullptr);
        ::sigaction(SIGINT, &action, nullptr);
        ::sigaction(SIGHUP, &action, nullptr);
        ::sigaction(SIGUSR1, &action, nullptr);
    }
    ~SignalGuard() { g_signal_write_fd = -1; }
    SignalGuard(const SignalGuard&) = delete;
    SignalGuard& operator=(const SignalGuard&) = delete;
};

std::string describe(const std::exception& e) {
    return describe_exception(e);
}

std::string common_name(const tls::CertificateInfo& info) {
    for (const tls::RelativeDistinguishedName& rdn : info.subject) {
        for (const tls::NameAttribute& attribute : rdn) {
            if (attribute.first == "commonName") {
                return attribute.second;
            }
        }
    }
    return "(no commonName)";
}

// Every --cert with its --key, loaded and checked but not yet in use.
std::vector<tls::CertChain> load_chains(const ServeOptions& options) {
    std::vector<tls::CertChain> chains;
    for (std::size_t i = 0; i < options.certs.size(); ++i) {
        chains.push_back(tls::CertChain::load(
            options.certs[i], i < options.keys.size() ? options.keys[i] : "", options.password));
    }
    return chains;
}

std::string describe_connection(const tls::Socket& socket) {
    tls::CipherDescription cipher = socket.cipher().value_or(tls::CipherDescription{});
    std::string out = socket.version().value_or("?") + " " + cipher.name +
                      " alpn=" + socket.selected_alpn_protocol().value_or("(none)") +
                      " session_reused=" + (socket.session_reused() ? "yes" : "no");
    std::optional<tls::CertificateInfo> client = socket.getpeercert();
    if (client && !client->empty()) {
        out += " client=\"" + common_name(*client) + "\"";
    }
    return out;
}

class Server {
  public:
    Server(const ServeOptions& options, tls::Context context,
           std::optional<tls::TicketKeyRing> ticket_keys)
        : options_(options),
          ticket_keys_(std::move(ticket_keys)),
          idle_timeout_(*seconds_to_timeout(options.idle_timeout_seconds, "--idle-timeout")),
          listener_(std::move(context), options.host, static_cast<std::uint16_t>(options.port)) {
        // Non-blocking, so a connection that vanished between poll() and accept() cannot block.
        ::fcntl(listener_.fileno(), F_SETFL, ::fcntl(listener_.fileno(), F_GETFL) | O_NONBLOCK);
    }

    std::uint16_t port() const noexcept { return listener_.port(); }

    /// Accepts and serves until a signal or --exit-after; joins every connection thread.
    void run() {
        SignalGuard signals(signal_pipe_);
        bool accepting = true;
        long accepted = 0;
        Clock::time_point resume_accepting = Clock::now();
        for (;;) {
            reap_finished();
            if (!accepting && threads_.empty()) {
                return;
            }
            std::vector<pollfd> fds{{signal_pipe_.read_end(), POLLIN, 0},
                                    {done_pipe_.read_end(), POLLIN, 0}};
            int timeout_ms = -1;
            const bool slot_free =
                threads_.size() < static_cast<std::size_t>(options_.max_connections);
            if (accepting && slot_free) {
                auto now = Clock::now();
                if (now >= resume_accepting) {
                    fds.push_back({listener_.fileno(), POLLIN, 0});
                } else {
                    timeout_ms = static_cast<int>(
                        std::chrono::duration_cast<milliseconds>(resume_accepting - now).count() +
                        1);
                }
            }
            int r = ::poll(fds.data(), fds.size(), timeout_ms);
            if (r < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw std::system_error(errno, std::generic_category(), "serve: poll");
            }
            if ((fds[0].revents & POLLIN) != 0) {
                const std::string signals = signal_pipe_.drain();
                if (signals.find(kStatsByte) != std::string::npos) {
                    print_stats();
                }
                if (signals.find(kReloadByte) != std::string::npos) {
                    reload();
                }
                static constexpr char kKeepServing[] = {kReloadByte, kStatsByte, '\0'};
                if (signals.find_first_not_of(kKeepServing) == std::string::npos) {
                    continue;
                }
                if (accepting) {
                    log("stopping on signal; closing " + std::to_string(threads_.size()) +
                        " connection(s)");
                }
                accepting = false;
                listener_.close();
                wake_all_connections();
                continue;
            }
            if ((fds[1].revents & POLLIN) != 0) {
                done_pipe_.drain();
            }
            if (fds.size() > 2 && (fds[2].revents & POLLIN) != 0) {
                if (accept_one(resume_accepting)) {
                    ++accepted;
                    if (options_.exit_after > 0 && accepted >= options_.exit_after) {
                        accepting = false;
                        listener_.close();
                    }
                }
            }
        }
    }

    // The resumption counts and, with a session store, what it cost (SIGUSR1 and exit).
    void print_stats() {
        const tls::SessionStoreStats store = listener_.context().session_store_stats();
        std::lock_guard<std::mutex> lock(log_mutex_);
        std::cout << "stats: resumed=" << resumed_.load() << " full=" << full_.load()
                  << " store_errors=" << store.errors + store.timeouts
                  << " store_latency_p99=" << store.latency_p99.count() << "us"
                  << " rejected=" << store.rejected << std::endl;
    }

  private:
    // SIGHUP: every --cert/--key (and --cafile) read again and swapped in at once, or nothing.
    void reload() {
        try {
            std::vector<tls::CertChain> chains = load_chains(options_);
            tls::Context context = listener_.context();
            if (ticket_keys_) {
                // Applies all the files or none; only the key names reach the log.
                ticket_keys_->load_files(options_.ticket_keys);
                log("reloaded " + std::to_string(options_.ticket_keys.size()) +
                    " ticket key file(s); encrypting with key " +
                    ticket_keys_->key_names_hex().front());
            }
            if (!options_.cafile.empty()) {
                context.reload_verify_locations(options_.cafile);
            }
            context.set_cert_chains(chains);
            for (const tls::CertChain& chain : chains) {
                const tls::CertificateInfo leaf = chain.leaf();
                log("reloaded " + chain.key_type() + " certificate \"" + common_name(leaf) +
                    "\" notAfter=" + leaf.not_after);
            }
        } catch (const std::exception& e) {
            log("reload failed, still serving the previous certificates: " + describe(e));
        }
    }

    void log(const std::string& line) {
        std::lock_guard<std::mutex> lock(log_mutex_);
        std::cerr << "tlsctx serve: " << line << std::endl;
    }

    // Accepts one TCP connection and starts its thread; false when there was none to accept.
    bool accept_one(Clock::time_point& resume_accepting) {
        tls::Socket socket;
        try {
            socket = listener_.accept_unhandshaken();
        } catch (const std::system_error& e) {
            const std::error_code& code = e.code();
            if (code == std::errc::resource_unavailable_try_again ||
                code == std::errc::operation_would_block || code == std::errc::interrupted ||
                code == std::errc::connection_aborted || code == std::errc::protocol_error) {
                return false;
            }
            log("accept failed: " + describe(e));
            resume_accepting = Clock::now() + kAcceptBackoff;
            return false;
        }
        const long id = ++next_id_;
        const int fd = socket.fileno();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            live_fds_.insert(fd);
        }
        // Connection threads leave SIGTERM/SIGINT/SIGHUP to this thread.
        sigset_t blocked;
        sigset_t previous;
        sigemptyset(&blocked);
        sigaddset(&blocked, SIGTERM);
        sigaddset(&blocked, SIGINT);
        sigaddset(&blocked, SIGHUP);
        sigaddset(&blocked, SIGUSR1);
        ::pthread_sigmask(SIG_BLOCK, &blocked, &previous);
        try {
            threads_.emplace(id,
                             std::thread(&Server::connection_thread, this, id, std::move(socket)));
        } catch (const std::exception& e) {
            log("cannot start a connection thread: " + describe(e));
            std::lock_guard<std::mutex> lock(mutex_);
            live_fds_.erase(fd);
        }
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        return true;
    }

    void reap_finished() {
        std::vector<long> finished;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            finished.swap(finished_);
        }
        for (long id : finished) {
            auto it = threads_.find(id);
            if (it != threads_.end()) {
                it->second.join();
                threads_.erase(it);
            }
        }
    }

    // Unblocks every connection thread waiting in the library: their reads see end of stream.
    void wake_all_connections() {
        std::lock_guard<std::mutex> lock(mutex_);
        for (int fd : live_fds_) {
            ::shutdown(fd, SHUT_RDWR);
        }
    }

    void connection_thread(long id, tls::Socket socket) noexcept {
        const int fd = socket.fileno();
        int unwrapped_fd = -1;
        try {
            const std::string label = "[" + std::to_string(id) + " " + peer_address(fd) + "] ";
            unwrapped_fd = serve_connection(socket, label);
        } catch (...) {
            // serve_connection logs what it can; nothing may escape a thread.
        }
        {
            // Deregister before the descriptor is closed, so wake_all_connections() never
            // touches a descriptor number that has been reused.
            std::lock_guard<std::mutex> lock(mutex_);
            live_fds_.erase(fd);
        }
        if (unwrapped_fd >= 0) {
            ::close(unwrapped_fd);
        }
        socket.close();
        {
            std::lock_guard<std::mutex> lock(mutex_);
            finished_.push_back(id);
        }
        done_pipe_.notify();
    }

    // Returns the descriptor when the connection was unwrapped (the caller closes it), else -1.
    int serve_connection(tls::Socket& socket, const std::string& label) {
        try {
            socket.settimeout(idle_timeout_);
            // The idle timeout bounds closing too: close() drains a peer that pipelined records
            // after a failed one (so it reads our alert, not a reset) for at most this long.
            socket.set_close_timeout(idle_timeout_);
            socket.do_handshake();
            ++(socket.session_reused() ? resumed_ : full_);
            log(label + describe_connection(socket));
            if (options_.www) {
                return serve_www(socket, label);
            }
            serve_echo(socket, label);
        } catch (const std::exception& e) {
            log(label + describe(e));
        }
        return -1;
    }

    void serve_echo(tls::Socket& socket, const std::string& label) {
        std::size_t total = 0;
        char buffer[16384];
        for (;;) {
            std::size_t n = socket.read(buffer, sizeof buffer);
            if (n == 0) {
                break;
            }
            socket.sendall(std::string_view(buffer, n));
            total += n;
        }
        log(label + "closed by the peer after " + std::to_string(total) + " bytes echoed");
    }

    int serve_www(tls::Socket& socket, const std::string& label) {
        // The whole request must arrive within one idle timeout, so a client trickling bytes
        // cannot hold the connection open.
        const Clock::time_point deadline = Clock::now() + idle_timeout_;
        std::string request;
        char buffer[4096];
        while (request.find("\r\n\r\n") == std::string::npos &&
               request.find("\n\n") == std::string::npos) {
            if (request.size() > kMaxRequest) {
                break;
            }
            auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                throw std::system_error(std::make_error_code(std::errc::timed_out),
                                        "read: timed out waiting for the HTTP request");
            }
            socket.settimeout(left);
            std::size_t n = socket.read(buffer, sizeof buffer);
            if (n == 0) {
                log(label + "closed before sending a complete HTTP request");
                return -1;
            }
            request.append(buffer, n);
        }
        socket.settimeout(idle_timeout_);
        const std::string request_line = request.substr(0, request.find_first_of("\r\n"));
        const bool too_large = request.size() > kMaxRequest;

        tls::CipherDescription cipher = socket.cipher().value_or(tls::CipherDescription{});
        std::optional<tls::CertificateInfo> client = socket.getpeercert();
        std::string body = "tlsctx serve\n";
        body += "version: " + socket.version().value_or("?") + "\n";
        body += "cipher: " + cipher.name + " (" + cipher.protocol + ", " +
                std::to_string(cipher.secret_bits) + " secret bits)\n";
        body += "alpn: " + socket.selected_alpn_protocol().value_or("(none)") + "\n";
        body += std::string("session reused: ") + (socket.session_reused() ? "yes" : "no") + "\n";
        body += "client certificate: " +
                (client && !client->empty() ? common_name(*client) : std::string("(none)")) + "\n";
        body += "request: " + request_line + "\n";
        const std::string status = too_large ? "400 Bad Request" : "200 OK";
        std::string response = "HTTP/1.0 " + status +
                               "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                               "Content-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        socket.sendall(response);
        log(label + "\"" + request_line + "\" " + status.substr(0, 3));
        try {
            // close_notify both ways, so the client can tell the response is complete.
            return socket.unwrap();
        } catch (const std::exception&) {
            // Clients often close without answering close_notify; the response was delivered.
            return -1;
        }
    }

    const ServeOptions& options_;
    std::optional<tls::TicketKeyRing> ticket_keys_;
    const milliseconds idle_timeout_;
    tls::Listener listener_;
    Pipe signal_pipe_;
    Pipe done_pipe_;
    std::mutex log_mutex_;
    std::mutex mutex_;                     // guards live_fds_ and finished_
    std::set<int> live_fds_;               // descriptors of connections still being served
    std::vector<long> finished_;           // connection threads ready to be joined
    std::map<long, std::thread> threads_;  // only the accept loop touches this
    long next_id_ = 0;
    std::atomic<std::uint64_t> resumed_{0};  // handshakes that resumed a session
    std::atomic<std::uint64_t> full_{0};     // and those that did not
};

bool has_scheme(const std::string& spec, const std::string& scheme) {
    return spec.rfind(scheme + "://", 0) == 0;
}

// --session-store: "memory", or a shared backend when this tool was linked with it (each is an
// optional component: its client library may be missing where the tool was built).
std::shared_ptr<tls::SessionStore> make_session_store(const std::string& spec) {
    if (spec == "memory") {
        return std::make_shared<tls::MemorySessionStore>();
    }
    try {
#if defined(TLSCTX_TOOL_HAS_REDIS)
        if (has_scheme(spec, "redis")) {
            return std::make_shared<tls::redis::SessionStore>(spec);
        }
#endif
#if defined(TLSCTX_TOOL_HAS_MEMCACHED)
        if (has_scheme(spec, "memcached")) {
            return std::make_shared<tls::memcached::SessionStore>(spec);
        }
#endif
    } catch (const std::invalid_argument& e) {
        usage_error("--session-store", e.what());
    }
    for (const char* scheme : {"redis", "memcached"}) {
        if (has_scheme(spec, scheme)) {
            usage_error("--session-store", std::string("this tlsctx was not built with the ") +
                                               scheme + " session store");
        }
    }
    usage_error(
        "--session-store",
        "expected memory, redis://HOST:PORT[/DB] or memcached://HOST:PORT, not '" + spec + "'");
}

void configure_session_store(tls::Context& context, const ServeOptions& options) {
    if (options.no_tickets) {
        context.set_options(context.options() | tls::OP_NO_TICKET);
    }
    if (options.session_store.empty()) {
        if (!options.fleet_key.empty()) {
            usage_error("--fleet-key", "needs --session-store");
        }
        return;
    }
    std::shared_ptr<tls::SessionStore> store = make_session_store(options.session_store);
    tls::SessionStoreOptions store_options;
    if (options.store_deadline_ms <= 0) {
        usage_error("--store-deadline", "must be a positive number of milliseconds");
    }
    store_options.deadline = std::chrono::milliseconds(options.store_deadline_ms);
    if (!options.fleet_key.empty()) {
        store_options.fleet_key = tls::load_fleet_key(options.fleet_key);
    } else if (options.session_store == "memory") {
        // One process shares nothing: a key of its own will do.
        store_options.fleet_key = tls::RAND_bytes(32);
    } else {
        usage_error("--fleet-key", "a shared --session-store needs the fleet's key");
    }
    context.set_session_store(std::move(store), std::move(store_options));
}

tls::Context make_server_context(const ServeOptions& options,
                                 std::optional<tls::TicketKeyRing>& ticket_keys) {
    tls::Context context(tls::PROTOCOL_TLS_SERVER);
    if (!options.ticket_keys.empty()) {
        ticket_keys.emplace();
        ticket_keys->load_files(options.ticket_keys);
        context.set_ticket_key_ring(*ticket_keys);
    }
    for (std::size_t i = 0; i < options.certs.size(); ++i) {
        context.load_cert_chain(options.certs[i], i < options.keys.size() ? options.keys[i] : "",
                                options.password);
    }
    if (context.cert_chains().size() != options.certs.size()) {
        usage_error("--cert", "two certificates with keys of one type (one per key type)");
    }
    if (!options.cafile.empty()) {
        context.load_verify_locations(options.cafile);
        context.set_verify_mode(options.verify_client == "optional" ? tls::CERT_OPTIONAL
                                                                    : tls::CERT_REQUIRED);
    }
    if (!options.ocsp_response.empty()) {
        context.load_ocsp_response(options.ocsp_response);
    }
    if (!options.alpn.empty()) {
        context.set_alpn_protocols(split_list(options.alpn));
    } else if (options.www) {
        // The page is HTTP/1.0: never let a client pick h2.
        context.set_alpn_protocols({"http/1.1"});
    }
    if (!options.policy.empty()) {
        std::optional<tls::CipherPolicy> policy = tls::cipher_policy_from_name(options.policy);
        if (!policy) {
            usage_error("--policy", "unknown policy '" + options.policy + "'");
        }
        context.set_ciphers(*policy);
    }
    configure_session_store(context, options);
    return context;
}

void write_port_file(const std::string& path, std::uint16_t port) {
    // Written under a temporary name and renamed, so a reader never sees a partial number.
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << port << "\n";
        if (!out.flush()) {
            throw std::system_error(errno, std::generic_category(),
                                    "cannot write --port-file " + temporary);
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        throw std::system_error(errno, std::generic_category(), "cannot rename to " + path);
    }
}

void run_serve(const ServeOptions& options) {
    if (options.keys.size() > options.certs.size()) {
        usage_error("--key", "more --key than --cert options");
    }
    if (options.max_connections < 1) {
        usage_error("--max-connections", "must be at least 1");
    }
    if (options.port < 0 || options.port > 65535) {
        usage_error("--port", "must be 0-65535");
    }
    std::optional<tls::TicketKeyRing> ticket_keys;
    tls::Context context = make_server_context(options, ticket_keys);
    Server server(options, std::move(context), ticket_keys);
    std::cout << "listening on " << format_host_port(options.host, server.port()) << std::endl;
    if (!options.port_file.empty()) {
        write_port_file(options.port_file, server.port());
    }
    server.run();
    server.print_stats();
}

}  // namespace

void add_serve_command(CLI::App& app) {
    auto o = std::make_shared<ServeOptions>();
    CLI::App* cmd = app.add_subcommand(
        "serve", "Run a TLS server (echo or a small HTTPS page) on a PROTOCOL_TLS_SERVER context");
    cmd->add_option("--cert", o->certs,
                    "Certificate chain, leaf first (PEM); repeat for one chain per key type "
                    "(RSA, ECDSA, Ed25519): each client gets one it can verify. SIGHUP reloads")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--key", o->keys,
                    "Private key of the --cert in the same position (default: in that file)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--password", o->password, "Password of an encrypted --key");
    cmd->add_option("--host", o->host, "Address to listen on (default 127.0.0.1)");
    cmd->add_option("--port", o->port, "Port to listen on; 0 picks one (default 4433)");
    auto* cafile = cmd->add_option("--cafile", o->cafile, "CAs for client certificates (PEM)")
                       ->check(CLI::ExistingFile);
    cmd->add_option("--verify-client", o->verify_client,
                    "Client certificates: optional or required (default with --cafile: required)")
        ->check(CLI::IsMember(std::vector<std::string>{"optional", "required"}))
        ->needs(cafile);
    cmd->add_option("--alpn", o->alpn,
                    "ALPN protocols to accept, in preference order (default with --www: "
                    "http/1.1)");
    cmd->add_option("--policy", o->policy, "A Python version's cipher policy (see `ciphers`)")
        ->check(CLI::IsMember(std::vector<std::string>{
            "python2.7", "python3.3", "python3.4", "python3.5", "python3.6", "python3.7",
            "python3.7-builtin", "python3.10", "default"}));
    auto* www = cmd->add_flag("--www", o->www,
                              "Answer each HTTP request with a page naming the TLS parameters");
    auto* echo = cmd->add_flag("--echo", o->echo, "Echo bytes until the peer closes (default)");
    www->excludes(echo);
    cmd->add_option("--max-connections", o->max_connections,
                    "Connections served at once; more wait in the backlog (default 64)");
    cmd->add_option("--idle-timeout", o->idle_timeout_seconds,
                    "Seconds allowed for the handshake, a request and each read (default 10)");
    cmd->add_option("--ocsp-response", o->ocsp_response,
                    "Staple this DER OCSP response (openssl ocsp -respout) while it is valid "
                    "for --cert's leaf")
        ->check(CLI::ExistingFile);
    cmd->add_option("--ticket-keys", o->ticket_keys,
                    "Session ticket key file (80 or 48 bytes, nginx's ssl_session_ticket_key "
                    "format); repeat: the first encrypts, the others only decrypt. SIGHUP "
                    "reloads")
        ->check(CLI::ExistingFile);
    cmd->add_option("--session-store", o->session_store,
                    "Keep sessions in this store: memory (this process), or a fleet's "
                    "redis://HOST:PORT or memcached://HOST:PORT");
    cmd->add_option("--fleet-key", o->fleet_key,
                    "The fleet's 32-byte key sealing stored sessions (raw or 64 hex digits; "
                    "default for memory: a random one)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--store-deadline", o->store_deadline_ms,
                    "Milliseconds a handshake waits for the --session-store; past it, that "
                    "connection gets a full handshake (default " +
                        std::to_string(o->store_deadline_ms) + ")");
    cmd->add_flag("--no-tickets", o->no_tickets,
                  "Send no stateless tickets (OP_NO_TICKET): TLS 1.3 tickets then name sessions "
                  "in the --session-store");
    cmd->add_option("--port-file", o->port_file, "Write the listening port to this file");
    cmd->add_option("--exit-after", o->exit_after,
                    "Exit after serving this many connections (0: run until SIGTERM/SIGINT)");
    cmd->callback([o] { run_serve(*o); });
}

}  // namespace tlsctx_tool
