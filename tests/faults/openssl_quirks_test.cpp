// What OpenSSL itself does when one allocation fails, shown with raw OpenSSL calls and the same
// injector (docs/security.md, "Allocation-failure injection"). These tests document OpenSSL's
// behaviour for the workarounds in src/ and print what they find; they do not fail on it.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "faults/failing_allocator.hpp"
#include "ossl/handles.hpp"
#include "support/test_pki.hpp"

namespace {

using tls::test::faults::Armed;

tls::ossl::X509Ptr parse(const std::string& pem) {
    tls::ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return tls::ossl::X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// OpenSSL computes a certificate's extension data once (ossl_x509v3_cache_extensions, on the
// first X509_check_purpose, X509_get_key_usage, X509_verify_cert ...) and keeps the verdict in
// the X509 for good. An allocation that fails while it decodes an extension makes that verdict
// "invalid" (EXFLAG_INVALID), which every later call then returns: the certificate object is
// broken for the rest of its life although nothing is wrong with the certificate.
TEST(OpensslQuirk, AFailedAllocationWhileCachingExtensionsLeavesTheCertificateInvalid) {
    const std::string pem = tls::test::read_file(tls::test::TestPki::get().localhost().cert);
    std::uint64_t k = 0;
    {
        tls::ossl::X509Ptr x = parse(pem);
        Armed armed(0);
        ASSERT_EQ(X509_check_purpose(x.get(), -1, 0), 1);
        k = armed.count();
    }
    std::uint64_t invalid_for_good = 0;
    for (std::uint64_t n = 1; n <= k; ++n) {
        tls::ossl::X509Ptr x = parse(pem);
        {
            Armed armed(n);
            static_cast<void>(X509_check_purpose(x.get(), -1, 0));
        }
        ERR_clear_error();
        if (X509_check_purpose(x.get(), -1, 0) != 1) {
            ++invalid_for_good;
        }
        ERR_clear_error();
        ASSERT_EQ(X509_check_purpose(parse(pem).get(), -1, 0), 1);
    }
    std::printf(
        "[ faults ] %s: X509_check_purpose makes %llu allocations; after %llu of them "
        "failing the certificate stays invalid for good\n",
        OpenSSL_version(OPENSSL_VERSION), static_cast<unsigned long long>(k),
        static_cast<unsigned long long>(invalid_for_good));
}

// The same through a verification: a trust anchor added to a store is first examined by the
// first X509_verify_cert that uses it. Fails an allocation of that verification, then verifies
// again, unarmed, with new leaf and intermediate objects and the same store.
TEST(OpensslQuirk, AFailedAllocationInTheFirstVerificationCanBreakTheTrustAnchor) {
    const auto& pki = tls::test::TestPki::get();
    const std::string ca = tls::test::read_file(pki.ca_cert());
    const std::string leaf = tls::test::read_file(pki.localhost().cert);
    const std::string intermediate = tls::test::read_file(pki.intermediate_cert());
    auto verify = [&](X509_STORE* store) {
        tls::ossl::X509Ptr l = parse(leaf);
        tls::ossl::X509StackPtr chain(sk_X509_new_null());
        sk_X509_push(chain.get(), parse(intermediate).release());
        tls::ossl::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
        if (!ctx || X509_STORE_CTX_init(ctx.get(), store, l.get(), chain.get()) != 1) {
            return false;
        }
        const bool ok = X509_verify_cert(ctx.get()) == 1;
        ERR_clear_error();
        return ok;
    };
    auto fresh_store = [&] {
        tls::ossl::X509StorePtr store(X509_STORE_new());
        tls::ossl::X509Ptr anchor = parse(ca);
        X509_STORE_add_cert(store.get(), anchor.get());
        return store;
    };
    std::uint64_t k = 0;
    {
        tls::ossl::X509StorePtr store = fresh_store();
        Armed armed(0);
        ASSERT_TRUE(verify(store.get()));
        k = armed.count();
    }
    std::uint64_t broken_stores = 0;
    for (std::uint64_t n = 1; n <= k; ++n) {
        tls::ossl::X509StorePtr store = fresh_store();
        {
            Armed armed(n);
            static_cast<void>(verify(store.get()));
        }
        ERR_clear_error();
        if (!verify(store.get())) {
            ++broken_stores;
        }
    }
    std::printf(
        "[ faults ] %s: the first X509_verify_cert makes %llu allocations; after %llu of "
        "them failing, the store refuses every later verification\n",
        OpenSSL_version(OPENSSL_VERSION), static_cast<unsigned long long>(k),
        static_cast<unsigned long long>(broken_stores));
}

// PEM_read_bio_X509 (PEM_read_bio_ex) returns NULL without queueing anything when some of its
// allocations fail, so "no error queued" does not mean "end of input" (src/cert_chain.cpp).
TEST(OpensslQuirk, PemReadCanFailWithNothingQueued) {
    const std::string pem = tls::test::read_file(tls::test::TestPki::get().localhost().cert);
    std::uint64_t k = 0;
    {
        Armed armed(0);
        ASSERT_NE(parse(pem), nullptr);
        k = armed.count();
    }
    std::uint64_t silent = 0;
    for (std::uint64_t n = 1; n <= k; ++n) {
        bool failed = false;
        {
            Armed armed(n);
            failed = parse(pem) == nullptr;
        }
        if (failed && ERR_peek_error() == 0) {
            ++silent;
        }
        ERR_clear_error();
    }
    std::printf(
        "[ faults ] %s: PEM_read_bio_X509 makes %llu allocations; %llu of them failing "
        "make it return NULL with nothing queued\n",
        OpenSSL_version(OPENSSL_VERSION), static_cast<unsigned long long>(k),
        static_cast<unsigned long long>(silent));
}

// SSL_CTX_free flushes the session cache through a stack it allocates (SSL_CTX_flush_sessions);
// when that fails it queues a malloc failure for whoever looks next (src/ossl/handles.hpp).
TEST(OpensslQuirk, SslCtxFreeCanLeaveAnErrorQueued) {
    std::uint64_t k = 0;
    {
        SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
        ASSERT_NE(ctx, nullptr);
        Armed armed(0);
        SSL_CTX_free(ctx);
        k = armed.count();
    }
    std::uint64_t dirty = 0;
    for (std::uint64_t n = 1; n <= k; ++n) {
        SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
        ASSERT_NE(ctx, nullptr);
        {
            Armed armed(n);
            SSL_CTX_free(ctx);
        }
        if (ERR_peek_error() != 0) {
            ++dirty;
        }
        ERR_clear_error();
    }
    std::printf(
        "[ faults ] %s: SSL_CTX_free makes %llu allocations; %llu of them failing leave "
        "an error queued\n",
        OpenSSL_version(OPENSSL_VERSION), static_cast<unsigned long long>(k),
        static_cast<unsigned long long>(dirty));
}

}  // namespace
