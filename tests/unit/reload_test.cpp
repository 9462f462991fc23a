// Live reload of a context's certificates and trust anchors (Context::set_cert_chains,
// reload_verify_locations), several certificates on one context, and tls::CertChain: handshakes
// in memory and over loopback between tlsctx ends. Real peers:
// tests/interop/reload_interop_test.cpp.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/memory_pair.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TLSCTX_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TLSCTX_TEST_ASAN 1
#endif
#ifdef TLSCTX_TEST_ASAN
#include <sanitizer/allocator_interface.h>
#endif

namespace {

using tls::test::CertFiles;
using tls::test::TestPki;
namespace memory = tls::test::memory;
namespace feature = tls::test::feature;

const TestPki& pki() {
    return TestPki::get();
}

tls::Bytes leaf_der(const CertFiles& files) {
    return feature::der_certificates_of_file(files.cert).at(0);
}

tls::CertChain chain_of(const CertFiles& files) {
    return tls::CertChain::load(files.chain, files.key);
}

tls::Context server_with(const CertFiles& files) {
    return feature::server_context(files);
}

// The leaf a verifying client sees from `server` (in memory).
tls::Bytes served_leaf(const tls::Context& server,
                       const tls::Context& client = feature::client_context()) {
    memory::Pair p = memory::make_pair(client, server);
    std::error_code ec = memory::handshake(p.client, p.server);
    if (ec) {
        ADD_FAILURE() << "handshake failed: " << p.client.object.last_error().message << " / "
                      << p.server.object.last_error().message;
        return {};
    }
    return p.client.object.getpeercert_der().value_or(tls::Bytes{});
}

// Bytes the process has allocated and not freed (glibc's count, or ASan's when it owns malloc).
std::size_t allocated_bytes() {
#ifdef TLSCTX_TEST_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

TEST(CertChain, LoadsTheLeafTheIntermediatesAndTheKey) {
    tls::CertChain ec = chain_of(pki().localhost());
    EXPECT_EQ(ec.key_type(), "EC");
    ASSERT_EQ(ec.chain_der().size(), 2U);
    EXPECT_EQ(ec.chain_der()[0], leaf_der(pki().localhost()));
    EXPECT_EQ(ec.chain_der()[1],
              feature::der_certificates_of_file(pki().intermediate_cert()).at(0));
    EXPECT_FALSE(ec.leaf().not_after.empty());
    EXPECT_EQ(chain_of(pki().localhost_rsa()).key_type(), "RSA");
    EXPECT_EQ(chain_of(pki().localhost_ed25519()).key_type(), "ED25519");

    EXPECT_EQ(ec, chain_of(pki().localhost()));
    EXPECT_NE(ec, chain_of(pki().localhost_renewed()));
    tls::CertChain from_memory = tls::CertChain::from_pem(
        tls::test::read_file(pki().localhost().chain), tls::test::read_file(pki().localhost().key));
    EXPECT_EQ(from_memory, ec);
}

TEST(CertChain, RefusesWhatCannotBeServedWithATypedError) {
    feature::TempDir dir;
    const std::string garbage = dir.path("garbage.pem");
    feature::write_file(garbage, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n");
    EXPECT_THROW(tls::CertChain::load(garbage, pki().localhost().key), tls::SSLError);
    // A key of another certificate.
    EXPECT_THROW(tls::CertChain::load(pki().localhost().chain, pki().localhost_renewed().key),
                 tls::SSLError);
    EXPECT_THROW(tls::CertChain::load(pki().localhost_encrypted_key().chain,
                                      pki().localhost_encrypted_key().key, "wrong password"),
                 tls::SSLError);
    EXPECT_NO_THROW(tls::CertChain::load(pki().localhost_encrypted_key().chain,
                                         pki().localhost_encrypted_key().key, pki().password()));
    EXPECT_THROW(tls::CertChain::load(dir.path("missing.pem")), std::system_error);
    EXPECT_THROW(tls::CertChain::from_pem(""), tls::SSLError);
}

TEST(Reload, NewHandshakesGetTheNewChain) {
    tls::Context server = server_with(pki().localhost());
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost()));
    ASSERT_EQ(server.cert_chains().size(), 1U);
    EXPECT_EQ(server.cert_chains()[0], chain_of(pki().localhost()));

    server.set_cert_chains({chain_of(pki().localhost_renewed())});
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_renewed()));
    ASSERT_EQ(server.cert_chains().size(), 1U);
    EXPECT_EQ(server.cert_chains()[0], chain_of(pki().localhost_renewed()));

    server.set_cert_chains({chain_of(pki().localhost())});
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost()));
}

TEST(Reload, ConnectionsMadeBeforeTheSwapKeepWhatTheyStartedWith) {
    tls::Context server = server_with(pki().localhost());
    tls::Context client = feature::client_context();
    // Made before the swap, handshaken after it.
    memory::Pair before = memory::make_pair(client, server);
    // Halfway through its handshake at the swap: the server has answered the ClientHello, the
    // client has not seen the answer yet.
    memory::Pair midway = memory::make_pair(client, server);
    std::error_code ec;
    midway.client.object.do_handshake(ec);
    memory::deliver(midway.client, midway.server);
    midway.server.object.do_handshake(ec);
    ASSERT_EQ(ec, tls::SSLErrc::want_read);

    server.set_cert_chains({chain_of(pki().localhost_renewed())});

    ASSERT_FALSE(memory::handshake(before.client, before.server));
    EXPECT_EQ(before.client.object.getpeercert_der(), leaf_der(pki().localhost()));
    ASSERT_FALSE(memory::handshake(midway.client, midway.server));
    EXPECT_EQ(midway.client.object.getpeercert_der(), leaf_der(pki().localhost()));
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_renewed()));
}

TEST(Reload, AFailedReloadChangesNothing) {
    tls::Context server = server_with(pki().localhost());
    server.set_cert_chains({chain_of(pki().localhost_renewed())});
    EXPECT_THROW(server.set_cert_chains({}), std::invalid_argument);
    EXPECT_THROW(
        server.set_cert_chains({chain_of(pki().localhost()), chain_of(pki().localhost_renewed())}),
        std::invalid_argument);
    feature::TempDir dir;
    const std::string garbage = dir.path("garbage.pem");
    feature::write_file(garbage, "garbage");
    EXPECT_THROW(server.load_cert_chain(garbage), tls::SSLError);
    EXPECT_THROW(server.load_cert_chain(pki().localhost().chain, pki().localhost_rsa().key),
                 tls::SSLError);
    ASSERT_EQ(server.cert_chains().size(), 1U);
    EXPECT_EQ(server.cert_chains()[0], chain_of(pki().localhost_renewed()));
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_renewed()));
}

TEST(Reload, ASecurityLevelRefusalIsCheckedBeforeAnythingChanges) {
    tls::Context server = server_with(pki().localhost());
    server.set_cert_chains({chain_of(pki().localhost())});
    // Level 2 refuses an RSA key under 2048 bits; the test PKI has none, so raise the bar for the
    // ones it has: RSA-2048 is refused at level 3 (128-bit security), P-256 is not.
    tls::Context strict(tls::PROTOCOL_TLS_SERVER);
    strict.set_ciphers("DEFAULT:@SECLEVEL=3");
    strict.load_cert_chain(pki().localhost().chain, pki().localhost().key);
    strict.set_cert_chains({chain_of(pki().localhost())});
    EXPECT_THROW(strict.set_cert_chains({chain_of(pki().localhost_rsa())}), tls::SSLError);
    EXPECT_EQ(served_leaf(strict), leaf_der(pki().localhost()));
}

TEST(Reload, AReloadedChainIsSentCompressedAsTheConfiguredOneWas) {
    // RFC 8879: the TLS 1.3 Certificate message (11) or CompressedCertificate (25) the server sent.
    int certificate_type = 0;
    tls::Context server = server_with(pki().localhost_rsa());
    server.set_msg_callback([&](const tls::TlsMessage& m) {
        if (m.outgoing && m.content_type == 22 && m.size >= 4 &&
            (m.data[0] == 11 || m.data[0] == 25)) {
            certificate_type = m.data[0];
        }
    });
    const int expected = tls::HAS_CERT_COMPRESSION() ? 25 : 11;
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_rsa()));
    EXPECT_EQ(certificate_type, expected);
    certificate_type = 0;
    server.set_cert_chains({chain_of(pki().localhost_rsa()), chain_of(pki().localhost())});
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost()));
    EXPECT_EQ(certificate_type, expected);
    if (tls::HAS_CERT_COMPRESSION()) {
        // Turning compression off on a live context reaches the live chains too.
        server.set_certificate_compression({});
        certificate_type = 0;
        EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost()));
        EXPECT_EQ(certificate_type, 11);
    }
}

TEST(Reload, LoadCertChainAfterALiveReloadIsLiveToo) {
    tls::Context server = server_with(pki().localhost());
    server.set_cert_chains({chain_of(pki().localhost())});
    server.load_cert_chain(pki().localhost_rsa().chain, pki().localhost_rsa().key);
    ASSERT_EQ(server.cert_chains().size(), 2U);
    server.load_cert_chain(pki().localhost_renewed().chain, pki().localhost_renewed().key);
    std::vector<tls::CertChain> chains = server.cert_chains();
    ASSERT_EQ(chains.size(), 2U);
    EXPECT_EQ(chains[0], chain_of(pki().localhost_renewed()));
    EXPECT_EQ(chains[1], chain_of(pki().localhost_rsa()));
}

TEST(Reload, AClientCertificateReloadsToo) {
    tls::Context server = feature::server_context(pki().localhost(), tls::CERT_REQUIRED);
    tls::Context client = feature::client_context();
    CertFiles client_files = pki().client();
    client.load_cert_chain(client_files.chain, client_files.key);
    auto client_seen_by_server = [&] {
        memory::Pair p = memory::make_pair(client, server);
        EXPECT_FALSE(memory::handshake(p.client, p.server));
        return p.server.object.getpeercert_der().value_or(tls::Bytes{});
    };
    EXPECT_EQ(client_seen_by_server(), leaf_der(client_files));
    client.set_cert_chains({chain_of(pki().localhost())});
    EXPECT_EQ(client_seen_by_server(), leaf_der(pki().localhost()));
}

// One context, one chain per key type: each client gets one its signature algorithms verify.
class SeveralCertificates : public ::testing::TestWithParam<tls::TLSVersion> {
  protected:
    tls::Bytes leaf_for(const tls::Context& server, const std::string& sigalgs) {
        tls::Context client = feature::client_context();
        client.set_minimum_version(GetParam());
        client.set_maximum_version(GetParam());
        client.set_server_sigalgs(sigalgs);
        return served_leaf(server, client);
    }
};

TEST_P(SeveralCertificates, LoadCertChainOncePerKeyType) {
    tls::Context server = server_with(pki().localhost_rsa());
    server.load_cert_chain(pki().localhost().chain, pki().localhost().key);
    EXPECT_EQ(server.cert_chains().size(), 2U);
    EXPECT_EQ(leaf_for(server, "ecdsa_secp256r1_sha256"), leaf_der(pki().localhost()));
    EXPECT_EQ(leaf_for(server, "rsa_pss_rsae_sha256:rsa_pkcs1_sha256"),
              leaf_der(pki().localhost_rsa()));
}

TEST_P(SeveralCertificates, SetCertChainsWithThreeKeyTypes) {
    tls::Context server = server_with(pki().localhost());
    server.set_cert_chains({chain_of(pki().localhost_rsa()), chain_of(pki().localhost()),
                            chain_of(pki().localhost_ed25519())});
    EXPECT_EQ(leaf_for(server, "ecdsa_secp256r1_sha256"), leaf_der(pki().localhost()));
    EXPECT_EQ(leaf_for(server, "rsa_pss_rsae_sha256:rsa_pkcs1_sha256"),
              leaf_der(pki().localhost_rsa()));
    EXPECT_EQ(leaf_for(server, "ed25519"), leaf_der(pki().localhost_ed25519()));
    // A reload to ECDSA only: the RSA and Ed25519 chains are gone, not kept from before.
    server.set_cert_chains({chain_of(pki().localhost_renewed())});
    EXPECT_EQ(leaf_for(server, "ecdsa_secp256r1_sha256"), leaf_der(pki().localhost_renewed()));
    tls::Context rsa_only = feature::client_context();
    rsa_only.set_minimum_version(GetParam());
    rsa_only.set_maximum_version(GetParam());
    rsa_only.set_server_sigalgs("rsa_pss_rsae_sha256:rsa_pkcs1_sha256");
    memory::Pair p = memory::make_pair(rsa_only, server);
    EXPECT_TRUE(memory::handshake(p.client, p.server));
}

INSTANTIATE_TEST_SUITE_P(Versions, SeveralCertificates,
                         ::testing::Values(tls::TLSVersion::TLSv1_2, tls::TLSVersion::TLSv1_3),
                         [](const auto& info) {
                             return info.param == tls::TLSVersion::TLSv1_2 ? "TLSv1_2" : "TLSv1_3";
                         });

TEST(ReloadTrust, NewHandshakesVerifyAgainstTheNewAnchors) {
    tls::Context server = server_with(pki().localhost());
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(pki().other_ca_cert());
    auto verifies = [&] {
        memory::Pair p = memory::make_pair(client, server);
        return !memory::handshake(p.client, p.server);
    };
    EXPECT_FALSE(verifies());
    client.reload_verify_locations(pki().ca_cert());
    EXPECT_TRUE(verifies());
    EXPECT_EQ(client.cert_store_stats().x509_ca, 1);

    // Failures change nothing.
    feature::TempDir dir;
    EXPECT_THROW(client.reload_verify_locations(dir.path("missing.pem")), std::system_error);
    EXPECT_THROW(client.reload_verify_locations({}, {}, "no PEM here"), tls::SSLError);
    EXPECT_THROW(client.reload_verify_locations({}), std::invalid_argument);
    EXPECT_TRUE(verifies());

    // And back: the old anchors are gone, not added to.
    client.reload_verify_locations(pki().other_ca_cert());
    EXPECT_FALSE(verifies());
}

TEST(ReloadTrust, CrlsReloadWithTheAnchors) {
    tls::Context server = server_with(pki().revoked());
    tls::Context client = feature::client_context();
    client.set_verify_flags(tls::VerifyFlags::VERIFY_X509_STRICT |
                            tls::VerifyFlags::VERIFY_CRL_CHECK_LEAF);
    client.reload_verify_locations(pki().ca_cert(), {}, tls::test::read_file(pki().crl()));
    EXPECT_EQ(client.cert_store_stats().crl, 2);
    memory::Pair p = memory::make_pair(client, server);
    EXPECT_EQ(memory::handshake(p.client, p.server), tls::SSLErrc::cert_verification);
    EXPECT_EQ(p.client.object.last_error().verify_code, 23);  // X509_V_ERR_CERT_REVOKED
}

// Connections on 127.0.0.1 from `clients` threads, each recording the chain it was served, while
// the test body reloads. A server with four worker threads handshakes them.
class LoadedServer {
  public:
    LoadedServer(tls::Context context, int clients)
        : listener_(std::move(context), "127.0.0.1", 0) {
        acceptor_ = std::thread([this] { accept_loop(); });
        for (int i = 0; i < 4; ++i) {
            workers_.emplace_back([this] { work(); });
        }
        for (int i = 0; i < clients; ++i) {
            clients_.emplace_back([this] { connect_loop(); });
        }
    }
    ~LoadedServer() { stop(); }
    LoadedServer(const LoadedServer&) = delete;
    LoadedServer& operator=(const LoadedServer&) = delete;

    // The clients stop first and the acceptor only after they have all returned: a client that
    // began connecting just before stop() must still be accepted, or it waits out its timeout.
    void stop() {
        stopping_ = true;
        for (std::thread& t : clients_) {
            if (t.joinable()) {
                t.join();
            }
        }
        accepting_ = false;
        if (acceptor_.joinable()) {
            acceptor_.join();
        }
        {
            std::lock_guard<std::mutex> lock(queue_mutex_);
            drained_ = true;
        }
        queue_cv_.notify_all();
        for (std::thread& t : workers_) {
            if (t.joinable()) {
                t.join();
            }
        }
    }
    std::size_t connections() const { return connections_.load(); }
    // Starts a new phase: connections begun from now on are recorded with its number.
    void next_phase() { ++phase_; }
    // What the clients saw, in arrival order, with the phase each connection began in, and every
    // failure with its message.
    std::vector<std::vector<tls::Bytes>> chains() {
        std::lock_guard<std::mutex> lock(results_mutex_);
        return chains_;
    }
    std::vector<int> phases() {
        std::lock_guard<std::mutex> lock(results_mutex_);
        return phases_;
    }
    std::vector<std::string> failures() {
        std::lock_guard<std::mutex> lock(results_mutex_);
        return failures_;
    }

  private:
    void fail(const std::string& what) {
        std::lock_guard<std::mutex> lock(results_mutex_);
        failures_.push_back(what);
    }
    void accept_loop() {
        while (accepting_) {
            if (!tls::test::wait_readable(listener_.fileno(), std::chrono::milliseconds(50))) {
                continue;
            }
            try {
                tls::Socket socket = listener_.accept_unhandshaken();
                std::lock_guard<std::mutex> lock(queue_mutex_);
                queue_.push_back(std::move(socket));
                queue_cv_.notify_one();
            } catch (const std::exception& e) {
                fail(std::string("accept: ") + e.what());
            }
        }
    }
    void work() {
        for (;;) {
            tls::Socket socket;
            {
                std::unique_lock<std::mutex> lock(queue_mutex_);
                queue_cv_.wait(lock, [&] { return !queue_.empty() || drained_; });
                if (queue_.empty()) {
                    return;
                }
                socket = std::move(queue_.front());
                queue_.pop_front();
            }
            try {
                socket.settimeout(std::chrono::seconds(10));
                socket.do_handshake();
                socket.sendall("x");
                socket.unwrap();
            } catch (const std::exception& e) {
                fail(std::string("server: ") + e.what());
            }
        }
    }
    void connect_loop() {
        tls::Context client = feature::client_context();
        while (!stopping_) {
            const int phase = phase_.load();
            try {
                tls::Socket socket =
                    feature::connect_loopback(client, listener_.port(), "localhost");
                std::vector<tls::Bytes> chain = socket.get_unverified_chain();
                feature::read_to_end(socket);
                ++connections_;
                std::lock_guard<std::mutex> lock(results_mutex_);
                chains_.push_back(std::move(chain));
                phases_.push_back(phase);
            } catch (const std::exception& e) {
                fail(std::string("client: ") + e.what());
            }
        }
    }

    tls::Listener listener_;
    std::atomic<bool> stopping_{false};  // the clients' signal
    std::atomic<bool> accepting_{true};  // the acceptor's, cleared once the clients are gone
    std::atomic<std::size_t> connections_{0};
    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    std::deque<tls::Socket> queue_;
    bool drained_ = false;  // no connection will be queued any more
    std::mutex results_mutex_;
    std::vector<std::vector<tls::Bytes>> chains_;
    std::vector<int> phases_;
    std::atomic<int> phase_{0};
    std::vector<std::string> failures_;
    std::thread acceptor_;
    std::vector<std::thread> workers_;
    std::vector<std::thread> clients_;
};

// Waits until the clients of `server` have made `target` connections, so every reload happens
// with handshakes in flight. Bounded: a stalled server fails the test rather than hanging it.
void wait_for_connections(const LoadedServer& server, std::size_t target) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (server.connections() < target && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_GE(server.connections(), target) << "the clients stopped connecting";
}

TEST(ReloadUnderLoad, HundredReloadsWhileFourClientsConnectLoseNoHandshake) {
    const CertFiles a = pki().localhost(), b = pki().localhost_renewed();
    const std::vector<tls::Bytes> chain_a = chain_of(a).chain_der();
    const std::vector<tls::Bytes> chain_b = chain_of(b).chain_der();
    tls::Context context = server_with(a);
    LoadedServer server(context, 4);

    for (int i = 0; i < 100; ++i) {
        context.set_cert_chains({chain_of(i % 2 == 0 ? b : a)});
        wait_for_connections(server, server.connections() + 2);
    }
    // The last good reload was `a`; a broken file under the same load fails to load, every
    // time, and the server keeps serving `a`.
    feature::TempDir dir;
    const std::string broken = dir.path("broken.pem");
    feature::write_file(broken, tls::test::read_file(a.chain).substr(0, 300));
    server.next_phase();  // connections begun from here on were all made after the last good reload
    int refused = 0;
    for (int i = 0; i < 100; ++i) {
        try {
            context.set_cert_chains({tls::CertChain::load(broken, a.key)});
        } catch (const tls::SSLError&) {
            ++refused;
        }
        wait_for_connections(server, server.connections() + 1);
    }
    server.stop();

    EXPECT_EQ(refused, 100);
    EXPECT_EQ(server.failures(), std::vector<std::string>{});
    std::vector<std::vector<tls::Bytes>> chains = server.chains();
    std::size_t saw_a = 0, saw_b = 0;
    for (const auto& chain : chains) {
        if (chain == chain_a) {
            ++saw_a;
        } else if (chain == chain_b) {
            ++saw_b;
        } else {
            ADD_FAILURE() << "a connection was served a chain that is neither the old nor the new";
        }
    }
    EXPECT_GT(saw_a, 50U);
    EXPECT_GT(saw_b, 50U);
    const std::vector<int> phases = server.phases();
    std::size_t after_broken = 0;
    for (std::size_t i = 0; i < chains.size(); ++i) {
        if (phases[i] == 1) {
            ++after_broken;
            EXPECT_EQ(chains[i], chain_a) << "connection " << i << " during the broken reloads";
        }
    }
    EXPECT_GE(after_broken, 100U);
    std::printf(
        "[ figures  ] %zu connections during 100 reloads and 100 refused ones: %zu old, "
        "%zu new, %zu failed\n",
        chains.size(), saw_a, saw_b, server.failures().size());
}

TEST(ReloadMemory, FlatOverTenThousandReloads) {
    const CertFiles a = pki().localhost(), b = pki().localhost_renewed();
    tls::Context context = server_with(a);
    const tls::CertChain loaded_a = chain_of(a), loaded_b = chain_of(b);
    // Every reload swaps; every tenth also loads from the files (OpenSSL 3.0's key decoders take
    // ~1.5 ms a key, so loading all 10,000 would make this the suite's slowest test).
    auto reload_and_serve = [&](int reloads) {
        for (int i = 0; i < reloads; ++i) {
            const bool to_b = i % 2 == 0;
            context.set_cert_chains(
                {i % 10 < 2 ? chain_of(to_b ? b : a) : (to_b ? loaded_b : loaded_a)});
            if (i % 1000 == 999) {
                EXPECT_FALSE(served_leaf(context).empty());
            }
        }
    };
    reload_and_serve(1000);  // warm-up: OpenSSL's lazily built tables, the allocator's pools
    const std::size_t before = allocated_bytes();
    reload_and_serve(10000);
    const std::size_t after = allocated_bytes();
    const long long growth = static_cast<long long>(after) - static_cast<long long>(before);
    std::printf("[ figures  ] heap in use before %zu B, after 10000 reloads %zu B (%+lld B)\n",
                before, after, growth);
    ASSERT_GT(before, 0U) << "the allocator reports nothing: the test would prove nothing";
    // One leaked chain per reload would be ~10000 x 2 KB = 20 MB.
    EXPECT_LT(growth, 64 * 1024);
}

}  // namespace
