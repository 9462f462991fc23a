// Closing with a deadline (docs/server.md "Closing with a deadline"): close(), the destructor
// and unwrap() against tlsctx peers over real loopback TCP that stop reading, never answer
// close_notify, or answer it. Every close path must end within its bound (measured with
// steady_clock, asserted with 1 s of slack for loaded CI machines) and, where the peer answers,
// well before it.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::server_context;

constexpr auto kSlack = 1000ms;

TlsPair connected_pair() {
    TlsPair pair = tls::test::handshake_pair(client_context(), server_context(),
                                             tls::WrapOptions::client("localhost"));
    if (pair.client_error || pair.server_error) {
        throw std::runtime_error("handshake failed: " + tls::test::describe(pair.client_error) +
                                 " / " + tls::test::describe(pair.server_error));
    }
    return pair;
}

std::chrono::milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// Writes to `socket` until the kernel's buffers are full because the peer reads nothing; the
// socket is left blocking with no timeout and a record half written.
void fill_until_blocked(tls::Socket& socket) {
    socket.settimeout(0ms);
    const std::string chunk(16384, 'z');
    std::error_code ec;
    for (int i = 0; i < 100000 && !ec; ++i) {
        (void)socket.write(chunk.data(), chunk.size(), ec);
    }
    ASSERT_EQ(ec, tls::SSLErrc::want_write) << socket.last_error().message;
    socket.settimeout(std::nullopt);
}

TEST(CloseDeadline, CloseTimeoutDefaultsToFiveSecondsAndRefusesNegativeValues) {
    TlsPair pair = connected_pair();
    EXPECT_EQ(pair.client.close_timeout(), 5000ms);
    EXPECT_THROW(pair.client.set_close_timeout(-1ms), std::invalid_argument);
    pair.client.set_close_timeout(250ms);
    EXPECT_EQ(pair.client.close_timeout(), 250ms);
    tls::Socket moved = std::move(pair.client);
    EXPECT_EQ(moved.close_timeout(), 250ms);
}

TEST(CloseDeadline, CloseEndsAtTheCloseTimeoutWhenThePeerStopsReading) {
    TlsPair pair = connected_pair();
    fill_until_blocked(pair.client);
    pair.client.set_close_timeout(300ms);
    const auto start = Clock::now();
    pair.client.close();
    const auto took = since(start);
    EXPECT_FALSE(pair.client.is_open());
    // It tried to deliver close_notify for the whole timeout, and not longer.
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 300ms + kSlack);
}

TEST(CloseDeadline, TheDestructorIsBoundedByTheCloseTimeoutToo) {
    TlsPair pair = connected_pair();
    fill_until_blocked(pair.client);
    pair.client.set_close_timeout(300ms);
    const auto start = Clock::now();
    { tls::Socket doomed = std::move(pair.client); }
    EXPECT_LT(since(start), 300ms + kSlack);
}

TEST(CloseDeadline, AZeroCloseTimeoutMakesCloseASingleAttempt) {
    TlsPair pair = connected_pair();
    fill_until_blocked(pair.client);
    pair.client.set_close_timeout(0ms);
    const auto start = Clock::now();
    pair.client.close();
    EXPECT_LT(since(start), kSlack);
}

TEST(CloseDeadline, UnwrapWithADeadlineTimesOutOnAPeerThatNeverAnswers) {
    TlsPair pair = connected_pair();
    pair.client.settimeout(std::nullopt);  // blocking: only the deadline bounds the wait
    const auto start = Clock::now();
    std::error_code ec;
    EXPECT_EQ(pair.client.unwrap(300ms, ec), -1);
    const auto took = since(start);
    EXPECT_EQ(ec, std::errc::timed_out) << ec.message();
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 300ms + kSlack);
    // The Socket still owns the descriptor, in the mode settimeout() gave it.
    EXPECT_TRUE(pair.client.is_open());
    EXPECT_EQ(pair.client.gettimeout(), std::nullopt);
    try {
        (void)pair.client.unwrap(100ms);
        ADD_FAILURE() << "unwrap returned without the peer's close_notify";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out);
    }
}

TEST(CloseDeadline, UnwrapOnABlockingSocketIsBoundedByTheCloseTimeout) {
    TlsPair pair = connected_pair();
    pair.client.settimeout(std::nullopt);
    pair.client.set_close_timeout(300ms);
    const auto start = Clock::now();
    try {
        (void)pair.client.unwrap();
        ADD_FAILURE() << "unwrap returned without the peer's close_notify";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out);
    }
    EXPECT_LT(since(start), 300ms + kSlack);
}

TEST(CloseDeadline, UnwrapIsBoundedBySettimeoutWhenItIsShorterThanTheCloseTimeout) {
    TlsPair pair = connected_pair();
    pair.client.settimeout(200ms);
    const auto start = Clock::now();
    std::error_code ec;
    EXPECT_EQ(pair.client.unwrap(ec), -1);
    EXPECT_EQ(ec, std::errc::timed_out);
    EXPECT_LT(since(start), 200ms + kSlack);
}

TEST(CloseDeadline, UnwrapWithADeadlineCompletesWellBeforeItWhenThePeerAnswers) {
    TlsPair pair = connected_pair();
    std::thread peer([&] {
        char buffer[64];
        std::error_code ec;
        // Reads up to our close_notify, then answers it.
        while (pair.server.read(buffer, sizeof buffer, ec) > 0) {
        }
        if (!ec) {
            tls::test::Fd server_fd(pair.server.unwrap(ec));
        }
    });
    const int fd = pair.client.fileno();
    const auto start = Clock::now();
    std::error_code ec;
    const int unwrapped = pair.client.unwrap(5000ms, ec);
    const auto took = since(start);
    peer.join();
    tls::test::Fd owned(unwrapped);
    EXPECT_FALSE(ec) << pair.client.last_error().message;
    EXPECT_EQ(unwrapped, fd);
    EXPECT_LT(took, 1000ms);
}

TEST(CloseDeadline, ANormalCloseWithUnreadInputDoesNotWaitAndSendsNoReset) {
    TlsPair pair = connected_pair();
    pair.server.sendall("bytes the client never reads\n");
    ASSERT_TRUE(tls::test::wait_readable(pair.client.fileno(), 5000ms));
    const auto start = Clock::now();
    pair.client.close();  // the default 5 s close timeout
    EXPECT_LT(since(start), kSlack);
    char buffer[64];
    std::error_code ec;
    EXPECT_EQ(pair.server.read(buffer, sizeof buffer, ec), 0u);
    EXPECT_FALSE(ec) << "the server saw close_notify, not a reset: "
                     << pair.server.last_error().message;
}

// A TLS client over a raw TCP descriptor through tls::Object, so that it controls every byte it
// sends: after the handshake it pipelines a record with a broken tag and more records after it,
// as a client that does not wait for answers would.
class PipeliningClient {
  public:
    explicit PipeliningClient(tls::test::Fd fd)
        : fd_(std::move(fd)),
          object_(client_context().wrap_bio(incoming_, outgoing_,
                                            tls::WrapOptions::client("localhost"))) {}

    void handshake() {
        for (;;) {
            std::error_code ec;
            object_.do_handshake(ec);
            flush();
            if (!ec) {
                return;
            }
            ASSERT_EQ(ec, tls::SSLErrc::want_read) << object_.last_error().message;
            ASSERT_TRUE(receive());
        }
    }

    void send_bad_record_and_more(int more) {
        (void)object_.write(std::string(100, 'x'));
        std::string burst = outgoing_.read();
        burst.back() = static_cast<char>(burst.back() ^ 1);  // the last byte is the AEAD tag's
        for (int i = 0; i < more; ++i) {
            (void)object_.write(std::string(1000, 'y'));
        }
        burst += outgoing_.read();
        send_all(burst);
    }

    // Reads until the connection ends; the reason of the alert that ended it, or what else did.
    std::string read_to_end() {
        for (;;) {
            char buffer[4096];
            std::error_code ec;
            (void)object_.read(buffer, sizeof buffer, ec);
            if (ec && ec != tls::SSLErrc::want_read) {
                return object_.last_error().reason;
            }
            if (!ec) {
                continue;
            }
            const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
            if (n < 0) {
                return std::string("recv: ") + std::strerror(errno);
            }
            if (n == 0) {
                incoming_.write_eof();
            } else {
                incoming_.write(buffer, static_cast<std::size_t>(n));
            }
        }
    }

    void close() { fd_.reset(); }

  private:
    bool receive() {
        char buffer[16384];
        if (!tls::test::wait_readable(fd_.get(), 5000ms)) {
            return false;
        }
        const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        if (n <= 0) {
            return false;
        }
        incoming_.write(buffer, static_cast<std::size_t>(n));
        return true;
    }
    void flush() { send_all(outgoing_.read()); }
    void send_all(const std::string& data) {
        std::size_t done = 0;
        while (done < data.size()) {
            const ssize_t n =
                ::send(fd_.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n <= 0) {
                throw std::system_error(errno, std::generic_category(), "send");
            }
            done += static_cast<std::size_t>(n);
        }
    }

    tls::test::Fd fd_;
    tls::MemoryBIO incoming_;
    tls::MemoryBIO outgoing_;
    tls::Object object_;
};

// A tlsctx server Socket that has failed on the client's bad record, with the records the client
// sent after it unread.
struct FailedServer {
    tls::Socket server;
    std::unique_ptr<PipeliningClient> client;
};

FailedServer fail_on_a_bad_record() {
    tls::test::SocketPair fds = tls::test::loopback_pair();
    FailedServer out;
    tls::WrapOptions options = tls::WrapOptions::server();
    options.do_handshake_on_connect = false;
    out.server =
        server_context().wrap_socket(fds.server.release(), tls::FdOwnership::adopt, options);
    out.server.settimeout(5000ms);
    std::exception_ptr server_error;
    std::thread handshake([&] {
        try {
            out.server.do_handshake();
        } catch (...) {
            server_error = std::current_exception();
        }
    });
    out.client = std::make_unique<PipeliningClient>(std::move(fds.client));
    out.client->handshake();
    handshake.join();
    tls::test::rethrow(server_error);
    out.client->send_bad_record_and_more(64);
    char buffer[4096];
    std::error_code ec;
    (void)out.server.read(buffer, sizeof buffer, ec);
    if (ec != tls::SSLErrc::ssl) {
        throw std::runtime_error("the server did not fail on the bad record: " +
                                 out.server.last_error().message);
    }
    return out;
}

TEST(CloseDeadline, AfterAFatalErrorCloseDrainsUntilThePeerHasReadTheAlert) {
    FailedServer failed = fail_on_a_bad_record();
    std::string client_saw;
    std::thread client([&] {
        client_saw = failed.client->read_to_end();
        failed.client->close();
    });
    const auto start = Clock::now();
    failed.server.close();  // the default 5 s close timeout
    const auto took = since(start);
    client.join();
    EXPECT_EQ(client_saw, "SSLV3_ALERT_BAD_RECORD_MAC");
    EXPECT_LT(took, 2000ms) << "it waited for the client's close, not for the close timeout";
}

TEST(CloseDeadline, AfterAFatalErrorCloseWaitsAtMostTheCloseTimeoutForASilentPeer) {
    FailedServer failed = fail_on_a_bad_record();
    failed.server.set_close_timeout(300ms);
    const auto start = Clock::now();
    failed.server.close();
    const auto took = since(start);
    EXPECT_GE(took, 250ms) << "it drained, waiting for the client to close";
    EXPECT_LT(took, 300ms + kSlack);
    // The alert is there to read, before the end of the stream.
    EXPECT_EQ(failed.client->read_to_end(), "SSLV3_ALERT_BAD_RECORD_MAC");
}

TEST(CloseDeadline, ANonBlockingSocketNeverWaitsInClose) {
    TlsPair pair = connected_pair();
    pair.server.sendall("bytes the client never reads\n");
    ASSERT_TRUE(tls::test::wait_readable(pair.client.fileno(), 5000ms));
    pair.client.settimeout(0ms);
    const auto start = Clock::now();
    pair.client.close();  // the default 5 s close timeout does not apply
    EXPECT_LT(since(start), kSlack);
}

}  // namespace
