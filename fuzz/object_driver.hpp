// tlsctx fuzzing — what the two handshake targets share: real flights from an in-memory handshake
// between two tls::Objects (made once, at start), and the loop that feeds frames (tls_frames.hpp)
// to the Object under test. No sockets, no threads, no sleeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "openssl_state.hpp"
#include "tls/tls.hpp"
#include "tls_frames.hpp"

namespace tls::fuzz {

inline bool is_want(std::error_code ec) {
    return ec == SSLErrc::want_read || ec == SSLErrc::want_write;
}

/// The bytes of one real handshake, flight by flight.
struct Flights {
    std::string client_hello;   // the client's first flight
    std::string server_flight;  // the server's answer to it
    std::string client_second;  // the client's answer to that (Certificate..Finished)
};

/// Runs a real handshake between `client_ctx` and `server_ctx` in memory and records its flights.
inline Flights capture(const Context& client_ctx, const Context& server_ctx,
                       const WrapOptions& client_options = WrapOptions::client("localhost")) {
    MemoryBIO c_in, c_out, s_in, s_out;
    Object client = client_ctx.wrap_bio(c_in, c_out, client_options);
    Object server = server_ctx.wrap_bio(s_in, s_out, WrapOptions::server());
    Flights f;
    std::error_code cec, sec;
    client.do_handshake(cec);
    f.client_hello = c_out.read();
    s_in.write(f.client_hello);
    server.do_handshake(sec);
    f.server_flight = s_out.read();
    c_in.write(f.server_flight);
    client.do_handshake(cec);
    f.client_second = c_out.read();
    return f;
}

/// Delivers the frames left in `r` to `obj` one by one (one write into `in`, one handshake or read
/// step each) and looks at what a finished handshake exposes. `prefix`, when not empty, arrives
/// before the first frame. What `obj` writes is thrown away. Stops at the first real error.
inline void feed(Object& obj, MemoryBIO& in, MemoryBIO& out, Reader& r, std::string_view prefix,
                 std::string_view flight) {
    state::previous = 0;
    std::error_code ec;
    obj.do_handshake(ec);
    out.read();
    if (!prefix.empty()) {
        in.write(prefix);
        obj.do_handshake(ec);
        out.read();
    }
    char buf[4096];
    while (!r.empty() && (!ec || is_want(ec))) {
        const std::uint8_t kind = r.u8();
        const std::string_view data = r.take(r.u16());
        in.write(frame_bytes(kind, data, flight));
        if (!obj.handshake_done()) {
            obj.do_handshake(ec);
        } else {
            ec.clear();
            (void)obj.read(buf, sizeof buf, ec);
        }
        out.read();
    }
    if (ec && !is_want(ec)) {
        state::error(obj.last_error());
    }
    if (obj.handshake_done()) {
        (void)obj.getpeercert();
        (void)obj.get_unverified_chain();
        (void)obj.selected_alpn_protocol();
        (void)obj.version();
        (void)obj.cipher();
    }
}

}  // namespace tls::fuzz
