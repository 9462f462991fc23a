// A Boost.Beast client over tls::boost_asio::stream<beast::tcp_stream> against nginx (issue 13):
// http::async_write / http::async_read fetch nginx's report page over TLS 1.2 and 1.3 with a
// default (verifying) context, and both ends agree on what was negotiated; an nginx the client
// cannot verify fails the handshake with SSLErrc::cert_verification, on the async path (the
// error_code) and the blocking one (tls::SSLCertVerificationError).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "beast/beast_helpers.hpp"
#include "support/feature_helpers.hpp"
#include "support/nginx.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::TestPki;
using tls::test::beast_support::beast_fetch;
using tls::test::beast_support::Fetched;
using tls::test::beast_support::loopback;
using tls::test::beast_support::Stream;
using tls::test::feature::client_context;
using tls::test::nginx::Nginx;
using tls::test::nginx::NginxOptions;
using tls::test::nginx::report_fields;
namespace net = boost::asio;

const TestPki& pki() {
    return TestPki::get();
}

std::string describe(const Fetched& f) {
    return "failed at '" + f.failed_step + "': " + f.ec.message() +
           (f.tls_error ? " (" + f.tls_error->message + ")" : "");
}

struct VersionRow {
    const char* what;
    tls::TLSVersion maximum;
    const char* version;
};

const VersionRow kVersions[] = {
    {"TLS 1.3", tls::TLSVersion::TLSv1_3, "TLSv1.3"},
    {"TLS 1.2", tls::TLSVersion::TLSv1_2, "TLSv1.2"},
};

TEST(BeastClientToNginx, FetchesThePageAtEachVersionVerifyingByDefault) {
    Nginx nginx(NginxOptions{});
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.what);
        tls::Context ctx = client_context();  // the test CA; everything else is the default
        ctx.set_maximum_version(row.maximum);
        const Fetched f = beast_fetch(ctx, nginx.port(), "localhost", "/beast");
        ASSERT_EQ(f.failed_step, "") << describe(f) << "\n" << nginx.describe();
        EXPECT_EQ(f.response.result_int(), 200u);
        EXPECT_EQ(f.response["X-TLS-Protocol"], row.version) << f.response.base();
        std::map<std::string, std::string> seen = report_fields(f.response.body());
        EXPECT_EQ(f.version, row.version);
        EXPECT_EQ(seen["protocol"], row.version);
        EXPECT_EQ(seen["cipher"], f.cipher);
        EXPECT_EQ(seen["sni"], "localhost");  // sent without being asked for
        EXPECT_EQ(seen["reused"], ".");
        EXPECT_FALSE(f.session_reused);
        // nginx answers a close_notify by closing TCP without its own (it marks the connection
        // no_send_shutdown once it read the peer's): the stream reports that as truncation.
        ASSERT_TRUE(f.shutdown_ec.has_value());
        EXPECT_EQ(*f.shutdown_ec, tls::SSLErrc::eof) << f.shutdown_ec->message();
    }
}

TEST(BeastClientToNginx, UnverifiableNginxFailsTheHandshakeWithCertVerification) {
    struct Row {
        const char* what;
        tls::test::CertFiles cert;
        long verify_code;
    };
    const Row rows[] = {
        // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: issued by a CA the client does not trust
        {"untrusted issuer", pki().untrusted_localhost(), 20},
        // X509_V_ERR_HOSTNAME_MISMATCH: trusted, but for wrong.example.test
        {"another host's certificate", pki().wrong_host(), 62},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        NginxOptions options;
        options.cert = row.cert;
        Nginx nginx(options);
        const Fetched f = beast_fetch(client_context(), nginx.port(), "localhost", "/");
        EXPECT_EQ(f.failed_step, "handshake") << describe(f);
        EXPECT_EQ(f.ec, tls::SSLErrc::cert_verification) << describe(f);
        EXPECT_EQ(&f.ec.category(), &tls::boost_asio::ssl_category());
        ASSERT_TRUE(f.tls_error.has_value());
        EXPECT_EQ(f.tls_error->verify_code, row.verify_code) << f.tls_error->verify_message;
        EXPECT_EQ(f.tls_error->code, tls::SSLErrc::cert_verification);
    }
}

TEST(BeastClientToNginx, BlockingHandshakeThrowsSSLCertVerificationError) {
    NginxOptions options;
    options.cert = pki().untrusted_localhost();
    Nginx nginx(options);
    net::io_context io;
    Stream stream(io, client_context());
    // Blocking calls on beast::tcp_stream are not bounded by expires_after; nginx answers at once.
    stream.next_layer().connect(loopback(nginx.port()));
    try {
        stream.handshake(Stream::client, "localhost");
        ADD_FAILURE() << "the handshake succeeded";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), 20) << e.verify_message();
        EXPECT_EQ(e.code(), tls::SSLErrc::cert_verification);
    }
}

}  // namespace
