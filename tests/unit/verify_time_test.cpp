// Verification at a chosen time (dangerous().verify_at_time, Context::verify_time,
// verify_at_current_time): a client and a server verifying their peers as of another time,
// in-process and against openssl s_server; the flag round trip; a reload keeps the time.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;
using tls::test::CertFiles;
using tls::test::handshake_pair;
using tls::test::TestPki;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::server_context;

const TestPki& pki() {
    return TestPki::get();
}

// The verify code of the client's failed handshake with a server presenting `cert`, or 0.
long client_verdict(const tls::Context& client, const CertFiles& cert) {
    TlsPair pair =
        handshake_pair(client, server_context(cert), tls::WrapOptions::client("localhost"));
    if (!pair.client_error) {
        return 0;
    }
    try {
        tls::test::rethrow(pair.client_error);
    } catch (const tls::SSLCertVerificationError& e) {
        return e.verify_code();
    } catch (...) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
    return -1;
}

TEST(VerifyTime, DefaultIsTheClockAndTheExpiredAndNotYetValidCertificatesFail) {
    tls::Context client = client_context();
    EXPECT_FALSE(client.verify_time().has_value());
    EXPECT_EQ(client_verdict(client, pki().localhost()), 0);
    EXPECT_EQ(client_verdict(client, pki().expired()), 10);       // X509_V_ERR_CERT_HAS_EXPIRED
    EXPECT_EQ(client_verdict(client, pki().not_yet_valid()), 9);  // X509_V_ERR_CERT_NOT_YET_VALID
}

TEST(VerifyTime, ClientVerifiesAsOfTheChosenTimeThenAtTheClockAgain) {
    // The expired certificate was valid from two days ago until yesterday.
    tls::Context client = client_context();
    const SystemClock::time_point day_and_a_half_ago = SystemClock::now() - 36h;
    client.dangerous().verify_at_time(day_and_a_half_ago);
    ASSERT_TRUE(client.verify_time().has_value());
    EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(*client.verify_time()),
              std::chrono::floor<std::chrono::seconds>(day_and_a_half_ago));
    EXPECT_EQ(client_verdict(client, pki().expired()), 0);
    // The not-yet-valid one starts tomorrow: as of a day and a half ago it is not valid yet.
    EXPECT_EQ(client_verdict(client, pki().not_yet_valid()), 9);

    client.dangerous().verify_at_time(SystemClock::now() + 36h);
    EXPECT_EQ(client_verdict(client, pki().not_yet_valid()), 0);
    EXPECT_EQ(client_verdict(client, pki().expired()), 10);

    client.verify_at_current_time();
    EXPECT_FALSE(client.verify_time().has_value());
    EXPECT_EQ(client_verdict(client, pki().not_yet_valid()), 9);
    EXPECT_EQ(client_verdict(client, pki().localhost()), 0);
}

TEST(VerifyTime, FarFutureTimeMakesEveryCertificateExpired) {
    tls::Context client = client_context();
    client.dangerous().verify_at_time(SystemClock::now() + 24h * 365 * 200);
    EXPECT_EQ(client_verdict(client, pki().localhost()), 10);
}

TEST(VerifyTime, ServerVerifiesClientCertificatesAsOfTheChosenTime) {
    const CertFiles client_cert = pki().client();
    tls::Context server = server_context(pki().localhost(), tls::CERT_REQUIRED);
    server.dangerous().verify_at_time(SystemClock::now() + 24h * 365 * 200);
    // TLS 1.2, where the client hears of the refusal inside its handshake (in TLS 1.3 it
    // would finish first and wait for the alert).
    tls::Context client = client_context(&client_cert);
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    try {
        tls::test::rethrow(pair.server_error);
        ADD_FAILURE() << "the server accepted a client certificate long expired at its time";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), 10) << e.verify_message();
    }
    server.verify_at_current_time();
    TlsPair ok = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    EXPECT_FALSE(ok.server_error) << tls::test::describe(ok.server_error);
    EXPECT_FALSE(ok.client_error) << tls::test::describe(ok.client_error);
}

TEST(VerifyTime, VerifyFlagsRoundTripLeavesTheTimeAndItsFlagOutOfThem) {
    tls::Context client = client_context();
    const tls::VerifyFlags before = client.verify_flags();
    client.dangerous().verify_at_time(SystemClock::now() - 36h);
    EXPECT_EQ(client.verify_flags(), before) << "the time is not one of Python's flags";
    EXPECT_NO_THROW(client.set_verify_flags(client.verify_flags()));
    client.set_verify_flags(client.verify_flags() | tls::VerifyFlags::VERIFY_CRL_CHECK_LEAF);
    client.set_verify_flags(before);
    EXPECT_TRUE(client.verify_time().has_value()) << "setting flags must not drop the time";
    EXPECT_EQ(client_verdict(client, pki().expired()), 0);
}

TEST(VerifyTime, ReloadingTheTrustStoreKeepsTheTime) {
    tls::Context client = client_context();
    client.dangerous().verify_at_time(SystemClock::now() - 36h);
    client.reload_verify_locations(pki().ca_cert());
    EXPECT_EQ(client_verdict(client, pki().expired()), 0);
    EXPECT_EQ(client_verdict(client, pki().not_yet_valid()), 9);
}

TEST(VerifyTime, OfflineVerificationAgreesWithTheHandshakeAtTheSameTime) {
    tls::VerifyRequest request;
    request.trusted_pem = {tls::test::read_file(pki().ca_cert())};
    request.leaf_pem = tls::test::read_file(pki().expired().chain);
    request.dns_name = "localhost";
    request.at_time = SystemClock::now() - 36h;
    const tls::VerifyResult offline = tls::verify_certificate_chain(request);
    EXPECT_TRUE(offline.ok) << offline.verify_message;
    tls::Context client = client_context();
    client.dangerous().verify_at_time(*request.at_time);
    EXPECT_EQ(client_verdict(client, pki().expired()), 0);
}

TEST(VerifyTime, TlsctxClientVerifiesOpensslServersExpiredCertificateAsOfItsValidity) {
    for (const bool chosen_time : {false, true}) {
        SCOPED_TRACE(chosen_time ? "as of a day and a half ago" : "at the clock");
        tls::test::OpensslServer server(tls::test::serving(pki().expired()));
        tls::Context client = client_context();
        if (chosen_time) {
            client.dangerous().verify_at_time(SystemClock::now() - 36h);
        }
        try {
            tls::Socket socket =
                tls::test::feature::connect_loopback(client, server.port(), "localhost");
            EXPECT_TRUE(chosen_time) << "the expired certificate was accepted at the clock";
            EXPECT_NE(tls::test::fetch_status_page(socket).find("Protocol"), std::string::npos);
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_FALSE(chosen_time) << e.what();
            EXPECT_EQ(e.verify_code(), 10);
        }
        server.finish();
    }
}

}  // namespace
