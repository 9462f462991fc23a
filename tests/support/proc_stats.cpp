// tlsctx tests — /proc readers (see proc_stats.hpp).
#include "support/proc_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace tls::test {

std::optional<pid_t> child_of(pid_t parent) {
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) {
        return std::nullopt;
    }
    std::optional<pid_t> found;
    while (dirent* e = ::readdir(dir)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') {
            continue;
        }
        std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
        std::string line;
        std::getline(stat, line);
        // The command name may hold spaces and parentheses: the fields start after the last ')'.
        const std::size_t close = line.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream fields(line.substr(close + 2));
        std::string state;
        long ppid = 0;
        fields >> state >> ppid;
        if (ppid == parent) {
            found = static_cast<pid_t>(pid);
            break;
        }
    }
    ::closedir(dir);
    return found;
}

FdCount count_fds(pid_t pid) {
    FdCount c;
    const std::string base = "/proc/" + std::to_string(pid) + "/fd";
    DIR* dir = ::opendir(base.c_str());
    if (dir == nullptr) {
        return c;
    }
    while (dirent* e = ::readdir(dir)) {
        if (e->d_name[0] == '.') {
            continue;
        }
        ++c.total;
        char target[256] = {};
        const std::string link = base + "/" + e->d_name;
        if (::readlink(link.c_str(), target, sizeof target - 1) > 0 &&
            std::string(target).find("eventpoll") != std::string::npos) {
            c.has_epoll = true;
        }
    }
    ::closedir(dir);
    return c;
}

long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::strtol(line.c_str() + 6, nullptr, 10);
        }
    }
    return 0;
}

}  // namespace tls::test
