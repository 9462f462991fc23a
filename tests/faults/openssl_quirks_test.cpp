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
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
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

// SSL_set_connect_state (like SSL_set_accept_state) rebuilds the SSL's record layer and, being
// void, drops its failure. From OpenSSL 3.2, where the record layer is a separate object, the
// SSL is then left without one, and SSL_set_bio, the next call a user makes, dereferences it
// (src/engine.cpp, Engine::enter_role). Each N runs that SSL_set_bio in a child process, so a
// crash is counted here instead of suffered.
TEST(OpensslQuirk, SetConnectStateCanLeaveTheSslWithoutARecordLayer) {
    tls::ossl::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    ASSERT_NE(ctx, nullptr);
    std::uint64_t k = 0;
    {
        tls::ossl::SslPtr ssl(SSL_new(ctx.get()));
        ASSERT_NE(ssl, nullptr);
        Armed armed(0);
        SSL_set_connect_state(ssl.get());
        k = armed.count();
    }
    std::uint64_t queued = 0;
    std::uint64_t crashed = 0;
    std::uint64_t crashed_with_nothing_queued = 0;
    for (std::uint64_t n = 1; n <= k; ++n) {
        tls::ossl::SslPtr ssl(SSL_new(ctx.get()));
        ASSERT_NE(ssl, nullptr);
        ERR_clear_error();
        {
            Armed armed(n);
            SSL_set_connect_state(ssl.get());
        }
        const bool error = ERR_peek_error() != 0;
        ERR_clear_error();
        queued += error ? 1 : 0;
        const pid_t child = fork();
        ASSERT_NE(child, -1);
        if (child == 0) {
            BIO* bio = BIO_new(BIO_s_mem());
            SSL_set_bio(ssl.get(), bio, bio);
            _exit(0);
        }
        int status = 0;
        ASSERT_EQ(waitpid(child, &status, 0), child);
        if (WIFSIGNALED(status)) {
            ++crashed;
            crashed_with_nothing_queued += error ? 0 : 1;
        }
    }
    std::printf(
        "[ faults ] %s: SSL_set_connect_state makes %llu allocations; %llu of them failing "
        "leave an error queued, %llu an SSL that SSL_set_bio crashes on\n",
        OpenSSL_version(OPENSSL_VERSION), static_cast<unsigned long long>(k),
        static_cast<unsigned long long>(queued), static_cast<unsigned long long>(crashed));
    // The library's workaround sees the failure only through the queue.
    EXPECT_EQ(crashed_with_nothing_queued, 0U);
}

// A transport that refuses a write without asking to retry. OpenSSL 3.5's record layer
// (tls_retry_write_records) takes BIO_write's 0, all a write_ex method can return, for success
// when no retry is asked: SSL_write_ex reports the record sent and it is gone. OpenSSL 3.0 fails
// the write. A write method whose BIO_write says -1 fails on both (src/memory_bio.cpp).
int refuse_write_ex(BIO* bio, const char* /*data*/, size_t /*len*/, size_t* written) {
    BIO_clear_retry_flags(bio);
    *written = 0;
    return 0;
}
int refuse_write(BIO* bio, const char* /*data*/, int /*len*/) {
    BIO_clear_retry_flags(bio);
    return -1;
}
long flush_only(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}
int ready(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

// SSL_write_ex's verdict (1 = sent) on an established TLS 1.3 client whose transport then
// refuses writes through `write_ex` or through the int `write`; -1 if the set-up failed.
int write_over_refusing_transport(bool use_write_ex) {
    const auto& pki = tls::test::TestPki::get();
    tls::ossl::SslCtxPtr server_ctx(SSL_CTX_new(TLS_server_method()));
    tls::ossl::SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
    std::unique_ptr<BIO_METHOD, decltype(&BIO_meth_free)> method(
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "refusing"), &BIO_meth_free);
    if (!server_ctx || !client_ctx || !method ||
        SSL_CTX_use_certificate_chain_file(server_ctx.get(), pki.localhost().chain.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(server_ctx.get(), pki.localhost().key.c_str(),
                                    SSL_FILETYPE_PEM) != 1) {
        return -1;
    }
    tls::ossl::SslPtr server(SSL_new(server_ctx.get()));
    tls::ossl::SslPtr client(SSL_new(client_ctx.get()));
    BIO* client_end = nullptr;
    BIO* server_end = nullptr;
    if (!server || !client || BIO_new_bio_pair(&client_end, 0, &server_end, 0) != 1) {
        return -1;
    }
    SSL_set_bio(client.get(), client_end, client_end);
    SSL_set_bio(server.get(), server_end, server_end);
    SSL_set_connect_state(client.get());
    SSL_set_accept_state(server.get());
    bool done = false;
    for (int round = 0; round < 20 && !done; ++round) {
        const bool client_done = SSL_do_handshake(client.get()) == 1;
        const bool server_done = SSL_do_handshake(server.get()) == 1;
        done = client_done && server_done;
    }
    if (!done) {
        return -1;
    }
    if (use_write_ex) {
        BIO_meth_set_write_ex(method.get(), refuse_write_ex);
    } else {
        BIO_meth_set_write(method.get(), refuse_write);
    }
    BIO_meth_set_ctrl(method.get(), flush_only);
    BIO_meth_set_create(method.get(), ready);
    BIO* refusing = BIO_new(method.get());
    if (refusing == nullptr) {
        return -1;
    }
    SSL_set0_wbio(client.get(), refusing);
    const char data[] = "application data";
    std::size_t written = 0;
    const int sent = SSL_write_ex(client.get(), data, sizeof data, &written);
    ERR_clear_error();
    return sent;
}

TEST(OpensslQuirk, AWriteExFailureWithoutRetryCanBeTakenForSuccess) {
    const int through_write_ex = write_over_refusing_transport(true);
    const int through_write = write_over_refusing_transport(false);
    std::printf(
        "[ faults ] %s: SSL_write_ex on a transport refusing the write returns %d through "
        "write_ex, %d through write (1: reported sent)\n",
        OpenSSL_version(OPENSSL_VERSION), through_write_ex, through_write);
    ASSERT_NE(through_write_ex, -1);
    // The library's memory BIO relies on this.
    EXPECT_EQ(through_write, 0);
}

}  // namespace
