// Fuzz target 3: a server tls::Object fed attacker bytes after (or instead of) a real ClientHello.
//
// Input: config:u8, then frames as fuzz/tls_frames.hpp describes; the real flight of kind-3 frames
// is a real client's ClientHello (edits change its extension list: SNI, ALPN, key shares,
// supported_versions, PSK...). Config bits:
//   0x01  the client that made the real ClientHello is limited to TLS 1.2 (else 1.3)
//   0x02  the server asks for a client certificate (CERT_OPTIONAL)
//   0x04  the server's context has a ClientHello callback reading every field (tls::ClientHello)
//   0x08  the server's context has an SNI callback
//   0x10  the server is limited to TLS 1.2
//   0x80  the real ClientHello arrives, unchanged, before the first frame
// Every input starts a new server Object on one of a few contexts made at start; anything but an
// error code from the Object (an exception, a crash, a sanitizer report) is a finding. The
// messages exchanged and the error reached count as coverage (object_driver.hpp, state).
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

tls::Context make_server(unsigned config) {
    const FuzzPki& pki = FuzzPki::get();
    tls::Context ctx(tls::Protocol::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain_pem(pki.localhost.cert_chain_pem(), pki.localhost.private_key_pem());
    ctx.set_alpn_protocols({"h2", "http/1.1"});
    ctx.set_msg_callback(tls::fuzz::state::message_callback());
    if ((config & 0x02) != 0) {
        ctx.load_verify_cadata(pki.root.cert_pem());
        ctx.set_verify_mode(tls::VerifyMode::CERT_OPTIONAL);
    }
    if ((config & 0x04) != 0) {
        ctx.set_client_hello_callback([](tls::ClientHello& hello) {
            (void)hello.server_name();
            (void)hello.alpn_protocols();
            (void)hello.supported_versions();
            (void)hello.groups();
            (void)hello.key_shares();
            (void)hello.cipher_suites();
            (void)hello.signature_algorithms();
            (void)hello.offers_resumption();
            (void)hello.extension_types();
            return std::optional<tls::AlertDescription>{};
        });
    }
    if ((config & 0x08) != 0) {
        ctx.set_sni_callback([](tls::ServerNameRequest& request) {
            (void)request.server_name();
            return std::optional<tls::AlertDescription>{};
        });
    }
    if ((config & 0x10) != 0) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    return ctx;
}

struct Setup {
    std::array<tls::Context, 16> servers;
    std::array<std::string, 2> client_hello;  // [0] TLS 1.3 client, [1] TLS 1.2 client

    Setup() {
        for (unsigned i = 0; i < servers.size(); ++i) {
            servers[i] = make_server(i << 1);
        }
        for (unsigned v = 0; v < 2; ++v) {
            tls::Context client;
            client.load_verify_cadata(FuzzPki::get().root.cert_pem());
            client.set_alpn_protocols({"h2", "http/1.1"});
            if (v == 1) {
                client.set_maximum_version(tls::TLSVersion::TLSv1_2);
            }
            client_hello[v] = tls::fuzz::capture(client, servers[0]).client_hello;
            // Taking the real flight apart and putting it back together must give it unchanged,
            // or kind-3 frames would not start from the real thing.
            if (tls::fuzz::real_flight(client_hello[v], std::string(1, '\0')) != client_hello[v]) {
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
    const std::string& hello = setup.client_hello[config & 0x01];
    tls::MemoryBIO in, out;
    tls::Object server =
        setup.servers[(config >> 1) & 0x0f].wrap_bio(in, out, tls::WrapOptions::server());
    tls::fuzz::feed(server, in, out, r, (config & 0x80) != 0 ? hello : std::string_view(), hello);
    return 0;
}
