// Allocation-failure injection through Context configuration (issue 16): a server context built
// from nothing, and setters on a context that already serves, once for every allocation they
// make, failing that allocation. Each run must end in a typed exception or a fully configured
// context; a setter that failed must leave the context as it was (it still handshakes with its
// previous configuration); nothing may leak.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faults/failing_allocator.hpp"
#include "faults/injection_loop.hpp"
#include "support/memory_pair.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::faults::Paused;
using tls::test::faults::RunResult;

const tls::test::TestPki& pki() {
    return tls::test::TestPki::get();
}

// Everything the runs pass to the library, made before them: the runs' allocations are then the
// library's and OpenSSL's alone.
struct Material {
    tls::test::CertFiles ecdsa = pki().localhost();
    std::string ca_pem = tls::test::read_file(pki().ca_cert());
    tls::CertChain ecdsa_chain = tls::CertChain::load(ecdsa.chain, ecdsa.key);
    tls::CertChain renewed_chain =
        tls::CertChain::load(pki().localhost_renewed().chain, pki().localhost_renewed().key);
    std::vector<tls::CertChain> ecdsa_chains{ecdsa_chain};
    std::vector<tls::CertChain> renewed_chains{renewed_chain};
    std::vector<std::string> alpn_both{"h2", "http/1.1"};
    std::vector<std::string> alpn_h2{"h2"};
    std::vector<std::string> alpn_http11{"http/1.1"};
    tls::Bytes ecdsa_leaf = ecdsa_chain.chain_der().front();
    tls::Bytes renewed_leaf = renewed_chain.chain_der().front();
};

// TLS 1.2 clients (so cipher strings matter) trusting the test CA, offering h2 and http/1.1.
tls::Context client_context(const std::string& ciphers) {
    tls::Context c(tls::PROTOCOL_TLS_CLIENT);
    c.load_verify_cadata(tls::test::read_file(pki().ca_cert()));
    c.set_maximum_version(tls::TLSVersion::TLSv1_2);
    c.set_ciphers(ciphers);
    c.set_alpn_protocols({"h2", "http/1.1"});
    return c;
}

struct Fixture {
    Material m;
    tls::Context client = client_context("ECDHE+aECDSA+AESGCM:ECDHE+aECDSA+CHACHA20");
};

// What a handshake against the server under test showed (checks run unarmed).
struct Seen {
    bool connected = false;
    std::string cipher;
    std::string alpn;
    tls::Bytes leaf;
};

Seen connect(const tls::Context& client, const tls::Context& server) {
    tls::test::memory::Pair p = tls::test::memory::make_pair(client, server);
    Seen seen;
    seen.connected = !tls::test::memory::handshake(p.client, p.server);
    if (seen.connected) {
        seen.cipher = p.client.object.cipher()->name;
        seen.alpn = p.client.object.selected_alpn_protocol().value_or("");
        seen.leaf = p.client.object.getpeercert_der().value_or(tls::Bytes{});
    }
    return seen;
}

bool is_ecdsa_aes_gcm(const std::string& cipher) {
    return cipher.rfind("ECDHE-ECDSA-AES", 0) == 0 && cipher.find("GCM") != std::string::npos;
}

// Whether the context's TLS 1.2 suites are all what "ECDHE+AESGCM" selects. Read through
// OpenSSL: cheaper than get_ciphers(), which describes every suite, once per run.
bool only_ecdhe_aes_gcm(const tls::Context& ctx) {
    STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(static_cast<SSL_CTX*>(ctx.native_handle()));
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
        const std::string name = SSL_CIPHER_get_name(c);
        if (std::string(SSL_CIPHER_get_version(c)) != "TLSv1.3" &&
            (name.rfind("ECDHE-", 0) != 0 || name.find("GCM") == std::string::npos)) {
            return false;
        }
    }
    return sk_SSL_CIPHER_num(ciphers) > 0;
}

// --- A server context configured from nothing ---

void configure_server(const Fixture& f, RunResult& r) {
    const Material& m = f.m;
    r.phase = "Context(PROTOCOL_TLS_SERVER)";
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    r.phase = "load_cert_chain (files)";
    ctx.load_cert_chain(m.ecdsa.chain, m.ecdsa.key);
    r.phase = "load_verify_locations(cadata)";
    ctx.load_verify_cadata(m.ca_pem);
    r.phase = "set_ciphers";
    ctx.set_ciphers("ECDHE+AESGCM");
    r.phase = "set_alpn_protocols";
    ctx.set_alpn_protocols(m.alpn_both);
    r.phase = "destruction";

    // Every setter returned: the context must do all of it. Checked unarmed: the checks' own
    // allocations are not the scenario's.
    Paused paused;
    const std::vector<tls::CertChain> chains = ctx.cert_chains();
    const Seen seen = connect(f.client, ctx);
    if (!seen.connected || !is_ecdsa_aes_gcm(seen.cipher) || seen.alpn != "h2" ||
        seen.leaf != m.ecdsa_leaf) {
        r.fail_check("the configured context does not serve its chain, ciphers and ALPN");
    } else if (!only_ecdhe_aes_gcm(ctx)) {
        r.fail_check("the configured context offers ciphers set_ciphers excluded");
    } else if (chains.size() != 1 || chains.front().chain_der().size() != 2) {
        r.fail_check("the configured context lacks its chain or the chain's intermediate");
    } else if (ctx.cert_store_stats().x509 != 1) {
        r.fail_check("the configured context lacks its CA");
    }
}

TEST(ContextAllocationFailure, AServerContextIsEitherFullyConfiguredOrATypedErrorForEveryN) {
    const Fixture f;
    const std::string label = "Context configuration";
    const tls::test::faults::Summary summary =
        tls::test::faults::for_every_n(label, [&](RunResult& r) { configure_server(f, r); });
    tls::test::faults::print_summary(label, summary);
    EXPECT_GT(summary.k, 0U);
    EXPECT_EQ(summary.failures, 0U);
}

// --- Setters on a context that already serves ---

// The setters, in order; a run stops at the first that throws. Each changes something a
// handshake shows, so the check can tell which were applied.
constexpr int kSetters = 4;

void change_serving_context(const Fixture& f, RunResult& r) {
    const Material& m = f.m;
    std::optional<tls::Context> ctx;
    {
        Paused paused;  // the context as it served before: not part of the scenario
        ctx.emplace(tls::PROTOCOL_TLS_SERVER);
        ctx->set_cert_chains(m.ecdsa_chains);
        ctx->set_ciphers("ECDHE+AESGCM");
        ctx->set_alpn_protocols(m.alpn_http11);
    }
    int applied = 0;
    try {
        r.phase = "set_ciphers on a serving context";
        ctx->set_ciphers("ECDHE+CHACHA20");
        ++applied;
        r.phase = "set_alpn_protocols on a serving context";
        ctx->set_alpn_protocols(m.alpn_h2);
        ++applied;
        r.phase = "set_cert_chains on a serving context";
        ctx->set_cert_chains(m.renewed_chains);
        ++applied;
        r.phase = "load_verify_locations(cadata) on a serving context";
        ctx->load_verify_cadata(m.ca_pem);
        ++applied;
        r.phase = "destruction";
    } catch (...) {
        tls::test::faults::record_exception(r);
    }

    // The setters that returned are in force; the one that threw, and those after it, are not.
    Paused paused;
    const Seen seen = connect(f.client, *ctx);
    const bool chacha = seen.cipher.find("CHACHA20") != std::string::npos;
    if (!seen.connected) {
        r.fail_check("after the setters the context no longer handshakes");
    } else if (chacha != (applied >= 1)) {
        r.fail_check("set_ciphers is half applied: the cipher is not the one expected");
    } else if (seen.alpn != (applied >= 2 ? "h2" : "http/1.1")) {
        r.fail_check("set_alpn_protocols is half applied: the ALPN choice is not the one expected");
    } else if (seen.leaf != (applied >= 3 ? m.renewed_leaf : m.ecdsa_leaf)) {
        r.fail_check("set_cert_chains is half applied: the certificate is not the one expected");
    } else if (ctx->cert_store_stats().x509 != (applied >= 4 ? 1 : 0)) {
        r.fail_check("load_verify_locations is half applied: the store is not the one expected");
    } else if (applied < kSetters && r.ending == tls::test::faults::Ending::success) {
        r.fail_check("a setter stopped the sequence without an exception");
    }
}

TEST(ContextAllocationFailure, ASetterThatFailsLeavesTheServingContextAsItWas) {
    const Fixture f;
    const std::string label = "setters on a serving context";
    const tls::test::faults::Summary summary =
        tls::test::faults::for_every_n(label, [&](RunResult& r) { change_serving_context(f, r); });
    tls::test::faults::print_summary(label, summary);
    EXPECT_GT(summary.k, 0U);
    EXPECT_EQ(summary.failures, 0U);
}

// --- Certificates are decoded when they are loaded ---

// OpenSSL keeps a failure to decode a certificate's extensions in the X509 for good
// (tests/faults/openssl_quirks_test.cpp), so tlsctx decodes them while loading, where a failure
// is still an error of the loading call. Decoded certificates need no allocation to be asked
// again; one that was not decoded yet needs about 27.
std::uint64_t allocations_to_decode(X509* cert) {
    tls::test::faults::Armed armed(0);
    static_cast<void>(X509_check_purpose(cert, -1, 0));
    return armed.count();
}

TEST(ContextAllocationFailure, TrustAnchorsAndServerChainsAreDecodedWhenLoaded) {
    const Material m;
    const std::string ca_der_file = pki().dir() + "/faults-ca.der";
    {
        tls::Context der_source;
        der_source.load_verify_cadata(m.ca_pem);
        const tls::Bytes der = der_source.get_ca_certs_der().front();
        std::FILE* f = std::fopen(ca_der_file.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        ASSERT_EQ(std::fwrite(der.data(), 1, der.size(), f), der.size());
        std::fclose(f);
    }
    const std::vector<std::pair<const char*, std::function<void(tls::Context&)>>> loaders = {
        // Each row: how the anchor got into the context's store.
        {"cadata (PEM)", [&](tls::Context& c) { c.load_verify_cadata(m.ca_pem); }},
        {"cadata (DER)",
         [&](tls::Context& c) {
             tls::Context source;
             source.load_verify_cadata(m.ca_pem);
             c.load_verify_cadata(source.get_ca_certs_der().front());
         }},
        {"cafile (PEM)", [&](tls::Context& c) { c.load_verify_locations(pki().ca_cert()); }},
        {"cafile (DER)", [&](tls::Context& c) { c.load_verify_locations(ca_der_file); }},
    };
    for (const auto& [name, load] : loaders) {
        tls::Context client(tls::PROTOCOL_TLS_CLIENT);
        load(client);
        X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(client.native_handle()));
        STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
        ASSERT_EQ(sk_X509_OBJECT_num(objects), 1) << name;
        X509* anchor = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, 0));
        ASSERT_NE(anchor, nullptr) << name;
        EXPECT_EQ(allocations_to_decode(anchor), 0U) << name;
    }
    std::remove(ca_der_file.c_str());

    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    server.load_cert_chain(m.ecdsa.chain, m.ecdsa.key);
    auto* ctx = static_cast<SSL_CTX*>(server.native_handle());
    EXPECT_EQ(allocations_to_decode(SSL_CTX_get0_certificate(ctx)), 0U) << "the leaf";
    STACK_OF(X509)* intermediates = nullptr;
    ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx, &intermediates), 1);
    ASSERT_EQ(sk_X509_num(intermediates), 1);
    EXPECT_EQ(allocations_to_decode(sk_X509_value(intermediates, 0)), 0U) << "the intermediate";
}

}  // namespace
