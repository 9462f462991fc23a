// Fuzz target 7: session deserialization: Session::from_bytes on attacker bytes (a session file or
// store entry an attacker wrote), every accessor of what comes back, re-serialization, and, when
// the session says it is resumable, a client Object offering it in its ClientHello.
//
// Input: the serialized session, as it is. What was decoded (or the decoder's error reason) and
// the messages of the resumption attempt count as coverage (openssl_state.hpp).
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "fuzz_pki.hpp"
#include "openssl_state.hpp"
#include "tls/tls.hpp"

namespace {

// A duration as a feature by its order of magnitude (bit width, negated when negative): the
// decoder treats 0, small, huge and negative values differently, not every value. The value
// itself, even modulo 1,024, made every new timeout a new feature, and, paired with the next
// feature, the corpus grew without new coverage.
long magnitude(long long value) {
    const unsigned long long size = value < 0 ? 0ULL - static_cast<unsigned long long>(value)
                                              : static_cast<unsigned long long>(value);
    long bits = 0;
    for (unsigned long long v = size; v != 0; v >>= 1) {
        ++bits;
    }
    return value < 0 ? -bits : bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const tls::Context client = [] {
        tls::Context ctx;
        ctx.load_verify_cadata(tls::fuzz::FuzzPki::get().root.cert_pem());
        ctx.set_msg_callback(tls::fuzz::state::message_callback());
        return ctx;
    }();
    namespace state = tls::fuzz::state;
    state::previous = 0;
    tls::Session session;
    try {
        session = tls::Session::from_bytes(tls::Bytes(data, data + size));
    } catch (const tls::SSLError& e) {
        state::text(e.library() + "/" + e.reason());
        return 0;
    }
    // What the session holds, as features: OpenSSL's decoder is not instrumented.
    state::text("id", static_cast<long>(session.id().size()));
    state::text("timeout", magnitude(session.timeout().count()));
    state::text("hint", magnitude(session.ticket_lifetime_hint().count()));
    state::text("ticket", session.has_ticket() ? 1 : 0);
    state::text("resumable", session.is_resumable() ? 1 : 0);
    (void)session.time();
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
        if (ec && ec != tls::SSLErrc::want_read) {
            state::error(obj.last_error());
        }
    } catch (const std::invalid_argument&) {
        // A session for another context or version: wrap_bio refuses it, as Python does.
    }
    return 0;
}
