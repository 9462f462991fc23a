// Fuzz target 2: loading certificates and keys from memory: Context::load_cert_chain_pem (chain,
// key, password) and Context::load_verify_cadata (PEM text or concatenated DER).
//
// Input: mode:u8 chain_len:u16be chain[chain_len] key_len:u16be key[key_len] password[rest].
// mode % 3: 0 load_cert_chain_pem(chain, key, password); 1 load_verify_cadata(PEM = chain);
// 2 load_verify_cadata(DER = chain). A load that succeeds is followed by what reads the result
// back (cert_chains, get_ca_certs, cert_store_stats).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "openssl_state.hpp"
#include "tls/tls.hpp"
#include "tls_frames.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tls::fuzz::Reader r(data, size);
    const unsigned mode = r.u8() % 3;
    const std::string_view chain = r.take(r.u16());
    const std::string_view key = r.take(r.u16());
    const std::string_view password = r.rest();
    tls::Context ctx(tls::Protocol::PROTOCOL_TLS_SERVER);
    try {
        if (mode == 0) {
            ctx.load_cert_chain_pem(chain, key, password);
            for (const tls::CertChain& c : ctx.cert_chains()) {
                (void)c.key_type();
            }
        } else {
            if (mode == 1) {
                ctx.load_verify_cadata(chain);
            } else {
                ctx.load_verify_cadata(tls::Bytes(chain.begin(), chain.end()));
            }
            (void)ctx.get_ca_certs();
            (void)ctx.get_ca_certs_der();
            (void)ctx.cert_store_stats();
        }
    } catch (const tls::SSLError& e) {
        // Where OpenSSL's (uninstrumented) decoders gave up, as a feature.
        tls::fuzz::state::previous = mode;
        tls::fuzz::state::text(e.library() + "/" + e.reason());
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
