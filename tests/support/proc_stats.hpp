// tlsctx tests — another process's resources as /proc shows them: its descriptors, its resident
// memory, its child. The load and soak tests measure the servers they start with these, from
// outside, so the server runs exactly as it does in production.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <thread>

namespace tls::test {

/// The first child of `parent` found in /proc (the server under its `timeout` wrapper).
std::optional<pid_t> child_of(pid_t parent);

/// Open descriptors of `pid`, and whether one of them is an epoll instance.
struct FdCount {
    int total = 0;
    bool has_epoll = false;
};
FdCount count_fds(pid_t pid);

/// VmRSS of `pid` in KiB (0 if unreadable).
long rss_kib(pid_t pid);

/// Polls another process's /proc state every 5 ms until `pred` holds or `limit` passed: nothing
/// else can wait on it. Returns the last value of `pred`.
template <typename Pred>
bool poll_until(Pred pred, std::chrono::steady_clock::duration limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace tls::test
