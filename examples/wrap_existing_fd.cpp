// wrap_existing_fd.cpp — TLS over a socket you already own: connect with plain POSIX calls,
// wrap the descriptor without giving it away (FdOwnership::borrow), and close it yourself.
//
// Run against examples/server.cpp: example_wrap_existing_fd 127.0.0.1 8443 ca.pem localhost
// Leaves out: non-blocking use (see docs/sans-io.md), IPv6 (getaddrinfo would add it).
#include <tls/tls.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: " << argv[0] << " IPV4 PORT CAFILE SERVER_NAME\n";
        return 2;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(argv[2])));
    if (fd < 0 || ::inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::perror("connect");
        return EXIT_FAILURE;
    }
    int status = EXIT_FAILURE;
    try {
        tls::Context ctx;
        ctx.load_verify_locations(argv[3]);
        // The handshake runs inside wrap_socket because the descriptor is connected.
        tls::Socket sock =
            ctx.wrap_socket(fd, tls::FdOwnership::borrow, tls::WrapOptions::client(argv[4]));
        sock.sendall("GET / HTTP/1.0\r\n\r\n");
        std::string reply;
        for (std::string chunk; !(chunk = sock.recv()).empty();) {
            reply += chunk;
        }
        std::cout << sock.version().value_or("?") << ": " << reply.substr(0, reply.find('\r'))
                  << "\n";
        status = EXIT_SUCCESS;
    } catch (const tls::SSLCertVerificationError& e) {
        std::cerr << "certificate rejected: " << e.verify_message() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    ::close(fd);  // borrowed: still ours to close, even after the tls::Socket is gone
    return status;
}
