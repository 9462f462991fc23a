// Cancelling tls::asio::stream operations: per-operation cancellation (asio::cancellation_signal
// bound with asio::bind_cancellation_slot) in the middle of a handshake with a peer that never
// answers and in the middle of a read; timeouts built from a steady_timer and cancel(); and
// destroying a stream while a read is outstanding. Each ends with operation_aborted.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "asio_support.hpp"

namespace {

using namespace tls::test::asio_support;
using tls::test::kPeerTimeout;
using tls::test::Millis;

/// A TCP peer that accepts and then never sends anything (it reads, so the client's writes
/// never block).
struct SilentPeer {
    explicit SilentPeer(::asio::io_context& io) : acceptor(loopback_acceptor(io)), socket(io) {}
    void accept(::asio::io_context& io) {
        auto o = std::make_shared<EcOutcome>();
        acceptor.async_accept(socket, record(o));
        ASSERT_FALSE(error_of(io, o));
        drain();
    }
    void drain() {
        socket.async_read_some(::asio::buffer(sink), [this](std::error_code ec, std::size_t n) {
            received += n;
            if (!ec) {
                drain();
            }
        });
    }
    tcp::acceptor acceptor;
    tcp::socket socket;
    std::array<char, 4096> sink{};
    std::size_t received = 0;
};

TEST(AsioCancellation, CancellationSlotAbortsAHandshakeThePeerNeverAnswers) {
    ::asio::io_context io;
    SilentPeer peer(io);
    auto s = client_stream(io, port_of(peer.acceptor), client_context());
    peer.accept(io);
    ::asio::cancellation_signal signal;
    auto o = std::make_shared<EcOutcome>();
    s->async_handshake(Stream::client, "localhost",
                       ::asio::bind_cancellation_slot(signal.slot(), record(o)));
    // The ClientHello went out and the handshake now waits for the server.
    ASSERT_TRUE(run_until(io, [&] { return peer.received > 0; }));
    ASSERT_FALSE(run_until(
        io, [&] { return o->done(); }, Millis(100)));
    signal.emit(::asio::cancellation_type::terminal);
    EXPECT_EQ(error_of(io, o), ::asio::error::operation_aborted);
    EXPECT_EQ(o->calls, 1);
}

TEST(AsioCancellation, CancellationSlotAbortsAnOutstandingRead) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    ::asio::cancellation_signal signal;
    std::array<char, 64> buf{};
    auto o = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(buf),
                              ::asio::bind_cancellation_slot(signal.slot(), record(o)));
    ASSERT_FALSE(run_until(
        io, [&] { return o->done(); }, Millis(100)));
    signal.emit(::asio::cancellation_type::terminal);
    ASSERT_TRUE(run_until(io, [&] { return o->done(); }));
    EXPECT_EQ(std::get<0>(*o->result), ::asio::error::operation_aborted);
    EXPECT_EQ(std::get<1>(*o->result), 0U);
    EXPECT_EQ(o->calls, 1);
}

TEST(AsioCancellation, CancellingTheReadLeavesTheWriteSideWorking) {
    // Cancelling the reader of a full-duplex pair must not disturb a write on the same stream.
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    ::asio::cancellation_signal signal;
    std::array<char, 64> buf{};
    auto r = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(buf),
                              ::asio::bind_cancellation_slot(signal.slot(), record(r)));
    ASSERT_FALSE(run_until(
        io, [&] { return r->done(); }, Millis(100)));
    signal.emit(::asio::cancellation_type::terminal);
    ASSERT_TRUE(run_until(io, [&] { return r->done(); }));
    EXPECT_EQ(std::get<0>(*r->result), ::asio::error::operation_aborted);
    ASSERT_FALSE(write_all(io, *p.client, "still writable\n"));
    EXPECT_EQ(read_until(io, *p.server, "\n").data, "still writable\n");
}

TEST(AsioCancellation, SteadyTimerAndCancelBoundAHandshake) {
    ::asio::io_context io;
    SilentPeer peer(io);
    auto s = client_stream(io, port_of(peer.acceptor), client_context());
    peer.accept(io);
    ::asio::steady_timer timer(io, std::chrono::milliseconds(200));
    bool timed_out = false;
    timer.async_wait([&](std::error_code ec) {
        if (!ec) {
            timed_out = true;
            s->next_layer().cancel();
        }
    });
    auto o = std::make_shared<EcOutcome>();
    s->async_handshake(Stream::client, "localhost", record(o));
    const auto start = Clock::now();
    const std::error_code ec = error_of(io, o);
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(ec, ::asio::error::operation_aborted) << ec.message();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(AsioCancellation, SteadyTimerAndCancelBoundARead) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    std::array<char, 64> buf{};
    auto o = std::make_shared<IoOutcome>();
    ::asio::steady_timer timer(io, std::chrono::milliseconds(200));
    p.client->async_read_some(::asio::buffer(buf), [&, o](std::error_code ec, std::size_t n) {
        timer.cancel();
        record(o)(ec, n);
    });
    bool fired = false;
    timer.async_wait([&](std::error_code ec) {
        if (!ec) {
            fired = true;
            p.client->lowest_layer().cancel();
        }
    });
    ASSERT_TRUE(run_until(io, [&] { return o->done(); }));
    EXPECT_TRUE(fired);
    EXPECT_EQ(std::get<0>(*o->result), ::asio::error::operation_aborted);
}

TEST(AsioCancellation, DestroyingTheStreamCompletesAnOutstandingReadWithOperationAborted) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    auto buf = std::make_shared<std::array<char, 64>>();
    auto o = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(*buf),
                              [o, buf](std::error_code ec, std::size_t n) { record(o)(ec, n); });
    ASSERT_FALSE(run_until(
        io, [&] { return o->done(); }, Millis(100)));
    p.client.reset();
    ASSERT_TRUE(run_until(io, [&] { return o->done(); }));
    EXPECT_EQ(std::get<0>(*o->result), ::asio::error::operation_aborted);
    EXPECT_EQ(o->calls, 1);
    // Whatever is still queued for the destroyed stream runs without touching it (ASan build).
    (void)write_all(io, *p.server, "to nobody");
    (void)run_until(
        io, [] { return false; }, Millis(200));
}

TEST(AsioCancellation, DestroyingTheStreamFromInsideAHandlerWithAReadOutstanding) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    auto buf = std::make_shared<std::array<char, 64>>();
    auto o = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(*buf),
                              [o, buf](std::error_code ec, std::size_t n) { record(o)(ec, n); });
    // The destruction runs as a handler of the io_context the read is waiting on.
    bool destroyed = false;
    ::asio::post(io, [&] {
        p.client.reset();
        destroyed = true;
    });
    ASSERT_TRUE(run_until(io, [&] { return destroyed && o->done(); }));
    EXPECT_EQ(std::get<0>(*o->result), ::asio::error::operation_aborted);
    EXPECT_EQ(o->calls, 1);
}

TEST(AsioCancellation, DestroyingTheStreamMidHandshake) {
    ::asio::io_context io;
    SilentPeer peer(io);
    auto s = client_stream(io, port_of(peer.acceptor), client_context());
    peer.accept(io);
    auto o = std::make_shared<EcOutcome>();
    s->async_handshake(Stream::client, "localhost", record(o));
    ASSERT_TRUE(run_until(io, [&] { return peer.received > 0; }));
    s.reset();
    EXPECT_EQ(error_of(io, o), ::asio::error::operation_aborted);
    EXPECT_EQ(o->calls, 1);
}

}  // namespace
