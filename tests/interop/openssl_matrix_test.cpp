// The OpenSSL matrix: the suite runs once against Debian 12's OpenSSL 3.0 and once against
// OpenSSL 3.5 (scripts/test.sh). Each run must test the OpenSSL it claims to: the library is
// compiled and linked with one OpenSSL, and the `openssl` peers the tests start are that same one.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <tuple>

#include "support/peers.hpp"
#include "tls/version.hpp"

namespace {

// "OpenSSL 3.5.7 1 Jul 2025" -> (3, 5); (-1, -1) when the text is not an OpenSSL version.
std::pair<int, int> major_minor(const std::string& text) {
    std::smatch m;
    static const std::regex kVersion(R"(OpenSSL (\d+)\.(\d+)\.\d+)");
    if (!std::regex_search(text, m, kVersion)) {
        return {-1, -1};
    }
    return {std::stoi(m[1].str()), std::stoi(m[2].str())};
}

// The release tlsctx runs on, as (major, minor).
std::pair<int, int> linked() {
    const auto [major, minor, fix, patch, status] = tls::openssl_version_info();
    std::ignore = fix;
    std::ignore = patch;
    std::ignore = status;
    return {major, minor};
}

TEST(OpensslMatrix, BuiltAndRunningOpensslAreTheSameRelease) {
    // Headers of 3.5 with a 3.0 libssl.so.3 would load (same soname) and then miss symbols or
    // misreport features; the rpath of the 3.5 build must prevent that.
    EXPECT_EQ(major_minor(tls::openssl_build_version()), linked())
        << tls::openssl_build_version() << " vs " << tls::openssl_version();
    EXPECT_EQ(major_minor(tls::openssl_version()), linked());
}

TEST(OpensslMatrix, OpensslPeersOnPathAreTheLinkedRelease) {
    const tls::test::ProcessResult r = tls::test::run_process({"openssl", "version"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(major_minor(r.out), linked())
        << "the openssl on PATH is " << r.out << " but tlsctx runs " << tls::openssl_version();
}

TEST(OpensslMatrix, PythonSslRunsTheLinkedRelease) {
    // Tests compare tlsctx with Python's ssl (cipher lists, decoded certificates, verify paths):
    // only meaningful when both run the same OpenSSL release.
    const tls::test::ProcessResult r =
        tls::test::run_process({"python3", "-c", "import ssl; print(ssl.OPENSSL_VERSION)"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(major_minor(r.out), linked())
        << "python3's ssl runs " << r.out << " but tlsctx runs " << tls::openssl_version();
}

}  // namespace
