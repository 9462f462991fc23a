// tlsctx fuzzing — writes the seed corpora (fuzz/make_corpus.sh runs it): certificates, keys and
// sessions from a fresh tls::pki hierarchy and flights from real in-memory handshakes, encoded
// as each target's top comment describes. Usage: tlsctx_fuzz_make_corpus OUTPUT_DIR
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

#include "fuzz_pki.hpp"
#include "object_driver.hpp"
#include "tls/tls.hpp"
#include "tls_frames.hpp"

namespace {

namespace fs = std::filesystem;
using tls::fuzz::frame;
using tls::fuzz::FrameKind;

fs::path out_dir;

void seed(const std::string& target, const std::string& name, std::string_view bytes) {
    const fs::path dir = out_dir / target;
    fs::create_directories(dir);
    std::ofstream f(dir / name, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
        throw std::system_error(errno, std::generic_category(), "write " + (dir / name).string());
    }
}

std::string as_string(const tls::Bytes& b) {
    return {b.begin(), b.end()};
}
std::string u16(std::size_t v) {
    std::string s;
    tls::fuzz::put_u16(s, static_cast<unsigned>(v));
    return s;
}
std::string byte(unsigned v) {
    return std::string(1, static_cast<char>(v));
}

/// Every record of `wire` as a kind-0 frame.
std::string record_frames(std::string_view wire) {
    std::string out;
    for (const tls::fuzz::Record& r : tls::fuzz::split_records(wire)) {
        out += frame(FrameKind::record, byte(r.type) + r.body);
    }
    return out;
}

tls::Context server_ctx(bool tls12, bool ask_client_cert) {
    const auto& pki = tls::fuzz::FuzzPki::get();
    tls::Context ctx(tls::Protocol::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain_pem(pki.localhost.cert_chain_pem(), pki.localhost.private_key_pem());
    ctx.set_alpn_protocols({"h2"});
    if (tls12) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    if (ask_client_cert) {
        ctx.load_verify_cadata(pki.root.cert_pem());
        ctx.set_verify_mode(tls::VerifyMode::CERT_OPTIONAL);
    }
    return ctx;
}

tls::Context client_ctx(bool with_cert) {
    const auto& pki = tls::fuzz::FuzzPki::get();
    tls::Context ctx;
    ctx.load_verify_cadata(pki.root.cert_pem());
    ctx.set_alpn_protocols({"h2", "http/1.1"});
    if (with_cert) {
        ctx.load_cert_chain_pem(pki.client.cert_chain_pem(), pki.client.private_key_pem());
    }
    return ctx;
}

/// A whole handshake plus a read on the client (which takes TLS 1.3 tickets in): its session.
tls::Session session_from_handshake(bool tls12) {
    tls::Context client = client_ctx(false);
    tls::Context server = server_ctx(tls12, false);
    tls::MemoryBIO c_in, c_out, s_in, s_out;
    tls::Object c = client.wrap_bio(c_in, c_out, tls::WrapOptions::client("localhost"));
    tls::Object s = server.wrap_bio(s_in, s_out, tls::WrapOptions::server());
    std::error_code cec, sec;
    for (int i = 0; i < 10 && !(c.handshake_done() && s.handshake_done()); ++i) {
        c.do_handshake(cec);
        s_in.write(c_out.read());
        s.do_handshake(sec);
        c_in.write(s_out.read());
    }
    char buf[64];
    (void)c.read(buf, sizeof buf, cec);
    return c.session();
}

void certificates() {
    const auto& pki = tls::fuzz::FuzzPki::get();
    tls::pki::CertificateOptions rich;
    rich.common_name = "rich.example.test";
    rich.organization = "tlsctx fuzz";
    rich.dns_names = {"rich.example.test", "*.rich.example.test"};
    rich.ip_addresses = {"192.0.2.1", "2001:db8::1"};
    rich.emails = {"admin@example.test"};
    rich.uris = {"https://example.test/"};
    rich.ocsp_urls = {"http://ocsp.example.test/"};
    rich.ca_issuer_urls = {"http://ca.example.test/ca.der"};
    rich.crl_urls = {"http://crl.example.test/ca.crl"};
    rich.must_staple = true;
    const tls::pki::IssuedCert leaf = pki.intermediate.issue_cert(rich);
    seed("fuzz_decode_certificate", "rich.pem", leaf.cert_pem());
    const auto der = leaf.cert_der();
    seed("fuzz_decode_certificate", "rich.der", std::string(der.begin(), der.end()));
    seed("fuzz_decode_certificate", "root.pem", pki.root.cert_pem());
    seed("fuzz_decode_certificate", "localhost.pem", pki.localhost.cert_pem());

    const std::string password = "tlsctx-fuzz";
    const auto& lh = pki.localhost;
    seed("fuzz_load_cert_chain", "chain-key",
         byte(0) + u16(lh.cert_chain_pem().size()) + lh.cert_chain_pem() +
             u16(lh.private_key_pem().size()) + lh.private_key_pem());
    const std::string encrypted = lh.private_key_pem_encrypted(password);
    seed("fuzz_load_cert_chain", "chain-encrypted-key",
         byte(0) + u16(lh.cert_chain_pem().size()) + lh.cert_chain_pem() + u16(encrypted.size()) +
             encrypted + password);
    const std::string cadata = pki.root.cert_pem() + pki.intermediate.make_crl_pem({lh.cert_pem()});
    seed("fuzz_load_cert_chain", "cadata-pem", byte(1) + u16(cadata.size()) + cadata + u16(0));
    const std::string cadata_der =
        as_string(tls::PEM_cert_to_DER_cert(pki.root.cert_pem())) +
        as_string(tls::PEM_cert_to_DER_cert(pki.intermediate.cert_pem()));
    seed("fuzz_load_cert_chain", "cadata-der",
         byte(2) + u16(cadata_der.size()) + cadata_der + u16(0));
}

void handshakes() {
    for (const bool tls12 : {false, true}) {
        const std::string v = tls12 ? "tls12" : "tls13";
        tls::Context client = client_ctx(true);
        if (tls12) {
            client.set_maximum_version(tls::TLSVersion::TLSv1_2);
        }
        const tls::fuzz::Flights f = tls::fuzz::capture(client, server_ctx(tls12, true));
        const unsigned server_config = (tls12 ? 0x01U : 0U) | 0x02U | 0x04U;
        // The server target: the real ClientHello as prefix, then the client's second flight.
        seed("fuzz_server_object", v + "-prefix-second-flight",
             byte(server_config | 0x80U) + frame(FrameKind::raw, f.client_second));
        // The ClientHello (edited: one extension duplicated, one dropped) cut into 64-byte records.
        seed("fuzz_server_object", v + "-edited-hello",
             byte(server_config) +
                 frame(FrameKind::real_flight, byte(64) + byte(3) + byte(2) + u16(0) + byte(0) +
                                                   byte(0) + byte(5) + u16(0) + byte(0)));
        // The ClientHello as records the mutator can cut and lie about.
        seed("fuzz_server_object", v + "-hello-records",
             byte(server_config) + record_frames(f.client_hello) + record_frames(f.client_second));

        const unsigned client_config = (tls12 ? 0x01U : 0U) | 0x02U | 0x04U;
        seed("fuzz_client_object", v + "-prefix",
             byte(client_config | 0x80U) + frame(FrameKind::raw, "\x15\x03\x03\x00\x02\x02\x28"));
        seed("fuzz_client_object", v + "-edited-flight",
             byte(client_config) +
                 frame(FrameKind::real_flight, byte(0) + byte(1) + byte(0) + u16(0x10) + byte(3) +
                                                   std::string("\x00\x01h", 3)));
        seed("fuzz_client_object", v + "-flight-records",
             byte(client_config) + record_frames(f.server_flight));

        seed("fuzz_session", v, as_string(session_from_handshake(tls12).to_bytes()));
    }
}

void strings() {
    const std::pair<unsigned, std::string> seeds[] = {
        {0, "ECDHE+AESGCM:!aNULL"},
        {1, "HIGH:!aNULL:@SECLEVEL=1"},
        {2, "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"},
        {3, "python3.7-builtin"},
        {4, std::string("h2\0http/1.1", 11)},
        {5, "X25519:P-256:?ffdhe2048"},
        {6, "prime256v1"},
        {7, "rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256:RSA+SHA256"},
        {0x88, "ECDSA+SHA384:ed25519"},
        {9, "X25519MLKEM768:MLKEM1024"},
    };
    for (const auto& [which, text] : seeds) {
        seed("fuzz_context_strings", "s" + std::to_string(which), byte(which) + text);
    }
    const std::pair<unsigned, std::string> names[] = {
        {0,
         "b\xc3\xbc"
         "cher.example"},
        {0, "xn--bcher-kva.test"},
        {1, "\xce\xb1.example.test"},
        {2, "localhost"},
        {2 | 0x04, "www.example.test"},
        {2 | 0x04,
         "b\xc3\xbc"
         "cher.test"},
        {3, "127.0.0.1"},
        {3, "::1"},
        {2 | 0x08, "LOCALHOST."},
    };
    int i = 0;
    for (const auto& [which, text] : names) {
        seed("fuzz_hostname", "n" + std::to_string(i++), byte(which) + text);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: tlsctx_fuzz_make_corpus OUTPUT_DIR\n";
        return 2;
    }
    out_dir = argv[1];
    try {
        certificates();
        handshakes();
        strings();
    } catch (const std::exception& e) {
        std::cerr << "tlsctx_fuzz_make_corpus: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
