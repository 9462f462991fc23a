// tls::ClientSessionCache with a tlsctx server over loopback: automatic resumption through a
// context's cache, TLS 1.3 tickets handed out once and TLS 1.2 sessions reused, keys kept
// apart, LRU bound, expiry, save/load (mode 0600, corrupt and foreign files), 8 threads.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/memory_session_store.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::describe;
using tls::test::feature::client_context;
using tls::test::feature::ConnectionServer;
using tls::test::feature::read_until;
using tls::test::feature::server_context;
using tls::test::feature::TempDir;
using tls::test::feature::wrap_loopback;
using FileError = tls::ClientSessionCacheFileError;

// A tlsctx server for `count` connections that says "hello\n" (after its tickets) to each and
// records whether it resumed.
struct HelloServer {
    tls::Context context;
    tls::Listener listener;
    std::mutex mutex;
    std::vector<bool> reused;
    ConnectionServer server;

    HelloServer(tls::Context ctx, std::size_t count)
        : context(std::move(ctx)),
          listener(context, "127.0.0.1", 0),
          server(listener, count, [this](std::size_t, tls::Socket& s) {
              {
                  std::lock_guard<std::mutex> lock(mutex);
                  reused.push_back(s.session_reused());
              }
              s.sendall("hello\n");
          }) {}

    void join() {
        for (const std::exception_ptr& e : server.join()) {
            EXPECT_FALSE(e) << describe(e);
        }
    }
};

struct Outcome {
    bool reused = false;
    tls::Bytes offered_id;  // the id of the session taken from the cache (empty: none)
};

// One connection through `client` (which has a cache): records the session it offered, reads
// the greeting so TLS 1.3 tickets are in.
Outcome connect_once(const tls::Context& client, std::uint16_t port,
                     const std::string& host = "localhost") {
    tls::Socket s = wrap_loopback(client, port, host);
    Outcome out;
    out.offered_id = s.session().id();
    s.do_handshake();
    EXPECT_EQ(read_until(s), "hello\n");
    out.reused = s.session_reused();
    s.close();
    return out;
}

tls::ClientSessionKey key_for(std::uint16_t port, std::vector<std::string> alpn = {}) {
    return tls::ClientSessionKey{"localhost", port, "localhost", std::move(alpn)};
}

tls::Context tls12_client() {
    tls::Context ctx = client_context();
    ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
    return ctx;
}

TEST(ClientSessionCacheTest, Tls13TicketsAreUsedOnceAndTheNewOnesCarryTheChainOn) {
    // One ticket per connection: the third connection resumes only with the ticket the second
    // received, since the first ticket was used up.
    tls::Context server_ctx = server_context();
    server_ctx.set_num_tickets(1);
    HelloServer server(server_ctx, 4);
    tls::ClientSessionCache cache;
    tls::Context client = client_context();
    client.set_client_session_cache(cache);
    const tls::ClientSessionKey key = key_for(server.listener.port());

    std::set<tls::Bytes> offered;
    for (int i = 0; i < 4; ++i) {
        const Outcome o = connect_once(client, server.listener.port());
        EXPECT_EQ(o.reused, i > 0) << "connection " << i;
        EXPECT_EQ(o.offered_id.empty(), i == 0) << "connection " << i;
        if (i > 0) {
            EXPECT_TRUE(offered.insert(o.offered_id).second) << "ticket reused at " << i;
        }
        EXPECT_EQ(cache.count(key), 1u) << "connection " << i;
    }
    server.join();
    EXPECT_EQ(server.reused, (std::vector<bool>{false, true, true, true}));
}

TEST(ClientSessionCacheTest, TwoTicketsPerHandshakeAreKeptAndHandedOutNewestFirst) {
    HelloServer server(server_context(), 2);  // num_tickets defaults to 2
    tls::ClientSessionCache cache;
    tls::Context client = client_context();
    client.set_client_session_cache(cache);
    const tls::ClientSessionKey key = key_for(server.listener.port());
    EXPECT_FALSE(connect_once(client, server.listener.port()).reused);
    EXPECT_EQ(cache.count(key), 2u);
    EXPECT_TRUE(connect_once(client, server.listener.port()).reused);
    // One used; OpenSSL sends a single new ticket after a resumption (two after a full one).
    EXPECT_EQ(cache.count(key), 2u);
    server.join();
    // Taken by hand: two distinct tickets, then nothing.
    std::set<tls::Bytes> ids;
    for (int i = 0; i < 2; ++i) {
        tls::Session s = cache.take(key);
        ASSERT_FALSE(s.empty());
        EXPECT_TRUE(ids.insert(s.id()).second);
    }
    EXPECT_TRUE(cache.take(key).empty());
    EXPECT_EQ(cache.size(), 0u);
}

TEST(ClientSessionCacheTest, Tls12SessionIsReusedAndStays) {
    tls::Context server_ctx = server_context();
    server_ctx.set_options(server_ctx.options() | tls::OP_NO_TICKET);
    HelloServer server(server_ctx, 3);
    tls::ClientSessionCache cache;
    tls::Context client = tls12_client();
    client.set_client_session_cache(cache);
    std::set<tls::Bytes> offered;
    for (int i = 0; i < 3; ++i) {
        const Outcome o = connect_once(client, server.listener.port());
        EXPECT_EQ(o.reused, i > 0);
        if (i > 0) {
            offered.insert(o.offered_id);
        }
    }
    EXPECT_EQ(offered.size(), 1u);  // the one session id, offered twice
    EXPECT_EQ(cache.count(key_for(server.listener.port())), 1u);
    server.join();
    EXPECT_EQ(server.reused, (std::vector<bool>{false, true, true}));
}

// A PROTOCOL_TLS context both serves and connects. Its server-side session store and its
// client session cache share OpenSSL's one new-session callback and cache mode: setting either
// (in either order) must leave the other working.
TEST(ClientSessionCacheTest, ContextThatServesAndConnectsKeepsItsSessionStoreAndItsCache) {
    const tls::test::TestPki& pki = tls::test::TestPki::get();
    const tls::test::CertFiles client_cert = pki.client();
    for (const bool cache_first : {false, true}) {
        SCOPED_TRACE(cache_first ? "client cache set first" : "session store set first");
        tls::Context both(tls::PROTOCOL_TLS);
        both.load_cert_chain(pki.localhost().chain, pki.localhost().key);
        both.load_verify_locations(pki.ca_cert());
        both.set_verify_mode(tls::CERT_REQUIRED);
        both.set_check_hostname(true);
        both.set_maximum_version(tls::TLSVersion::TLSv1_2);
        both.set_options(both.options() | tls::OP_NO_TICKET);
        auto store = std::make_shared<tls::MemorySessionStore>();
        tls::SessionStoreOptions options;
        options.fleet_key = tls::Bytes(32, 0x5a);
        options.deadline = std::chrono::milliseconds{2000};
        tls::ClientSessionCache cache;
        if (cache_first) {
            both.set_client_session_cache(cache);
            both.set_session_store(store, options);
        } else {
            both.set_session_store(store, options);
            both.set_client_session_cache(cache);
        }

        // As a client: the second connection resumes the cached session.
        {
            tls::Context plain = server_context();
            plain.set_options(plain.options() | tls::OP_NO_TICKET);
            HelloServer server(plain, 2);
            EXPECT_FALSE(connect_once(both, server.listener.port()).reused);
            EXPECT_TRUE(connect_once(both, server.listener.port()).reused);
            server.join();
            EXPECT_EQ(cache.count(key_for(server.listener.port())), 1u);
        }
        // As a server: the session of its one handshake reaches the store (written by a worker).
        {
            HelloServer server(both, 1);
            tls::Context client = tls12_client();
            client.load_cert_chain(client_cert.chain, client_cert.key);
            connect_once(client, server.listener.port());
            server.join();
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{5};
            while (store->size() == 0 && std::chrono::steady_clock::now() < give_up) {
                std::this_thread::sleep_for(std::chrono::milliseconds{1});
            }
            EXPECT_EQ(store->size(), 1u);
            EXPECT_EQ(both.session_store_stats().puts, 1u);
        }
    }
}

TEST(ClientSessionCacheTest, DifferentHostPortSniOrAlpnDoNotShare) {
    HelloServer a(server_context(), 3);
    HelloServer b(server_context(), 1);
    tls::ClientSessionCache cache;
    tls::Context client = client_context();
    client.set_client_session_cache(cache);
    EXPECT_FALSE(connect_once(client, a.listener.port()).reused);
    // Another port: nothing to offer.
    EXPECT_TRUE(connect_once(client, b.listener.port()).offered_id.empty());
    // Another name for the same port (the test certificate also covers it).
    tls::Context other_alpn = client_context();
    other_alpn.set_client_session_cache(cache);
    other_alpn.set_alpn_protocols({"h2"});
    EXPECT_TRUE(connect_once(other_alpn, a.listener.port()).offered_id.empty());
    EXPECT_EQ(cache.count(key_for(a.listener.port(), {"h2"})), 2u);
    // The same key again does share.
    EXPECT_TRUE(connect_once(client, a.listener.port()).reused);
    a.join();
    b.join();

    const tls::ClientSessionKey k = key_for(1000);
    tls::ClientSessionCache c2;
    c2.put(k, cache.take(key_for(a.listener.port())));
    tls::ClientSessionKey other_sni = k;
    other_sni.server_name = "example.com";
    tls::ClientSessionKey other_host = k;
    other_host.host = "127.0.0.1";
    EXPECT_TRUE(c2.take(other_sni).empty());
    EXPECT_TRUE(c2.take(other_host).empty());
    EXPECT_FALSE(c2.take(k).empty());
}

TEST(ClientSessionCacheTest, ObjectsUseTheCacheOnlyWithSessionCachePort) {
    HelloServer server(server_context(), 1);
    tls::ClientSessionCache cache;
    tls::Context client = client_context();
    client.set_client_session_cache(cache);
    connect_once(client, server.listener.port());
    server.join();
    const tls::ClientSessionKey key = key_for(server.listener.port());
    ASSERT_EQ(cache.count(key), 2u);
    tls::MemoryBIO in, out;
    tls::WrapOptions options = tls::WrapOptions::client("localhost");
    tls::Object without = client.wrap_bio(in, out, options);
    EXPECT_TRUE(without.session().empty());
    EXPECT_EQ(cache.count(key), 2u);
    options.session_cache_port = server.listener.port();
    tls::Object with = client.wrap_bio(in, out, options);
    EXPECT_FALSE(with.session().empty());
    EXPECT_EQ(cache.count(key), 1u);
}

TEST(ClientSessionCacheTest, UnverifiedConnectionsAndServerContextsStayOut) {
    EXPECT_THROW(
        tls::Context(tls::PROTOCOL_TLS_SERVER).set_client_session_cache(tls::ClientSessionCache()),
        std::invalid_argument);
    EXPECT_THROW(tls::ClientSessionCache(0), std::invalid_argument);
    HelloServer server(server_context(), 1);
    tls::ClientSessionCache cache;
    tls::Context client = client_context();
    client.dangerous().disable_verification();
    client.set_client_session_cache(cache);
    connect_once(client, server.listener.port());
    server.join();
    EXPECT_EQ(cache.size(), 0u);
}

// Sessions from real handshakes, to feed the cache by hand.
std::vector<tls::Session> real_sessions(const tls::Context& client, std::size_t connections) {
    HelloServer server(server_context(), connections);
    tls::ClientSessionCache cache;
    tls::Context c = client;
    c.set_client_session_cache(cache);
    std::vector<tls::Session> out;
    for (std::size_t i = 0; i < connections; ++i) {
        connect_once(c, server.listener.port());
        const tls::ClientSessionKey key = key_for(server.listener.port());
        while (cache.count(key) > 0) {
            tls::Session s = cache.take(key);
            out.push_back(s);
            if (SSL_SESSION_get_protocol_version(static_cast<SSL_SESSION*>(s.native_handle())) !=
                TLS1_3_VERSION) {
                break;  // a TLS 1.2 session stays in the cache: take it once
            }
        }
    }
    server.join();
    return out;
}

TEST(ClientSessionCacheTest, LeastRecentlyUsedKeyIsDroppedFirst) {
    std::vector<tls::Session> sessions = real_sessions(client_context(), 1);
    ASSERT_EQ(sessions.size(), 2u);
    tls::ClientSessionCache cache(2);
    cache.put(key_for(1), sessions[0]);
    cache.put(key_for(2), sessions[0]);
    cache.put(key_for(1), sessions[1]);  // key 1 is now the most recently used
    EXPECT_EQ(cache.count(key_for(1)), 2u);
    cache.put(key_for(3), sessions[1]);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.count(key_for(2)), 0u);
    EXPECT_EQ(cache.count(key_for(1)), 2u);
    EXPECT_EQ(cache.count(key_for(3)), 1u);
}

TEST(ClientSessionCacheTest, ExpiredSessionsAreNeverHandedOutSavedOrLoaded) {
    std::vector<tls::Session> sessions = real_sessions(client_context(), 1);
    ASSERT_EQ(sessions.size(), 2u);
    tls::ClientSessionCache cache;
    cache.put(key_for(1), sessions[0]);
    cache.put(key_for(2), sessions[1]);
    EXPECT_EQ(cache.size(), 2u);
    // Ten minutes ago with a 60 s lifetime: over.
    auto* s = static_cast<SSL_SESSION*>(sessions[1].native_handle());
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
    SSL_SESSION_set_time_ex(s, std::time(nullptr) - 600);
#else
    SSL_SESSION_set_time(s, static_cast<long>(std::time(nullptr) - 600));
#endif
    SSL_SESSION_set_timeout(s, 60);
    EXPECT_EQ(cache.count(key_for(2)), 0u);
    EXPECT_TRUE(cache.take(key_for(2)).empty());
    cache.put(key_for(3), sessions[1]);  // refused as it comes in
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_FALSE(cache.take(key_for(1)).empty());
}

TEST(ClientSessionCacheTest, SaveLoadRoundTripWithPrivateModeAndResumes) {
    HelloServer server(server_context(), 2);
    TempDir dir;
    const std::string path = dir.path("sessions.bin");
    const tls::ClientSessionKey key = key_for(server.listener.port());
    {
        tls::ClientSessionCache cache;
        tls::Context client = client_context();
        client.set_client_session_cache(cache);
        EXPECT_FALSE(connect_once(client, server.listener.port()).reused);
        cache.save(path);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    tls::ClientSessionCache loaded;
    loaded.load(path);
    EXPECT_EQ(loaded.count(key), 2u);
    tls::Context client = client_context();
    client.set_client_session_cache(loaded);
    EXPECT_TRUE(connect_once(client, server.listener.port()).reused);
    server.join();
    // A second save replaces the file (rename), leaving no temporary files behind.
    loaded.save(path);
    loaded.save(path);
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path(""))) {
        (void)e;
        ++files;
    }
    EXPECT_EQ(files, 1u);
}

TEST(ClientSessionCacheTest, CorruptForeignOrMissingFilesAreTypedErrorsAndChangeNothing) {
    std::vector<tls::Session> sessions = real_sessions(client_context(), 1);
    ASSERT_FALSE(sessions.empty());
    TempDir dir;
    const std::string good = dir.path("good.bin");
    tls::ClientSessionCache source;
    source.put(key_for(7), sessions[0]);
    source.save(good);
    const std::string bytes = tls::test::read_file(good);

    tls::ClientSessionCache cache;
    cache.put(key_for(9), sessions.back());
    auto expect_refused = [&](const std::string& content, FileError::Reason reason) {
        const std::string path = dir.path("bad.bin");
        tls::test::feature::write_file(path, content);
        try {
            cache.load(path);
            ADD_FAILURE() << "loaded a bad file";
        } catch (const FileError& e) {
            EXPECT_EQ(e.reason(), reason) << e.what();
        }
        EXPECT_EQ(cache.size(), 1u);
        EXPECT_EQ(cache.count(key_for(7)), 0u);
    };
    expect_refused("-----BEGIN CERTIFICATE-----\nnot a cache\n",
                   FileError::Reason::not_a_cache_file);
    expect_refused("", FileError::Reason::not_a_cache_file);
    std::string newer = bytes;
    newer[11] = 2;  // version 2
    expect_refused(newer, FileError::Reason::unsupported_version);
    expect_refused(bytes.substr(0, bytes.size() - 1), FileError::Reason::corrupt);
    std::string flipped = bytes;
    flipped[bytes.size() / 2] = static_cast<char>(flipped[bytes.size() / 2] ^ 1);
    expect_refused(flipped, FileError::Reason::corrupt);
    expect_refused(bytes.substr(0, 20), FileError::Reason::corrupt);
    try {
        cache.load(dir.path("missing.bin"));
        ADD_FAILURE() << "loaded a missing file";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    }
    cache.load(good);
    EXPECT_EQ(cache.count(key_for(7)), 1u);
}

TEST(ClientSessionCacheTest, EightThreadsShareOneCacheAndNoTicketIsOfferedTwice) {
    constexpr std::size_t kThreads = 8;
    constexpr std::size_t kPerThread = 6;
    tls::Context server_ctx = server_context();
    tls::Listener listener(server_ctx, "127.0.0.1", 0);
    std::atomic<std::size_t> server_resumed{0};
    std::exception_ptr server_error;
    std::thread server([&] {
        try {
            for (std::size_t i = 0; i < kThreads * kPerThread; ++i) {
                tls::Socket s = listener.accept(std::chrono::seconds(20));
                s.settimeout(std::chrono::seconds(20));
                server_resumed += s.session_reused() ? 1 : 0;
                s.sendall("hello\n");
                s.close();
            }
        } catch (...) {
            server_error = std::current_exception();
        }
    });
    tls::ClientSessionCache cache;
    std::mutex mutex;
    std::vector<tls::Bytes> offered;
    std::atomic<std::size_t> client_resumed{0};
    std::vector<std::thread> clients;
    std::vector<std::exception_ptr> client_errors(kThreads);
    for (std::size_t t = 0; t < kThreads; ++t) {
        clients.emplace_back([&, t] {
            try {
                tls::Context client = client_context();  // a context per thread, one cache
                client.set_client_session_cache(cache);
                for (std::size_t i = 0; i < kPerThread; ++i) {
                    const Outcome o = connect_once(client, listener.port());
                    client_resumed += o.reused ? 1 : 0;
                    if (!o.offered_id.empty()) {
                        std::lock_guard<std::mutex> lock(mutex);
                        offered.push_back(o.offered_id);
                    }
                }
            } catch (...) {
                client_errors[t] = std::current_exception();
            }
        });
    }
    for (std::thread& c : clients) {
        c.join();
    }
    server.join();
    for (const auto& e : client_errors) {
        EXPECT_FALSE(e) << describe(e);
    }
    EXPECT_FALSE(server_error) << describe(server_error);
    // Each handshake leaves two tickets and takes one, so most connections find one; a thread
    // may find the pool empty while the others hold what it had.
    EXPECT_GE(client_resumed.load(), kThreads * kPerThread / 2);
    EXPECT_EQ(client_resumed.load(), server_resumed.load());
    EXPECT_EQ(std::set<tls::Bytes>(offered.begin(), offered.end()).size(), offered.size());
    EXPECT_LE(cache.count(key_for(listener.port())), tls::ClientSessionCache::kMaxTicketsPerKey);
}

}  // namespace
