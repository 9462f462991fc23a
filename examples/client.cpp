// client.cpp — a verified TLS client in a few lines: the secure default context, a connection
// with a timeout, one HTTP request, and what was negotiated.
//
// Run on loopback against examples/server.cpp (see scripts/run-examples.sh):
//   example_server cert.pem key.pem 8443 &
//   example_client localhost 8443 ca.pem
// Without CAFILE the system CA store is used. Leaves out: retries, HTTP parsing, proxies.
#include <tls/tls.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " HOST PORT [CAFILE]\n";
        return 2;
    }
    const std::string host = argv[1];
    const auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
    try {
        tls::Context ctx;  // TLS 1.2+, verifies the chain and the host name
        if (argc > 3) {
            ctx.load_verify_locations(argv[3]);
        }
        ctx.set_alpn_protocols({"http/1.1"});
        tls::Socket sock = tls::connect(ctx, host, port, std::chrono::seconds(10));
        std::cout << "connected: " << sock.version().value_or("?") << " " << sock.cipher()->name
                  << "\n";
        sock.sendall("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n");
        for (std::string chunk; !(chunk = sock.recv()).empty();) {
            std::cout << chunk;
        }
        sock.close();  // sends close_notify
        return EXIT_SUCCESS;
    } catch (const tls::SSLCertVerificationError& e) {
        std::cerr << "certificate rejected: " << e.verify_message() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
