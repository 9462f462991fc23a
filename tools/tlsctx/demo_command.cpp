// `tlsctx demo`: the library's main job in one self-contained run. An in-memory CA issues a
// `localhost` certificate, a server thread listens on 127.0.0.1, a default (verifying) client
// connects and exchanges a line, and two clients that must be refused are refused: one that
// expects another host name and one that trusts an unrelated CA. No files, no network beyond
// loopback and no name resolution: clients connect to the address 127.0.0.1 and verify the name
// "localhost" (a minimal container may have no /etc/hosts). Every wait is bounded, and the
// server thread is always joined.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/net.hpp"
#include "tls/pki.hpp"
#include "tls/socket.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

// Loopback handshakes take milliseconds; these bounds only matter when something is broken.
constexpr std::chrono::milliseconds kIoTimeout{2000};
constexpr std::chrono::milliseconds kAcceptTimeout{5000};
constexpr int kConnections = 3;  // the verified client and the two that must be refused
const std::vector<std::string> kAlpn = {"h2", "http/1.1"};
const std::string kGreeting = "hello from the tlsctx demo";
const std::string kServerAddress = "127.0.0.1";

// A verifying handshake with the demo server at its address, checking `server_hostname`.
tls::Socket connect_to_demo(const tls::Context& context, const std::string& server_hostname,
                            std::uint16_t port) {
    tls::WrapOptions options = tls::WrapOptions::client(server_hostname);
    options.do_handshake_on_connect = false;
    tls::Socket socket = context.wrap_socket(tcp_connect(kServerAddress, port, kIoTimeout),
                                             tls::FdOwnership::adopt, options);
    socket.settimeout(kIoTimeout);
    socket.do_handshake();
    return socket;
}

// Reads up to and including '\n' (or to EOF), at most 4 KiB.
std::string read_line(tls::Socket& socket) {
    std::string line;
    char c = 0;
    while (line.size() < 4096 && socket.read(&c, 1) == 1) {
        line += c;
        if (c == '\n') {
            break;
        }
    }
    return line;
}

std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.pop_back();
    }
    return s;
}

std::string describe(const std::exception& e) {
    return describe_exception(e);
}

// Serves kConnections clients, one at a time: handshake, read a line, answer "echo: <line>",
// close_notify both ways. Records what happened for the summary; never throws out of run().
class DemoServer {
  public:
    explicit DemoServer(tls::Context context) : listener_(std::move(context), kServerAddress, 0) {
        if (::pipe2(stop_pipe_.data(), O_CLOEXEC) != 0) {
            throw std::system_error(errno, std::generic_category(), "pipe2");
        }
        thread_ = std::thread([this] { run(); });
    }
    ~DemoServer() { stop(); }
    DemoServer(const DemoServer&) = delete;
    DemoServer& operator=(const DemoServer&) = delete;

    std::uint16_t port() const noexcept { return listener_.port(); }

    /// Wakes the server if it is still waiting, joins it and returns what it saw.
    std::vector<std::string> stop() {
        if (thread_.joinable()) {
            char byte = 0;
            (void)!::write(stop_pipe_[1], &byte, 1);
            thread_.join();
            ::close(stop_pipe_[0]);
            ::close(stop_pipe_[1]);
        }
        std::lock_guard<std::mutex> lock(mutex_);
        return notes_;
    }

  private:
    void note(std::string text) {
        std::lock_guard<std::mutex> lock(mutex_);
        notes_.push_back(std::move(text));
    }

    void run() noexcept {
        for (int i = 1; i <= kConnections; ++i) {
            std::array<pollfd, 2> fds{
                {{listener_.fileno(), POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}}};
            int r;
            do {
                r = ::poll(fds.data(), fds.size(), static_cast<int>(kAcceptTimeout.count()));
            } while (r < 0 && errno == EINTR);
            if (r <= 0 || (fds[1].revents & POLLIN) != 0) {
                return;
            }
            std::string label = "connection " + std::to_string(i) + ": ";
            try {
                tls::Socket socket = listener_.accept_unhandshaken();
                socket.settimeout(kIoTimeout);
                socket.do_handshake();
                std::string line = read_line(socket);
                socket.sendall("echo: " + line);
                ::close(socket.unwrap());
                note(label + "served " + socket.version().value_or("?") + " with ALPN " +
                     socket.selected_alpn_protocol().value_or("(none)"));
            } catch (const std::exception& e) {
                note(label + "handshake failed, as the client refused it: " + describe(e));
            }
        }
    }

    tls::Listener listener_;
    std::array<int, 2> stop_pipe_{-1, -1};
    std::mutex mutex_;
    std::vector<std::string> notes_;
    std::thread thread_;
};

// Step 1: a verified handshake and a line of data. Returns whether it all worked.
bool verified_exchange(const tls::pki::CertificateAuthority& ca, std::uint16_t port) {
    std::cout << "[1] default client context trusting the demo CA, connecting to " << kServerAddress
              << ":" << port << " with server_hostname \"localhost\"\n";
    try {
        tls::Context context;
        context.load_verify_cadata(ca.cert_pem());
        context.set_alpn_protocols(kAlpn);
        tls::Socket socket = connect_to_demo(context, "localhost", port);
        socket.sendall(kGreeting + "\n");
        std::string reply = chomp(read_line(socket));
        ::close(socket.unwrap());

        tls::CipherDescription cipher = socket.cipher().value_or(tls::CipherDescription{});
        std::cout << "    version:  " << socket.version().value_or("?") << "\n"
                  << "    cipher:   " << cipher.name << " (" << cipher.protocol << ", "
                  << cipher.secret_bits << " secret bits)\n"
                  << "    alpn:     " << socket.selected_alpn_protocol().value_or("(none)") << "\n"
                  << "    sent:     " << kGreeting << "\n"
                  << "    received: " << reply << "\n";
        std::optional<tls::CertificateInfo> peer = socket.getpeercert();
        std::cout << "    peer certificate (getpeercert()):\n    "
                  << (peer ? json_one_key_per_line(certificate_to_ordered_json(*peer), "    ")
                           : "null")
                  << "\n";
        if (reply != "echo: " + kGreeting) {
            std::cout << "    unexpected reply\n";
            return false;
        }
        return true;
    } catch (const std::exception& e) {
        std::cout << "    FAILED: " << describe(e) << "\n";
        return false;
    }
}

// Runs a handshake that must fail verification; returns whether it did.
template <typename Handshake>
bool expect_refusal(const char* title, Handshake&& handshake) {
    std::cout << title << "\n";
    try {
        handshake();
        std::cout << "    NOT refused: the handshake succeeded\n";
        return false;
    } catch (const tls::SSLCertVerificationError& e) {
        std::cout << "    refused as expected: SSLCertVerificationError\n"
                  << "    verify_code:    " << e.verify_code() << "\n"
                  << "    verify_message: " << e.verify_message() << "\n";
        return true;
    } catch (const std::exception& e) {
        std::cout << "    refused, but not by verification: " << describe(e) << "\n";
        return false;
    }
}

void run_demo() {
    tls::pki::CertificateAuthority ca;
    tls::pki::IssuedCert leaf = ca.issue_cert({"localhost", "127.0.0.1"});

    tls::Context server_context(tls::PROTOCOL_TLS_SERVER);
    server_context.load_cert_chain_pem(leaf.cert_chain_pem(), leaf.private_key_pem());
    server_context.set_alpn_protocols(kAlpn);
    DemoServer server(server_context);
    const std::uint16_t port = server.port();
    std::cout << "tlsctx demo: in-memory CA \"tlsctx test CA\", leaf for localhost and 127.0.0.1, "
                 "server on "
              << kServerAddress << ":" << port << "\n";

    bool verified = verified_exchange(ca, port);

    bool wrong_name =
        expect_refusal("[2] the same trust, but expecting server_hostname \"wrong.example\"", [&] {
            tls::Context context;
            context.load_verify_cadata(ca.cert_pem());
            tls::Socket socket = connect_to_demo(context, "wrong.example", port);
        });

    bool unrelated_ca =
        expect_refusal("[3] a client trusting only an unrelated CA, expecting \"localhost\"", [&] {
            tls::pki::CertificateAuthority other("unrelated CA");
            tls::Context context;
            context.load_verify_cadata(other.cert_pem());
            tls::Socket socket = connect_to_demo(context, "localhost", port);
        });

    std::cout << "server side:\n";
    for (const std::string& line : server.stop()) {
        std::cout << "    " << line << "\n";
    }
    const bool ok = verified && wrong_name && unrelated_ca;
    std::cout << (ok ? "demo: OK" : "demo: FAILED") << std::endl;
    if (!ok) {
        throw ExitStatus{kExitFailure};
    }
}

}  // namespace

void add_demo_command(CLI::App& app) {
    CLI::App* cmd = app.add_subcommand(
        "demo",
        "Run a verified TLS connection on loopback with an in-memory CA, and show that a wrong "
        "host name and an untrusted CA are refused (no files needed)");
    cmd->callback([] { run_demo(); });
}

}  // namespace tlsctx_tool
