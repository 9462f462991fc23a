// Fuzz target 1: certificate decoding into Python's getpeercert() shape (decode_certificate, PEM or
// DER detected), the PEM <-> DER conversions and cert_time_to_seconds on the decoded dates.
//
// Input: the certificate bytes, as they are. DER taken from a PEM input must survive the
// DER -> PEM -> DER round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "openssl_state.hpp"
#include "tls/tls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    tls::CertificateInfo info;
    try {
        info = tls::decode_certificate(input);
    } catch (const tls::SSLError& e) {
        // Where OpenSSL's (uninstrumented) decoder gave up, as a feature.
        tls::fuzz::state::previous = 0;
        tls::fuzz::state::text(e.library() + "/" + e.reason());
        return 0;
    } catch (const std::invalid_argument&) {
        return 0;
    }
    for (const std::string& date : {info.not_before, info.not_after}) {
        try {
            (void)tls::cert_time_to_seconds(date);
        } catch (const std::invalid_argument&) {
            // Python raises ValueError too for dates its format cannot hold.
        }
    }
    try {
        const tls::Bytes der = tls::PEM_cert_to_DER_cert(input);
        const std::string pem = tls::DER_cert_to_PEM_cert(der);
        if (tls::PEM_cert_to_DER_cert(pem) != der) {
            __builtin_trap();  // the round trip changed the certificate
        }
        (void)tls::decode_certificate(pem);
    } catch (const std::invalid_argument&) {
        // DER input: PEM_cert_to_DER_cert wants PEM (Python raises ValueError).
    } catch (const tls::SSLError&) {
        // Python's PEM_cert_to_DER_cert only decodes base64; the bytes need not be a certificate.
    }
    return 0;
}
