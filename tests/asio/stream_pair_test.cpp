// Two tls::asio::streams talking to each other on one io_context: resumption through a tlsctx
// server's tickets (TLS 1.3) and session cache (TLS 1.2), buffer sequences (scatter/gather), and
// write_some's one-record bound.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "asio_support.hpp"

namespace {

using namespace tls::test::asio_support;

TEST(AsioStreamPair, ResumesATlsctxServerSessionAtTls12AndTls13) {
    for (const tls::TLSVersion version : {tls::TLSVersion::TLSv1_2, tls::TLSVersion::TLSv1_3}) {
        SCOPED_TRACE(static_cast<int>(version));
        tls::Context client_ctx = client_context();
        client_ctx.set_maximum_version(version);
        const tls::Context server_ctx = server_context();
        ::asio::io_context io;
        tls::Session session;
        {
            StreamPair p = handshaken_pair(io, client_ctx, server_ctx);
            ASSERT_TRUE(p.client);
            EXPECT_FALSE(p.client->session_reused());
            ASSERT_FALSE(write_all(io, *p.server, "hello"));
            ASSERT_EQ(read_until(io, *p.client, "hello").data, "hello");
            session = p.client->session();
            ASSERT_FALSE(session.empty());
            auto server_shut = std::make_shared<EcOutcome>();
            p.server->async_shutdown(record(server_shut));
            EXPECT_FALSE(shutdown(io, *p.client)) << p.client->last_error().message;
            EXPECT_FALSE(error_of(io, server_shut));
        }
        StreamPair p = stream_pair(io, client_ctx, server_ctx);
        p.client->set_session(session);
        auto c = std::make_shared<EcOutcome>();
        auto s = std::make_shared<EcOutcome>();
        p.client->async_handshake(Stream::client, "localhost", record(c));
        p.server->async_handshake(Stream::server, record(s));
        ASSERT_TRUE(run_until(io, [&] { return c->done() && s->done(); }));
        ASSERT_FALSE(std::get<0>(*c->result)) << p.client->last_error().message;
        ASSERT_FALSE(std::get<0>(*s->result)) << p.server->last_error().message;
        EXPECT_TRUE(p.client->session_reused());
        EXPECT_TRUE(p.server->session_reused());
    }
}

TEST(AsioStreamPair, NegotiatesAlpnBetweenTwoStreams) {
    tls::Context client_ctx = client_context();
    client_ctx.set_alpn_protocols({"h2", "http/1.1"});
    tls::Context server_ctx = server_context();
    server_ctx.set_alpn_protocols({"http/1.1", "h2"});
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io, client_ctx, server_ctx);
    ASSERT_TRUE(p.client);
    // The server picks by its own order.
    EXPECT_EQ(p.client->selected_alpn_protocol(), "http/1.1");
    EXPECT_EQ(p.server->selected_alpn_protocol(), "http/1.1");
}

TEST(AsioStreamPair, GathersAndScattersBufferSequences) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    const std::string a = "first,";
    const std::string b;  // an empty buffer in the middle is skipped
    const std::string c = "second,third";
    const std::array<::asio::const_buffer, 3> out{::asio::buffer(a), ::asio::buffer(b),
                                                  ::asio::buffer(c)};
    auto w = std::make_shared<IoOutcome>();
    ::asio::async_write(*p.client, out, record(w));
    ASSERT_TRUE(run_until(io, [&] { return w->done(); }));
    ASSERT_FALSE(std::get<0>(*w->result));
    EXPECT_EQ(std::get<1>(*w->result), a.size() + c.size());

    std::array<char, 5> x{};
    std::array<char, 7> y{};
    std::array<char, 100> z{};
    const std::array<::asio::mutable_buffer, 3> in{::asio::buffer(x), ::asio::buffer(y),
                                                   ::asio::buffer(z)};
    auto r = std::make_shared<IoOutcome>();
    ::asio::async_read(*p.server, in, ::asio::transfer_exactly(a.size() + c.size()), record(r));
    ASSERT_TRUE(run_until(io, [&] { return r->done(); }));
    ASSERT_FALSE(std::get<0>(*r->result)) << std::get<0>(*r->result).message();
    ASSERT_EQ(std::get<1>(*r->result), a.size() + c.size());
    EXPECT_EQ(std::string(x.data(), x.size()) + std::string(y.data(), y.size()) +
                  std::string(z.data(), 6),
              a + c);
}

TEST(AsioStreamPair, WriteSomeTakesAtMostOneRecordAndAsyncWriteTakesAll) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    std::string big(1000 * 1000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<char>('a' + i % 26);
    }
    // The server reads all of it meanwhile, so the transport never fills up.
    auto o = std::make_shared<IoOutcome>();
    std::string got(big.size(), '\0');
    ::asio::async_read(*p.server, ::asio::buffer(got), record(o));
    auto w = std::make_shared<IoOutcome>();
    p.client->async_write_some(::asio::buffer(big), record(w));
    ASSERT_TRUE(run_until(io, [&] { return w->done(); }));
    ASSERT_FALSE(std::get<0>(*w->result));
    const std::size_t first = std::get<1>(*w->result);
    EXPECT_GT(first, 0U);
    EXPECT_LE(first, 16384U);
    ASSERT_FALSE(write_all(io, *p.client, big.substr(first)));
    ASSERT_TRUE(run_until(io, [&] { return o->done(); }));
    ASSERT_FALSE(std::get<0>(*o->result));
    EXPECT_TRUE(got == big);
}

TEST(AsioStreamPair, AReadThatNeedsNoIoStillCompletesOutsideTheInitiatingCall) {
    ::asio::io_context io;
    StreamPair p = handshaken_pair(io);
    ASSERT_TRUE(p.client);
    ASSERT_FALSE(write_all(io, *p.server, "abcdef"));
    std::array<char, 2> small{};
    auto first = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(small), record(first));
    ASSERT_TRUE(run_until(io, [&] { return first->done(); }));
    ASSERT_EQ(std::get<1>(*first->result), 2U);
    ASSERT_EQ(p.client->pending(), 4U);  // decrypted, waiting: the next read needs no I/O
    // Asio's rule: a handler never runs inside the call that started its operation.
    bool initiating = true;
    bool ran_inside = false;
    auto second = std::make_shared<IoOutcome>();
    p.client->async_read_some(::asio::buffer(small),
                              [&, second](std::error_code ec, std::size_t n) {
                                  ran_inside = initiating;
                                  record(second)(ec, n);
                              });
    initiating = false;
    EXPECT_FALSE(second->done());
    ASSERT_TRUE(run_until(io, [&] { return second->done(); }));
    EXPECT_FALSE(ran_inside);
    EXPECT_EQ(std::string(small.data(), std::get<1>(*second->result)), "cd");
}

}  // namespace
