// Fuzz target 7: session deserialization: Session::from_bytes on attacker bytes (a session file or
// store entry an attacker wrote), every accessor of what comes back, re-serialization, and, when
// the session says it is resumable, a client Object offering it in its ClientHello.
//
// Input: the serialized session, as it is.
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "fuzz_pki.hpp"
#include "tls/tls.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const tls::Context client = [] {
        tls::Context ctx;
        ctx.load_verify_cadata(tls::fuzz::FuzzPki::get().root.cert_pem());
        return ctx;
    }();
    tls::Session session;
    try {
        session = tls::Session::from_bytes(tls::Bytes(data, data + size));
    } catch (const tls::SSLError&) {
        return 0;
    }
    (void)session.id();
    (void)session.time();
    (void)session.timeout();
    (void)session.ticket_lifetime_hint();
    (void)session.has_ticket();
    try {
        (void)tls::Session::from_bytes(session.to_bytes());
    } catch (const tls::SSLError&) {
    }
    if (!session.is_resumable()) {
        return 0;
    }
    try {
        tls::MemoryBIO in, out;
        tls::WrapOptions options = tls::WrapOptions::client("localhost");
        options.session = session;
        tls::Object obj = client.wrap_bio(in, out, options);
        std::error_code ec;
        obj.do_handshake(ec);
    } catch (const std::invalid_argument&) {
        // A session for another context or version: wrap_bio refuses it, as Python does.
    }
    return 0;
}
