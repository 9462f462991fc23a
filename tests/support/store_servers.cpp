#include "support/store_servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

namespace tls::test::stores {
namespace {

constexpr Millis kServerLimit{300000};  // the `timeout` bound of one server process

bool has(const std::string& text, std::string_view needle) {
    return text.find(needle) != std::string::npos;
}

std::vector<std::string> command(StoreKind kind, std::uint16_t port) {
    const std::string p = std::to_string(port);
    if (kind == StoreKind::redis) {
        // No snapshot, no append-only file: nothing is written to disk and a restart is empty.
        return {"redis-server", "--port", p,           "--bind", "127.0.0.1",  "--save", "",
                "--appendonly", "no",     "--logfile", "",       "--loglevel", "notice"};
    }
    // -vv only to learn when it listens; readiness then turns the verbosity down again.
    std::vector<std::string> argv{"memcached", "-l", "127.0.0.1", "-p", p, "-U", "0", "-vv"};
    if (::geteuid() == 0) {  // memcached refuses to run as root unless told which user to be
        argv.insert(argv.end(), {"-u", "root"});
    }
    return argv;
}

// Sends `request` to 127.0.0.1:port and reads until `expected` arrives; false on any failure or
// after two seconds.
bool exchange(std::uint16_t port, std::string_view request, std::string_view expected) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
        return false;
    }
    std::string reply;
    while (!has(reply, expected)) {
        if (!wait_readable(fd.get(), Millis(2000))) {
            return false;
        }
        char buffer[256];
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) {
            return false;
        }
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

const char* kind_name(StoreKind kind) noexcept {
    return kind == StoreKind::redis ? "redis" : "memcached";
}

StoreServer::StoreServer(StoreKind kind, std::vector<std::string> extra_args)
    : kind_(kind), extra_args_(std::move(extra_args)) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = pick_loopback_port();
        if (start_once()) {
            return;
        }
    }
    throw std::runtime_error(std::string(kind_name(kind_)) + ": no free port after 5 attempts");
}

StoreServer::~StoreServer() = default;

bool StoreServer::start_once() {
    std::vector<std::string> argv = command(kind_, port_);
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    process_.emplace(std::move(argv), kServerLimit);
    const std::string ready =
        kind_ == StoreKind::redis ? "Ready to accept connections" : "server listening";
    auto settled = [&](const std::string& out, const std::string& err) {
        return has(out, ready) || has(err, ready) || has(out, "already in use") ||
               has(err, "already in use");
    };
    process_->wait_for_output(settled, kPeerTimeout);
    const std::string log = process_->stdout_text() + process_->stderr_text();
    if (has(log, "already in use")) {
        process_.reset();
        return false;
    }
    if (!has(log, ready)) {
        throw std::runtime_error(std::string(kind_name(kind_)) + " did not start\n" +
                                 process_->describe());
    }
    // memcached: back to quiet logging (every request would be logged), which also proves the
    // port answers as memcached. Redis: a PING for the same proof.
    const bool answers = kind_ == StoreKind::redis ? exchange(port_, "PING\r\n", "+PONG\r\n")
                                                   : exchange(port_, "verbosity 0\r\n", "OK\r\n");
    if (!answers) {
        throw std::runtime_error(std::string(kind_name(kind_)) + " does not answer\n" +
                                 process_->describe());
    }
    return true;
}

std::string StoreServer::url() const {
    return std::string(kind_name(kind_)) + "://127.0.0.1:" + std::to_string(port_);
}

void StoreServer::kill() {
    if (process_) {
        process_->kill();
        process_->wait(kPeerTimeout);
        process_.reset();
    }
}

void StoreServer::restart() {
    kill();
    // The old server's sockets may linger a moment; both servers set SO_REUSEADDR, so a retry
    // or two is all a restart on the same port can need.
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (start_once()) {
            return;
        }
        ::poll(nullptr, 0, 100);  // a bounded pause between retries, not a wait for an event
    }
    throw std::runtime_error(std::string(kind_name(kind_)) + ": port " + std::to_string(port_) +
                             " did not come back");
}

void StoreServer::pause() {
    if (!process_) {
        return;
    }
    process_->send_signal(SIGSTOP);
    // SIGSTOP takes effect asynchronously: wait (bounded) until the server is really stopped
    // (state 'T' in /proc), so no request sent after pause() returns is still answered.
    const std::string task = "/proc/" + std::to_string(process_->pid()) + "/task/" +
                             std::to_string(process_->pid()) + "/children";
    long server = 0;
    std::ifstream(task) >> server;
    for (int i = 0; i < 200 && server > 0; ++i) {
        std::ifstream stat("/proc/" + std::to_string(server) + "/stat");
        std::string line;
        std::getline(stat, line);
        const std::size_t close = line.rfind(')');
        if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'T') {
            return;
        }
        ::poll(nullptr, 0, 5);  // bounded: at most a second in all
    }
}

void StoreServer::resume() {
    if (process_) {
        process_->send_signal(SIGCONT);
    }
}

std::string StoreServer::describe() const {
    return process_ ? process_->describe() : std::string(kind_name(kind_)) + " (not running)";
}

}  // namespace tls::test::stores
