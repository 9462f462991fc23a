// tlsctx_bench_memory — live heap per established idle connection, peak heap during a handshake,
// and heap per context: tlsctx against raw OpenSSL (scenario 4 of issue 7).
//
// Every OpenSSL allocation is counted through CRYPTO_set_mem_functions (installed first thing in
// main, before OpenSSL allocates anything) and every C++ allocation through replaced global
// operator new/delete, so the wrapper's own objects (Engine, strings, shared state) are included.
// Each allocation is tagged with the end (client or server) whose call made it, so bytes are
// charged to the end that owns them even when the other end's call frees them.
//
// Usage: tlsctx_bench_memory [CONNECTIONS=1000]. Prints JSON on stdout. Connections use the
// tls13_ecdsa scenario (TLS 1.3, ECDSA P-256, X25519) over two transports: a socketpair
// (tls::Socket vs SSL_set_fd) and per-end memory BIOs (tls::Object + MemoryBIO vs BIO_s_mem),
// non-blocking, pumped on one thread. raw = with SSL_MODE_RELEASE_BUFFERS (tlsctx's default);
// raw_norelease = OpenSSL's own default.
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "counted_heap.hpp"
#include "harness.hpp"

namespace {

// ---- who allocates: the hooks of counted_heap.hpp --------------------------------------------

enum Owner : int { kOther = 0, kClient = 1, kServer = 2 };
// The measurement is single-threaded; plain counters are enough.
long long g_live[2][3];
long long g_total[3];        // both kinds
long long g_window_peak[3];  // highest g_total since reset_window
int g_owner = kOther;

}  // namespace

int counted_heap::current_owner() noexcept {
    return g_owner;
}

void counted_heap::account(int kind, int owner, long long delta) noexcept {
    g_live[kind][owner] += delta;
    g_total[owner] += delta;
    if (g_total[owner] > g_window_peak[owner]) {
        g_window_peak[owner] = g_total[owner];
    }
}

namespace {

using bench::Config;

// Runs `fn` with allocations charged to `owner`.
template <typename Fn>
auto as(int owner, Fn&& fn) {
    const int previous = g_owner;
    g_owner = owner;
    struct Restore {
        int value;
        ~Restore() { g_owner = value; }
    } restore{previous};
    return fn();
}

void reset_window() {
    for (int o = 0; o < 3; ++o) {
        g_window_peak[o] = g_total[o];
    }
}

// ---- the four kinds of connection --------------------------------------------------------------
// Each: a constructor that creates both ends (client end charged to the client, server end to
// the server) and establishes the connection, pumping on one thread; a destructor.

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

template <typename Step>
void pump(Step&& client_step, Step&& server_step) {
    bool client_done = false;
    bool server_done = false;
    while (!client_done || !server_done) {
        if (!client_done) {
            client_done = as(kClient, client_step);
        }
        if (!server_done) {
            server_done = as(kServer, server_step);
        }
    }
}

struct TlsctxSocketConn {
    int fds[2] = {-1, -1};
    tls::Socket client;
    tls::Socket server;
    explicit TlsctxSocketConn(bench::TlsctxEnv& env) {
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
            bench::die("socketpair");
        }
        set_nonblocking(fds[0]);
        set_nonblocking(fds[1]);
        tls::WrapOptions copts = env.client_options;
        tls::WrapOptions sopts = env.server_options;
        copts.do_handshake_on_connect = false;
        sopts.do_handshake_on_connect = false;
        client = as(kClient, [&] {
            return env.client.wrap_socket(fds[0], tls::FdOwnership::borrow, copts);
        });
        server = as(kServer, [&] {
            return env.server.wrap_socket(fds[1], tls::FdOwnership::borrow, sopts);
        });
        auto step = [](tls::Socket& s) {
            return [&s] {
                std::error_code ec;
                s.do_handshake(ec);
                if (ec && ec != tls::SSLErrc::want_read && ec != tls::SSLErrc::want_write) {
                    bench::die(s.last_error().message.c_str());
                }
                return !ec;
            };
        };
        std::function<bool()> c = step(client);
        std::function<bool()> s = step(server);
        pump(c, s);
    }
    void client_read() {
        char buffer[256];
        std::error_code ec;
        (void)client.read(buffer, sizeof buffer, ec);
        if (ec != tls::SSLErrc::want_read) {
            bench::die("tlsctx socket: expected want_read");
        }
    }
    ~TlsctxSocketConn() {
        as(kClient, [&] { return client = tls::Socket(), 0; });
        as(kServer, [&] { return server = tls::Socket(), 0; });
        ::close(fds[0]);
        ::close(fds[1]);
    }
};

struct RawSocketConn {
    int fds[2] = {-1, -1};
    SSL* client = nullptr;
    SSL* server = nullptr;
    explicit RawSocketConn(bench::RawEnv& env) {
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
            bench::die("socketpair");
        }
        set_nonblocking(fds[0]);
        set_nonblocking(fds[1]);
        client = as(kClient, [&] {
            SSL* ssl = env.new_client();
            SSL_set_fd(ssl, fds[0]);
            return ssl;
        });
        server = as(kServer, [&] {
            SSL* ssl = env.new_server();
            SSL_set_fd(ssl, fds[1]);
            return ssl;
        });
        auto step = [](SSL* ssl) {
            return [ssl] {
                int r = SSL_do_handshake(ssl);
                if (r == 1) {
                    return true;
                }
                int e = SSL_get_error(ssl, r);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
                    bench::die("raw socket handshake");
                }
                return false;
            };
        };
        std::function<bool()> c = step(client);
        std::function<bool()> s = step(server);
        pump(c, s);
    }
    void client_read() {
        char buffer[256];
        std::size_t n = 0;
        if (SSL_read_ex(client, buffer, sizeof buffer, &n) == 1 ||
            SSL_get_error(client, 0) != SSL_ERROR_WANT_READ) {
            bench::die("raw socket: expected want_read");
        }
    }
    ~RawSocketConn() {
        as(kClient, [&] { return SSL_free(client), 0; });
        as(kServer, [&] { return SSL_free(server), 0; });
        ::close(fds[0]);
        ::close(fds[1]);
    }
};

// Memory BIOs: each end has its own incoming/outgoing pair, as an application's transport would;
// the harness moves bytes between them like a network.
struct TlsctxMembioEnd {
    tls::MemoryBIO in;
    tls::MemoryBIO out;
    tls::Object object;
};

void move_bytes(tls::MemoryBIO& from, tls::MemoryBIO& to, int to_owner) {
    char buffer[16384 + 512];
    for (;;) {
        std::size_t n = from.read(buffer, sizeof buffer);
        if (n == 0) {
            return;
        }
        as(to_owner, [&] { return to.write(buffer, n); });
    }
}

struct TlsctxMembioConn {
    std::unique_ptr<TlsctxMembioEnd> client;
    std::unique_ptr<TlsctxMembioEnd> server;
    explicit TlsctxMembioConn(bench::TlsctxEnv& env) {
        client = as(kClient, [&] {
            auto end = std::make_unique<TlsctxMembioEnd>();
            end->object = env.client.wrap_bio(end->in, end->out, env.client_options);
            return end;
        });
        server = as(kServer, [&] {
            auto end = std::make_unique<TlsctxMembioEnd>();
            end->object = env.server.wrap_bio(end->in, end->out, env.server_options);
            return end;
        });
        auto step = [](TlsctxMembioEnd& e) {
            return [&e] {
                std::error_code ec;
                e.object.do_handshake(ec);
                if (ec && ec != tls::SSLErrc::want_read) {
                    bench::die(e.object.last_error().message.c_str());
                }
                return !ec;
            };
        };
        bool client_done = false;
        bool server_done = false;
        auto cs = step(*client);
        auto ss = step(*server);
        while (!client_done || !server_done) {
            if (!client_done) {
                client_done = as(kClient, cs);
            }
            move_bytes(client->out, server->in, kServer);
            if (!server_done) {
                server_done = as(kServer, ss);
            }
            move_bytes(server->out, client->in, kClient);
        }
    }
    void client_read() { bench::tlsctx_read_pending(client->object); }
    ~TlsctxMembioConn() {
        as(kClient, [&] { return client.reset(), 0; });
        as(kServer, [&] { return server.reset(), 0; });
    }
};

struct RawMembioEnd {
    SSL* ssl = nullptr;
    BIO* in = nullptr;  // borrowed: the SSL owns the references
    BIO* out = nullptr;
    ~RawMembioEnd() { SSL_free(ssl); }
};

void move_bytes(BIO* from, BIO* to, int to_owner) {
    char buffer[16384 + 512];
    for (;;) {
        int n = BIO_read(from, buffer, sizeof buffer);
        if (n <= 0) {
            return;
        }
        as(to_owner, [&] { return BIO_write(to, buffer, n); });
    }
}

std::unique_ptr<RawMembioEnd> raw_membio_end(SSL* ssl) {
    auto end = std::make_unique<RawMembioEnd>();
    end->ssl = ssl;
    end->in = BIO_new(BIO_s_mem());
    end->out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(end->in, -1);
    BIO_set_mem_eof_return(end->out, -1);
    SSL_set_bio(ssl, end->in, end->out);
    return end;
}

struct RawMembioConn {
    std::unique_ptr<RawMembioEnd> client;
    std::unique_ptr<RawMembioEnd> server;
    explicit RawMembioConn(bench::RawEnv& env) {
        client = as(kClient, [&] { return raw_membio_end(env.new_client()); });
        server = as(kServer, [&] { return raw_membio_end(env.new_server()); });
        auto step = [](SSL* ssl) {
            return [ssl] {
                int r = SSL_do_handshake(ssl);
                if (r == 1) {
                    return true;
                }
                if (SSL_get_error(ssl, r) != SSL_ERROR_WANT_READ) {
                    bench::die("raw membio handshake");
                }
                return false;
            };
        };
        bool client_done = false;
        bool server_done = false;
        auto cs = step(client->ssl);
        auto ss = step(server->ssl);
        while (!client_done || !server_done) {
            if (!client_done) {
                client_done = as(kClient, cs);
            }
            move_bytes(client->out, server->in, kServer);
            if (!server_done) {
                server_done = as(kServer, ss);
            }
            move_bytes(server->out, client->in, kClient);
        }
    }
    void client_read() { bench::raw_read_pending(client->ssl); }
    ~RawMembioConn() {
        as(kClient, [&] { return client.reset(), 0; });
        as(kServer, [&] { return server.reset(), 0; });
    }
};

// ---- measurement -------------------------------------------------------------------------------

struct EndResult {
    double idle_openssl = 0;  // bytes per connection, right after the handshake
    double idle_cxx = 0;
    double reading_openssl = 0;  // after the client has read once more (waits in SSL_read)
    double reading_cxx = 0;
    double peak_median = 0;  // bytes, from the start of the connection
    double peak_max = 0;
};

struct ConnResult {
    std::string name;
    EndResult client;
    EndResult server;
    long long leaked = 0;  // bytes left after destroying every connection (should be 0)
};

double median(std::vector<long long> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : static_cast<double>(v[v.size() / 2]);
}

template <typename Conn, typename Env>
ConnResult measure(const char* name, bool release_buffers, int count) {
    Config config = bench::named_config("tls13_ecdsa");
    config.release_buffers = release_buffers;
    Env env(config);
    // Warm-up: OpenSSL's lazy global and per-thread state is allocated once, not per connection.
    for (int i = 0; i < 8; ++i) {
        Conn warm(env);
        as(kClient, [&] { return warm.client_read(), 0; });
    }
    std::vector<std::unique_ptr<Conn>> conns;
    conns.reserve(static_cast<std::size_t>(count));
    long long base[2][3];
    std::copy(&g_live[0][0], &g_live[0][0] + 6, &base[0][0]);
    const long long base_total = g_total[kClient] + g_total[kServer];
    std::vector<long long> peaks[3];
    for (int i = 0; i < count; ++i) {
        const long long start_client = g_total[kClient];
        const long long start_server = g_total[kServer];
        reset_window();
        conns.push_back(std::make_unique<Conn>(env));
        peaks[kClient].push_back(g_window_peak[kClient] - start_client);
        peaks[kServer].push_back(g_window_peak[kServer] - start_server);
    }
    ConnResult r;
    r.name = name;
    auto per_conn = [&](int kind, int owner) {
        return static_cast<double>(g_live[kind][owner] - base[kind][owner]) / count;
    };
    auto fill = [&](EndResult& e, int owner) {
        e.idle_openssl = per_conn(counted_heap::kOpenssl, owner);
        e.idle_cxx = per_conn(counted_heap::kCxx, owner);
        e.peak_median = median(peaks[owner]);
        e.peak_max =
            static_cast<double>(*std::max_element(peaks[owner].begin(), peaks[owner].end()));
    };
    fill(r.client, kClient);
    fill(r.server, kServer);
    // Then every client reads (TLS 1.3: processes the tickets) and is left waiting for data.
    for (auto& c : conns) {
        as(kClient, [&] { return c->client_read(), 0; });
    }
    r.client.reading_openssl = per_conn(counted_heap::kOpenssl, kClient);
    r.client.reading_cxx = per_conn(counted_heap::kCxx, kClient);
    r.server.reading_openssl = per_conn(counted_heap::kOpenssl, kServer);
    r.server.reading_cxx = per_conn(counted_heap::kCxx, kServer);
    conns.clear();
    r.leaked = g_total[kClient] + g_total[kServer] - base_total;
    return r;
}

struct CtxResult {
    double client = 0;
    double server = 0;
};

template <typename MakeClient, typename MakeServer, typename Free>
CtxResult measure_contexts(MakeClient&& make_client, MakeServer&& make_server, Free&& free_one) {
    constexpr int kCount = 16;
    Config config = bench::named_config("tls13_ecdsa");
    free_one(make_client(config));  // warm-up
    free_one(make_server(config));
    CtxResult r;
    using Handle = decltype(make_client(config));
    std::vector<Handle> keep;
    keep.reserve(2 * kCount);
    long long before = g_total[kOther];
    for (int i = 0; i < kCount; ++i) {
        keep.push_back(make_client(config));
    }
    r.client = static_cast<double>(g_total[kOther] - before) / kCount;
    before = g_total[kOther];
    for (int i = 0; i < kCount; ++i) {
        keep.push_back(make_server(config));
    }
    r.server = static_cast<double>(g_total[kOther] - before) / kCount;
    for (auto& h : keep) {
        free_one(std::move(h));
    }
    return r;
}

void print_end(const char* key, const EndResult& e, bool last) {
    std::printf(
        "      \"%s\": {\"idle_openssl\": %.1f, \"idle_cxx\": %.1f, \"idle_total\": %.1f, "
        "\"reading_openssl\": %.1f, \"reading_cxx\": %.1f, \"reading_total\": %.1f, "
        "\"peak_median\": %.0f, \"peak_max\": %.0f}%s\n",
        key, e.idle_openssl, e.idle_cxx, e.idle_openssl + e.idle_cxx, e.reading_openssl,
        e.reading_cxx, e.reading_openssl + e.reading_cxx, e.peak_median, e.peak_max,
        last ? "" : ",");
}

}  // namespace

int main(int argc, char** argv) {
    // Must come before anything makes OpenSSL allocate.
    if (CRYPTO_set_mem_functions(counted_heap::ossl_malloc, counted_heap::ossl_realloc,
                                 counted_heap::ossl_free) != 1) {
        std::fprintf(stderr, "CRYPTO_set_mem_functions failed: OpenSSL allocated already\n");
        return 1;
    }
    const int count = argc > 1 ? std::atoi(argv[1]) : 1000;
    bench::pki(bench::Key::ecdsa_p256);

    std::vector<ConnResult> results;
    results.push_back(measure<TlsctxSocketConn, bench::TlsctxEnv>("socket/tlsctx", true, count));
    results.push_back(measure<RawSocketConn, bench::RawEnv>("socket/raw", true, count));
    results.push_back(measure<RawSocketConn, bench::RawEnv>("socket/raw_norelease", false, count));
    results.push_back(measure<TlsctxMembioConn, bench::TlsctxEnv>("membio/tlsctx", true, count));
    results.push_back(measure<RawMembioConn, bench::RawEnv>("membio/raw", true, count));
    results.push_back(measure<RawMembioConn, bench::RawEnv>("membio/raw_norelease", false, count));

    CtxResult tctx = measure_contexts(
        [](const Config& c) { return bench::tlsctx_client_context(c); },
        [](const Config& c) { return bench::tlsctx_server_context(c); }, [](tls::Context) {});
    CtxResult rctx = measure_contexts([](const Config& c) { return bench::raw_client_context(c); },
                                      [](const Config& c) { return bench::raw_server_context(c); },
                                      [](SSL_CTX* p) { SSL_CTX_free(p); });

    std::printf("{\n  \"connections\": %d,\n  \"connection\": {\n", count);
    for (std::size_t i = 0; i < results.size(); ++i) {
        const ConnResult& r = results[i];
        std::printf("    \"%s\": {\n", r.name.c_str());
        print_end("client", r.client, false);
        print_end("server", r.server, false);
        std::printf("      \"leaked\": %lld\n    }%s\n", r.leaked,
                    i + 1 < results.size() ? "," : "");
    }
    std::printf("  },\n  \"context\": {\n");
    std::printf("    \"tlsctx\": {\"client\": %.0f, \"server\": %.0f},\n", tctx.client,
                tctx.server);
    std::printf("    \"raw\": {\"client\": %.0f, \"server\": %.0f}\n", rctx.client, rctx.server);
    std::printf("  }\n}\n");
    return 0;
}
