// memory_pair.cpp — the sans-I/O hello world: a client and a server tls::Object in one thread,
// each writing into its own outgoing MemoryBIO, with main() carrying the bytes across. No
// sockets: whatever moves bytes for you (a pipe, a message queue, an event loop) replaces
// transfer() below.
//
// Run: example_memory_pair  (makes its own throw-away CA with tls::pki; prints one line)
// Leaves out: a real transport (see examples/asio_object.cpp and docs/sans-io.md), and the
// error_code overloads an event loop would use instead of catching SSLWantReadError.
#include <tls/pki.hpp>
#include <tls/tls.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

// One end of the connection: the Object and the two buffers it reads and writes.
struct Endpoint {
    tls::MemoryBIO incoming, outgoing;
    tls::Object tls;
};

// The "network": whatever one side wrote arrives at the other.
void transfer(Endpoint& from, Endpoint& to) {
    to.incoming.write(from.outgoing.read());
}

// Steps a handshake; "want read" just means "wait for the peer's next flight".
bool handshake_step(Endpoint& e) {
    try {
        e.tls.do_handshake();
        return true;
    } catch (const tls::SSLWantReadError&) {
        return false;
    }
}

}  // namespace

int main() {
    try {
        tls::pki::CertificateAuthority ca;
        tls::pki::IssuedCert leaf = ca.issue_cert({"localhost"});

        tls::Context server_ctx(tls::PROTOCOL_TLS_SERVER);
        server_ctx.load_cert_chain_pem(leaf.cert_chain_pem(), leaf.private_key_pem());
        tls::Context client_ctx;  // secure defaults: verifies the chain and the host name
        client_ctx.load_verify_cadata(ca.cert_pem());

        Endpoint client, server;
        client.tls = client_ctx.wrap_bio(client.incoming, client.outgoing,
                                         tls::WrapOptions::client("localhost"));
        server.tls =
            server_ctx.wrap_bio(server.incoming, server.outgoing, tls::WrapOptions::server());

        bool client_done = false, server_done = false;
        while (!client_done || !server_done) {
            client_done = handshake_step(client);  // ClientHello, then Finished
            transfer(client, server);
            server_done = handshake_step(server);  // ServerHello ... Finished
            transfer(server, client);
        }

        client.tls.write("hello");
        transfer(client, server);
        std::string request = server.tls.read();
        server.tls.write(request);  // echo
        transfer(server, client);
        std::string reply = client.tls.read();  // also consumes the session tickets

        // close_notify both ways: the first unwrap waits for the peer's alert.
        try {
            client.tls.unwrap();
        } catch (const tls::SSLWantReadError&) {
        }
        transfer(client, server);
        server.tls.unwrap();  // the client's alert is here: completes at once
        transfer(server, client);
        client.tls.unwrap();

        std::cout << "memory_pair: " << reply << " echoed over "
                  << client.tls.version().value_or("?") << " between two tls::Objects\n";
        return reply == "hello" ? EXIT_SUCCESS : EXIT_FAILURE;
    } catch (const tls::SSLCertVerificationError& e) {
        std::cerr << "certificate rejected: " << e.verify_message() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
    }
    return EXIT_FAILURE;
}
