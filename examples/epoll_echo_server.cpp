// epoll_echo_server.cpp — many TLS connections on one thread: non-blocking tls::Sockets driven
// by epoll readiness through the noexcept error_code overloads. want_read / want_write say which
// readiness to wait for; a write that would block is retried with the same bytes, as OpenSSL
// requires; plaintext OpenSSL already decrypted (pending()) is drained before waiting again,
// because no readiness event would ever announce it.
//
// Run on loopback:  example_epoll_echo_server cert.pem key.pem 0 [--max-connections N]
//   prints "listening on 127.0.0.1:PORT"; try: openssl s_client -quiet -connect 127.0.0.1:PORT
// With --max-connections N it exits 0 once N connections have ended. Leaves out: handshake and
// idle timeouts (a timer wheel), a cap on concurrent connections, IPv6, multiple threads.
#include <tls/tls.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <unordered_map>

namespace {

struct Connection {
    tls::Socket tls;
    std::string unsent;  // echo bytes a write could not take yet: retried unchanged
};

// The readiness a would-block code asks for; 0 for a real error (the connection is over).
std::uint32_t readiness(std::error_code ec) {
    const std::uint32_t in = EPOLLIN, out = EPOLLOUT;
    return ec == tls::SSLErrc::want_read ? in : ec == tls::SSLErrc::want_write ? out : 0;
}

// Advances one connection as far as it can go without blocking. Returns the readiness it waits
// for next (EPOLLIN or EPOLLOUT), or 0 when the connection is over.
std::uint32_t advance(Connection& c) {
    std::error_code ec;
    if (!c.tls.handshake_done()) {
        c.tls.do_handshake(ec);
        if (ec) {
            return readiness(ec);  // a failed handshake (bad client, scanner) is just dropped
        }
    }
    char buf[4096];
    for (;;) {
        while (!c.unsent.empty()) {
            std::size_t n = c.tls.write(c.unsent.data(), c.unsent.size(), ec);
            if (ec) {
                return readiness(ec);  // retried with the same bytes when the socket is ready
            }
            c.unsent.erase(0, n);  // all of it: OpenSSL never writes part of a buffer
        }
        // Read until want_read, never just once per event: a 4 KiB read leaves the rest of a
        // 16 KiB record decrypted inside OpenSSL (pending() > 0), and with the socket already
        // drained no epoll event would ever announce those bytes.
        std::size_t n = c.tls.read(buf, sizeof buf, ec);
        if (ec || n == 0) {
            return readiness(ec);  // n == 0: the client closed (close_notify, or EOF)
        }
        c.unsent.assign(buf, n);
    }
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 4) {
        std::cerr << "usage: " << argv[0] << " CERT KEY PORT [--max-connections N]\n";
        return 2;
    }
    const bool limited = argc >= 6 && std::strcmp(argv[4], "--max-connections") == 0;
    const long max_connections = limited ? std::atol(argv[5]) : 0;  // 0 = serve forever
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(argv[1], argv[2]);

    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[3])));
    socklen_t len = sizeof addr;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener, SOMAXCONN) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::perror("listen");
        return EXIT_FAILURE;
    }
    std::cout << "listening on 127.0.0.1:" << ntohs(addr.sin_port) << std::endl;

    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    auto watch = [&](int op, int fd, std::uint32_t events) {
        epoll_event ev{events, {}};
        ev.data.fd = fd;
        ::epoll_ctl(ep, op, fd, &ev);
    };
    watch(EPOLL_CTL_ADD, listener, EPOLLIN);
    std::unordered_map<int, Connection> conns;
    long finished = 0;

    // Runs a connection and updates its epoll interest; closes it when it is over.
    auto service = [&](int fd) {
        if (std::uint32_t events = advance(conns.at(fd))) {
            return watch(EPOLL_CTL_MOD, fd, events);
        }
        ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        conns.erase(fd);  // ~Socket: close_notify (best effort), then close(fd): adopted
        ++finished;
    };

    epoll_event events[64];
    while (max_connections == 0 || finished < max_connections) {
        int n = ::epoll_wait(ep, events, 64, -1);
        if (n < 0 && errno != EINTR) {
            std::perror("epoll_wait");
            return EXIT_FAILURE;
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd != listener) {
                service(fd);
                continue;
            }
            for (;;) {  // accept everything that is waiting
                int cfd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                    if (errno != EAGAIN && errno != EINTR) {
                        std::perror("accept");  // EMFILE: a real server would stop accepting
                    }
                    break;
                }
                // TLS 1.3 servers send session tickets right after the handshake, so the first
                // echo is a second small write before the client has acknowledged anything:
                // Nagle would hold it until the client's delayed ACK, 40 ms per connection.
                int nodelay = 1;
                ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
                tls::WrapOptions options = tls::WrapOptions::server();
                options.do_handshake_on_connect = false;  // the loop drives it
                try {
                    // O_NONBLOCK is set, so the Socket starts non-blocking; adopt: it closes cfd.
                    conns.emplace(
                        cfd,
                        Connection{ctx.wrap_socket(cfd, tls::FdOwnership::adopt, options), {}});
                } catch (const std::exception& e) {
                    std::cerr << "wrap_socket: " << e.what() << "\n";  // cfd is closed already
                    continue;
                }
                watch(EPOLL_CTL_ADD, cfd, EPOLLIN);
                service(cfd);  // the ClientHello may be here already
            }
        }
    }
    std::cout << "served " << finished << " connections" << std::endl;
    ::close(ep);
    ::close(listener);
    return EXIT_SUCCESS;
} catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";  // e.g. the certificate or key did not load
    return EXIT_FAILURE;
}
