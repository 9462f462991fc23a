// tlsctx tests — two tls::Objects connected in memory (STYLE.md 9; rustls-test's make_pair and
// do_handshake_until_error, CPython's ssl_io_loop): the one pump every suite uses to move bytes
// between an Object pair, whole or cut into chunks. No sockets, no threads. Header-only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "tls/tls.hpp"

namespace tls::test::memory {

/// One side of an in-memory connection: an Object and the two buffers it talks through, plus
/// every chunk it has sent, in order, for tests that look at the records.
struct Endpoint {
    tls::MemoryBIO incoming, outgoing;
    tls::Object object;
    std::vector<std::string> sent;
};

struct Pair {
    Endpoint client, server;
};

/// A client (for "localhost" unless told) and a server, wrapped but not handshaken.
inline Pair make_pair(
    const tls::Context& client_ctx, const tls::Context& server_ctx,
    const tls::WrapOptions& client_options = tls::WrapOptions::client("localhost"),
    const tls::WrapOptions& server_options = tls::WrapOptions::server()) {
    Pair p;
    p.client.object = client_ctx.wrap_bio(p.client.incoming, p.client.outgoing, client_options);
    p.server.object = server_ctx.wrap_bio(p.server.incoming, p.server.outgoing, server_options);
    return p;
}

/// How the "transport" cuts the bytes it carries: the size of the next chunk given how many are
/// waiting. Each chunk is handed to the receiver, which runs before the next one arrives.
using Chunker = std::function<std::size_t(std::size_t waiting)>;

inline std::size_t whole(std::size_t waiting) {
    return waiting;
}
inline std::size_t one_byte(std::size_t /*waiting*/) {
    return 1;
}
/// Random chunk sizes from a fixed seed, so a failure reproduces.
inline Chunker random_chunks(unsigned seed, std::size_t max_chunk = 20000) {
    auto rng = std::make_shared<std::mt19937>(seed);
    return [rng, max_chunk](std::size_t waiting) {
        std::uniform_int_distribution<std::size_t> d(1, max_chunk);
        return std::min(waiting, d(*rng));
    };
}

/// Moves `from`'s outgoing bytes into `to`'s incoming chunk by chunk, recording each in
/// `from.sent` and calling `after_chunk` after each. Returns the number of bytes moved.
inline std::size_t deliver(
    Endpoint& from, Endpoint& to, const Chunker& chunker = whole,
    const std::function<void()>& after_chunk = [] {}) {
    std::size_t moved = 0;
    while (from.outgoing.pending() > 0) {
        std::string chunk = from.outgoing.read(chunker(from.outgoing.pending()));
        to.incoming.write(chunk);
        moved += chunk.size();
        from.sent.push_back(std::move(chunk));
        after_chunk();
    }
    return moved;
}

/// Moves every byte each side has written into the other's incoming buffer.
inline void pump(Endpoint& a, Endpoint& b) {
    deliver(a, b);
    deliver(b, a);
}

inline bool is_want(std::error_code ec) {
    return ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write;
}

/// The outcome of do_handshake_until_error: each side's last error code (empty once done).
struct HandshakeResult {
    std::error_code client;
    std::error_code server;
    bool done() const { return !client && !server; }
};

/// Runs both handshakes, delivering bytes with `chunker` and stepping the receiver after every
/// chunk, until both are done, one fails for real, or nothing moves any more.
inline HandshakeResult do_handshake_until_error(Endpoint& client, Endpoint& server,
                                                const Chunker& chunker = whole) {
    HandshakeResult r;
    r.client = r.server = make_error_code(tls::SSLErrc::want_read);
    auto step = [](Endpoint& e, std::error_code& ec) {
        if (!e.object.handshake_done() && (!ec || is_want(ec))) {
            e.object.do_handshake(ec);
        }
    };
    step(client, r.client);
    for (int round = 0; round < 100; ++round) {
        std::size_t moved = deliver(client, server, chunker, [&] { step(server, r.server); });
        moved += deliver(server, client, chunker, [&] { step(client, r.client); });
        const bool failed = (r.client && !is_want(r.client)) || (r.server && !is_want(r.server));
        if (r.done() || failed || moved == 0) {
            return r;
        }
    }
    ADD_FAILURE() << "the handshake did not settle in 100 rounds";
    return r;
}

inline HandshakeResult do_handshake_until_error(Pair& p, const Chunker& chunker = whole) {
    return do_handshake_until_error(p.client, p.server, chunker);
}

/// Runs both handshakes in whole flights: empty once both are done, else the first side's real
/// error (the client's before the server's), or timed_out when they stall.
inline std::error_code handshake(Endpoint& client, Endpoint& server) {
    const HandshakeResult r = do_handshake_until_error(client, server);
    if (r.done()) {
        return {};
    }
    if (r.client && !is_want(r.client)) {
        return r.client;
    }
    if (r.server && !is_want(r.server)) {
        return r.server;
    }
    return std::make_error_code(std::errc::timed_out);
}

/// Reads everything `e` can decrypt now; stops at want_read. Fails the test on a real error.
inline std::string read_available(Endpoint& e) {
    std::string out;
    std::string buf(4096, '\0');
    for (;;) {
        std::error_code ec;
        std::size_t n = e.object.read(buf.data(), buf.size(), ec);
        if (ec == tls::SSLErrc::want_read) {
            return out;
        }
        if (ec) {
            ADD_FAILURE() << "read: " << e.object.last_error().message;
            return out;
        }
        if (n == 0) {
            return out;  // close_notify
        }
        out.append(buf.data(), n);
    }
}

/// Writes `data` on `from` and delivers it with `chunker`, reading on `to` after every chunk.
inline std::string send(Endpoint& from, Endpoint& to, const std::string& data,
                        const Chunker& chunker = whole) {
    EXPECT_EQ(from.object.write(data), data.size());
    std::string received;
    deliver(from, to, chunker, [&] { received += read_available(to); });
    return received;
}

}  // namespace tls::test::memory
