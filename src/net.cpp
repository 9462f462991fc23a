#include "tls/net.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "tls/certificate.hpp"

namespace tls {
namespace {

using Clock = std::chrono::steady_clock;

// Owns a descriptor until it is handed to a tls::Socket.
class FdGuard {
  public:
    explicit FdGuard(int fd) noexcept : fd_(fd) {}
    ~FdGuard() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

[[noreturn]] void throw_errno(int e, const std::string& what) {
    throw std::system_error(e, std::generic_category(), what);
}

class GaiCategory final : public std::error_category {
  public:
    constexpr GaiCategory() noexcept = default;
    const char* name() const noexcept override { return "getaddrinfo"; }
    std::string message(int value) const override { return gai_strerror(value); }
};

const GaiCategory kGaiCategory;

// "host:port", with brackets around an IPv6 literal.
std::string host_port(std::string_view host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string_view::npos;
    std::string out = v6 ? "[" + std::string(host) + "]" : std::string(host);
    return out + ":" + std::to_string(port);
}

// The numeric address of `ai`, for messages.
std::string numeric_address(const addrinfo* ai) {
    char host[NI_MAXHOST];
    if (::getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) !=
        0) {
        return "?";
    }
    return host;
}

struct AddrInfoDeleter {
    void operator()(addrinfo* ai) const noexcept { freeaddrinfo(ai); }
};

std::unique_ptr<addrinfo, AddrInfoDeleter> resolve(std::string_view host, std::uint16_t port,
                                                   bool passive) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : AI_ADDRCONFIG;
    addrinfo* result = nullptr;
    std::string h(host);
    std::string p = std::to_string(port);
    int rc = ::getaddrinfo(h.empty() ? nullptr : h.c_str(), p.c_str(), &hints, &result);
    if (rc == EAI_SYSTEM) {
        throw_errno(errno, "getaddrinfo(" + h + ")");
    }
    if (rc != 0) {
        throw gaierror(rc, "getaddrinfo(" + h + ")");
    }
    return std::unique_ptr<addrinfo, AddrInfoDeleter>(result);
}

// A non-blocking connect bounded by `timeout`, then back to the mode the Socket will use.
// Failures name what was being connected: "connect to <host>:<port> (<address>)".
int connect_one(const addrinfo* ai, Timeout timeout, const std::string& target) {
    FdGuard fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
        throw_errno(errno, "socket");
    }
    const std::string what = "connect to " + target + " (" + numeric_address(ai) + ")";
    const bool timed = timeout.has_value();
    if (timed) {
        ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
        if (!timed || errno != EINPROGRESS) {
            throw_errno(errno, what);
        }
        pollfd p{fd.get(), POLLOUT, 0};
        auto ms = timeout->count();
        int r;
        do {
            r = ::poll(&p, 1, ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms));
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
            throw std::system_error(std::make_error_code(std::errc::timed_out),
                                    what + ": timed out");
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (r < 0 || err != 0) {
            throw_errno(r < 0 ? errno : err, what);
        }
    }
    // The handshake runs blocking (with the Socket's own timeout handling) from here on.
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd.release();
}

}  // namespace

const std::error_category& gai_category() noexcept {
    return kGaiCategory;
}

gaierror::gaierror(int eai_code, const std::string& what)
    : std::system_error(eai_code, gai_category(), what) {}
// Out of line: anchors the vtable and type_info in the library, so catching by type works
// across shared-library boundaries.
gaierror::~gaierror() = default;

Socket connect(const Context& context, std::string_view host, std::uint16_t port, Timeout timeout,
               const Session& session) {
    auto addresses = resolve(host, port, false);
    const std::string target = host_port(host, port);
    std::system_error last(std::make_error_code(std::errc::host_unreachable),
                           "connect to " + target + ": no address");
    for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
        int fd = -1;
        try {
            fd = connect_one(ai, timeout, target);
        } catch (const std::system_error& e) {
            last = e;
            continue;
        }
        WrapOptions options = WrapOptions::client(std::string(host));
        options.do_handshake_on_connect = false;
        options.session = session;
        Socket socket = context.wrap_socket(fd, FdOwnership::adopt, options);
        socket.settimeout(timeout);
        socket.do_handshake();
        return socket;
    }
    throw std::system_error(last);
}

Listener::Listener(Context context, std::string_view host, std::uint16_t port, int backlog)
    : context_(std::move(context)) {
    auto addresses = resolve(host, port, true);
    const addrinfo* ai = addresses.get();
    FdGuard fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
        throw_errno(errno, "Listener: socket");
    }
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
        throw_errno(errno, "Listener: bind " + std::string(host) + ":" + std::to_string(port));
    }
    if (::listen(fd.get(), backlog) != 0) {
        throw_errno(errno, "Listener: listen");
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    fd_ = fd.release();
}

Listener::~Listener() {
    close();
}

Listener::Listener(Listener&& other) noexcept
    : context_(std::move(other.context_)), fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

Listener& Listener::operator=(Listener&& other) noexcept {
    if (this != &other) {
        close();
        context_ = other.context_;
        fd_ = std::exchange(other.fd_, -1);
        port_ = other.port_;
    }
    return *this;
}

void Listener::close() noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

Socket Listener::accept_unhandshaken() {
    int fd;
    do {
        fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        throw_errno(errno, "Listener: accept");
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    WrapOptions options = WrapOptions::server();
    options.do_handshake_on_connect = false;
    return context_.wrap_socket(fd, FdOwnership::adopt, options);
}

Socket Listener::accept(Timeout timeout) {
    // One deadline for both the wait for a client and its handshake.
    const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
    if (timeout) {
        pollfd p{fd_, POLLIN, 0};
        int r;
        do {
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            r = ::poll(&p, 1,
                       static_cast<int>(
                           std::max<long long>(0, std::min<long long>(left.count(), INT32_MAX))));
        } while (r < 0 && errno == EINTR);
        if (r < 0) {
            throw_errno(errno, "Listener: poll");
        }
        if (r == 0) {
            throw std::system_error(std::make_error_code(std::errc::timed_out),
                                    "Listener: accept timed out");
        }
    }
    Socket socket = accept_unhandshaken();
    if (timeout) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        socket.settimeout(std::max(left, std::chrono::milliseconds(1)));
    }
    socket.do_handshake();
    socket.settimeout(timeout);
    return socket;
}

std::string get_server_certificate(std::string_view host, std::uint16_t port,
                                   const Context& context, Timeout timeout) {
    Socket socket = connect(context, host, port, timeout);
    std::optional<Bytes> der = socket.getpeercert_der();
    if (!der) {
        throw SSLError(SSLErrc::ssl, "get_server_certificate: the server sent no certificate");
    }
    return DER_cert_to_PEM_cert(*der);
}

}  // namespace tls
