// Fuzz target 4: a client tls::Object (verifying "localhost" against the fuzz PKI's root) fed
// attacker server flights after its real ClientHello.
//
// Input: config:u8, then frames as fuzz/tls_frames.hpp describes; the real flight of kind-3 frames
// is a real server's answer to a real ClientHello (ServerHello first; edits change the
// ServerHello's extension list). The client under test makes a new ClientHello every input, so
// the real flight's key exchange never matches it: what is reached is the parsing of ServerHello,
// HelloRetryRequest, and in TLS 1.2 of Certificate (with chain verification), ServerKeyExchange,
// CertificateRequest and ServerHelloDone, up to the failed signature check. Config bits:
//   0x01  TLS 1.2 at most (client and the server that made the real flight), else TLS 1.3
//   0x02  the client has a certificate to send
//   0x04  the client offers ALPN
//   0x08  the client checks no host name and verifies nothing (dangerous(), CERT_NONE)
//   0x80  the real server flight arrives, unchanged, before the first frame
// The messages exchanged and the error reached count as coverage (object_driver.hpp, state).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_pki.hpp"
#include "object_driver.hpp"
#include "tls/tls.hpp"

namespace {

using tls::fuzz::FuzzPki;

tls::Context make_client(unsigned config) {
    const FuzzPki& pki = FuzzPki::get();
    tls::Context ctx;
    ctx.load_verify_cadata(pki.root.cert_pem());
    ctx.set_msg_callback(tls::fuzz::state::message_callback());
    if ((config & 0x01) != 0) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    if ((config & 0x02) != 0) {
        ctx.load_cert_chain_pem(pki.client.cert_chain_pem(), pki.client.private_key_pem());
    }
    if ((config & 0x04) != 0) {
        ctx.set_alpn_protocols({"h2", "http/1.1"});
    }
    if ((config & 0x08) != 0) {
        ctx.dangerous().disable_verification();
    }
    return ctx;
}

struct Setup {
    std::array<tls::Context, 16> clients;
    std::array<std::string, 2> server_flight;  // [0] TLS 1.3, [1] TLS 1.2

    Setup() {
        for (unsigned i = 0; i < clients.size(); ++i) {
            clients[i] = make_client(i);
        }
        const FuzzPki& pki = FuzzPki::get();
        for (unsigned v = 0; v < 2; ++v) {
            tls::Context server(tls::Protocol::PROTOCOL_TLS_SERVER);
            server.load_cert_chain_pem(pki.localhost.cert_chain_pem(),
                                       pki.localhost.private_key_pem());
            server.set_alpn_protocols({"h2"});
            server.load_verify_cadata(pki.root.cert_pem());
            server.set_verify_mode(tls::VerifyMode::CERT_OPTIONAL);
            server_flight[v] = tls::fuzz::capture(clients[v | 0x06], server).server_flight;
            // Taking the real flight apart and putting it back together must give it unchanged,
            // or kind-3 frames would not start from the real thing.
            if (tls::fuzz::real_flight(server_flight[v], std::string(1, '\0')) !=
                server_flight[v]) {
                std::abort();
            }
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Setup setup;
    tls::fuzz::Reader r(data, size);
    const unsigned config = r.u8();
    const std::string& flight = setup.server_flight[config & 0x01];
    tls::MemoryBIO in, out;
    tls::Object client =
        setup.clients[config & 0x0f].wrap_bio(in, out, tls::WrapOptions::client("localhost"));
    tls::fuzz::feed(client, in, out, r, (config & 0x80) != 0 ? flight : std::string_view(), flight);
    return 0;
}
