// Ticket key files shared with other servers and between tlsctx processes: nginx and a tlsctx
// server given the same ssl_session_ticket_key file resume each other's sessions (80- and
// 48-byte files, TLS 1.2 and 1.3: the proof of the file layouts in ticket_keys.hpp);
// `openssl s_client -sess_out/-sess_in` resumes across two tlsctx processes; SIGHUP re-reads the
// files; and a fleet of four `tlsctx serve --ticket-keys` behind a round-robin client resumes
// >= 99 % of its connections, across a key rotation in the middle of the run.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/nginx.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/native.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::connect_loopback;
using tls::test::feature::read_to_end;
using tls::test::more::TempDir;
using tls::test::more::TlsctxServe;
using tls::test::more::write_file;
using tls::test::nginx::Nginx;
using tls::test::nginx::NginxOptions;

const TestPki& pki() {
    return TestPki::get();
}

// `size` bytes that differ per `seed`: key files need no real randomness to test their layout.
std::string key_bytes(std::size_t size, int seed) {
    std::string b(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        b[i] = static_cast<char>((i * 29 + static_cast<std::size_t>(seed) * 71 + 5) & 0xff);
    }
    return b;
}

tls::Bytes ticket_key_name(const tls::Session& session) {
    const unsigned char* ticket = nullptr;
    std::size_t size = 0;
    if (!session.empty()) {
        SSL_SESSION_get0_ticket(static_cast<SSL_SESSION*>(session.native_handle()), &ticket, &size);
    }
    return ticket == nullptr || size < 16 ? tls::Bytes{} : tls::Bytes(ticket, ticket + 16);
}

tls::Context client_with_maximum(tls::TLSVersion maximum) {
    tls::Context ctx = client_context();
    ctx.set_maximum_version(maximum);
    return ctx;
}

struct Visit {
    bool reused = false;
    std::string nginx_reused;  // nginx's $ssl_session_reused: "r" or "."
    tls::Session session;
};

// One HTTP GET on a fresh connection; the session is taken after the response, so TLS 1.3
// tickets have arrived.
Visit visit(const tls::Context& ctx, std::uint16_t port, const tls::Session& session = {}) {
    tls::Socket socket = connect_loopback(ctx, port, "localhost", session);
    socket.sendall("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    const std::string raw = read_to_end(socket);
    Visit v;
    v.reused = socket.session_reused();
    std::optional<tls::test::more::HttpResponse> response =
        tls::test::more::parse_http_response(raw);
    if (response) {
        auto fields = tls::test::nginx::report_fields(response->body);
        v.nginx_reused = fields["reused"];
    }
    v.session = socket.session();
    return v;
}

std::vector<std::string> serve_args(const std::vector<std::string>& key_files,
                                    std::vector<std::string> extra = {"--www"}) {
    std::vector<std::string> args{"--cert", pki().localhost().chain, "--key",
                                  pki().localhost().key};
    for (const std::string& f : key_files) {
        args.insert(args.end(), {"--ticket-keys", f});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
}

// A tlsctx server in this process whose ring opens the tickets. OpenSSL resumes a session only
// in the "session id context" it was made in, and nginx and tlsctx name theirs differently, so
// the probe adopts nginx's context (read from the first nginx ticket it opens) for its own
// connections: then only the ticket keys decide. It also records OpenSSL's verdict on each
// ticket (SSL_TICKET_SUCCESS: name found, HMAC verified, decrypted and parsed).
class ProbeServer {
  public:
    explicit ProbeServer(const tls::TicketKeyRing& ring)
        : context_(make_context(ring)), listener_(context_, "127.0.0.1", 0) {
        SSL_CTX_set_session_ticket_cb(tls::native::handle(context_), nullptr, &on_ticket, this);
    }

    std::uint16_t port() const { return listener_.port(); }
    int last_status() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return last_status_;
    }
    bool knows_nginx_context() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return !nginx_context_.empty();
    }

    // Serves one connection on a thread while `client` visits it.
    Visit visit(const tls::Context& client, const tls::Session& session = {});

  private:
    static tls::Context make_context(const tls::TicketKeyRing& ring) {
        tls::Context ctx = tls::test::feature::server_context();
        ctx.set_ticket_key_ring(ring);
        return ctx;
    }

    static SSL_TICKET_RETURN on_ticket(SSL* ssl, SSL_SESSION* session, const unsigned char*,
                                       std::size_t, SSL_TICKET_STATUS status, void* arg) {
        auto* self = static_cast<ProbeServer*>(arg);
        std::lock_guard<std::mutex> lock(self->mutex_);
        self->last_status_ = status;
        if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW) {
            return SSL_TICKET_RETURN_IGNORE_RENEW;
        }
        unsigned int size = 0;
        const unsigned char* id = SSL_SESSION_get0_id_context(session, &size);
        self->nginx_context_.assign(id, id + size);
        SSL_set_session_id_context(ssl, id, size);
        return status == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
    }

    tls::Context context_;
    tls::Listener listener_;
    mutable std::mutex mutex_;
    int last_status_ = -1;
    std::vector<unsigned char> nginx_context_;
};

Visit ProbeServer::visit(const tls::Context& client, const tls::Session& session) {
    std::exception_ptr server_error;
    std::thread server([&] {
        try {
            tls::Socket socket = listener_.accept_unhandshaken();
            socket.settimeout(tls::test::kPeerTimeout);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (!nginx_context_.empty()) {
                    SSL_set_session_id_context(tls::native::handle(socket), nginx_context_.data(),
                                               static_cast<unsigned int>(nginx_context_.size()));
                }
            }
            socket.do_handshake();
            tls::test::feature::read_until(socket, "\r\n\r\n");
            socket.sendall("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
            socket.close();
        } catch (...) {
            server_error = std::current_exception();
        }
    });
    Visit v;
    try {
        v = ::visit(client, port(), session);
    } catch (...) {
        server.join();
        throw;
    }
    server.join();
    if (server_error) {
        ADD_FAILURE() << "probe server: " << tls::test::describe(server_error);
    }
    return v;
}

struct LayoutRow {
    const char* what;
    std::size_t key_size;
    tls::TLSVersion maximum;
};

const LayoutRow kLayouts[] = {
    {"80-byte file, TLS 1.3", 80, tls::TLSVersion::TLSv1_3},
    {"80-byte file, TLS 1.2", 80, tls::TLSVersion::TLSv1_2},
    {"48-byte file, TLS 1.3", 48, tls::TLSVersion::TLSv1_3},
    {"48-byte file, TLS 1.2", 48, tls::TLSVersion::TLSv1_2},
};

TEST(TicketKeysNginx, NginxAndTlsctxWithOneKeyFileResumeEachOthersSessions) {
    for (const LayoutRow& row : kLayouts) {
        SCOPED_TRACE(row.what);
        TempDir dir;
        const std::string key_file = dir.path("ticket.key");
        const std::string key = key_bytes(row.key_size, static_cast<int>(row.key_size));
        write_file(key_file, key);
        NginxOptions options;
        options.ticket_key_files = {key_file};
        Nginx nginx(options);
        tls::TicketKeyRing ring;
        ring.load_files({key_file});
        ProbeServer tlsctx(ring);
        const tls::Context client = client_with_maximum(row.maximum);
        const tls::Bytes name(key.begin(), key.begin() + 16);

        // nginx's ticket opens in tlsctx: OpenSSL verified its HMAC and decrypted it with the
        // ring's reading of the file, and the session resumes.
        Visit from_nginx = visit(client, nginx.port());
        ASSERT_EQ(from_nginx.nginx_reused, ".");
        ASSERT_EQ(ticket_key_name(from_nginx.session), name);
        Visit on_tlsctx = tlsctx.visit(client, from_nginx.session);
        EXPECT_EQ(tlsctx.last_status(), SSL_TICKET_SUCCESS);
        EXPECT_TRUE(on_tlsctx.reused);
        ASSERT_TRUE(tlsctx.knows_nginx_context());

        // tlsctx's ticket opens in nginx.
        Visit from_tlsctx = tlsctx.visit(client);
        ASSERT_FALSE(from_tlsctx.reused);
        EXPECT_EQ(ticket_key_name(from_tlsctx.session), name);
        Visit on_nginx = visit(client, nginx.port(), from_tlsctx.session);
        EXPECT_TRUE(on_nginx.reused);
        EXPECT_EQ(on_nginx.nginx_reused, "r");
    }
}

TEST(TicketKeysNginx, TicketFromNginxWithAnotherKeyFileIsNotDecrypted) {
    // The counter-check that gives the test above its meaning: with another key of the same
    // name the HMAC fails, so the shared file is what made it work.
    TempDir dir;
    const std::string a = key_bytes(80, 1);
    std::string b = key_bytes(80, 2);
    std::copy(a.begin(), a.begin() + 16, b.begin());
    write_file(dir.path("a.key"), a);
    write_file(dir.path("b.key"), b);
    NginxOptions options;
    options.ticket_key_files = {dir.path("a.key")};
    Nginx nginx(options);
    tls::TicketKeyRing ring;
    ring.load_files({dir.path("b.key")});
    ProbeServer tlsctx(ring);
    const tls::Context client = client_with_maximum(tls::TLSVersion::TLSv1_3);
    Visit from_nginx = visit(client, nginx.port());
    Visit on_tlsctx = tlsctx.visit(client, from_nginx.session);
    EXPECT_EQ(tlsctx.last_status(), SSL_TICKET_NO_DECRYPT);
    EXPECT_FALSE(on_tlsctx.reused);
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

TEST(TicketKeysServe, OpensslClientSessionResumesOnASecondTlsctxProcessWithTheSameKeyFile) {
    for (const char* version : {"-tls1_2", "-tls1_3"}) {
        SCOPED_TRACE(version);
        TempDir dir;
        write_file(dir.path("shared.key"), key_bytes(80, 3));
        write_file(dir.path("other.key"), key_bytes(80, 4));
        TlsctxServe one(serve_args({dir.path("shared.key")}));
        TlsctxServe two(serve_args({dir.path("shared.key")}));
        TlsctxServe other(serve_args({dir.path("other.key")}));
        const std::string session_file = dir.path("session.pem");
        auto s_client = [&](std::uint16_t port, bool resume) {
            tls::test::OpensslClientOptions options;
            options.port = port;
            options.cafile = pki().ca_cert();
            options.version_flag = version;
            options.input = "GET / HTTP/1.0\r\n\r\n";
            options.extra_args = {resume ? "-sess_in" : "-sess_out", session_file};
            return tls::test::run_openssl_client(options).process.out;
        };
        const std::string first = s_client(one.port(), false);
        EXPECT_EQ(count_of(first, "New, "), 1U) << first;
        const std::string second = s_client(two.port(), true);
        EXPECT_EQ(count_of(second, "Reused, "), 1U) << second;
        const std::string third = s_client(other.port(), true);
        EXPECT_EQ(count_of(third, "New, "), 1U) << third;
    }
}

bool wait_for_log(tls::test::Subprocess& process, const std::string& needle, std::size_t times) {
    return process.wait_for_output(
        [&](const std::string&, const std::string& err) { return count_of(err, needle) >= times; },
        tls::test::kPeerTimeout);
}

TEST(TicketKeysServe, SighupRereadsTheKeyFilesAndRenewsTicketsOfTheKeyNowSecond) {
    TempDir dir;
    const std::string current = dir.path("current.key"), previous = dir.path("previous.key");
    const std::string a = key_bytes(80, 10), b = key_bytes(80, 11), c = key_bytes(80, 12);
    write_file(current, a);
    write_file(previous, b);
    TlsctxServe server(serve_args({current, previous}));
    const tls::Context client = client_with_maximum(tls::TLSVersion::TLSv1_3);
    Visit first = visit(client, server.port());
    ASSERT_EQ(ticket_key_name(first.session), tls::Bytes(a.begin(), a.begin() + 16));

    // The rotation nginx operators run: the new key first, the current one second.
    write_file(current, c);
    write_file(previous, a);
    server.process().send_signal(SIGHUP);
    ASSERT_TRUE(wait_for_log(server.process(), "reloaded 2 ticket key file(s)", 1))
        << server.process().describe();
    Visit second = visit(client, server.port(), first.session);
    EXPECT_TRUE(second.reused);
    EXPECT_EQ(ticket_key_name(second.session), tls::Bytes(c.begin(), c.begin() + 16));
    // The log names keys by their name only, never their secret halves.
    EXPECT_EQ(server.process().stderr_text().find(
                  tls::test::feature::hex(tls::Bytes(c.begin() + 16, c.begin() + 48))),
              std::string::npos);

    // A key file of the wrong size: the reload fails whole and the keys stay.
    write_file(current, key_bytes(50, 1));
    server.process().send_signal(SIGHUP);
    ASSERT_TRUE(wait_for_log(server.process(), "reload failed", 1)) << server.process().describe();
    EXPECT_TRUE(visit(client, server.port(), second.session).reused);

    server.process().terminate();
    EXPECT_EQ(server.finish().exit_code, 0);
}

// --- The fleet: four processes, one client going round them. ---

struct FleetRun {
    int connections = 0;
    int resumed = 0;  // after the first connection
    int failed = 0;   // handshakes or reads that failed
    int full_after_rotation = 0;
    tls::Bytes last_ticket_name;  // the key that encrypted the last connection's ticket
};

void fleet_run(tls::TLSVersion maximum, int connections, bool rotate_midway, FleetRun& out) {
    TempDir dir;
    const std::string current = dir.path("current.key"), previous = dir.path("previous.key");
    write_file(current, key_bytes(80, 20));
    write_file(previous, key_bytes(80, 21));
    std::vector<std::unique_ptr<TlsctxServe>> fleet;
    for (int i = 0; i < 4; ++i) {
        fleet.push_back(std::make_unique<TlsctxServe>(
            serve_args({current, previous}, {"--echo", "--max-connections", "8"}),
            tls::test::Millis(120000)));
    }
    const tls::Context client = client_with_maximum(maximum);
    tls::Session session;
    for (int i = 0; i < connections; ++i) {
        if (rotate_midway && i == connections / 2) {
            write_file(previous, key_bytes(80, 20));
            write_file(current, key_bytes(80, 22));
            for (auto& server : fleet) {
                server->process().send_signal(SIGHUP);
            }
        }
        try {
            tls::Socket socket = connect_loopback(
                client, fleet[static_cast<std::size_t>(i) % 4]->port(), "localhost", session);
            socket.sendall("ping\n");
            EXPECT_EQ(tls::test::feature::read_until(socket), "ping\n");
            ++out.connections;
            if (i > 0 && socket.session_reused()) {
                ++out.resumed;
            } else if (i > 0 && rotate_midway && i >= connections / 2) {
                ++out.full_after_rotation;
            }
            // TLS 1.3: the newest ticket, taken after the echo brought it in.
            session = socket.session();
            socket.close();
        } catch (const std::exception& e) {
            ++out.failed;
            ADD_FAILURE() << "connection " << i << ": " << e.what();
        }
    }
    out.last_ticket_name = ticket_key_name(session);
    for (auto& server : fleet) {
        server->process().terminate();
        const tls::test::ProcessResult ended = server->finish();
        EXPECT_EQ(ended.exit_code, 0)
            << "signal " << ended.term_signal << ", timed out " << ended.timed_out << "\n"
            << ended.err;
    }
}

TEST(TicketKeysFleet, FourServeProcessesResumeNinetyNinePercentAcrossAKeyRotation) {
    struct Row {
        const char* what;
        tls::TLSVersion maximum;
    };
    for (const Row& row :
         {Row{"TLSv1.3", tls::TLSVersion::TLSv1_3}, Row{"TLSv1.2", tls::TLSVersion::TLSv1_2}}) {
        SCOPED_TRACE(row.what);
        const int n = 240;
        FleetRun run;
        const auto start = std::chrono::steady_clock::now();
        fleet_run(row.maximum, n, true, run);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        EXPECT_EQ(run.failed, 0);
        EXPECT_EQ(run.connections, n);
        const double rate = 100.0 * run.resumed / (n - 1);
        EXPECT_GE(rate, 99.0);
        // One client, one connection at a time: the rotation may cost the connections in flight
        // while the four processes take their SIGHUP, at most one per process.
        EXPECT_LE(run.full_after_rotation, 4);
        // The rotation took: the last tickets are under the new key.
        const std::string rotated = key_bytes(80, 22);
        EXPECT_EQ(run.last_ticket_name, tls::Bytes(rotated.begin(), rotated.begin() + 16));
        std::printf(
            "[ figures ] ticket-key fleet %s: 4 processes, %d connections, %d/%d resumed "
            "after the first (%.1f %%), %d full handshake(s) after the mid-run "
            "rotation, %d failed, %.2f s\n",
            row.what, n, run.resumed, n - 1, rate, run.full_after_rotation, run.failed, seconds);
    }
}

}  // namespace
