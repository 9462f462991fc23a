// Recipe: mutual TLS from the client side, with the client's private key encrypted on disk.
// The password comes from a callback, called only if the key is encrypted, so the password
// never has to sit in the program's arguments; here it is read from a file such as a
// systemd credential or a Kubernetes secret (a terminal prompt would do as well).
//
//   mutual_tls_client HOST PORT CAFILE CERTFILE KEYFILE PASSWORD_FILE
#include <tls/tls.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 7) {
        std::cerr << "usage: mutual_tls_client HOST PORT CAFILE CERTFILE KEYFILE PASSWORD_FILE\n";
        return 2;
    }
    const std::string host = argv[1];
    const auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
    const std::string password_file = argv[6];
    try {
        tls::Context ctx;
        ctx.load_verify_locations(argv[3]);
        ctx.load_cert_chain(argv[4], argv[5], [&password_file] {
            std::ifstream in(password_file);
            std::string password;
            std::getline(in, password);  // the first line, without its newline
            return password;
        });

        tls::Socket sock = tls::connect(ctx, host, port, std::chrono::seconds(10));
        // In TLS 1.3 the server checks our certificate after its handshake has finished on our
        // side, so a rejected certificate shows up as an SSLError on the first read.
        sock.sendall("hello\n");
        std::cout << sock.recv();
        sock.close();
        return EXIT_SUCCESS;
    } catch (const tls::SSLCertVerificationError& e) {
        std::cerr << "server not verified: " << e.verify_message() << "\n";
    } catch (const tls::SSLError& e) {
        // A wrong password is reported here too, by load_cert_chain, before any connection.
        std::cerr << "TLS error: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "failed: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
