// Recipe: sessions saved to disk and resumed by the next run, so a command-line client skips
// the full handshake (and its certificate checks and key exchange) the second time.
//
//   resume_session HOST PORT CAFILE SESSION_FILE
// prints "resumed: no" on the first run and "resumed: yes" on the next, while the server
// keeps the session (its ticket key) and the session has not expired.
//
// The TLS 1.3 rule: the server sends its ticket *after* the handshake, so right after connect()
// there is nothing to save yet. Take the session after the first read (Connection::session()
// stays empty until then); with TLS 1.2 it exists as soon as the handshake is done.
#include <tls/tls.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace {

tls::Session load_session(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const tls::Bytes data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (data.empty()) {
        return {};  // first run: no file yet
    }
    try {
        tls::Session session = tls::Session::from_bytes(data);
        return session.is_resumable() ? session : tls::Session();
    } catch (const tls::SSLError&) {
        return {};  // a damaged file costs a full handshake, nothing more
    }
}

void save_session(const std::string& path, const tls::Session& session) {
    // It holds the resumption secret: only the owner may read it, as for a private key, and
    // that is set before the secret is written.
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        std::filesystem::permissions(
            temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
        const tls::Bytes data = session.to_bytes();
        out.write(reinterpret_cast<const char*>(data.data()),
                  static_cast<std::streamsize>(data.size()));
        if (!out.flush()) {
            throw std::runtime_error("cannot write " + temporary);
        }
    }
    std::filesystem::rename(temporary, path);  // never leaves a half-written file behind
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::cerr << "usage: resume_session HOST PORT CAFILE SESSION_FILE\n";
        return 2;
    }
    const std::string host = argv[1];
    const auto port = static_cast<std::uint16_t>(std::stoi(argv[2]));
    const std::string session_file = argv[4];
    try {
        tls::Context ctx;
        ctx.load_verify_locations(argv[3]);

        tls::Socket sock =
            tls::connect(ctx, host, port, std::chrono::seconds(10), load_session(session_file));
        std::cout << "resumed: " << (sock.session_reused() ? "yes" : "no") << "\n";

        sock.sendall("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n");
        std::string reply;
        for (std::string chunk; !(chunk = sock.recv()).empty();) {
            reply += chunk;  // reading also takes in TLS 1.3 tickets
        }
        std::cout << reply.substr(0, reply.find("\r\n")) << "\n";

        if (const tls::Session session = sock.session(); session.is_resumable()) {
            save_session(session_file, session);
        }
        sock.close();
        return EXIT_SUCCESS;
    } catch (const std::exception& e) {
        std::cerr << "failed: " << e.what() << "\n";
        return EXIT_FAILURE;
    }
}
