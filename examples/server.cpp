// server.cpp — a TLS server: a server context, a listener, one small HTTP answer per connection.
//
// Run on loopback (scripts/run-examples.sh makes the certificates):
//   example_server cert.pem key.pem 8443 [CONNECTIONS]
//   curl --cacert ca.pem https://localhost:8443/
// Serves CONNECTIONS connections (default 1) one after another, then exits. Leaves out:
// concurrency (see tools/tlsctx/serve_command.cpp), HTTP parsing, graceful reload.
#include <tls/tls.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: " << argv[0] << " CERT KEY PORT [CONNECTIONS]\n";
        return 2;
    }
    const int connections = argc > 4 ? std::stoi(argv[4]) : 1;
    try {
        tls::Context ctx(tls::PROTOCOL_TLS_SERVER);  // asks for no client certificate
        ctx.load_cert_chain(argv[1], argv[2]);
        ctx.set_alpn_protocols({"http/1.1"});
        tls::Listener listener(ctx, "127.0.0.1", static_cast<std::uint16_t>(std::stoi(argv[3])));
        std::cout << "listening on 127.0.0.1:" << listener.port() << std::endl;
        for (int i = 0; i < connections; ++i) {
            try {
                tls::Socket conn = listener.accept(std::chrono::seconds(10));
                (void)conn.recv();  // the request; a real server would parse it
                std::string body = "hello over " + conn.version().value_or("?") + "\n";
                conn.sendall("HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\n\r\n" + body);
                conn.close();  // sends close_notify
            } catch (const std::exception& e) {
                std::cerr << "connection failed: " << e.what() << "\n";  // keep serving
            }
        }
        return EXIT_SUCCESS;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return EXIT_FAILURE;
    }
}
