// tls::CertFileWatcher: a renewal on disk reaches new handshakes; a broken file changes nothing
// and is retried when it changes again; the background thread notices by itself.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/memory_pair.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::CertFiles;
namespace feature = tls::test::feature;
namespace memory = tls::test::memory;

const tls::test::TestPki& pki() {
    return tls::test::TestPki::get();
}

tls::Bytes leaf_der(const CertFiles& files) {
    return feature::der_certificates_of_file(files.cert).at(0);
}

tls::Bytes served_leaf(const tls::Context& server) {
    memory::Pair p = memory::make_pair(feature::client_context(), server);
    EXPECT_FALSE(memory::handshake(p.client, p.server)) << p.client.object.last_error().message;
    return p.client.object.getpeercert_der().value_or(tls::Bytes{});
}

// A server's chain and key files in a directory of their own, rewritten by the test.
struct ServerFiles {
    feature::TempDir dir;
    std::string chain = dir.path("chain.pem");
    std::string key = dir.path("key.pem");
    void put(const CertFiles& files) {
        feature::write_file(chain, tls::test::read_file(files.chain));
        feature::write_file(key, tls::test::read_file(files.key));
    }
};

TEST(CertFileWatcher, ReloadsWhenTheFilesChangeAndOnlyThen) {
    ServerFiles files;
    files.put(pki().localhost());
    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    server.load_cert_chain(files.chain, files.key);
    std::vector<tls::ReloadEvent> events;
    tls::CertFileWatcher::Options options;
    options.chains = {{files.chain, files.key, ""}};
    options.interval = std::chrono::milliseconds(0);
    options.on_reload = [&](const tls::ReloadEvent& e) { events.push_back(e); };
    tls::CertFileWatcher watcher(server, options);

    EXPECT_FALSE(watcher.check_now());
    EXPECT_TRUE(events.empty());

    files.put(pki().localhost_renewed());
    EXPECT_TRUE(watcher.check_now());
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_renewed()));
    ASSERT_EQ(events.size(), 1U);
    EXPECT_TRUE(events[0].reloaded);
    ASSERT_EQ(events[0].chains.size(), 1U);
    EXPECT_EQ(events[0].chains[0].chain_der()[0], leaf_der(pki().localhost_renewed()));
    EXPECT_FALSE(watcher.check_now());  // nothing moved since
}

TEST(CertFileWatcher, AHalfDoneRenewalKeepsTheOldChainUntilTheFilesAgree) {
    ServerFiles files;
    files.put(pki().localhost());
    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    server.load_cert_chain(files.chain, files.key);
    std::vector<tls::ReloadEvent> events;
    tls::CertFileWatcher::Options options;
    options.chains = {{files.chain, files.key, ""}};
    options.interval = std::chrono::milliseconds(0);
    options.on_reload = [&](const tls::ReloadEvent& e) { events.push_back(e); };
    tls::CertFileWatcher watcher(server, options);

    // The new certificate is written, its key not yet: the key does not match.
    feature::write_file(files.chain, tls::test::read_file(pki().localhost_renewed().chain));
    EXPECT_FALSE(watcher.check_now());
    ASSERT_EQ(events.size(), 1U);
    EXPECT_FALSE(events[0].reloaded);
    EXPECT_NE(events[0].message.find("does not match"), std::string::npos) << events[0].message;
    EXPECT_THROW(std::rethrow_exception(events[0].error), tls::SSLError);
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost()));
    EXPECT_FALSE(watcher.check_now());  // not retried until something changes
    EXPECT_EQ(events.size(), 1U);

    feature::write_file(files.key, tls::test::read_file(pki().localhost_renewed().key));
    EXPECT_TRUE(watcher.check_now());
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_renewed()));

    // A file that vanished is a failed reload too; the chain stays.
    std::remove(files.key.c_str());
    EXPECT_FALSE(watcher.check_now());
    EXPECT_THROW(std::rethrow_exception(events.back().error), std::system_error);
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_renewed()));
}

TEST(CertFileWatcher, TrustFilesReloadWithTheChains) {
    feature::TempDir dir;
    const std::string cafile = dir.path("ca.pem");
    feature::write_file(cafile, tls::test::read_file(pki().other_ca_cert()));
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(cafile);
    tls::CertFileWatcher::Options options;
    options.cafile = cafile;
    options.interval = std::chrono::milliseconds(0);
    tls::CertFileWatcher watcher(client, options);
    tls::Context server = feature::server_context();
    auto verifies = [&] {
        memory::Pair p = memory::make_pair(client, server);
        return !memory::handshake(p.client, p.server);
    };
    EXPECT_FALSE(verifies());
    feature::write_file(cafile, tls::test::read_file(pki().ca_cert()));
    EXPECT_TRUE(watcher.check_now());
    EXPECT_TRUE(verifies());
    EXPECT_TRUE(watcher.reload_now().reloaded);
}

TEST(CertFileWatcher, TheThreadNoticesByItself) {
    ServerFiles files;
    files.put(pki().localhost());
    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    server.load_cert_chain(files.chain, files.key);
    std::mutex mutex;
    std::condition_variable cv;
    int reloads = 0;
    tls::CertFileWatcher::Options options;
    options.chains = {{files.chain, files.key, ""}};
    options.interval = std::chrono::milliseconds(20);
    options.on_reload = [&](const tls::ReloadEvent& e) {
        std::lock_guard<std::mutex> lock(mutex);
        reloads += e.reloaded ? 1 : 0;
        cv.notify_all();
    };
    tls::CertFileWatcher watcher(server, options);
    files.put(pki().localhost_renewed());
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return reloads > 0; }));
    lock.unlock();
    EXPECT_EQ(served_leaf(server), leaf_der(pki().localhost_renewed()));
}

TEST(CertFileWatcher, RefusesNothingToWatch) {
    EXPECT_THROW(tls::CertFileWatcher(tls::Context(tls::PROTOCOL_TLS_SERVER), {}),
                 std::invalid_argument);
}

}  // namespace
