// tlsctx_bench_fleet's sharing modes: what every server process of the fleet is given (a shared
// ticket key, or a shared Redis / memcached session store started here on a free port), and what
// each reports back (its store's counters and lookup latency).
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "tls/tls.hpp"
#ifdef TLSCTX_BENCH_REDIS
#include "tls/redis.hpp"
#endif
#ifdef TLSCTX_BENCH_MEMCACHED
#include "tls/memcached.hpp"
#endif

namespace fleet {

struct Mode {
    std::string name;        // none, tickets, redis, memcached
    bool on_worker = false;  // "redis-worker", "memcached-worker": lookups on a worker thread
    tls::Bytes ticket_key;   // tickets: one 80-byte key every process shares
    tls::Bytes fleet_key;    // stores: the key sealing stored sessions
    std::string url;         // stores: where the store listens
    pid_t store_pid = -1;    // stores: the redis-server / memcached this bench started
};

inline std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        bench::die("free_port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

inline bool accepts_connections(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

// Starts `argv` (a store server) and waits until it accepts connections on `port`.
inline pid_t start_store(std::vector<std::string> argv, std::uint16_t port) {
    const pid_t pid = ::fork();
    if (pid < 0) {
        bench::die("fork");
    }
    if (pid == 0) {
        std::vector<char*> args;
        for (std::string& a : argv) {
            args.push_back(a.data());
        }
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        std::_Exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts_connections(port)) {
        if (std::chrono::steady_clock::now() > deadline) {
            bench::die("the store server did not start (is it on PATH?)");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pid;
}

// A store that forwards to another but does not claim to keep its deadlines, so the server
// looks sessions up on a worker thread: the comparison for the handshake-thread lookup.
class OnWorker final : public tls::SessionStore {
  public:
    explicit OnWorker(std::shared_ptr<tls::SessionStore> inner) : inner_(std::move(inner)) {}
    void put(const tls::Bytes& key, const tls::Bytes& value, std::chrono::seconds ttl,
             Deadline deadline, std::error_code& ec) override {
        inner_->put(key, value, ttl, deadline, ec);
    }
    tls::Bytes get(const tls::Bytes& key, Deadline deadline, std::error_code& ec) override {
        return inner_->get(key, deadline, ec);
    }
    void remove(const tls::Bytes& key, Deadline deadline, std::error_code& ec) override {
        inner_->remove(key, deadline, ec);
    }
    std::string describe() const override { return inner_->describe(); }

  private:
    std::shared_ptr<tls::SessionStore> inner_;
};

inline Mode start(std::string name) {
    Mode mode;
    const std::string suffix = "-worker";
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        name.resize(name.size() - suffix.size());
        mode.on_worker = true;
    }
    mode.name = name;
    if (name == "none") {
        return mode;
    }
    if (name == "tickets") {
        mode.ticket_key = tls::RAND_bytes(80);
        return mode;
    }
    mode.fleet_key = tls::RAND_bytes(32);
    const std::uint16_t port = free_port();
    const std::string p = std::to_string(port);
    if (name == "redis") {
        mode.store_pid =
            start_store({"redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--loglevel", "warning", "--logfile", "/dev/null"},
                        port);
        mode.url = "redis://127.0.0.1:" + p;
    } else if (name == "memcached") {
        std::vector<std::string> argv = {"memcached", "-l", "127.0.0.1", "-p", p, "-U", "0"};
        if (::geteuid() == 0) {
            argv.insert(argv.end(), {"-u", "nobody"});  // memcached refuses to run as root
        }
        mode.store_pid = start_store(argv, port);
        mode.url = "memcached://127.0.0.1:" + p;
    } else {
        bench::die("mode: none, tickets, redis or memcached");
    }
    return mode;
}

inline void stop(Mode& mode) {
    if (mode.store_pid > 0) {
        ::kill(mode.store_pid, SIGTERM);
        int status = 0;
        ::waitpid(mode.store_pid, &status, 0);
        mode.store_pid = -1;
    }
}

// Gives a server process's context what the fleet shares.
inline void share(tls::Context& context, const Mode& mode) {
    if (mode.name == "tickets") {
        context.set_ticket_keys(mode.ticket_key);
        return;
    }
    if (mode.url.empty()) {
        return;
    }
    std::shared_ptr<tls::SessionStore> store;
#ifdef TLSCTX_BENCH_REDIS
    if (mode.name == "redis") {
        store = std::make_shared<tls::redis::SessionStore>(mode.url);
    }
#endif
#ifdef TLSCTX_BENCH_MEMCACHED
    if (mode.name == "memcached") {
        store = std::make_shared<tls::memcached::SessionStore>(mode.url);
    }
#endif
    if (!store) {
        bench::die("this bench was built without that store");
    }
    if (mode.on_worker) {
        store = std::make_shared<OnWorker>(std::move(store));
    }
    // Stateful TLS 1.3 tickets, so TLS 1.3 resumes through the store too.
    context.set_options(context.options() | tls::OP_NO_TICKET);
    tls::SessionStoreOptions options;
    options.fleet_key = mode.fleet_key;
    context.set_session_store(std::move(store), std::move(options));
}

// What a server reports at exit: its store's counters and lookup latency, as JSON.
inline std::string latency_json(const tls::Context& context, const Mode& mode) {
    if (mode.url.empty()) {
        return "null";
    }
    const tls::SessionStoreStats s = context.session_store_stats();
    char out[256];
    std::snprintf(
        out, sizeof out,
        "{\"hits\": %llu, \"misses\": %llu, \"errors\": %llu, \"timeouts\": %llu, "
        "\"p50_us\": %lld, \"p99_us\": %lld}",
        static_cast<unsigned long long>(s.hits), static_cast<unsigned long long>(s.misses),
        static_cast<unsigned long long>(s.errors), static_cast<unsigned long long>(s.timeouts),
        static_cast<long long>(s.latency_p50.count()),
        static_cast<long long>(s.latency_p99.count()));
    return out;
}

}  // namespace fleet
