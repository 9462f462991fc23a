// Recipe: a verified client. The default Context checks the chain against trusted CAs, the
// host name against the certificate, and refuses anything older than TLS 1.2.
//
//   verified_client HOST PORT [CAFILE]     (no CAFILE: the system's trusted CAs)
#include <tls/tls.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: verified_client HOST PORT [CAFILE]\n";
        return 2;
    }
    const std::string host = argv[1];
    const auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
    try {
        tls::Context ctx;  // Python: ssl.create_default_context()
        if (argc > 3) {
            ctx.load_verify_locations(argv[3]);
        } else {
            ctx.load_default_certs();
        }
        // Resolves, connects, handshakes and verifies; each step bounded by 10 s.
        tls::Socket sock = tls::connect(ctx, host, port, std::chrono::seconds(10));

        const tls::CertificateInfo peer = *sock.getpeercert();  // verified, so never empty
        std::cout << "verified " << host << ": " << *sock.version() << " " << sock.cipher()->name
                  << "\n";
        for (const auto& rdn : peer.subject) {
            for (const auto& [name, value] : rdn) {
                std::cout << "  subject " << name << " = " << value << "\n";
            }
        }
        std::cout << "  valid until " << peer.not_after << "\n";

        sock.sendall("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n");
        const std::string reply = sock.recv();
        std::cout << reply.substr(0, reply.find("\r\n")) << "\n";
        sock.close();  // sends close_notify
        return EXIT_SUCCESS;
    } catch (const tls::SSLCertVerificationError& e) {
        std::cerr << "not verified: " << e.verify_message() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "failed: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
