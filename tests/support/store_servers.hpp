// tlsctx tests — redis-server and memcached on 127.0.0.1 for the session-store tests
// (tests/store/): started on a free port (neither can bind port 0 and report it), and stopped,
// killed, paused (SIGSTOP), resumed and restarted on the same port, so tests can take the store
// away mid-run and bring it back where the clients expect it.
//
// The rules of support/peers.hpp hold: each server runs under `timeout` in its own process
// group as a Subprocess (killed by the destructor), every wait is bounded, no sleeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "support/peers.hpp"

namespace tls::test::stores {

enum class StoreKind { redis, memcached };

/// "redis" or "memcached".
const char* kind_name(StoreKind kind) noexcept;

/// One store server on 127.0.0.1. Nothing persists: Redis saves no snapshot, memcached keeps
/// items in memory, so a restarted server is empty.
class StoreServer {
  public:
    /// Starts the server on a port that was free a moment ago, retrying another port when it
    /// was taken meanwhile. @throws std::runtime_error (with the server's output) when it does
    /// not start.
    /// `extra_args` go after tlsctx's own on the server's command line (e.g. redis-server's
    /// `--rename-command GETDEL ""`, to stand for an older server).
    explicit StoreServer(StoreKind kind, std::vector<std::string> extra_args = {});
    ~StoreServer();
    StoreServer(const StoreServer&) = delete;
    StoreServer& operator=(const StoreServer&) = delete;

    StoreKind kind() const noexcept { return kind_; }
    std::uint16_t port() const noexcept { return port_; }
    /// "redis://127.0.0.1:PORT" or "memcached://127.0.0.1:PORT".
    std::string url() const;
    /// Whether the server process is running (false after kill()).
    bool running() const noexcept { return process_.has_value(); }

    /// Kills the server (SIGKILL to its group) and reaps it: connections are reset, the port
    /// refuses new ones.
    void kill();
    /// Starts the server again on the same port (after kill()). @throws std::runtime_error
    /// when it cannot get the port back within a few seconds.
    void restart();
    /// SIGSTOP: the kernel still accepts connections into the backlog, but nothing answers.
    void pause();
    /// SIGCONT after pause().
    void resume();
    /// The server's output so far, for assertion messages.
    std::string describe() const;

  private:
    // One start on port_: true when it is ready, false when the port was taken.
    bool start_once();

    StoreKind kind_;
    std::vector<std::string> extra_args_;
    std::uint16_t port_ = 0;
    std::optional<Subprocess> process_;
};

}  // namespace tls::test::stores
