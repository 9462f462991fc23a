// tlsctx_bench_instr — a fixed amount of work for callgrind, which counts instructions exactly
// where wall-clock timings on a busy machine cannot:
//
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=tlsctx_bench_measured
//            tlsctx_bench_instr GROUP NAME SIDE COUNT
//
// GROUP NAME: handshake {tls13_ecdsa,tls13_rsa,tls12_rsa} | resume {tls13_ticket,tls12_session_id}
//             | records {bulk16k,small64}  (records: one write + one read over memory BIOs,
//             AES-128)
// SIDE: tlsctx | tlsctx_reloaded | tlsctx_web_pki | raw | raw_norelease | raw_clear | raw_peek
// (tlsctx_reloaded: the server context's chain republished with set_cert_chains, so every
// connection takes the live-reload path; tlsctx_web_pki: the client verifies with
// VerifyProfile::web_pki, whose cost is the difference to tlsctx; raw_clear / raw_peek: raw with
// ERR_clear_error before every SSL call / with clear-only-if-ERR_peek_error before it). Set-up
// (contexts, key loading, a warm-up) runs outside tlsctx_bench_measured, so the counts are per
// COUNT iterations of the scenario alone.
#include <openssl/ssl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"

// callgrind toggles collection on entry and exit of this symbol, so it must exist under exactly
// this name: not inlined, not cloned (GCC's noclone; clang does not clone extern functions).
#if defined(__clang__)
#define TLSCTX_BENCH_NOCLONE
#else
#define TLSCTX_BENCH_NOCLONE , noclone
#endif
extern "C" __attribute__((noinline, used TLSCTX_BENCH_NOCLONE)) void tlsctx_bench_measured(
    void (*fn)(void*), void* arg, long count) {
    for (long i = 0; i < count; ++i) {
        fn(arg);
    }
    asm volatile("" ::: "memory");
}

namespace {

using bench::Config;

// One write of `size` bytes by the client and one read by the server, on an open connection.
template <typename Pair>
struct Records {
    Pair pair;
    std::vector<char> data;
    std::vector<char> buffer;
    Records(const Config& config, std::size_t size) : pair(config), data(size, 'x'), buffer(size) {}
    static void step(void* arg) {
        auto* self = static_cast<Records*>(arg);
        self->pair.transfer(self->data.data(), self->buffer.data(), self->data.size());
    }
};

template <typename Env>
struct Connections {
    Env env;
    bool resume;
    Connections(const Config& config, bool r) : env(config), resume(r) {
        if (resume) {
            env.capture_session();
        }
    }
    static void step(void* arg) {
        auto* self = static_cast<Connections*>(arg);
        if (self->env.connect_once() != self->resume) {
            bench::die("resumption did not go as expected");
        }
    }
};

// A tlsctx pair whose server context has been reloaded once (with the chain it had): what every
// connection costs after a certificate renewal (docs/server.md).
struct ReloadedTlsctxEnv : bench::TlsctxEnv {
    explicit ReloadedTlsctxEnv(const Config& config) : bench::TlsctxEnv(config) {
        server.set_cert_chains(server.cert_chains());
    }
};

// A tlsctx pair whose client verifies the server under the web-PKI profile.
struct WebPkiTlsctxEnv : bench::TlsctxEnv {
    explicit WebPkiTlsctxEnv(const Config& config) : bench::TlsctxEnv(config) {
        client.set_verify_profile(tls::VerifyProfile::web_pki);
    }
};

template <typename T>
int run(T& fixture, long count) {
    T::step(&fixture);  // warm-up: lazy initialisation stays out of the counts
    T::step(&fixture);
    tlsctx_bench_measured(&T::step, &fixture, count);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s GROUP NAME SIDE COUNT (see the source)\n", argv[0]);
        return 2;
    }
    const std::string group = argv[1];
    const std::string name = argv[2];
    const std::string side = argv[3];
    const long count = std::atol(argv[4]);
    const bool reloaded = side == "tlsctx_reloaded";
    const bool web_pki = side == "tlsctx_web_pki";
    const bool tlsctx = side == "tlsctx" || reloaded || web_pki;
    if (!tlsctx && side != "raw" && side != "raw_norelease" && side != "raw_clear" &&
        side != "raw_peek") {
        bench::die(
            "SIDE must be tlsctx, tlsctx_reloaded, tlsctx_web_pki, raw, raw_norelease, raw_clear "
            "or raw_peek");
    }
    const char* suffix = side == "raw_clear" ? ":clear" : side == "raw_peek" ? ":peek" : "";
    if (group == "handshake" || group == "resume") {
        Config config = bench::named_config(name + suffix);
        config.release_buffers = side != "raw_norelease";
        const bool resume = group == "resume";
        if (reloaded) {
            Connections<ReloadedTlsctxEnv> c(config, resume);
            return run(c, count);
        }
        if (web_pki) {
            Connections<WebPkiTlsctxEnv> c(config, resume);
            return run(c, count);
        }
        if (tlsctx) {
            Connections<bench::TlsctxEnv> c(config, resume);
            return run(c, count);
        }
        Connections<bench::RawEnv> c(config, resume);
        return run(c, count);
    }
    if (group == "records") {
        Config config = bench::named_config(std::string("aes128gcm") + suffix);
        config.release_buffers = side != "raw_norelease";
        const std::size_t size = name == "small64" ? 64 : 16384;
        if (tlsctx) {
            Records<bench::TlsctxMemPair> r(config, size);
            return run(r, count);
        }
        Records<bench::RawMemPair> r(config, size);
        return run(r, count);
    }
    bench::die("GROUP must be handshake, resume or records");
}
