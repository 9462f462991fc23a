// tlsctx_bench_fleet (issue 15): resumption across the processes of a fleet. Forks `servers`
// server processes, each with its own Context (nothing shared in memory), and one client that
// round-robins connections across them, offering the session it got from the previous connection.
//   none        nothing shared: every connection lands on a process that never saw its session
//   tickets     the processes share one ticket key (Context::set_ticket_keys)
//   redis       tickets off, a shared tls::redis::SessionStore (needs redis-server on PATH)
//   memcached   tickets off, a shared tls::memcached::SessionStore (needs memcached on PATH)
//   redis-worker, memcached-worker
//               the same store behind a wrapper that does not claim keeps_deadlines(), so the
//               lookup runs on a worker thread: what the handshake-thread lookup saves
// Prints one JSON object: handshakes/s, the resumed fraction, and (stores) the store's added
// latency per call, p50/p99, as each server measured it. bench/README.md has the figures.
//
// Usage: tlsctx_bench_fleet MODE tls12|tls13 [connections] [servers]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fleet_stores.hpp"
#include "harness.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Server {
    pid_t pid = -1;
    std::uint16_t port = 0;
    int control = -1;  // closing it tells the server to stop
    int report = -1;   // the server writes its store latency here before it exits
};

// One fleet member: serves until its control pipe closes, then reports and exits.
[[noreturn]] void serve(const bench::Config& config, const fleet::Mode& mode, int control,
                        int report, int port_out) {
    tls::Context context = bench::tlsctx_server_context(config);
    fleet::share(context, mode);
    tls::Listener listener(context, "127.0.0.1", 0);
    const std::uint16_t port = listener.port();
    if (::write(port_out, &port, sizeof port) != sizeof port) {
        std::_Exit(3);
    }
    for (;;) {
        pollfd fds[2] = {{listener.fileno(), POLLIN, 0}, {control, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            continue;
        }
        if (fds[1].revents != 0) {
            break;
        }
        try {
            tls::Socket socket = listener.accept_unhandshaken();
            socket.settimeout(std::chrono::seconds(10));
            socket.do_handshake();
            socket.sendall("x");  // lets the client read the TLS 1.3 tickets sent before it
        } catch (const std::exception& e) {
            std::fprintf(stderr, "server: %s\n", e.what());
        }
    }
    const std::string stats = fleet::latency_json(context, mode);
    if (::write(report, stats.data(), stats.size()) < 0) {
        std::_Exit(4);
    }
    std::_Exit(0);
}

// `started`: the servers forked before this one, whose pipe ends the child must not keep (a
// copy of another server's control pipe would keep that server from ever seeing EOF).
Server start_server(const bench::Config& config, const fleet::Mode& mode,
                    const std::vector<Server>& started) {
    int control[2], report[2], port[2];
    if (::pipe(control) != 0 || ::pipe(report) != 0 || ::pipe(port) != 0) {
        bench::die("pipe");
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        bench::die("fork");
    }
    if (pid == 0) {
        for (const Server& other : started) {
            ::close(other.control);
            ::close(other.report);
        }
        ::close(control[1]);
        ::close(report[0]);
        ::close(port[0]);
        serve(config, mode, control[0], report[1], port[1]);
    }
    ::close(control[0]);
    ::close(report[1]);
    ::close(port[1]);
    Server server;
    server.pid = pid;
    server.control = control[1];
    server.report = report[0];
    if (::read(port[0], &server.port, sizeof server.port) != sizeof server.port) {
        bench::die("a server did not start");
    }
    ::close(port[0]);
    return server;
}

std::string stop_server(Server& server) {
    ::close(server.control);
    std::string out;
    char buffer[512];
    for (ssize_t n; (n = ::read(server.report, buffer, sizeof buffer)) > 0;) {
        out.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(server.report);
    int status = 0;
    ::waitpid(server.pid, &status, 0);
    return out;
}

tls::Socket connect_to(const tls::Context& client, std::uint16_t port,
                       const tls::Session& session) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        bench::die("connect");
    }
    tls::WrapOptions options = tls::WrapOptions::client(bench::kHostname);
    options.session = session;
    return client.wrap_socket(fd, tls::FdOwnership::adopt, options);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(
            stderr,
            "usage: %s none|tickets|redis|memcached[-worker] tls12|tls13 [conns] [servers]\n",
            argv[0]);
        return 2;
    }
    ::signal(SIGPIPE, SIG_IGN);
    const std::string version = argv[2];
    bench::Config config = bench::named_config("tls13_ecdsa");
    config.tls12 = version == "tls12";
    const int connections = argc > 3 ? std::atoi(argv[3]) : 2000;
    const int count = argc > 4 ? std::atoi(argv[4]) : 4;

    bench::pki(config.key);  // made once, before the fork: every process trusts one CA
    fleet::Mode mode = fleet::start(argv[1]);  // starts redis-server / memcached when asked
    std::vector<Server> servers;
    for (int i = 0; i < count; ++i) {
        servers.push_back(start_server(config, mode, servers));
    }
    const tls::Context client = bench::tlsctx_client_context(config);

    tls::Session session;
    int resumed = 0;
    const auto begin = Clock::now();
    for (int i = 0; i < connections; ++i) {
        tls::Socket socket = connect_to(client, servers[i % count].port, session);
        char byte = 0;
        if (socket.read(&byte, 1) != 1) {
            bench::die("the server sent nothing");
        }
        resumed += socket.session_reused() ? 1 : 0;
        session = socket.session();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();

    std::string latencies;
    for (Server& server : servers) {
        const std::string report = stop_server(server);
        latencies += (latencies.empty() ? "" : ",") + (report.empty() ? "null" : report);
    }
    fleet::stop(mode);
    std::printf(
        "{\"mode\": \"%s\", \"version\": \"%s\", \"servers\": %d, \"connections\": %d, "
        "\"handshakes_per_s\": %.1f, \"resumed_fraction\": %.4f, \"store_latency\": [%s]}\n",
        argv[1], version.c_str(), count, connections, connections / seconds,
        static_cast<double>(resumed) / connections, latencies.c_str());
    return 0;
}
