// Recipe: one listener, several certificates chosen by the name the client asks for (SNI), as
// nginx does with one server block per name. Each name gets its own server Context; the SNI
// callback moves the connection to it. A client that sends no name, or one we do not serve,
// gets the first certificate (nginx's default_server); refusing it instead is one line
// (return tls::ALERT_DESCRIPTION_UNRECOGNIZED_NAME).
//
//   sni_server PORT CONNECTIONS NAME=CERT,KEY [NAME=CERT,KEY...]
// prints "listening on 127.0.0.1:PORT" (PORT 0: the kernel picks), serves CONNECTIONS clients,
// answering each with the name it was served under, then exits.
#include <tls/tls.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: sni_server PORT CONNECTIONS NAME=CERT,KEY [NAME=CERT,KEY...]\n";
        return 2;
    }
    try {
        std::map<std::string, tls::Context> by_name;
        std::string default_name;
        for (int i = 3; i < argc; ++i) {
            const std::string arg = argv[i];
            const auto eq = arg.find('=');
            const auto comma = arg.find(',', eq);
            if (eq == std::string::npos || comma == std::string::npos) {
                std::cerr << "not NAME=CERT,KEY: " << arg << "\n";
                return 2;
            }
            tls::Context site(tls::PROTOCOL_TLS_SERVER);
            site.load_cert_chain(arg.substr(eq + 1, comma - eq - 1), arg.substr(comma + 1));
            const std::string name = arg.substr(0, eq);
            by_name.emplace(name, site);
            if (default_name.empty()) {
                default_name = name;
            }
        }

        // The default site's context listens (a Context is a handle: this is the same one) and
        // moves each connection to its site's context.
        tls::Context listening = by_name.at(default_name);
        listening.set_sni_callback(
            [&by_name](tls::ServerNameRequest& request) -> std::optional<tls::AlertDescription> {
                if (request.server_name()) {
                    if (auto site = by_name.find(*request.server_name()); site != by_name.end()) {
                        request.set_context(site->second);
                    }
                }
                return std::nullopt;  // go on (with the default certificate if unmatched)
            });

        tls::Listener listener(listening, "127.0.0.1",
                               static_cast<std::uint16_t>(std::stoi(argv[1])));
        std::cout << "listening on 127.0.0.1:" << listener.port() << std::endl;
        for (int served = 0; served < std::stoi(argv[2]); ++served) {
            try {
                tls::Socket conn = listener.accept(std::chrono::seconds(20));
                const auto asked = conn.server_name();
                conn.sendall("served as " + std::string(asked ? *asked : "(no name)") + "\n");
                conn.close();
            } catch (const tls::SSLError& e) {  // one client's failure is not the server's
                std::cerr << "handshake failed: " << e.what() << "\n";
            }
        }
        return EXIT_SUCCESS;
    } catch (const std::exception& e) {
        std::cerr << "failed: " << e.what() << "\n";
        return EXIT_FAILURE;
    }
}
