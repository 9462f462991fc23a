// tlsctx tests — helpers for the interop suites against gnutls, nginx, stunnel and curl
// (tests/interop/{gnutls,nginx,stunnel,curl}_test.cpp): what a tlsctx server saw on a connection,
// HTTP responses split into parts, `tlsctx serve` as a subprocess that reports its port, and
// peers that cannot bind port 0 started on a free port with retries. Header-only; builds on
// support/peers.hpp and support/feature_helpers.hpp, which it does not change.
//
// The rules of support/peers.hpp hold here too: loopback only, every subprocess under `timeout`
// in its own process group (killed by its owner's destructor), every wait bounded, no sleeps.
#pragma once

#include <cctype>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

#ifndef TLSCTX_BINARY_DIR
#error "TLSCTX_BINARY_DIR must name the build directory"
#endif

namespace tls::test::more {

using feature::TempDir;
using feature::write_file;

/// The built `tlsctx` command.
inline std::string tlsctx_tool() {
    return TLSCTX_BINARY_DIR "/tools/tlsctx/tlsctx";
}

inline bool contains(std::string_view haystack, std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
}

/// The first commonName of a distinguished name, or "" when it has none.
inline std::string common_name(const tls::DistinguishedName& name) {
    for (const tls::RelativeDistinguishedName& rdn : name) {
        for (const tls::NameAttribute& attribute : rdn) {
            if (attribute.first == "commonName") {
                return attribute.second;
            }
        }
    }
    return {};
}

/// What a tlsctx server saw on one connection (filled in by a server thread's handler).
struct ServerSeen {
    std::optional<std::string> version;
    std::optional<std::string> cipher;                   ///< the suite's name
    std::optional<tls::CipherDescription> cipher_suite;  ///< cipher(): name, protocol, bits
    std::optional<std::string> alpn;
    std::optional<tls::CertificateInfo> peer;  ///< getpeercert()
    bool reused = false;                       ///< session_reused()
    std::string received;                      ///< application data read
};

/// The negotiated facts of `socket` (after its handshake).
inline ServerSeen observe(const tls::Socket& socket) {
    ServerSeen seen;
    seen.version = socket.version();
    seen.cipher_suite = socket.cipher();
    if (seen.cipher_suite) {
        seen.cipher = seen.cipher_suite->name;
    }
    seen.alpn = socket.selected_alpn_protocol();
    seen.peer = socket.getpeercert();
    seen.reused = socket.session_reused();
    return seen;
}

/// A ServerThread handler (support/peers.hpp) for the ping exchange the openssl and python3
/// peers run: records the connection in `seen`, reads one line into `seen.received`, answers
/// "pong\n", then exchanges close_notify.
inline ServerThread::Handler ping_pong(ServerSeen& seen) {
    return [&seen](tls::Socket& s) {
        seen = observe(s);
        while (seen.received.find('\n') == std::string::npos) {
            std::string chunk = s.recv();
            if (chunk.empty()) {
                return;
            }
            seen.received += chunk;
        }
        s.sendall("pong\n");
        Fd tcp(s.unwrap());
    };
}

/// An HTTP/1.x response split into its parts.
struct HttpResponse {
    std::string status_line;  ///< "HTTP/1.1 200 OK"
    int status = 0;           ///< 200
    std::string head;         ///< the header lines, CRLF-separated
    std::string body;
};

/// Splits a whole response (read until the server closed); std::nullopt when it is not one.
inline std::optional<HttpResponse> parse_http_response(const std::string& raw) {
    const std::size_t end_of_head = raw.find("\r\n\r\n");
    if (raw.compare(0, 5, "HTTP/") != 0 || end_of_head == std::string::npos) {
        return std::nullopt;
    }
    HttpResponse response;
    const std::size_t end_of_status = raw.find("\r\n");
    response.status_line = raw.substr(0, end_of_status);
    const std::size_t space = response.status_line.find(' ');
    if (space == std::string::npos || space + 4 > response.status_line.size() ||
        !std::isdigit(static_cast<unsigned char>(response.status_line[space + 1]))) {
        return std::nullopt;
    }
    response.status = std::stoi(response.status_line.substr(space + 1, 3));
    response.head = raw.substr(end_of_status + 2, end_of_head - end_of_status - 2);
    response.body = raw.substr(end_of_head + 4);
    return response;
}

/// Starts a peer that must be given its port (it cannot bind port 0 and report it): `start`
/// gets a port that was free a moment ago and returns false when the peer reports that the port
/// was taken meanwhile, and is then retried with another port. @throws std::runtime_error after
/// five ports were taken.
inline std::uint16_t start_on_free_port(const std::function<bool(std::uint16_t port)>& start) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        const std::uint16_t port = pick_loopback_port();
        if (start(port)) {
            return port;
        }
    }
    throw std::runtime_error("no free loopback port after five attempts");
}

/// How a daemon that must be given its port (nginx, stunnel) is started and how its log
/// (stderr) says that it did. Each predicate sees the log so far and the port it was given.
struct DaemonStartup {
    std::string name;  ///< for the error message
    /// Writes the daemon's configuration for `port` and returns its command line.
    std::function<std::vector<std::string>(std::uint16_t port)> command;
    std::function<bool(const std::string& log, std::uint16_t port)> ready;
    std::function<bool(const std::string& log, std::uint16_t port)> port_taken;
    std::function<bool(const std::string& log, std::uint16_t port)> failed;
};

/// Starts `startup` on a free port (start_on_free_port) into `process` and waits (bounded) until
/// its log says it is ready; a port taken meanwhile is retried on another. Returns the port.
/// @throws std::runtime_error (with the log) when it neither became ready nor lost the port.
inline std::uint16_t start_daemon(std::optional<Subprocess>& process, const DaemonStartup& startup,
                                  Millis limit = Millis(20000)) {
    return start_on_free_port([&](std::uint16_t port) {
        process.emplace(startup.command(port), limit);
        auto settled = [&](const std::string&, const std::string& log) {
            return startup.ready(log, port) || startup.port_taken(log, port) ||
                   startup.failed(log, port);
        };
        process->wait_for_output(settled, kPeerTimeout);
        const std::string log = process->stderr_text();
        if (startup.port_taken(log, port)) {
            process.reset();
            return false;
        }
        if (!startup.ready(log, port)) {
            throw std::runtime_error(startup.name + " did not start\n" + process->describe());
        }
        return true;
    });
}

/// `tlsctx serve --host 127.0.0.1 --port 0 ARGS...` as a subprocess. The port is read from the
/// line "listening on 127.0.0.1:PORT" it prints once it listens, so no polling is needed. Pass
/// `--exit-after N` to let it end by itself; the destructor kills it otherwise.
class TlsctxServe {
  public:
    /// @throws std::runtime_error (with its output) when it does not report a port in time.
    explicit TlsctxServe(const std::vector<std::string>& args, Millis limit = Millis(20000))
        : process_(argv(args), limit) {
        constexpr std::string_view kListening = "listening on 127.0.0.1:";
        auto has_port = [&](const std::string& out, const std::string&) {
            const std::size_t at = out.find(kListening);
            return at != std::string::npos && out.find('\n', at) != std::string::npos;
        };
        if (!process_.wait_for_output(has_port, kPeerTimeout)) {
            throw std::runtime_error("tlsctx serve did not start listening\n" +
                                     process_.describe());
        }
        const std::string out = process_.stdout_text();
        port_ = static_cast<std::uint16_t>(
            std::stoul(out.substr(out.find(kListening) + kListening.size())));
    }

    std::uint16_t port() const noexcept { return port_; }
    Subprocess& process() noexcept { return process_; }
    /// Waits for the server to exit (after --exit-after connections) and returns its output.
    ProcessResult finish(Millis timeout = kPeerTimeout) { return process_.wait(timeout); }

  private:
    static std::vector<std::string> argv(const std::vector<std::string>& args) {
        std::vector<std::string> out{tlsctx_tool(), "serve", "--host", "127.0.0.1", "--port", "0"};
        out.insert(out.end(), args.begin(), args.end());
        return out;
    }

    Subprocess process_;
    std::uint16_t port_ = 0;
};

}  // namespace tls::test::more
