// The fault tests' main: OpenSSL's allocator must be replaced before OpenSSL allocates anything,
// so this runs before gtest (and before the test PKI is generated).
#include <gtest/gtest.h>

#include <cstdio>

#include "faults/failing_allocator.hpp"

int main(int argc, char** argv) {
    if (!tls::test::faults::install_openssl_allocator()) {
        std::fprintf(stderr,
                     "tlsctx_alloc_failure_tests: CRYPTO_set_mem_functions refused: OpenSSL "
                     "allocated before main, so its allocations cannot be failed or counted\n");
        return 2;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
