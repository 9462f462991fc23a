// `tlsctx connect HOST:PORT`: a TLS client in the spirit of `openssl s_client`, with the secure
// defaults of tls::Context. Prints what was negotiated and the peer certificate as Python's
// getpeercert() dict; `--send` writes a request, half-closes and prints the whole response;
// `--showcerts`, `--resume`, `--sess-out`/`--sess-in`, `--keylog` and `--starttls` as s_client
// has them.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>

#include "tls/client_session_cache.hpp"
#include "tls/context.hpp"
#include "tls/dangerous.hpp"
#include "tls/socket.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/connect.hpp"
#include "tlsctx/starttls.hpp"

namespace tlsctx_tool {
namespace {

constexpr std::size_t kMaxResponse = std::size_t{64} * 1024 * 1024;

struct ConnectOptions {
    std::string target;
    std::string cafile;
    std::string capath;
    std::optional<std::string> servername;
    std::string alpn;
    std::string cert;
    std::string key;
    std::string password;
    std::string tls_min;
    std::string tls_max;
    std::string ciphers;
    std::string policy;
    bool insecure_no_verify = false;
    std::optional<std::string> send;
    double timeout_seconds = 10.0;
    bool json = false;
    bool pretty = false;
    std::string ocsp = "off";
    std::string session_cache;
    bool showcerts = false;
    bool resume = false;
    std::string sess_out;
    std::string sess_in;
    std::string keylog;
    std::string starttls;
};

tls::Context make_client_context(const ConnectOptions& options) {
    tls::Context context;  // the secure client context: CERT_REQUIRED and host-name checks
    if (!options.cafile.empty() || !options.capath.empty()) {
        context.load_verify_locations(options.cafile, options.capath);
    }
    if (!options.cert.empty()) {
        context.load_cert_chain(options.cert, options.key, options.password);
    }
    if (!options.alpn.empty()) {
        context.set_alpn_protocols(split_list(options.alpn));
    }
    context.set_ocsp_policy(options.ocsp == "require" ? tls::OcspPolicy::require
                            : options.ocsp == "check" ? tls::OcspPolicy::check_if_present
                                                      : tls::OcspPolicy::off);
    if (!options.tls_min.empty()) {
        context.set_minimum_version(parse_tls_version(options.tls_min, "--tls-min"));
    }
    if (!options.tls_max.empty()) {
        context.set_maximum_version(parse_tls_version(options.tls_max, "--tls-max"));
    }
    if (!options.policy.empty()) {
        std::optional<tls::CipherPolicy> policy = tls::cipher_policy_from_name(options.policy);
        if (!policy) {
            usage_error("--policy", "unknown policy '" + options.policy + "'");
        }
        context.set_ciphers(*policy);
    } else if (!options.ciphers.empty()) {
        context.set_ciphers(options.ciphers);
    }
    if (options.insecure_no_verify) {
        context.dangerous().disable_verification();
    }
    if (!options.keylog.empty()) {
        // Appends, as SSLKEYLOGFILE users expect; every connection of this run is logged.
        context.dangerous().set_keylog_filename(options.keylog);
    }
    return context;
}

// Sends `request`, half-closes the TCP stream so that servers which answer at end of input
// (echo servers) see it, and reads everything until the server closes.
std::string exchange(tls::Socket& socket, const std::string& request) {
    socket.sendall(request);
    // TLS's half-close: close_notify tells the peer we are done sending, and its reply can still
    // be read (a bare TCP half-close would look like truncation to the peer).
    socket.send_close_notify();
    std::string response;
    char buffer[16384];
    while (response.size() < kMaxResponse) {
        std::size_t n = socket.read(buffer, sizeof buffer);
        if (n == 0) {
            break;
        }
        response.append(buffer, n);
    }
    return response;
}

// --session-cache: the sessions of earlier runs, if the file exists yet.
std::optional<tls::ClientSessionCache> load_session_cache(const std::string& path) {
    if (path.empty()) {
        return std::nullopt;
    }
    tls::ClientSessionCache cache;
    try {
        cache.load(path);
    } catch (const std::system_error& e) {
        if (e.code() != std::errc::no_such_file_or_directory) {
            throw;
        }
    }
    return cache;
}

// A TLS 1.3 server sends its tickets after the handshake, so a client that only handshakes
// has not read them. Ending with close_notify and reading until the server's lets them in;
// a server that never answers costs at most one second.
void collect_tickets(tls::Socket& socket) {
    try {
        socket.send_close_notify();
        socket.settimeout(std::chrono::seconds(1));
        char buffer[4096];
        while (socket.read(buffer, sizeof buffer) > 0) {
        }
    } catch (const std::exception&) {
        // A peer that resets or stays silent: the tickets that came are cached all the same.
    }
}

// A TCP connection to the target (upgraded with --starttls's dialogue, whose last answer goes
// to `starttls_answer`) and a client socket over it, handshake not yet done.
tls::Socket open_socket(tls::Context& context, const ConnectOptions& options,
                        const HostPort& target, tls::Timeout timeout, const tls::Session& session,
                        std::string* starttls_answer = nullptr) {
    const std::string name = options.servername.value_or(target.host);
    tls::WrapOptions wrap = tls::WrapOptions::client(name);
    wrap.do_handshake_on_connect = false;
    wrap.session = session;
    const int fd = tcp_connect(target.host, target.port, timeout);
    if (!options.starttls.empty()) {
        try {
            const std::string answer =
                negotiate_starttls(fd, *starttls_from_name(options.starttls), name, timeout);
            if (starttls_answer != nullptr) {
                *starttls_answer = answer;
            }
        } catch (...) {
            ::close(fd);
            throw;
        }
    }
    tls::Socket socket = context.wrap_socket(fd, tls::FdOwnership::adopt, wrap);
    socket.settimeout(timeout);
    return socket;
}

// --resume: a second connection offering the first one's session.
ConnectFacts::Resume connect_again(tls::Context& context, const ConnectOptions& options,
                                   const HostPort& target, tls::Timeout timeout,
                                   const tls::Session& session) {
    ConnectFacts::Resume out;
    out.offered = !session.empty() && session.is_resumable();
    tls::Socket again =
        open_socket(context, options, target, timeout, out.offered ? session : tls::Session{});
    again.do_handshake();
    out.resumed = again.session_reused();
    out.version = again.version().value_or("");
    again.close();
    return out;
}

void run_connect(const ConnectOptions& options) {
    const HostPort target = parse_host_port(options.target);
    const tls::Timeout timeout = seconds_to_timeout(options.timeout_seconds, "--timeout");
    tls::Context context = make_client_context(options);
    std::optional<tls::ClientSessionCache> cache = load_session_cache(options.session_cache);
    if (cache) {
        context.set_client_session_cache(*cache);
    }
    const tls::Session offered =
        options.sess_in.empty() ? tls::Session{} : load_session_file(options.sess_in);

    ConnectFacts facts;
    std::string starttls_answer;
    tls::Socket socket = open_socket(context, options, target, timeout, offered, &starttls_answer);
    if (!options.starttls.empty()) {
        facts.starttls = ConnectFacts::StartTls{options.starttls, starttls_answer};
    }
    socket.do_handshake();

    facts.target = target;
    facts.verified = !options.insecure_no_verify;
    facts.showcerts = options.showcerts;
    if (options.send) {
        facts.response = exchange(socket, *options.send);
    }
    const bool wants_session = cache || options.resume || !options.sess_out.empty();
    if (wants_session && !options.send) {
        // TLS 1.3: the tickets come after the handshake; --send has read them already.
        collect_tickets(socket);
    }
    if (cache) {
        cache->save(options.session_cache);
    }
    const tls::Session session = socket.session();
    if (options.resume) {
        facts.resume = connect_again(context, options, target, timeout, session);
    }
    if (options.json) {
        print_connect_json(socket, facts, options.pretty);
    } else {
        print_connect_human(socket, facts);
    }
    socket.close();
    if (!options.sess_out.empty()) {
        if (session.empty() || !session.is_resumable()) {
            std::cerr << "error: --sess-out: the server gave no session to save (no session id, "
                         "no ticket)\n";
            throw ExitStatus{kExitFailure};
        }
        save_session_file(session, options.sess_out);
    }
}

}  // namespace

void add_connect_command(CLI::App& app) {
    auto o = std::make_shared<ConnectOptions>();
    CLI::App* cmd = app.add_subcommand(
        "connect",
        "Connect to a TLS server, verify it with the secure defaults and show what was negotiated");
    cmd->add_option("target", o->target, "Server address; IPv6 literals in brackets")
        ->type_name("HOST:PORT")
        ->required();
    cmd->add_option("--cafile", o->cafile, "Trust the CA certificates in this PEM file")
        ->check(CLI::ExistingFile);
    cmd->add_option("--capath", o->capath, "Trust the CAs in this hashed directory")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--servername", o->servername,
                    "Name to send as SNI and to verify (default: HOST)");
    cmd->add_option("--alpn", o->alpn, "ALPN protocols to offer, comma-separated (h2,http/1.1)");
    auto* cert = cmd->add_option("--cert", o->cert, "Client certificate chain (PEM)")
                     ->check(CLI::ExistingFile);
    cmd->add_option("--key", o->key, "Private key of --cert (default: in the --cert file)")
        ->check(CLI::ExistingFile)
        ->needs(cert);
    cmd->add_option("--password", o->password, "Password of an encrypted --key")->needs(cert);
    cmd->add_option("--tls-min", o->tls_min, "Lowest TLS version: 1.2 or 1.3");
    cmd->add_option("--tls-max", o->tls_max, "Highest TLS version: 1.2 or 1.3");
    auto* ciphers =
        cmd->add_option("--ciphers", o->ciphers, "OpenSSL cipher string for TLS 1.2 and below");
    cmd->add_option("--policy", o->policy, "A Python version's cipher policy (see `ciphers`)")
        ->check(CLI::IsMember(std::vector<std::string>{
            "python2.7", "python3.3", "python3.4", "python3.5", "python3.6", "python3.7",
            "python3.7-builtin", "python3.10", "default"}))
        ->excludes(ciphers);
    cmd->add_flag("--insecure-no-verify", o->insecure_no_verify,
                  "DANGEROUS: do not verify the certificate or the host name");
    cmd->add_option("--send", o->send,
                    "Send TEXT, half-close, then print everything the server sends back");
    cmd->add_option("--timeout", o->timeout_seconds,
                    "Seconds allowed for the connect, the handshake and each read (default 10)");
    cmd->add_option("--ocsp", o->ocsp,
                    "OCSP staple: off (default), check (when sent, or for a must-staple "
                    "certificate) or require")
        ->check(CLI::IsMember(std::vector<std::string>{"off", "check", "require"}));
    cmd->add_option("--session-cache", o->session_cache,
                    "Resume with the sessions saved in FILE by earlier runs and save this "
                    "run's there (mode 0600; it holds resumption secrets)")
        ->type_name("FILE");
    cmd->add_flag("--showcerts", o->showcerts,
                  "Show every certificate the peer sent (decoded and as PEM), each marked with "
                  "its depth in the verified chain, and the trust-store certificates that "
                  "completed it");
    cmd->add_flag("--resume", o->resume,
                  "Connect a second time offering the first connection's session (read after "
                  "the TLS 1.3 tickets arrive) and report whether it resumed");
    cmd->add_option("--sess-out", o->sess_out,
                    "Save the session to FILE as `openssl s_client -sess_out` does (mode 0600; "
                    "it holds the resumption secret)")
        ->type_name("FILE");
    cmd->add_option("--sess-in", o->sess_in,
                    "Offer the session in FILE (from --sess-out or `openssl s_client -sess_out`)")
        ->type_name("FILE")
        ->check(CLI::ExistingFile);
    cmd->add_option("--keylog", o->keylog,
                    "DANGEROUS: append the connection secrets to FILE in the NSS key log format "
                    "(SSLKEYLOGFILE), so captures can be decrypted")
        ->type_name("FILE");
    cmd->add_option("--starttls", o->starttls,
                    "Upgrade a plaintext connection first, as `openssl s_client -starttls`: " +
                        starttls_names())
        ->type_name("PROTOCOL")
        ->check([](const std::string& name) {
            return starttls_from_name(name) ? std::string() : "not one of " + starttls_names();
        });
    cmd->add_flag("--json", o->json, "Print one JSON object on one line");
    cmd->add_flag("--pretty", o->pretty, "Print the JSON object indented (implies --json)");
    cmd->callback([o] {
        o->json = o->json || o->pretty;
        run_connect(*o);
    });
}

}  // namespace tlsctx_tool
