// mutual_tls.cpp — both sides authenticate: the server requires a client certificate from its
// CA and reads the client's identity from getpeercert().
//
// Run: example_mutual_tls   (self-contained: an in-memory CA, a server thread on 127.0.0.1)
// Leaves out: CRLs and revocation (see docs/security.md), certificate rotation.
#include <tls/pki.hpp>
#include <tls/tls.hpp>

#include <cstdlib>
#include <iostream>
#include <thread>

int main() {
    try {
        tls::pki::CertificateAuthority ca;  // for this demo only: never trust a generated CA
        tls::pki::IssuedCert server_cert = ca.issue_cert({"localhost"});
        tls::pki::CertificateOptions client_options;
        client_options.common_name = "alice";
        client_options.extended_key_usages = {tls::pki::ExtendedKeyUsage::client_auth};
        tls::pki::IssuedCert client_cert = ca.issue_cert(client_options);

        tls::Context server_ctx(tls::PROTOCOL_TLS_SERVER);
        server_ctx.load_cert_chain_pem(server_cert.cert_chain_pem(), server_cert.private_key_pem());
        server_ctx.load_verify_cadata(ca.cert_pem());
        server_ctx.set_verify_mode(tls::CERT_REQUIRED);
        tls::Listener listener(server_ctx, "127.0.0.1", 0);

        std::thread server([&listener] {
            try {
                tls::Socket conn = listener.accept(std::chrono::seconds(5));
                const tls::CertificateInfo peer = *conn.getpeercert();
                for (const auto& rdn : peer.subject) {
                    for (const auto& [name, value] : rdn) {
                        if (name == "commonName") {
                            conn.sendall("hello, " + value + "\n");
                        }
                    }
                }
                conn.unwrap();
            } catch (const std::exception& e) {
                std::cerr << "server: " << e.what() << "\n";
            }
        });

        tls::Context client_ctx;
        client_ctx.load_verify_cadata(ca.cert_pem());
        client_ctx.load_cert_chain_pem(client_cert.cert_chain_pem(), client_cert.private_key_pem());
        std::string greeting;
        {
            tls::Socket sock = tls::connect(client_ctx, "localhost", listener.port());
            greeting = sock.recv();
            sock.unwrap();
        }
        server.join();
        std::cout << greeting;
        return greeting == "hello, alice\n" ? EXIT_SUCCESS : EXIT_FAILURE;
    } catch (const tls::SSLCertVerificationError& e) {
        std::cerr << "certificate rejected: " << e.verify_message() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
