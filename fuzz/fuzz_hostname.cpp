// Fuzz target 6: host names: the IDNA conversion (to an A-label, as server_hostname is sent and
// matched), a client Object's server_hostname handling, and verify_certificate_chain's name checks
// against real chains (DNS names, a wildcard, an IDNA name, IPs, the CN fallback).
//
// Input: which:u8, then the name (the rest). which % 4: 0 the A-label conversion alone;
// 1 WrapOptions::client(name) on a verifying client, wrap_bio and its first handshake step (the
// ClientHello with the name as SNI); 2 verify_certificate_chain with dns_name = name; 3 with
// ip_address = name. Bit 0x04 picks the wildcard leaf (else localhost's), bit 0x08 turns on
// hostname_checks_common_name. A conversion that succeeds must give ASCII and be stable.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_pki.hpp"
#include "idna.hpp"
#include "tls/tls.hpp"
#include "tls_frames.hpp"

namespace {

void check_a_label(const std::string& name) {
    const std::string a = tls::detail::to_a_label(name);
    for (const char c : a) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            __builtin_trap();  // an A-label is ASCII
        }
    }
    if (tls::detail::to_a_label(a) != a) {
        __builtin_trap();  // converting an A-label again changes it
    }
}

void wrap_client(const std::string& name) {
    static const tls::Context client = [] {
        tls::Context ctx;
        ctx.load_verify_cadata(tls::fuzz::FuzzPki::get().root.cert_pem());
        return ctx;
    }();
    tls::MemoryBIO in, out;
    tls::Object obj = client.wrap_bio(in, out, tls::WrapOptions::client(name));
    (void)obj.server_hostname();
    std::error_code ec;
    obj.do_handshake(ec);
}

void verify(unsigned which, const std::string& name) {
    const tls::fuzz::FuzzPki& pki = tls::fuzz::FuzzPki::get();
    tls::VerifyRequest req;
    req.trusted_pem = {pki.root.cert_pem()};
    req.leaf_pem = ((which & 0x04) != 0 ? pki.wildcard : pki.localhost).cert_chain_pem();
    if (which % 4 == 2) {
        req.dns_name = name;
    } else {
        req.ip_address = name;
    }
    req.hostname_checks_common_name = (which & 0x08) != 0;
    const tls::VerifyResult result = tls::verify_certificate_chain(req);
    if (result.ok != (result.verify_code == 0)) {
        __builtin_trap();  // ok and verify_code disagree
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tls::fuzz::Reader r(data, size);
    const unsigned which = r.u8();
    const std::string name(r.rest());
    try {
        switch (which % 4) {
            case 0:
                check_a_label(name);
                break;
            case 1:
                wrap_client(name);
                break;
            default:
                verify(which, name);
                break;
        }
    } catch (const std::invalid_argument&) {
    } catch (const tls::SSLError&) {
    }
    return 0;
}
