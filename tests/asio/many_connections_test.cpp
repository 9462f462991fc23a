// A thousand concurrent tls::asio::stream connections on one io_context thread: each client
// connects, handshakes, sends its number, reads it back from a tlsctx server stream that echoes
// it, and both ends exchange close_notify. Afterwards the process holds exactly the descriptors
// it held before.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "asio_support.hpp"

namespace {

using namespace tls::test::asio_support;
using tls::test::Millis;

constexpr int kConnections = 1000;

/// Raises the soft RLIMIT_NOFILE towards `wanted` (at most the hard limit); returns the soft
/// limit in force afterwards.
rlim_t raise_nofile(rlim_t wanted) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 0;
    }
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = std::min(wanted, limit.rlim_max);
        (void)::setrlimit(RLIMIT_NOFILE, &limit);
        (void)::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

std::string label(int i) {
    char text[8];
    std::snprintf(text, sizeof text, "%04d", i);
    return text;
}

struct Tally {
    int clients_done = 0;
    int servers_done = 0;
    int failures = 0;
    std::string first_failure;
    void fail(const std::string& what, const std::error_code& ec, const Stream* s) {
        if (failures++ == 0) {
            first_failure = what + ": " + ec.message() + (s ? " " + s->last_error().message : "");
        }
    }
};

// One connection's state; the handlers point at it, the test owns it until the io_context ran.
struct Conn {
    std::unique_ptr<Stream> stream;
    std::array<char, 4> in{};
    std::string out;
};

void serve(Conn& c, Tally& tally) {
    c.stream->async_handshake(Stream::server, [&c, &tally](std::error_code ec) {
        if (ec) {
            return tally.fail("server handshake", ec, c.stream.get());
        }
        ::asio::async_read(
            *c.stream, ::asio::buffer(c.in), [&c, &tally](std::error_code ec, std::size_t) {
                if (ec) {
                    return tally.fail("server read", ec, c.stream.get());
                }
                c.out.assign(c.in.data(), c.in.size());
                ::asio::async_write(*c.stream, ::asio::buffer(c.out),
                                    [&c, &tally](std::error_code ec, std::size_t) {
                                        if (ec) {
                                            return tally.fail("server write", ec, c.stream.get());
                                        }
                                        c.stream->async_shutdown([&c, &tally](std::error_code ec) {
                                            if (ec) {
                                                return tally.fail("server shutdown", ec,
                                                                  c.stream.get());
                                            }
                                            ++tally.servers_done;
                                        });
                                    });
            });
    });
}

void accept_loop(::asio::io_context& io, tcp::acceptor& acceptor, const tls::Context& ctx,
                 std::vector<std::unique_ptr<Conn>>& conns, Tally& tally) {
    acceptor.async_accept(
        [&io, &acceptor, &ctx, &conns, &tally](std::error_code ec, tcp::socket socket) {
            if (ec) {
                return tally.fail("accept", ec, nullptr);
            }
            conns.push_back(std::make_unique<Conn>());
            conns.back()->stream = std::make_unique<Stream>(std::move(socket), ctx);
            serve(*conns.back(), tally);
            if (static_cast<int>(conns.size()) < kConnections) {
                accept_loop(io, acceptor, ctx, conns, tally);
            }
        });
}

void run_client(Conn& c, int i, const tcp::endpoint& server, Tally& tally) {
    c.out = label(i);
    c.stream->next_layer().async_connect(server, [&c, &tally](std::error_code ec) {
        if (ec) {
            return tally.fail("connect", ec, nullptr);
        }
        c.stream->async_handshake(Stream::client, "localhost", [&c, &tally](std::error_code ec) {
            if (ec) {
                return tally.fail("client handshake", ec, c.stream.get());
            }
            ::asio::async_write(
                *c.stream, ::asio::buffer(c.out), [&c, &tally](std::error_code ec, std::size_t) {
                    if (ec) {
                        return tally.fail("client write", ec, c.stream.get());
                    }
                    ::asio::async_read(
                        *c.stream, ::asio::buffer(c.in),
                        [&c, &tally](std::error_code ec, std::size_t) {
                            if (ec) {
                                return tally.fail("client read", ec, c.stream.get());
                            }
                            if (std::string(c.in.data(), c.in.size()) != c.out) {
                                return tally.fail("echo of " + c.out, {}, nullptr);
                            }
                            c.stream->async_shutdown([&c, &tally](std::error_code ec) {
                                if (ec) {
                                    return tally.fail("client shutdown", ec, c.stream.get());
                                }
                                ++tally.clients_done;
                            });
                        });
                });
        });
    });
}

TEST(AsioManyConnections, AThousandConcurrentConnectionsOnOneThreadLeaveNoDescriptorBehind) {
    // Two descriptors per connection (both ends are in this process), plus slack.
    const rlim_t wanted = 2 * kConnections + 256;
    ASSERT_GE(raise_nofile(wanted), wanted) << "RLIMIT_NOFILE's hard limit is too low";
    const tls::Context server_ctx = server_context();
    const tls::Context client_ctx = client_context();
    (void)pki();
    const int baseline = tls::test::count_open_fds();
    Tally tally;
    {
        ::asio::io_context io;
        tcp::acceptor acceptor = loopback_acceptor(io, kConnections);
        const tcp::endpoint server = acceptor.local_endpoint();
        std::vector<std::unique_ptr<Conn>> served;
        served.reserve(kConnections);
        std::vector<std::unique_ptr<Conn>> clients;
        accept_loop(io, acceptor, server_ctx, served, tally);
        for (int i = 0; i < kConnections; ++i) {
            clients.push_back(std::make_unique<Conn>());
            clients.back()->stream = std::make_unique<Stream>(io, client_ctx);
            run_client(*clients.back(), i, server, tally);
        }
        const bool finished = run_until(
            io,
            [&] {
                return tally.failures > 0 ||
                       (tally.clients_done == kConnections && tally.servers_done == kConnections);
            },
            Millis(100000));
        EXPECT_TRUE(finished) << tally.clients_done << " clients and " << tally.servers_done
                              << " servers done";
        EXPECT_EQ(tally.failures, 0) << tally.first_failure;
        EXPECT_EQ(tally.clients_done, kConnections);
        EXPECT_EQ(tally.servers_done, kConnections);
        EXPECT_GE(tls::test::count_open_fds(), baseline + 2 * kConnections);
    }
    EXPECT_EQ(tls::test::count_open_fds(), baseline);
}

}  // namespace
