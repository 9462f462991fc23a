// Helpers shared by the subcommands (declared in commands.hpp).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <system_error>

#include "tls/errors.hpp"
#include "tls/net.hpp"
#include "tlsctx/commands.hpp"
#include "tlsctx/json_shapes.hpp"

namespace tlsctx_tool {
namespace {

using Clock = std::chrono::steady_clock;

// The symbolic name of an errno or resolver code, for the error line: a person searching for
// "ECONNREFUSED" finds it faster than the translated text.
std::string code_name(const std::error_code& code) {
    if (code.category() == tls::gai_category()) {
        switch (code.value()) {
            case EAI_NONAME:
                return "EAI_NONAME";
            case EAI_AGAIN:
                return "EAI_AGAIN";
            case EAI_FAIL:
                return "EAI_FAIL";
            case EAI_FAMILY:
                return "EAI_FAMILY";
            case EAI_SERVICE:
                return "EAI_SERVICE";
            case EAI_MEMORY:
                return "EAI_MEMORY";
            default:
                return "EAI " + std::to_string(code.value());
        }
    }
    if (code.category() != std::generic_category() && code.category() != std::system_category()) {
        return code.category().name() + std::string(" ") + std::to_string(code.value());
    }
    switch (code.value()) {
        case ETIMEDOUT:
            return "ETIMEDOUT";
        case ECONNREFUSED:
            return "ECONNREFUSED";
        case ECONNRESET:
            return "ECONNRESET";
        case ECONNABORTED:
            return "ECONNABORTED";
        case EPIPE:
            return "EPIPE";
        case EHOSTUNREACH:
            return "EHOSTUNREACH";
        case ENETUNREACH:
            return "ENETUNREACH";
        case EADDRINUSE:
            return "EADDRINUSE";
        case ENOENT:
            return "ENOENT";
        case EACCES:
            return "EACCES";
        case EISDIR:
            return "EISDIR";
        case EINVAL:
            return "EINVAL";
        default:
            return "errno " + std::to_string(code.value());
    }
}

struct AddrInfoDeleter {
    void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};

int poll_ms(std::chrono::milliseconds timeout) {
    auto ms = timeout.count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms < 0 ? 0 : ms);
}

// One address: a non-blocking connect bounded by `deadline`, then back to blocking mode (the
// tls::Socket switches modes itself when given a timeout).
int connect_one(const addrinfo* ai, std::optional<Clock::time_point> deadline,
                const std::string& what) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "socket");
    }
    auto fail = [fd, &what](int err, const char* detail) {
        ::close(fd);
        throw std::system_error(err, std::generic_category(), what + detail);
    };
    if (deadline) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (!deadline || errno != EINPROGRESS) {
            fail(errno, "");
        }
        pollfd p{fd, POLLOUT, 0};
        int r;
        do {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
            r = ::poll(&p, 1, poll_ms(left));
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            fail(ETIMEDOUT, ": timed out");
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (r < 0 || err != 0) {
            fail(r < 0 ? errno : err, "");
        }
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace

void usage_error(const std::string& option, const std::string& message) {
    throw CLI::ValidationError(option, message);
}

std::string exception_type_name(const std::exception& e) {
    // Most derived first: every SSL* class is an SSLError, and SSLError is a std::system_error.
    if (dynamic_cast<const tls::SSLCertVerificationError*>(&e) != nullptr) {
        return "tls::SSLCertVerificationError";
    }
    if (dynamic_cast<const tls::SSLZeroReturnError*>(&e) != nullptr) {
        return "tls::SSLZeroReturnError";
    }
    if (dynamic_cast<const tls::SSLWantReadError*>(&e) != nullptr) {
        return "tls::SSLWantReadError";
    }
    if (dynamic_cast<const tls::SSLWantWriteError*>(&e) != nullptr) {
        return "tls::SSLWantWriteError";
    }
    if (dynamic_cast<const tls::SSLSyscallError*>(&e) != nullptr) {
        return "tls::SSLSyscallError";
    }
    if (dynamic_cast<const tls::SSLEOFError*>(&e) != nullptr) {
        return "tls::SSLEOFError";
    }
    if (dynamic_cast<const tls::SSLError*>(&e) != nullptr) {
        return "tls::SSLError";
    }
    if (const auto* resolver = dynamic_cast<const tls::gaierror*>(&e)) {
        return "tls::gaierror (" + code_name(resolver->code()) + ")";
    }
    if (const auto* system = dynamic_cast<const std::system_error*>(&e)) {
        return "std::system_error (" + code_name(system->code()) + ")";
    }
    if (dynamic_cast<const tls::NotImplementedError*>(&e) != nullptr) {
        return "tls::NotImplementedError";
    }
    if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) {
        return "std::invalid_argument";
    }
    if (dynamic_cast<const std::logic_error*>(&e) != nullptr) {
        return "std::logic_error";
    }
    if (dynamic_cast<const std::runtime_error*>(&e) != nullptr) {
        return "std::runtime_error";
    }
    return "std::exception";
}

std::string describe_exception(const std::exception& e) {
    std::string out = exception_type_name(e) + ": ";
    if (const auto* ssl = dynamic_cast<const tls::SSLError*>(&e)) {
        // The ErrorInfo message is "<operation>: <what failed> (<reason>)"; what() would append
        // the category's generic text to it.
        out += ssl->info().message.empty() ? std::string(e.what()) : ssl->info().message;
        if (const auto* verify = dynamic_cast<const tls::SSLCertVerificationError*>(&e)) {
            out += " [verify_code=" + std::to_string(verify->verify_code()) +
                   ", verify_message=\"" + verify->verify_message() + "\"]";
        }
    } else {
        out += e.what();
    }
    return out;
}

void print_exception(const std::exception& e, std::ostream& out) {
    out << "error: " << describe_exception(e) << '\n' << std::flush;
}

int exit_code_for(const std::exception& e) {
    if (dynamic_cast<const std::invalid_argument*>(&e) != nullptr) {
        return kExitUsage;
    }
    return kExitFailure;
}

nlohmann::ordered_json cipher_description_to_json(const tls::CipherDescription& cipher) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    out["name"] = cipher.name;
    out["protocol"] = cipher.protocol;
    out["secret_bits"] = cipher.secret_bits;
    return out;
}

std::string json_dump(const nlohmann::ordered_json& value, int indent) {
    return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string json_text(const nlohmann::ordered_json& value, bool pretty) {
    return pretty ? json_dump(value, 2) : dumps_like_python(value);
}

std::string name_text(const tls::DistinguishedName& name) {
    std::string out;
    for (const tls::RelativeDistinguishedName& rdn : name) {
        for (const tls::NameAttribute& attribute : rdn) {
            out += out.empty() ? "" : ", ";
            out += attribute.first + "=" + attribute.second;
        }
    }
    return out;
}

std::string json_one_key_per_line(const nlohmann::ordered_json& value, const std::string& margin) {
    if (!value.is_object() || value.empty()) {
        return dumps_like_python(value);
    }
    std::string out = "{\n";
    std::size_t left = value.size();
    for (auto it = value.begin(); it != value.end(); ++it) {
        out += margin + "  " + dumps_like_python(nlohmann::ordered_json(it.key())) + ": " +
               dumps_like_python(it.value()) + (--left > 0 ? ",\n" : "\n");
    }
    return out + margin + "}";
}

HostPort parse_host_port(std::string_view text) {
    HostPort out;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            usage_error("HOST:PORT", "expected [IPv6]:PORT, got '" + std::string(text) + "'");
        }
        out.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            usage_error("HOST:PORT", "missing :PORT in '" + std::string(text) + "'");
        }
        out.host = std::string(text.substr(0, colon));
        if (out.host.find(':') != std::string::npos) {
            usage_error("HOST:PORT", "put IPv6 literals in brackets: [" + out.host + "]:PORT");
        }
        port = text.substr(colon + 1);
    }
    if (out.host.empty()) {
        usage_error("HOST:PORT", "empty host in '" + std::string(text) + "'");
    }
    unsigned long value = 0;
    bool ok = !port.empty() && port.size() <= 5;
    for (char c : port) {
        ok = ok && c >= '0' && c <= '9';
        value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (!ok || value == 0 || value > 65535) {
        usage_error("HOST:PORT", "invalid port '" + std::string(port) + "'");
    }
    out.port = static_cast<std::uint16_t>(value);
    return out;
}

std::string format_host_port(const std::string& host, std::uint16_t port) {
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

tls::TLSVersion parse_tls_version(std::string_view text, const std::string& option) {
    std::string v(text);
    for (char& c : v) {
        c = static_cast<char>(c == '_' ? '.' : std::tolower(static_cast<unsigned char>(c)));
    }
    if (v.rfind("tlsv", 0) == 0) {
        v = v.substr(4);
    } else if (v.rfind("tls", 0) == 0) {
        v = v.substr(3);
    }
    if (v == "1" || v == "1.0") {
        return tls::TLSVersion::TLSv1;
    }
    if (v == "1.1") {
        return tls::TLSVersion::TLSv1_1;
    }
    if (v == "1.2") {
        return tls::TLSVersion::TLSv1_2;
    }
    if (v == "1.3") {
        return tls::TLSVersion::TLSv1_3;
    }
    usage_error(option, "unknown TLS version '" + std::string(text) + "' (use 1.2 or 1.3)");
}

std::vector<std::string> split_list(std::string_view text, char separator) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto end = text.find(separator, start);
        out.emplace_back(text.substr(start, end - start));
        if (end == std::string_view::npos) {
            return out;
        }
        start = end + 1;
    }
}

tls::Timeout seconds_to_timeout(double seconds, const std::string& option) {
    if (!(seconds > 0) || !std::isfinite(seconds) || seconds > 86400.0 * 365) {
        usage_error(option, "must be a positive number of seconds");
    }
    auto ms = static_cast<long long>(std::ceil(seconds * 1000.0));
    return std::chrono::milliseconds(ms);
}

int tcp_connect(const std::string& host, std::uint16_t port, tls::Timeout timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    // An address literal is converted, never looked up: the demo connects to 127.0.0.1 on
    // machines without /etc/hosts, and AI_ADDRCONFIG would refuse it where loopback is the only
    // configured interface.
    std::array<unsigned char, sizeof(in6_addr)> literal{};
    const bool is_literal = ::inet_pton(AF_INET, host.c_str(), literal.data()) == 1 ||
                            ::inet_pton(AF_INET6, host.c_str(), literal.data()) == 1;
    hints.ai_flags = is_literal ? AI_NUMERICHOST : AI_ADDRCONFIG;
    addrinfo* result = nullptr;
    std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &result);
    if (rc == EAI_SYSTEM) {
        throw std::system_error(errno, std::generic_category(), "getaddrinfo(" + host + ")");
    }
    if (rc != 0) {
        throw tls::gaierror(rc, "getaddrinfo(" + host + ")");  // the resolver's error alone
    }
    std::unique_ptr<addrinfo, AddrInfoDeleter> addresses(result);
    std::optional<Clock::time_point> deadline;
    if (timeout) {
        deadline = Clock::now() + *timeout;
    }
    std::system_error last(std::make_error_code(std::errc::host_unreachable),
                           "connect: no address for " + host);
    for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
        try {
            return connect_one(ai, deadline, "connect to " + host + ":" + service);
        } catch (const std::system_error& e) {
            last = e;
        }
    }
    throw std::system_error(last);
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    pollfd p{fd, POLLIN, 0};
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        int r = ::poll(&p, 1, poll_ms(left));
        if (r > 0) {
            return true;
        }
        if (r == 0 || errno != EINTR) {
            return false;
        }
    }
}

std::string peer_address(int fd) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return "?";
    }
    char host[INET6_ADDRSTRLEN] = {};
    std::uint16_t port = 0;
    if (addr.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    } else if (addr.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
        ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else {
        return "?";
    }
    return format_host_port(host, port);
}

}  // namespace tlsctx_tool
