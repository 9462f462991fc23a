// 16 threads handshaking through one client Context and one server Context: plain handshakes in
// TLS 1.2 and 1.3, and a server whose SNI callback switches each connection to the context of
// the name it asked for. Harness: harness.hpp.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "concurrency/harness.hpp"

namespace {

namespace cc = tls::test::concurrency;
using cc::kThreads;
using cc::Pki;

// Connections per thread (both transports, in turn).
constexpr int kRounds = 32;

cc::Transport transport_of(int thread, int round) {
    return (thread + round) % 2 == 0 ? cc::Transport::memory : cc::Transport::socket;
}

struct VersionCase {
    tls::TLSVersion version;
    const char* expected;  // Connection::version()
};

class Handshakes : public ::testing::TestWithParam<VersionCase> {};

TEST_P(Handshakes, SixteenThreadsShareOneClientAndOneServerContext) {
    const Pki& pki = Pki::get();
    tls::Context server = cc::server_context(pki.localhost_a);
    server.set_alpn_protocols({"h2", "http/1.1"});
    tls::Context client = cc::client_context();
    client.set_maximum_version(GetParam().version);
    client.set_alpn_protocols({"http/1.1"});
    const std::vector<tls::Bytes> chain = Pki::chain_der(pki.localhost_a);
    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;

    cc::run_threads(
        [&](int t) {
            for (int i = 0; i < kRounds; ++i) {
                cc::Connect how;
                how.transport = transport_of(t, i);
                // The client's name for the server varies: a host name and its IP address.
                how.server_hostname = i % 3 == 0 ? "127.0.0.1" : "localhost";
                const cc::Outcome out = cc::run_connection(client, server, how, loopback);
                if (!out.ok()) {
                    failures.add(out.error);
                } else if (out.server_chain != chain || out.version != GetParam().expected ||
                           out.alpn != std::optional<std::string>("http/1.1") ||
                           out.client_reused || !out.client_chain.empty()) {
                    failures.add("thread " + std::to_string(t) + ": wrong facts, version " +
                                 out.version);
                }
                progress.add();
            }
        },
        failures, progress);

    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_EQ(progress.done(), static_cast<std::size_t>(kThreads * kRounds));
    const tls::SessionStats stats = server.session_stats();
    EXPECT_EQ(stats.accept_good, kThreads * kRounds);
    cc::print_figures(std::to_string(kThreads) + " threads x " + std::to_string(kRounds) + " " +
                      GetParam().expected + " handshakes: " + std::to_string(failures.count()) +
                      " failed, server accept_good " + std::to_string(stats.accept_good));
}

INSTANTIATE_TEST_SUITE_P(Versions, Handshakes,
                         ::testing::Values(VersionCase{tls::TLSVersion::TLSv1_2, "TLSv1.2"},
                                           VersionCase{tls::TLSVersion::TLSv1_3, "TLSv1.3"}),
                         [](const ::testing::TestParamInfo<VersionCase>& info) {
                             return info.param.version == tls::TLSVersion::TLSv1_2 ? "Tls12"
                                                                                   : "Tls13";
                         });

// The SNI callback runs on 16 threads at once and switches each connection to the context of
// its name (one per thread's name, each with a certificate for that name only); "localhost"
// stays on the default context, an unknown name is refused with unrecognized_name.
TEST(Sni, SixteenThreadsEachGetTheCertificateOfTheNameTheyAskFor) {
    const Pki& pki = Pki::get();
    std::map<std::string, tls::Context> by_name;
    for (int i = 0; i < kThreads; ++i) {
        by_name.emplace(pki.sni_names[i], cc::server_context(pki.sni_leaves[i]));
    }
    tls::Context server = cc::server_context(pki.localhost_a);
    server.set_sni_callback(
        [&by_name](tls::ServerNameRequest& request) -> std::optional<tls::AlertDescription> {
            const std::string name = request.server_name().value_or("");
            if (name == "localhost") {
                return std::nullopt;
            }
            const auto found = by_name.find(name);
            if (found == by_name.end()) {
                return tls::AlertDescription::ALERT_DESCRIPTION_UNRECOGNIZED_NAME;
            }
            request.set_context(found->second);
            return std::nullopt;
        });
    tls::Context client = cc::client_context();
    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;
    std::atomic<int> switched{0}, stayed{0}, refused{0};

    cc::run_threads(
        [&](int t) {
            for (int i = 0; i < kRounds; ++i) {
                cc::Connect how;
                how.transport = transport_of(t, i);
                // At any round each thread asks for another name; over the rounds every thread
                // asks for every name.
                const int name = (t + i) % kThreads;
                const bool unknown = i % 8 == 7;
                const bool plain = i % 8 == 3;
                how.server_hostname = unknown ? "unknown.example.test"
                                      : plain ? "localhost"
                                              : pki.sni_names[name];
                const cc::Outcome out = cc::run_connection(client, server, how, loopback);
                progress.add();
                if (unknown) {
                    if (out.ok() || out.client_code != tls::SSLErrc::ssl ||
                        out.client_reason != "TLSV1_UNRECOGNIZED_NAME" ||
                        out.server_code != tls::SSLErrc::ssl) {
                        failures.add("an unknown name was not refused with unrecognized_name: " +
                                     out.error);
                    }
                    ++refused;
                    continue;
                }
                const std::vector<tls::Bytes> expected =
                    Pki::chain_der(plain ? pki.localhost_a : pki.sni_leaves[name]);
                if (!out.ok()) {
                    failures.add(how.server_hostname + ": " + out.error);
                } else if (out.server_chain != expected) {
                    failures.add(how.server_hostname + ": served another name's certificate");
                } else {
                    ++(plain ? stayed : switched);
                }
            }
        },
        failures, progress);

    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_EQ(switched + stayed + refused, kThreads * kRounds);
    EXPECT_EQ(refused, kThreads * (kRounds / 8));
    cc::print_figures(std::to_string(kThreads) + " threads x " + std::to_string(kRounds) +
                      " SNI handshakes over " + std::to_string(kThreads) +
                      " names: " + std::to_string(switched) + " switched, " +
                      std::to_string(stayed) + " stayed, " + std::to_string(refused) +
                      " refused, " + std::to_string(failures.count()) + " failed");
}

}  // namespace
