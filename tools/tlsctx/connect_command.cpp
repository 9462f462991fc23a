// `tlsctx connect HOST:PORT`: a TLS client in the spirit of `openssl s_client`, with the secure
// defaults of tls::Context. Prints what was negotiated and the peer certificate as Python's
// getpeercert() dict; `--send` writes a request, half-closes and prints the whole response.
#include <sys/socket.h>

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
#include "tls/printing.hpp"
#include "tls/socket.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

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
    std::string ocsp = "off";
    std::string session_cache;
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

void print_human(const HostPort& target, const tls::Socket& socket, bool verified,
                 const std::optional<std::string>& response) {
    tls::CipherDescription cipher = socket.cipher().value_or(tls::CipherDescription{});
    std::cout << "connected:   " << format_host_port(target.host, target.port)
              << " (server_hostname \"" << socket.server_hostname() << "\")\n"
              << "version:     " << socket.version().value_or("?") << "\n"
              << "cipher:      " << cipher.name << " (" << cipher.protocol << ", "
              << cipher.secret_bits << " secret bits)\n"
              << "alpn:        " << socket.selected_alpn_protocol().value_or("(none)") << "\n"
              << "verified:    "
              << (verified ? "yes: chain and host name"
                           : "NO: --insecure-no-verify, the peer is not authenticated")
              << "\n"
              << "chain:       " << socket.get_verified_chain().size()
              << " verified certificate(s), leaf to trust anchor\n"
              << "resumed:     " << (socket.session_reused() ? "yes" : "no") << "\n";
    const std::optional<tls::OcspResponseInfo> staple = socket.ocsp_response();
    std::cout << "ocsp staple: "
              << (staple ? staple->cert_status + " (this update " + staple->this_update +
                               ", next update " + staple->next_update.value_or("none") + ")"
                         : std::string("(none)"))
              << "\n";
    std::optional<tls::CertificateInfo> peer = socket.getpeercert();
    // As pprint.pprint(ssl_sock.getpeercert()) shows it in Python's client example.
    std::cout << "peer certificate (getpeercert()):\n"
              << (peer ? tls::to_string(*peer) : "None (none sent)") << "\n";
    if (response) {
        std::cout << "response (" << response->size() << " bytes):\n" << *response;
        if (!response->empty() && response->back() != '\n') {
            std::cout << "\n";
        }
    }
    std::cout.flush();
}

void print_json(const tls::Socket& socket, bool verified,
                const std::optional<std::string>& response) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    out["version"] = socket.version() ? nlohmann::ordered_json(*socket.version()) : nullptr;
    out["cipher"] = socket.cipher() ? cipher_description_to_json(*socket.cipher())
                                    : nlohmann::ordered_json(nullptr);
    std::optional<std::string> alpn = socket.selected_alpn_protocol();
    out["alpn"] = alpn ? nlohmann::ordered_json(*alpn) : nullptr;
    std::optional<tls::CertificateInfo> peer = socket.getpeercert();
    out["peer_certificate"] =
        peer ? certificate_to_ordered_json(*peer) : nlohmann::ordered_json(nullptr);
    // Python 3.13's get_verified_chain(): empty (null here) when nothing was verified.
    std::vector<tls::Bytes> chain = socket.get_verified_chain();
    out["verified_chain_length"] =
        chain.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(chain.size());
    const std::optional<tls::OcspResponseInfo> staple = socket.ocsp_response();
    out["ocsp_cert_status"] = staple ? nlohmann::ordered_json(staple->cert_status) : nullptr;
    out["session_reused"] = socket.session_reused();
    out["server_hostname"] = socket.server_hostname();
    out["verified"] = verified;
    if (response) {
        out["response"] = *response;
    }
    std::cout << json_dump(out) << std::endl;
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

void run_connect(const ConnectOptions& options) {
    const HostPort target = parse_host_port(options.target);
    const tls::Timeout timeout = seconds_to_timeout(options.timeout_seconds, "--timeout");
    tls::Context context = make_client_context(options);
    std::optional<tls::ClientSessionCache> cache = load_session_cache(options.session_cache);
    if (cache) {
        context.set_client_session_cache(*cache);
    }

    tls::WrapOptions wrap = tls::WrapOptions::client(options.servername.value_or(target.host));
    wrap.do_handshake_on_connect = false;
    tls::Socket socket = context.wrap_socket(tcp_connect(target.host, target.port, timeout),
                                             tls::FdOwnership::adopt, wrap);
    socket.settimeout(timeout);
    socket.do_handshake();

    std::optional<std::string> response;
    if (options.send) {
        response = exchange(socket, *options.send);
    }
    if (options.json) {
        print_json(socket, !options.insecure_no_verify, response);
    } else {
        print_human(target, socket, !options.insecure_no_verify, response);
    }
    if (cache) {
        if (!options.send) {
            collect_tickets(socket);
        }
        cache->save(options.session_cache);
    }
    socket.close();
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
    cmd->add_flag("--json", o->json, "Print one JSON object");
    cmd->callback([o] { run_connect(*o); });
}

}  // namespace tlsctx_tool
