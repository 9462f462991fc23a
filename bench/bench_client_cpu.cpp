// tlsctx_bench_client_cpu — the client's CPU time per full handshake, the figure a reconnecting
// client pays, for raw OpenSSL, tlsctx, and tlsctx with a tls::VerifiedChainCache (issue 18):
//
//   tlsctx_bench_client_cpu [ROUNDS [HANDSHAKES_PER_BLOCK [CONFIG]]]
//
// (default 15 rounds of 200, CONFIG tls13_ecdsa_intermediate: root -> intermediate -> leaf, the
// shape of a public-web server's chain; tls13_ecdsa: the root issues the leaf directly).
//
// Both ends run on one thread over memory BIOs (bench/harness.hpp); only the client's calls are
// timed, with the thread's CPU clock (CLOCK_THREAD_CPUTIME_ID), from creating the client
// connection to freeing it: its handshake steps, the read of the tickets, close_notify. Every
// handshake is a full TLS 1.3 ECDSA P-256 handshake (no session is offered), and the client
// verifies the server's chain and name. Each round runs one block per side, in rotating order;
// the report gives each side's median microseconds per handshake and the median of the
// per-round ratios to raw (paired, so that machine load hits all sides alike).
#include <openssl/ssl.h>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "harness.hpp"

namespace {

using bench::Config;

// Accumulates the CPU time of the calls it runs.
class ClientClock {
  public:
    template <typename Fn>
    auto operator()(Fn&& fn) {
        timespec start{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
        struct Stop {
            ClientClock& clock;
            timespec start;
            ~Stop() {
                timespec end{};
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
                clock.ns_ +=
                    (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
            }
        } stop{*this, start};
        return fn();
    }
    long long ns() const { return ns_; }

  private:
    long long ns_ = 0;
};

bool raw_step(SSL* ssl, int ret, const char* what) {
    if (ret == 1) {
        return true;
    }
    const int err = SSL_get_error(ssl, ret);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        bench::die(what);
    }
    return false;
}

void raw_handshakes(const bench::RawEnv& env, int count, ClientClock& clock) {
    for (int i = 0; i < count; ++i) {
        BIO* c2s = BIO_new(BIO_s_mem());
        BIO* s2c = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(c2s, -1);
        BIO_set_mem_eof_return(s2c, -1);
        SSL* c = clock([&] { return env.new_client(); });
        SSL* s = env.new_server();
        BIO_up_ref(c2s);
        BIO_up_ref(s2c);
        clock([&] { SSL_set_bio(c, s2c, c2s); });
        SSL_set_bio(s, c2s, s2c);
        bool client_done = false;
        bool server_done = false;
        while (!client_done || !server_done) {
            if (!client_done) {
                client_done = clock([&] { return raw_step(c, SSL_do_handshake(c), "client"); });
            }
            if (!server_done) {
                server_done = raw_step(s, SSL_do_handshake(s), "server");
            }
        }
        clock([&] {
            char buffer[256];
            std::size_t n = 0;
            if (SSL_read_ex(c, buffer, sizeof buffer, &n) == 1 ||
                SSL_get_error(c, 0) != SSL_ERROR_WANT_READ) {
                bench::die("raw read: expected want_read");
            }
        });
        client_done = false;
        server_done = false;
        while (!client_done || !server_done) {
            if (!client_done) {
                client_done = clock([&] {
                    int ret = SSL_shutdown(c);
                    if (ret == 0) {
                        ret = SSL_shutdown(c);
                    }
                    return raw_step(c, ret, "client shutdown");
                });
            }
            if (!server_done) {
                int ret = SSL_shutdown(s);
                if (ret == 0) {
                    ret = SSL_shutdown(s);
                }
                server_done = raw_step(s, ret, "server shutdown");
            }
        }
        clock([&] { SSL_free(c); });
        SSL_free(s);
    }
}

void tlsctx_handshakes(bench::TlsctxEnv& env, int count, ClientClock& clock) {
    for (int i = 0; i < count; ++i) {
        tls::MemoryBIO c2s;
        tls::MemoryBIO s2c;
        std::optional<tls::Object> c;
        clock([&] { c.emplace(env.client.wrap_bio(s2c, c2s, env.client_options)); });
        tls::Object s = env.server.wrap_bio(c2s, s2c, env.server_options);
        auto both = [&](auto&& op, const char* what) {
            bool client_done = false;
            bool server_done = false;
            while (!client_done || !server_done) {
                std::error_code ec;
                if (!client_done) {
                    clock([&] { op(*c, ec); });
                    client_done = !ec;
                    if (ec && ec != tls::SSLErrc::want_read && ec != tls::SSLErrc::want_write) {
                        bench::die(what);
                    }
                }
                if (!server_done) {
                    op(s, ec);
                    server_done = !ec;
                    if (ec && ec != tls::SSLErrc::want_read && ec != tls::SSLErrc::want_write) {
                        bench::die(what);
                    }
                }
            }
        };
        both([](tls::Object& o, std::error_code& ec) { o.do_handshake(ec); }, "tlsctx handshake");
        clock([&] {
            char buffer[256];
            std::error_code ec;
            if (c->read(buffer, sizeof buffer, ec) != 0 || ec != tls::SSLErrc::want_read) {
                bench::die("tlsctx read: expected want_read");
            }
        });
        both([](tls::Object& o, std::error_code& ec) { o.unwrap(ec); }, "tlsctx close");
        clock([&] { c.reset(); });
    }
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 15;
    const int per_block = argc > 2 ? std::atoi(argv[2]) : 200;
    if (rounds < 1 || per_block < 1) {
        std::fprintf(stderr, "usage: %s [ROUNDS [HANDSHAKES_PER_BLOCK [CONFIG]]]\n", argv[0]);
        return 2;
    }
    const std::string config_name = argc > 3 ? argv[3] : "tls13_ecdsa_intermediate";
    const Config config = bench::named_config(config_name);
    bench::RawEnv raw(config);
    bench::TlsctxEnv plain(config);
    bench::TlsctxEnv cached(config);
    const tls::VerifiedChainCache cache;
    cached.client.set_verified_chain_cache(cache);

    enum Side { kRaw, kTlsctx, kCached, kSides };
    const char* names[kSides] = {"raw OpenSSL", "tlsctx", "tlsctx + VerifiedChainCache"};
    std::vector<double> us[kSides];
    std::vector<double> ratio[kSides];
    auto run_block = [&](int side, int count) {
        ClientClock clock;
        if (side == kRaw) {
            raw_handshakes(raw, count, clock);
        } else {
            tlsctx_handshakes(side == kTlsctx ? plain : cached, count, clock);
        }
        return static_cast<double>(clock.ns()) / 1000.0 / count;
    };
    for (int side = 0; side < kSides; ++side) {
        run_block(side, 20);  // warm-up: lazy initialisation and the cache's first miss
    }
    for (int round = 0; round < rounds; ++round) {
        double block[kSides];
        for (int k = 0; k < kSides; ++k) {
            const int side = (round + k) % kSides;
            block[side] = run_block(side, per_block);
        }
        for (int side = 0; side < kSides; ++side) {
            us[side].push_back(block[side]);
            ratio[side].push_back(block[side] / block[kRaw]);
        }
    }
    std::printf("client CPU per full handshake (%s), %d rounds x %d handshakes\n",
                config_name.c_str(), rounds, per_block);
    std::printf("%-30s %12s %14s %14s\n", "side", "median us", "CPU / raw", "rate / raw");
    for (int side = 0; side < kSides; ++side) {
        const double r = median(ratio[side]);
        std::printf("%-30s %12.1f %14.3f %14.3f\n", names[side], median(us[side]), r, 1.0 / r);
    }
    const tls::VerifiedChainCacheStats stats = cache.stats();
    std::printf("cache: %llu hits, %llu misses, %zu entries\n",
                static_cast<unsigned long long>(stats.hits),
                static_cast<unsigned long long>(stats.misses), stats.entries);
    return 0;
}
