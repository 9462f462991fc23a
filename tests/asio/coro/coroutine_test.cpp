// tls::asio::stream with C++20 coroutines (asio::use_awaitable, co_spawn): full duplex — a
// reader and a writer coroutine on one stream, 64 MiB each way at once on both ends, every byte
// checked against a counter pattern —, a coroutine client against openssl s_server and Python's
// ssl server, and a read raced against a timer with awaitable operator|| (the loser is
// cancelled through its cancellation slot).
#include <gtest/gtest.h>

#include <asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "asio_support.hpp"
#include "support/s_server_helpers.hpp"

namespace {

using namespace tls::test::asio_support;
using ::asio::awaitable;
using ::asio::use_awaitable;
using tls::test::Millis;

constexpr std::size_t kVolume = std::size_t{64} << 20;  // bytes each way

/// The pattern byte at `offset` of the stream seeded `seed`: a little-endian 64-bit counter of
/// 8-byte words mixed with the seed, so a lost, repeated or reordered chunk shows.
std::uint8_t pattern(std::uint64_t seed, std::size_t offset) {
    const std::uint64_t word = (offset / 8) ^ seed;
    return static_cast<std::uint8_t>(word >> (8 * (offset % 8)));
}

/// Writes kVolume pattern bytes in chunks of varying size (so records split differently).
awaitable<void> writer(Stream& s, std::uint64_t seed, std::size_t& written) {
    std::vector<std::uint8_t> chunk(256 * 1024);
    std::size_t size = 1;
    while (written < kVolume) {
        size = std::min<std::size_t>({(size * 7 + 4093) % chunk.size() + 1, kVolume - written});
        for (std::size_t i = 0; i < size; ++i) {
            chunk[i] = pattern(seed, written + i);
        }
        written +=
            co_await ::asio::async_write(s, ::asio::buffer(chunk.data(), size), use_awaitable);
    }
}

/// Reads kVolume bytes and checks each against the peer's pattern; counts mismatches.
awaitable<void> reader(Stream& s, std::uint64_t seed, std::size_t& read, std::size_t& mismatches) {
    std::vector<std::uint8_t> buf(100 * 1000);
    while (read < kVolume) {
        const std::size_t n = co_await s.async_read_some(::asio::buffer(buf), use_awaitable);
        for (std::size_t i = 0; i < n; ++i) {
            mismatches += buf[i] != pattern(seed, read + i) ? 1 : 0;
        }
        read += n;
    }
}

struct Side {
    std::size_t written = 0;
    std::size_t read = 0;
    std::size_t mismatches = 0;
    int done = 0;
    std::exception_ptr error;
};

void spawn(::asio::io_context& io, awaitable<void> work, Side& side) {
    ::asio::co_spawn(io, std::move(work), [&side](std::exception_ptr e) {
        ++side.done;
        if (e && !side.error) {
            side.error = e;
        }
    });
}

TEST(AsioCoroutines, FullDuplex64MiBEachWayWithAReaderAndAWriterOnOneStream) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    Side client;
    Side server;
    constexpr std::uint64_t kClientSeed = 0x1234;
    constexpr std::uint64_t kServerSeed = 0xfedcba;
    spawn(io, writer(*p.client, kClientSeed, client.written), client);
    spawn(io, reader(*p.client, kServerSeed, client.read, client.mismatches), client);
    spawn(io, writer(*p.server, kServerSeed, server.written), server);
    spawn(io, reader(*p.server, kClientSeed, server.read, server.mismatches), server);
    const bool finished = run_until(
        io, [&] { return (client.done == 2 && server.done == 2) || client.error || server.error; },
        Millis(100000));
    EXPECT_TRUE(finished) << "client wrote " << client.written << " read " << client.read
                          << "; server wrote " << server.written << " read " << server.read;
    EXPECT_EQ(tls::test::describe(client.error), "none");
    EXPECT_EQ(tls::test::describe(server.error), "none");
    EXPECT_EQ(client.written, kVolume);
    EXPECT_EQ(server.written, kVolume);
    EXPECT_EQ(client.read, kVolume);
    EXPECT_EQ(server.read, kVolume);
    EXPECT_EQ(client.mismatches, 0U);
    EXPECT_EQ(server.mismatches, 0U);
}

awaitable<std::string> ask_openssl_server(std::uint16_t port, std::string line) {
    auto executor = co_await ::asio::this_coro::executor;
    tcp::socket socket(executor);
    co_await socket.async_connect(tcp::endpoint(::asio::ip::make_address("127.0.0.1"), port),
                                  use_awaitable);
    Stream s(std::move(socket), client_context());
    co_await s.async_handshake(Stream::client, "localhost", use_awaitable);
    co_await ::asio::async_write(s, ::asio::buffer(line), use_awaitable);
    std::string answer;
    co_await ::asio::async_read_until(s, ::asio::dynamic_buffer(answer), "\n", use_awaitable);
    co_await ::asio::async_write(s, ::asio::buffer(std::string("CLOSE\n")), use_awaitable);
    co_await s.async_shutdown(use_awaitable);
    co_return answer + *s.version();
}

TEST(AsioCoroutines, CoroutineClientTalksToOpensslServer) {
    tls::test::OpensslServerOptions o = tls::test::serving(pki().localhost());
    o.mode = tls::test::OpensslServerOptions::Mode::rev;
    tls::test::OpensslServer server(o);
    ::asio::io_context io;
    std::optional<std::string> answer;
    std::exception_ptr error;
    ::asio::co_spawn(io, ask_openssl_server(server.port(), "coroutine\n"),
                     [&](std::exception_ptr e, std::string a) {
                         error = e;
                         answer = a;
                     });
    ASSERT_TRUE(run_until(io, [&] { return answer.has_value(); }));
    EXPECT_EQ(tls::test::describe(error), "none");
    EXPECT_EQ(answer, "enituoroc\nTLSv1.3");
}

awaitable<void> refused_handshake(std::uint16_t port, long& verify_code) {
    auto executor = co_await ::asio::this_coro::executor;
    Stream s(executor, client_context());
    co_await s.next_layer().async_connect(
        tcp::endpoint(::asio::ip::make_address("127.0.0.1"), port), use_awaitable);
    try {
        co_await s.async_handshake(Stream::client, "localhost", use_awaitable);
    } catch (const std::system_error& e) {
        if (e.code() == tls::SSLErrc::cert_verification) {
            verify_code = s.last_error().verify_code;
        }
        throw;
    }
}

TEST(AsioCoroutines, AwaitedHandshakeThrowsSystemErrorWithCertVerification) {
    tls::test::OpensslServerOptions o = tls::test::serving(pki().wrong_host());
    o.mode = tls::test::OpensslServerOptions::Mode::rev;
    tls::test::OpensslServer server(o);
    ::asio::io_context io;
    long verify_code = 0;
    std::exception_ptr error;
    bool done = false;
    ::asio::co_spawn(io, refused_handshake(server.port(), verify_code), [&](std::exception_ptr e) {
        error = e;
        done = true;
    });
    ASSERT_TRUE(run_until(io, [&] { return done; }));
    ASSERT_TRUE(error);
    EXPECT_EQ(verify_code, 62L);  // X509_V_ERR_HOSTNAME_MISMATCH
}

awaitable<std::size_t> read_with_deadline(Stream& s, std::error_code& outcome) {
    using namespace ::asio::experimental::awaitable_operators;
    ::asio::steady_timer timer(co_await ::asio::this_coro::executor,
                               std::chrono::milliseconds(200));
    std::array<char, 64> buf{};
    auto read =
        s.async_read_some(::asio::buffer(buf), ::asio::redirect_error(use_awaitable, outcome));
    std::variant<std::size_t, std::monostate> winner =
        co_await(std::move(read) || timer.async_wait(use_awaitable));
    co_return winner.index();
}

TEST(AsioCoroutines, ATimerWinningOperatorOrCancelsTheReadThroughItsSlot) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    std::error_code read_outcome;
    std::optional<std::size_t> winner;
    std::exception_ptr error;
    ::asio::co_spawn(io, read_with_deadline(*p.client, read_outcome),
                     [&](std::exception_ptr e, std::size_t w) {
                         error = e;
                         winner = w;
                     });
    ASSERT_TRUE(run_until(io, [&] { return winner.has_value(); }));
    EXPECT_EQ(tls::test::describe(error), "none");
    EXPECT_EQ(winner, 1U);  // the timer
    EXPECT_EQ(read_outcome, ::asio::error::operation_aborted) << read_outcome.message();
    // The stream still reads after its cancelled read.
    ASSERT_FALSE(write_all(io, *p.server, "later\n"));
    EXPECT_EQ(read_until(io, *p.client, "\n").data, "later\n");
}

}  // namespace
