// Recipe: a non-blocking client in your own poll() loop. The program owns the socket and the
// loop; tlsctx only says what it waits for. Every call takes a std::error_code&, so nothing
// throws inside the loop: SSLErrc::want_read / want_write mean "poll for that, then call again".
// The same shape fits epoll, kqueue or libuv (examples/epoll_echo_server.cpp is a server).
//
//   poll_client HOST_IP PORT CAFILE SERVER_NAME
#include <tls/tls.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>

namespace {

// Waits until `fd` can do what `ec` asks for; false on a timeout (10 s) or a poll() error.
bool wait_for(int fd, const std::error_code& ec) {
    pollfd p{fd, static_cast<short>(ec == tls::SSLErrc::want_write ? POLLOUT : POLLIN), 0};
    return ::poll(&p, 1, 10000) == 1;
}

// A non-blocking TCP connection that has finished connecting, or -1.
int connect_nonblocking(const char* ip, std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip, &addr.sin_addr) != 1) {
        return -1;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if ((::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 ||
         (errno == EINPROGRESS && wait_for(fd, tls::SSLErrc::want_write) &&
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0))) {
        return fd;
    }
    ::close(fd);
    return -1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: poll_client HOST_IP PORT CAFILE SERVER_NAME\n";
        return 2;
    }
    const std::string server_name = argv[4];
    tls::Context ctx;
    try {
        ctx.load_verify_locations(argv[3]);  // configuration may throw; the I/O below does not
    } catch (const std::exception& e) {
        std::cerr << "bad CA file: " << e.what() << "\n";
        return 2;
    }
    const int fd = connect_nonblocking(argv[1], static_cast<std::uint16_t>(std::stoi(argv[2])));
    if (fd < 0) {
        std::cerr << "cannot connect to " << argv[1] << ":" << argv[2] << "\n";
        return EXIT_FAILURE;
    }

    // A non-blocking descriptor makes a non-blocking Socket: the handshake is ours to drive.
    tls::WrapOptions options = tls::WrapOptions::client(server_name);
    options.do_handshake_on_connect = false;
    tls::Socket sock = ctx.wrap_socket(fd, tls::FdOwnership::adopt, options);

    std::error_code ec;
    do {
        sock.do_handshake(ec);
    } while ((ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write) && wait_for(fd, ec));
    if (ec) {
        // last_error() has what an exception would have carried: library, reason, verify code.
        const tls::ErrorInfo& why = sock.last_error();
        std::cerr << "handshake failed: " << ec.message();
        if (why.verify_code != 0) {
            std::cerr << " (" << why.verify_message << ")";
        }
        std::cerr << "\n";
        return EXIT_FAILURE;
    }
    std::cout << "handshake done: " << *sock.version() << "\n";

    const std::string request = "GET / HTTP/1.0\r\nHost: " + server_name + "\r\n\r\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        sent += sock.write(request.data() + sent, request.size() - sent, ec);
        if (ec && !((ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write) &&
                    wait_for(fd, ec))) {
            std::cerr << "write failed: " << ec.message() << "\n";
            return EXIT_FAILURE;
        }
    }

    std::string reply;
    char buffer[16384];
    for (;;) {
        const std::size_t n = sock.read(buffer, sizeof buffer, ec);
        if (ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write) {
            if (!wait_for(fd, ec)) {
                std::cerr << "timed out\n";
                return EXIT_FAILURE;
            }
            continue;
        }
        if (ec) {
            std::cerr << "read failed: " << ec.message() << "\n";
            return EXIT_FAILURE;
        }
        if (n == 0) {
            break;  // the server closed (close_notify)
        }
        reply.append(buffer, n);
    }
    std::cout << reply.substr(0, reply.find("\r\n")) << "\n";
    std::cout << "received " << reply.size() << " bytes\n";
    sock.close();  // close_notify, without waiting on a non-blocking socket; closes fd
    return EXIT_SUCCESS;
}
