// The injection loop checks itself: scenarios that break its rules on purpose must be reported,
// and a realloc that fails must leave its block to the caller, as OpenSSL's contract says.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include <new>

#include "faults/injection_loop.hpp"

namespace {

using tls::test::faults::for_every_n;
using tls::test::faults::RunResult;

TEST(InjectionLoop, ReportsOpensslMemoryLeakedOnAFailurePath) {
    EXPECT_NONFATAL_FAILURE(for_every_n("leaky OpenSSL scenario",
                                        [](RunResult&) {
                                            void* first = OPENSSL_malloc(32);
                                            void* second = OPENSSL_malloc(32);
                                            if (second == nullptr) {
                                                return;  // forgets `first`
                                            }
                                            OPENSSL_free(second);
                                            OPENSSL_free(first);
                                        }),
                            "leak after success");
}

TEST(InjectionLoop, ReportsOperatorNewMemoryLeakedOnAFailurePath) {
    EXPECT_NONFATAL_FAILURE(for_every_n("leaky operator new scenario",
                                        [](RunResult&) {
                                            auto* first = new int(1);
                                            auto* second = new (std::nothrow) int(2);
                                            if (second == nullptr) {
                                                return;  // forgets `first`
                                            }
                                            delete second;
                                            delete first;
                                        }),
                            "leak after success");
}

TEST(InjectionLoop, ReportsAnErrorQueueLeftDirty) {
    EXPECT_NONFATAL_FAILURE(for_every_n("dirty error queue scenario",
                                        [](RunResult&) {
                                            void* block = OPENSSL_malloc(32);
                                            if (block == nullptr) {
                                                ERR_raise(ERR_LIB_CRYPTO, ERR_R_MALLOC_FAILURE);
                                                throw std::bad_alloc();
                                            }
                                            OPENSSL_free(block);
                                        }),
                            "error queue is not empty");
}

TEST(InjectionLoop, AFailedReallocLeavesTheOldBlockToItsCaller) {
    // A double free would abort (the allocator checks its headers) and a lost block would leak.
    const auto summary = for_every_n("realloc scenario", [](RunResult&) {
        void* block = OPENSSL_malloc(16);
        if (block == nullptr) {
            throw std::bad_alloc();
        }
        void* grown = OPENSSL_realloc(block, 4096);
        if (grown == nullptr) {
            OPENSSL_free(block);
            throw std::bad_alloc();
        }
        OPENSSL_free(grown);
    });
    EXPECT_EQ(summary.k, 2U);
    EXPECT_EQ(summary.failures, 0U);
    EXPECT_EQ(summary.endings.at("std::bad_alloc"), 2U);
}

}  // namespace
