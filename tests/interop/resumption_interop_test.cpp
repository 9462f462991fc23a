// Session resumption against other TLS stacks, counted on both sides over three reconnects for
// TLS 1.2 session ids, TLS 1.2 tickets and TLS 1.3 tickets: a tlsctx client against
// `openssl s_server`, `openssl s_client` (-sess_out/-sess_in, -reconnect) and Python's ssl
// against a tlsctx server, and sessions made by OpenSSL's client resumed by tlsctx.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using tls::test::describe;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::connect_loopback;
using tls::test::feature::ConnectionServer;
using tls::test::feature::read_until;
using tls::test::feature::server_context;

enum class Resumption { tls12_session_id, tls12_ticket, tls13_ticket };

std::string name_of(Resumption kind) {
    switch (kind) {
        case Resumption::tls12_session_id:
            return "Tls12SessionId";
        case Resumption::tls12_ticket:
            return "Tls12Ticket";
        default:
            return "Tls13Ticket";
    }
}

bool is_tls13(Resumption kind) {
    return kind == Resumption::tls13_ticket;
}

std::string openssl_version_flag(Resumption kind) {
    return is_tls13(kind) ? "-tls1_3" : "-tls1_2";
}

tls::Context server_for(Resumption kind) {
    tls::Context ctx = server_context();
    if (kind == Resumption::tls12_session_id) {
        ctx.set_options(ctx.options() | tls::OP_NO_TICKET);
    }
    return ctx;
}

tls::Context client_for(Resumption kind) {
    tls::Context ctx = client_context();
    if (!is_tls13(kind)) {
        ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    return ctx;
}

int count_of(const std::string& text, const std::string& needle) {
    int n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

// Records, per connection, whether the tlsctx server resumed it.
struct ServerLog {
    std::mutex mutex;
    std::vector<bool> reused;
    std::vector<std::string> tls_unique_hex;

    ConnectionServer::Handler handler(bool read_line_first) {
        return [this, read_line_first](std::size_t, tls::Socket& s) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                reused.push_back(s.session_reused());
                std::optional<tls::Bytes> cb = s.get_channel_binding("tls-unique");
                tls_unique_hex.push_back(cb ? tls::test::feature::hex(*cb) : "");
            }
            if (read_line_first) {
                read_until(s);
            }
            s.sendall("hello\n");
        };
    }
};

void expect_no_server_errors(ConnectionServer& server) {
    for (const std::exception_ptr& e : server.join()) {
        EXPECT_FALSE(e) << describe(e);
    }
}

class ResumptionInteropTest : public ::testing::TestWithParam<Resumption> {};

TEST_P(ResumptionInteropTest, TlsctxClientResumesAgainstOpensslServerThreeTimes) {
    const Resumption kind = GetParam();
    tls::test::OpensslServerOptions options;
    options.cert = TestPki::get().localhost().cert;
    options.key = TestPki::get().localhost().key;
    options.cert_chain = TestPki::get().intermediate_cert();
    options.version_flag = openssl_version_flag(kind);
    options.mode = tls::test::OpensslServerOptions::Mode::www;
    options.extra_args = {"-naccept", "4"};
    if (kind == Resumption::tls12_session_id) {
        options.extra_args.push_back("-no_ticket");
    }
    tls::test::OpensslServer server(options);
    tls::Context client = client_for(kind);

    tls::Session session;
    std::string last_page;
    for (int i = 0; i < 4; ++i) {
        tls::Socket socket = connect_loopback(client, server.port(), "localhost", session);
        socket.sendall("GET / HTTP/1.0\r\n\r\n");
        // s_server -www describes the connection ("New, ..." or "Reused, ...") and its cache.
        last_page = tls::test::feature::read_to_end(socket);
        const bool reused = i > 0;
        EXPECT_EQ(socket.session_reused(), reused) << "connection " << i;
        EXPECT_EQ(count_of(last_page, reused ? "Reused, " : "New, "), 1)
            << "connection " << i << ":\n"
            << last_page;
        session = socket.session();
        EXPECT_EQ(session.has_ticket(), kind != Resumption::tls12_session_id);
    }
    std::smatch hits;
    ASSERT_TRUE(std::regex_search(last_page, hits, std::regex(R"((\d+) session cache hits)")))
        << last_page;
    EXPECT_EQ(hits[1], "3");
    EXPECT_EQ(client.session_stats().connect_good, 4);
    EXPECT_EQ(server.finish().exit_code, 0);
}

TEST_P(ResumptionInteropTest, OpensslClientResumesAgainstTlsctxServerThreeTimes) {
    const Resumption kind = GetParam();
    tls::Context server_ctx = server_for(kind);
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    ServerLog log;
    ConnectionServer server(listener, 4, log.handler(false));
    tls::test::feature::TempDir dir;
    const std::string session_file = dir.path("session.pem");

    for (int i = 0; i < 4; ++i) {
        tls::test::OpensslClientOptions options;
        options.port = listener.port();
        options.cafile = TestPki::get().ca_cert();
        options.version_flag = openssl_version_flag(kind);
        options.extra_args = {"-sess_out", session_file};
        if (i > 0) {
            options.extra_args.insert(options.extra_args.end(), {"-sess_in", session_file});
        }
        tls::test::OpensslClientResult result = tls::test::run_openssl_client(options);
        EXPECT_EQ(result.verify_code, 0) << result.process.out << result.process.err;
        EXPECT_EQ(count_of(result.process.out, i > 0 ? "Reused, " : "New, "), 1)
            << "connection " << i << ":\n"
            << result.process.out;
    }
    expect_no_server_errors(server);
    EXPECT_EQ(log.reused, (std::vector<bool>{false, true, true, true}));
    tls::SessionStats stats = server_ctx.session_stats();
    EXPECT_EQ(stats.hits, 3);
    EXPECT_EQ(stats.accept_good, 4);
}

TEST_P(ResumptionInteropTest, PythonClientResumesAgainstTlsctxServerWithTheSameSessionFields) {
    const Resumption kind = GetParam();
    tls::Context server_ctx = server_for(kind);
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    ServerLog log;
    // Four Python connections, then one tlsctx client to compare the session fields with.
    ConnectionServer server(listener, 5, log.handler(true));
    std::vector<std::string> argv{"python3",       tls::test::python_script("feature_client.py"),
                                  "--port",        std::to_string(listener.port()),
                                  "--cafile",      TestPki::get().ca_cert(),
                                  "--connections", "4",
                                  "--max-version", is_tls13(kind) ? "1.3" : "1.2"};
    tls::test::ProcessResult run = tls::test::run_process(argv);
    std::vector<nlohmann::json> connections;
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        connections.push_back(nlohmann::json::parse(line));
    }
    ASSERT_EQ(connections.size(), 4u) << run.out << run.err;

    const auto before = std::chrono::system_clock::now() - 5s;
    tls::Socket ours = connect_loopback(client_for(kind), listener.port(), "localhost");
    ours.sendall("ping\n");
    EXPECT_EQ(tls::test::feature::read_to_end(ours), "hello\n");
    tls::Session mine = ours.session();
    expect_no_server_errors(server);

    for (std::size_t i = 0; i < connections.size(); ++i) {
        const nlohmann::json& c = connections[i];
        ASSERT_EQ(c["handshake"], "ok") << c.dump();
        EXPECT_EQ(c["session_reused"], i > 0) << c.dump();
        EXPECT_EQ(c["received"], "hello\n");
        const nlohmann::json& s = c["session"];
        ASSERT_TRUE(s.is_object()) << c.dump();
        // The same server gives Python's client and ours sessions of the same shape.
        EXPECT_EQ(s["has_ticket"], mine.has_ticket());
        EXPECT_EQ(s["ticket_lifetime_hint"], mine.ticket_lifetime_hint().count());
        EXPECT_EQ(s["timeout"], mine.timeout().count());
        EXPECT_EQ(s["id"].get<std::string>().size(), 2 * mine.id().size());
    }
    const auto t = std::chrono::system_clock::time_point(
        std::chrono::seconds(connections[0]["session"]["time"].get<long>()));
    EXPECT_GE(t, before);
    EXPECT_GE(mine.time(), before);
    EXPECT_EQ(log.reused, (std::vector<bool>{false, true, true, true, false}));
    EXPECT_EQ(server_ctx.session_stats().hits, 3);
}

// `openssl sess_id -text` of a serialized session, checked against tlsctx's accessors.
void expect_fields_match_openssl(const tls::Session& session, const std::string& der_file) {
    tls::test::ProcessResult text = tls::test::run_process(
        {"openssl", "sess_id", "-inform", "DER", "-in", der_file, "-text", "-noout"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    std::string id = tls::test::feature::hex(session.id());
    for (char& ch : id) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
    EXPECT_EQ(tls::test::find_line_value(text.out, "Session-ID: "), id) << text.out;
    EXPECT_EQ(tls::test::find_line_value(text.out, "Start Time: "),
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                 session.time().time_since_epoch())
                                 .count()));
    EXPECT_EQ(tls::test::find_line_value(text.out, "Timeout   : "),
              std::to_string(session.timeout().count()) + " (sec)");
    EXPECT_EQ(count_of(text.out, "TLS session ticket:") == 1, session.has_ticket()) << text.out;
    if (session.has_ticket()) {
        EXPECT_EQ(tls::test::find_line_value(text.out, "TLS session ticket lifetime hint: "),
                  std::to_string(session.ticket_lifetime_hint().count()) + " (seconds)");
    }
}

TEST_P(ResumptionInteropTest, SessionsSerializeInOpensslsFormatWithTheSameFields) {
    const Resumption kind = GetParam();
    tls::Context server_ctx = server_for(kind);
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    ServerLog log;
    ConnectionServer server(listener, 2, log.handler(false));
    tls::test::feature::TempDir dir;

    // A session written by `openssl s_client -sess_out`, read with Session::from_bytes.
    const std::string pem = dir.path("openssl.pem"), der = dir.path("openssl.der");
    tls::test::OpensslClientOptions options;
    options.port = listener.port();
    options.cafile = TestPki::get().ca_cert();
    options.version_flag = openssl_version_flag(kind);
    options.extra_args = {"-sess_out", pem};
    tls::test::OpensslClientResult first = tls::test::run_openssl_client(options);
    ASSERT_EQ(first.verify_code, 0) << first.process.out << first.process.err;
    ASSERT_EQ(
        tls::test::run_process({"openssl", "sess_id", "-in", pem, "-outform", "DER", "-out", der})
            .exit_code,
        0);
    std::string bytes = tls::test::read_file(der);
    tls::Session from_openssl = tls::Session::from_bytes(tls::Bytes(bytes.begin(), bytes.end()));
    EXPECT_EQ(from_openssl.has_ticket(), kind != Resumption::tls12_session_id);
    expect_fields_match_openssl(from_openssl, der);

    // A session of a tlsctx client, written with to_bytes, read by `openssl sess_id`.
    tls::Socket socket = connect_loopback(client_for(kind), listener.port(), "localhost");
    EXPECT_EQ(read_until(socket), "hello\n");
    tls::Session ours = socket.session();
    tls::Bytes serialized = ours.to_bytes();
    const std::string our_der = dir.path("tlsctx.der");
    tls::test::feature::write_file(our_der, std::string(serialized.begin(), serialized.end()));
    expect_fields_match_openssl(ours, our_der);
    expect_no_server_errors(server);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ResumptionInteropTest,
                         ::testing::Values(Resumption::tls12_session_id, Resumption::tls12_ticket,
                                           Resumption::tls13_ticket),
                         [](const auto& info) { return name_of(info.param); });

TEST(ResumptionInterop, OpensslClientReconnectOptionResumesEveryReconnect) {
    tls::Context server_ctx = server_for(Resumption::tls12_session_id);
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    ServerLog log;
    // s_client -reconnect: one full handshake and five reconnects, each dropped at once.
    ConnectionServer server(listener, 6, [&log](std::size_t, tls::Socket& s) {
        std::lock_guard<std::mutex> lock(log.mutex);
        log.reused.push_back(s.session_reused());
    });
    tls::test::OpensslClientOptions options;
    options.port = listener.port();
    options.cafile = TestPki::get().ca_cert();
    options.version_flag = "-tls1_2";
    options.ign_eof = false;
    options.extra_args = {"-reconnect"};
    tls::test::OpensslClientResult result = tls::test::run_openssl_client(options);
    EXPECT_EQ(count_of(result.process.out, "Reused, "), 5) << result.process.out;
    server.join();
    EXPECT_EQ(log.reused, (std::vector<bool>{false, true, true, true, true, true}));
    EXPECT_EQ(server_ctx.session_stats().hits, 5);
}

}  // namespace
