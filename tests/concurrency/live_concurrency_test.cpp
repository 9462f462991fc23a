// 16 threads handshaking while another thread changes what the library documents as safe to
// change on a serving context: certificate chains (set_cert_chains, load_cert_chain after it, a
// CertFileWatcher with its own thread), trust anchors (reload_verify_locations), the OCSP staple
// (set_ocsp_response, load_ocsp_response); and one VerifiedChainCache shared by all of them.
// Harness: harness.hpp.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "concurrency/harness.hpp"
#include "support/feature_helpers.hpp"

namespace {

namespace cc = tls::test::concurrency;
namespace feature = tls::test::feature;
using cc::kThreads;
using cc::Pki;

constexpr int kRounds = 32;

cc::Transport transport_of(int thread, int round) {
    return (thread + round) % 2 == 0 ? cc::Transport::memory : cc::Transport::socket;
}

// Replaces `path` at once (a new file renamed over it), as a deployment does: a reader sees the
// old file or the new one, never half of either.
void replace_file(const std::string& path, const std::string& content) {
    const std::string temporary = path + ".new";
    feature::write_file(temporary, content);
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        throw std::system_error(errno, std::generic_category(), "rename " + temporary);
    }
}

// The server presents chain A or chain B (a different leaf under a different intermediate), the
// client presents client certificate 1 or 2, and both reload their trust anchors, all changed
// by the helper and a CertFileWatcher thread while the 16 threads handshake. Each handshake must
// succeed with exactly one of the chains each way: never a leaf of one with the intermediate
// of the other.
TEST(Reload, EveryHandshakeSeesTheOldOrTheNewChainNeverAMix) {
    const Pki& pki = Pki::get();
    const std::string root = pki.root.cert_pem();
    const std::string pem_a = pki.localhost_a.cert_chain_pem() + pki.localhost_a.private_key_pem();
    const std::string pem_b = pki.localhost_b.cert_chain_pem() + pki.localhost_b.private_key_pem();
    const std::vector<tls::Bytes> chain_a = Pki::chain_der(pki.localhost_a);
    const std::vector<tls::Bytes> chain_b = Pki::chain_der(pki.localhost_b);
    const std::vector<tls::Bytes> client_chain_1 = Pki::chain_der(pki.client_1);
    const std::vector<tls::Bytes> client_chain_2 = Pki::chain_der(pki.client_2);
    const tls::CertChain chain_1 =
        tls::CertChain::from_pem(pki.client_1.cert_chain_pem(), pki.client_1.private_key_pem());
    const tls::CertChain chain_2 =
        tls::CertChain::from_pem(pki.client_2.cert_chain_pem(), pki.client_2.private_key_pem());

    tls::Context server = cc::server_context(pki.localhost_a);
    server.load_verify_cadata(std::string_view(root));
    server.set_verify_mode(tls::CERT_REQUIRED);
    // Published from here on, so a later load_cert_chain is a live reload too (docs/server.md).
    server.set_cert_chains({tls::CertChain::from_pem(pem_a)});
    tls::Context client = cc::client_context();
    client.set_cert_chains({chain_1});

    feature::TempDir dir;
    const std::string file = dir.path("server.pem");  // the chain and its key in one file
    replace_file(file, pem_a);
    std::atomic<int> watcher_reloads{0}, watcher_failures{0};
    tls::CertFileWatcher::Options watch;
    watch.chains = {{file, "", ""}};
    watch.interval = std::chrono::milliseconds(1);
    watch.on_reload = [&](const tls::ReloadEvent& event) {
        ++(event.reloaded ? watcher_reloads : watcher_failures);
    };
    tls::CertFileWatcher watcher(server, watch);

    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;
    std::atomic<int> saw_a{0}, saw_b{0}, saw_client_1{0}, saw_client_2{0};
    std::size_t changes = 0;

    cc::run_threads(
        [&](int t) {
            for (int i = 0; i < kRounds; ++i) {
                cc::Connect how;
                how.transport = transport_of(t, i);
                const cc::Outcome out = cc::run_connection(client, server, how, loopback);
                progress.add();
                if (!out.ok()) {
                    failures.add(out.error);
                    continue;
                }
                if (out.server_chain == chain_a || out.server_chain == chain_b) {
                    ++(out.server_chain == chain_a ? saw_a : saw_b);
                } else {
                    failures.add("the client was served a chain that is neither A nor B");
                }
                if (out.client_chain == client_chain_1 || out.client_chain == client_chain_2) {
                    ++(out.client_chain == client_chain_1 ? saw_client_1 : saw_client_2);
                } else {
                    failures.add("the server was sent a chain that is neither client 1 nor 2");
                }
            }
        },
        failures, progress,
        [&] {
            changes = cc::every_n_connections(progress, 6, [&](std::size_t step) {
                switch (step % 7) {
                    case 0:
                        replace_file(file, pem_b);  // the watcher's thread picks it up
                        break;
                    case 1:
                        server.set_cert_chains({tls::CertChain::from_pem(pem_a)});
                        break;
                    case 2:
                        server.load_cert_chain_pem(pem_b);
                        break;
                    case 3:
                        replace_file(file, pem_a);
                        watcher.check_now();  // races the watcher's own thread
                        break;
                    case 4:
                        client.set_cert_chains({step % 2 == 0 ? chain_1 : chain_2});
                        break;
                    case 5:
                        client.reload_verify_locations({}, {}, root);
                        break;
                    default:
                        server.reload_verify_locations({}, {}, root);
                        static_cast<void>(watcher.reload_now());
                        break;
                }
                static_cast<void>(server.cert_chains());
            });
        });

    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_EQ(saw_a + saw_b, kThreads * kRounds);
    EXPECT_GT(saw_a, 0);
    EXPECT_GT(saw_b, 0);
    EXPECT_GT(saw_client_1, 0);
    EXPECT_GT(saw_client_2, 0);
    EXPECT_GT(watcher_reloads, 0);
    EXPECT_EQ(watcher_failures, 0);
    cc::print_figures(std::to_string(kThreads) + " threads x " + std::to_string(kRounds) +
                      " mutual-TLS handshakes during " + std::to_string(changes) + " changes and " +
                      std::to_string(watcher_reloads) + " watcher reloads: server chain A " +
                      std::to_string(saw_a) + ", B " + std::to_string(saw_b) +
                      "; client certificate 1 " + std::to_string(saw_client_1) + ", 2 " +
                      std::to_string(saw_client_2) + "; " + std::to_string(failures.count()) +
                      " failed");
}

// Full handshakes (no session cache) from one client context with one VerifiedChainCache: the
// threads answer each other's verifications from it while the helper reloads the client's trust
// anchors (new trust: the cache must miss, then fill again), clears it and reads its counters.
TEST(VerifiedChainCache, SixteenThreadsShareOneCacheWhileTheTrustReloads) {
    const Pki& pki = Pki::get();
    const std::string root = pki.root.cert_pem();
    tls::Context server = cc::server_context(pki.localhost_a);
    tls::Context client = cc::client_context();
    tls::VerifiedChainCache cache;
    client.set_verified_chain_cache(cache);
    const std::vector<tls::Bytes> chain = Pki::chain_der(pki.localhost_a);
    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;

    cc::run_threads(
        [&](int t) {
            for (int i = 0; i < kRounds; ++i) {
                cc::Connect how;
                how.transport = transport_of(t, i);
                const cc::Outcome out = cc::run_connection(client, server, how, loopback);
                if (!out.ok()) {
                    failures.add(out.error);
                } else if (out.server_chain != chain || out.client_reused) {
                    failures.add("not a full handshake with the server's chain");
                }
                progress.add();
            }
        },
        failures, progress,
        [&] {
            cc::every_n_connections(progress, 48, [&](std::size_t step) {
                if (step % 4 == 3) {
                    cache.clear();
                } else {
                    client.reload_verify_locations({}, {}, root);
                }
                static_cast<void>(cache.stats());
            });
        });

    const tls::VerifiedChainCacheStats stats = cache.stats();
    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_EQ(stats.hits + stats.misses, static_cast<std::uint64_t>(kThreads * kRounds));
    EXPECT_GT(stats.hits, 0U);
    EXPECT_GT(stats.misses, 0U);
    cc::print_figures(std::to_string(kThreads) + " threads x " + std::to_string(kRounds) +
                      " full handshakes: " + std::to_string(stats.hits) +
                      " verifications answered by the cache, " + std::to_string(stats.misses) +
                      " in full; " + std::to_string(failures.count()) + " failed");
}

// The staple changes on every few connections (two responses, none, one from a file) while the
// clients check what they are stapled, and the helper reads the contexts' getters, which are
// const and so callable from any thread.
TEST(LiveSetters, OcspStapleChangesWhileSixteenThreadsHandshake) {
    const Pki& pki = Pki::get();
    const tls::Bytes good_1(pki.ocsp_good_1.begin(), pki.ocsp_good_1.end());
    const tls::Bytes good_2(pki.ocsp_good_2.begin(), pki.ocsp_good_2.end());
    const std::string this_update_1 = tls::decode_ocsp_response(good_1).this_update;
    const std::string this_update_2 = tls::decode_ocsp_response(good_2).this_update;
    ASSERT_NE(this_update_1, this_update_2);
    feature::TempDir dir;
    const std::string file = dir.path("staple.der");
    feature::write_file(file, std::string(good_2.begin(), good_2.end()));

    tls::Context server = cc::server_context(pki.localhost_a);
    server.set_ocsp_response(good_1);
    tls::Context client = cc::client_context();
    client.set_ocsp_policy(tls::OcspPolicy::check_if_present);
    cc::Loopback loopback;
    cc::Failures failures;
    cc::Progress progress;
    std::atomic<int> stapled_1{0}, stapled_2{0}, unstapled{0};

    cc::run_threads(
        [&](int t) {
            for (int i = 0; i < kRounds; ++i) {
                cc::Connect how;
                how.transport = transport_of(t, i);
                const cc::Outcome out = cc::run_connection(client, server, how, loopback);
                progress.add();
                if (!out.ok()) {
                    failures.add(out.error);
                } else if (!out.staple) {
                    ++unstapled;
                } else if (out.staple->cert_status != "good" ||
                           (out.staple->this_update != this_update_1 &&
                            out.staple->this_update != this_update_2)) {
                    failures.add("a staple that was never set");
                } else {
                    ++(out.staple->this_update == this_update_1 ? stapled_1 : stapled_2);
                }
            }
        },
        failures, progress,
        [&] {
            cc::every_n_connections(progress, 8, [&](std::size_t step) {
                switch (step % 4) {
                    case 0:
                        server.set_ocsp_response(good_2);
                        break;
                    case 1:
                        server.set_ocsp_response({});
                        break;
                    case 2:
                        server.set_ocsp_response(good_1);
                        break;
                    default:
                        server.load_ocsp_response(file);
                        break;
                }
                static_cast<void>(server.cert_chains());
                static_cast<void>(server.session_stats());
                static_cast<void>(server.options());
                static_cast<void>(server.num_tickets());
                static_cast<void>(client.get_ca_certs());
                static_cast<void>(client.cert_store_stats());
                static_cast<void>(client.ocsp_policy());
                static_cast<void>(client.verify_flags());
            });
        });

    EXPECT_EQ(failures.list(), std::vector<std::string>{});
    EXPECT_EQ(stapled_1 + stapled_2 + unstapled, kThreads * kRounds);
    EXPECT_GT(stapled_1, 0);
    EXPECT_GT(stapled_2, 0);
    EXPECT_GT(unstapled, 0);
    cc::print_figures(std::to_string(kThreads) + " threads x " + std::to_string(kRounds) +
                      " handshakes while the staple changed: staple 1 " +
                      std::to_string(stapled_1) + ", staple 2 " + std::to_string(stapled_2) +
                      ", none " + std::to_string(unstapled) + "; " +
                      std::to_string(failures.count()) + " failed");
}

}  // namespace
