// Recipe: every failure a client meets, each caught as its own type and told to the user in
// plain words. Order the handlers from the most derived type: SSLCertVerificationError and
// SSLEOFError are SSLErrors, every SSLError and gaierror is a std::system_error.
//
//   client_errors HOST PORT CAFILE
// prints one line, "ok: ..." or "<kind>: <what happened>", and exits 0 only for "ok".
#include <tls/tls.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <system_error>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: client_errors HOST PORT CAFILE\n";
        return 2;
    }
    const std::string host = argv[1];
    const auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
    try {
        tls::Context ctx;
        ctx.load_verify_locations(argv[3]);  // std::system_error if unreadable, SSLError if not PEM
        tls::Socket sock = tls::connect(ctx, host, port, std::chrono::seconds(3));
        sock.sendall("GET / HTTP/1.0\r\n\r\n");
        const std::string reply = sock.recv();  // a TLS 1.3 server's verdict on us arrives here
        sock.close();
        std::cout << "ok: " << *sock.version() << ", " << reply.size() << " bytes\n";
        return EXIT_SUCCESS;
    } catch (const tls::SSLCertVerificationError& e) {
        // The server's certificate: untrusted issuer, expired, or not for this host name.
        std::cout << "certificate: " << e.verify_message() << " (X509 code " << e.verify_code()
                  << ")\n";
    } catch (const tls::SSLEOFError& e) {
        // The connection ended without close_notify: a server that is not speaking TLS to us
        // or dropped us (wrong port, overloaded, a middlebox); the data may be truncated.
        std::cout << "eof: " << e.what() << "\n";
    } catch (const tls::SSLSyscallError& e) {
        // The transport broke under TLS: a reset (a server that dropped us mid-handshake, a
        // firewall), os_errno() says which.
        std::cout << "network: " << e.what() << "\n";
    } catch (const tls::SSLError& e) {
        // The TLS protocol failed: no common version or cipher, an alert from the server (e.g.
        // "certificate required"), or bytes that are not TLS. reason() is OpenSSL's name for it.
        std::cout << "tls: " << e.reason() << " (" << e.what() << ")\n";
    } catch (const tls::gaierror& e) {
        std::cout << "name: " << host << " does not resolve (" << e.code().message() << ")\n";
    } catch (const std::system_error& e) {
        // The network: refused, unreachable, reset, or the 3 s timeout passed.
        if (e.code() == std::errc::timed_out) {
            std::cout << "timeout: " << e.what() << "\n";
        } else if (e.code() == std::errc::connection_refused) {
            std::cout << "refused: " << e.what() << "\n";
        } else {
            std::cout << "network: " << e.what() << "\n";
        }
    } catch (const std::exception& e) {
        std::cout << "other: " << e.what() << "\n";  // e.g. std::invalid_argument, bad_alloc
    }
    return EXIT_FAILURE;
}
