// OCSP stapling between two tlsctx ends in memory (tls::Object pairs, TLS 1.2 and 1.3) and
// tls::decode_ocsp_response on responses made by `openssl ocsp` (support/ocsp_pki.hpp). The
// interop suite (tests/interop/ocsp_interop_test.cpp) runs the same rules against openssl peers.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "support/memory_pair.hpp"
#include "support/ocsp_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::OcspPolicy;
using tls::test::OcspPki;

const OcspPki& pki() {
    return OcspPki::get();
}

tls::Bytes response(const std::string& path) {
    return OcspPki::bytes(path);
}

struct VersionRow {
    tls::TLSVersion version;
    const char* name;
};
const VersionRow kVersions[] = {{tls::TLSVersion::TLSv1_3, "TLSv1.3"},
                                {tls::TLSVersion::TLSv1_2, "TLSv1.2"}};

tls::Context server_context(tls::TLSVersion version,
                            const tls::test::CertFiles& files = OcspPki::get().leaf()) {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(files.chain, files.key);
    ctx.set_minimum_version(version);
    ctx.set_maximum_version(version);
    return ctx;
}

tls::Context client_context(OcspPolicy policy) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(OcspPki::get().ca_cert());
    ctx.set_ocsp_policy(policy);
    return ctx;
}

// Handshakes in memory; the client's error (empty on success).
std::error_code handshake(tls::test::memory::Pair& p) {
    const tls::test::memory::HandshakeResult r = tls::test::memory::do_handshake_until_error(p);
    return r.client;
}

TEST(DecodeOcspResponse, GoodResponseHasItsFields) {
    const tls::OcspResponseInfo info = tls::decode_ocsp_response(response(pki().good()));
    EXPECT_EQ(info.response_status, "successful");
    EXPECT_EQ(info.cert_status, "good");
    EXPECT_EQ(info.serial_number, pki().leaf_serial());
    EXPECT_FALSE(info.revocation_time);
    EXPECT_FALSE(info.revocation_reason);
    EXPECT_FALSE(info.this_update.empty());
    ASSERT_TRUE(info.next_update);
    // Python's certificate date shape: "Mon DD HH:MM:SS YYYY GMT".
    EXPECT_EQ(info.this_update.size(), 24u) << info.this_update;
    EXPECT_EQ(info.this_update.substr(info.this_update.size() - 4), " GMT");
    EXPECT_FALSE(info.produced_at.empty());
    // `openssl ocsp` names its signer by subject.
    EXPECT_NE(info.responder_id.find("CN=tlsctx OCSP test intermediate"), std::string::npos)
        << info.responder_id;
    EXPECT_EQ(info.der, response(pki().good()));
}

TEST(DecodeOcspResponse, RevokedResponseHasTimeAndReason) {
    const tls::OcspResponseInfo info = tls::decode_ocsp_response(response(pki().revoked()));
    EXPECT_EQ(info.cert_status, "revoked");
    EXPECT_EQ(info.revocation_time, "Jan  1 00:00:00 2025 GMT");
    EXPECT_EQ(info.revocation_reason, "keyCompromise");
    EXPECT_EQ(info.serial_number, pki().leaf_serial());
}

TEST(DecodeOcspResponse, UnsuccessfulResponseHasOnlyItsStatus) {
    const tls::OcspResponseInfo info = tls::decode_ocsp_response(response(pki().unauthorized()));
    EXPECT_EQ(info.response_status, "unauthorized");
    EXPECT_TRUE(info.cert_status.empty());
}

TEST(DecodeOcspResponse, GarbageThrowsSSLError) {
    EXPECT_THROW(tls::decode_ocsp_response(tls::Bytes{0x30, 0x03, 0x01, 0x02}), tls::SSLError);
    EXPECT_THROW(tls::decode_ocsp_response(tls::Bytes{}), tls::SSLError);
    tls::Bytes trailing = response(pki().good());
    trailing.push_back(0);
    EXPECT_THROW(tls::decode_ocsp_response(trailing), tls::SSLError);
}

TEST(OcspPolicySetting, DefaultsToOffAndRoundTrips) {
    tls::Context ctx;
    EXPECT_EQ(ctx.ocsp_policy(), OcspPolicy::off);
    ctx.set_ocsp_policy(OcspPolicy::require);
    EXPECT_EQ(ctx.ocsp_policy(), OcspPolicy::require);
    EXPECT_THROW(ctx.set_ocsp_policy(static_cast<OcspPolicy>(7)), std::invalid_argument);
    EXPECT_EQ(ctx.ocsp_policy(), OcspPolicy::require);
}

TEST(OcspStapling, GoodStapleReachesTheClientAndBothSidesReportIt) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.name);
        tls::Context server = server_context(row.version);
        server.set_ocsp_response(response(pki().good()));
        for (OcspPolicy policy : {OcspPolicy::check_if_present, OcspPolicy::require}) {
            tls::test::memory::Pair p =
                tls::test::memory::make_pair(client_context(policy), server);
            ASSERT_FALSE(handshake(p)) << p.client.object.last_error().message;
            const std::optional<tls::OcspResponseInfo> seen = p.client.object.ocsp_response();
            ASSERT_TRUE(seen);
            EXPECT_EQ(seen->cert_status, "good");
            EXPECT_EQ(seen->serial_number, pki().leaf_serial());
            const std::optional<tls::OcspResponseInfo> sent = p.server.object.ocsp_response();
            ASSERT_TRUE(sent);
            EXPECT_EQ(sent->der, response(pki().good()));
        }
    }
}

TEST(OcspStapling, ClientWithPolicyOffAsksForNoStaple) {
    tls::Context server = server_context(tls::TLSVersion::TLSv1_3);
    server.set_ocsp_response(response(pki().revoked()));
    tls::test::memory::Pair p =
        tls::test::memory::make_pair(client_context(OcspPolicy::off), server);
    ASSERT_FALSE(handshake(p)) << p.client.object.last_error().message;
    EXPECT_FALSE(p.client.object.ocsp_response());
    EXPECT_FALSE(p.server.object.ocsp_response());
}

TEST(OcspStapling, RevokedStapleFailsWithVerifyCode23OnBothPaths) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.name);
        tls::Context server = server_context(row.version);
        server.set_ocsp_response(response(pki().revoked()));
        // The error_code path: the code and last_error().
        tls::test::memory::Pair p =
            tls::test::memory::make_pair(client_context(OcspPolicy::check_if_present), server);
        const std::error_code ec = handshake(p);
        EXPECT_EQ(ec, tls::SSLErrc::cert_verification) << ec.message();
        EXPECT_EQ(p.client.object.last_error().verify_code, 23);
        EXPECT_NE(p.client.object.last_error().verify_message.find("OCSP"), std::string::npos);
        // The throwing path: after a fatal error the call throws the error it reported.
        try {
            p.client.object.do_handshake();
            ADD_FAILURE() << "the handshake succeeded";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), 23);
            EXPECT_EQ(e.code(), tls::SSLErrc::cert_verification);
        }
    }
}

// Each row: the staple the server holds, the client's policy, the verify code the client fails
// with (0 = the handshake completes).
struct PolicyRow {
    const char* what;
    std::string (OcspPki::*staple)() const;  // nullptr: the server staples nothing
    OcspPolicy policy;
    long verify_code;
};

TEST(OcspStapling, ClientPolicyTable) {
    const PolicyRow rows[] = {
        {"good, check", &OcspPki::good, OcspPolicy::check_if_present, 0},
        {"good, require", &OcspPki::good, OcspPolicy::require, 0},
        {"unknown, check", &OcspPki::unknown, OcspPolicy::check_if_present, 75},
        {"unknown, require", &OcspPki::unknown, OcspPolicy::require, 75},
        {"wrong issuer, check", &OcspPki::wrong_issuer, OcspPolicy::check_if_present, 74},
        {"wrong issuer, require", &OcspPki::wrong_issuer, OcspPolicy::require, 74},
        {"none, check", nullptr, OcspPolicy::check_if_present, 0},
        {"none, require", nullptr, OcspPolicy::require, 73},
    };
    for (const VersionRow& version : kVersions) {
        for (const PolicyRow& row : rows) {
            SCOPED_TRACE(std::string(version.name) + ": " + row.what);
            tls::Context server = server_context(version.version);
            if (row.staple != nullptr) {
                server.set_ocsp_response(response((pki().*row.staple)()));
            }
            tls::test::memory::Pair p =
                tls::test::memory::make_pair(client_context(row.policy), server);
            const std::error_code ec = handshake(p);
            if (row.verify_code == 0) {
                EXPECT_FALSE(ec) << p.client.object.last_error().message;
            } else {
                EXPECT_EQ(ec, tls::SSLErrc::cert_verification) << ec.message();
                EXPECT_EQ(p.client.object.last_error().verify_code, row.verify_code)
                    << p.client.object.last_error().message;
            }
        }
    }
}

TEST(OcspStapling, ServerDoesNotStapleExpiredOrForeignOrUnsuccessfulResponses) {
    for (const VersionRow& version : kVersions) {
        for (const std::string& path :
             {pki().expired(), pki().other_cert(), pki().unauthorized()}) {
            SCOPED_TRACE(std::string(version.name) + ": " + path);
            tls::Context server = server_context(version.version);
            server.set_ocsp_response(response(path));
            tls::test::memory::Pair p =
                tls::test::memory::make_pair(client_context(OcspPolicy::check_if_present), server);
            ASSERT_FALSE(handshake(p)) << p.client.object.last_error().message;
            EXPECT_FALSE(p.client.object.ocsp_response());
            EXPECT_FALSE(p.server.object.ocsp_response());
        }
    }
}

TEST(OcspStapling, GarbageResponseThrowsAndKeepsTheStapleThatWasSet) {
    tls::Context server = server_context(tls::TLSVersion::TLSv1_3);
    server.set_ocsp_response(response(pki().good()));
    EXPECT_THROW(server.set_ocsp_response(tls::Bytes{1, 2, 3}), tls::SSLError);
    tls::test::memory::Pair p =
        tls::test::memory::make_pair(client_context(OcspPolicy::require), server);
    ASSERT_FALSE(handshake(p)) << p.client.object.last_error().message;
    ASSERT_TRUE(p.client.object.ocsp_response());
    EXPECT_EQ(p.client.object.ocsp_response()->cert_status, "good");
}

TEST(OcspStapling, EmptyResponseStopsStapling) {
    tls::Context server = server_context(tls::TLSVersion::TLSv1_3);
    server.set_ocsp_response(response(pki().good()));
    server.set_ocsp_response({});
    tls::test::memory::Pair p =
        tls::test::memory::make_pair(client_context(OcspPolicy::require), server);
    EXPECT_EQ(handshake(p), tls::SSLErrc::cert_verification);
    EXPECT_EQ(p.client.object.last_error().verify_code, 73);
}

TEST(OcspStapling, ResponseReplacedWhileOtherThreadsHandshakeIsSeenWholeOrNotAtAll) {
    tls::Context server = server_context(tls::TLSVersion::TLSv1_3);
    server.set_ocsp_response(response(pki().good()));
    const tls::Bytes good = response(pki().good());
    const tls::Bytes revoked = response(pki().revoked());
    std::atomic<bool> stop{false};
    std::atomic<int> handshakes{0};
    std::atomic<int> wrong{0};
    auto client_loop = [&] {
        const tls::Context client = client_context(OcspPolicy::check_if_present);
        while (!stop) {
            tls::test::memory::Pair p = tls::test::memory::make_pair(client, server);
            const std::error_code ec = handshake(p);
            // Each handshake staples one whole response: good passes, revoked fails with 23.
            const std::optional<tls::OcspResponseInfo> sent = p.server.object.ocsp_response();
            const bool consistent =
                sent && ((sent->der == good && !ec) ||
                         (sent->der == revoked && p.client.object.last_error().verify_code == 23));
            if (!consistent) {
                ++wrong;
            }
            ++handshakes;
        }
    };
    std::thread a(client_loop);
    std::thread b(client_loop);
    for (int i = 0; i < 200 || handshakes < 20; ++i) {
        server.set_ocsp_response(i % 2 == 0 ? revoked : good);
    }
    stop = true;
    a.join();
    b.join();
    EXPECT_GE(handshakes.load(), 20);
    EXPECT_EQ(wrong.load(), 0);
}

TEST(OcspStapling, CallbackIsAskedPerHandshakeAndItsAnswerIsChecked) {
    tls::Context server = server_context(tls::TLSVersion::TLSv1_2);
    std::atomic<int> calls{0};
    std::string serial_seen;
    std::optional<std::string> name_seen;
    server.set_ocsp_response_callback([&](const tls::OcspRequestInfo& request) {
        serial_seen = request.serial_number;
        name_seen = request.server_name;
        // First good, then revoked (a refreshed answer), then one about another certificate.
        switch (calls++) {
            case 0:
                return std::optional<tls::Bytes>(response(pki().good()));
            case 1:
                return std::optional<tls::Bytes>(response(pki().revoked()));
            default:
                return std::optional<tls::Bytes>(response(pki().other_cert()));
        }
    });
    tls::Context client = client_context(OcspPolicy::check_if_present);
    tls::test::memory::Pair first = tls::test::memory::make_pair(client, server);
    ASSERT_FALSE(handshake(first)) << first.client.object.last_error().message;
    EXPECT_EQ(first.client.object.ocsp_response()->cert_status, "good");
    EXPECT_EQ(serial_seen, pki().leaf_serial());
    EXPECT_EQ(name_seen, "localhost");
    tls::test::memory::Pair second = tls::test::memory::make_pair(client, server);
    EXPECT_EQ(handshake(second), tls::SSLErrc::cert_verification);
    EXPECT_EQ(second.client.object.last_error().verify_code, 23);
    tls::test::memory::Pair third = tls::test::memory::make_pair(client, server);
    ASSERT_FALSE(handshake(third)) << third.client.object.last_error().message;
    EXPECT_FALSE(third.client.object.ocsp_response());
    EXPECT_EQ(calls.load(), 3);
}

TEST(OcspStapling, CallbackExceptionMeansNoStapleNotAFailedHandshake) {
    tls::Context server = server_context(tls::TLSVersion::TLSv1_3);
    server.set_ocsp_response_callback([](const tls::OcspRequestInfo&) -> std::optional<tls::Bytes> {
        throw std::runtime_error("responder down");
    });
    tls::test::memory::Pair p =
        tls::test::memory::make_pair(client_context(OcspPolicy::check_if_present), server);
    ASSERT_FALSE(handshake(p)) << p.client.object.last_error().message;
    EXPECT_FALSE(p.client.object.ocsp_response());
}

TEST(OcspStapling, SniSwitchStaplesTheResponseOfTheContextChosen) {
    for (const VersionRow& version : kVersions) {
        SCOPED_TRACE(version.name);
        // The listener's context holds another certificate with its own staple; the SNI
        // callback hands the handshake to a context whose staple covers that context's leaf.
        tls::Context chosen = server_context(version.version);
        chosen.set_ocsp_response(response(pki().good()));
        tls::Context first = server_context(version.version, pki().must_staple_leaf());
        first.set_ocsp_response(response(pki().must_staple_good()));
        first.set_sni_callback([chosen](tls::ServerNameRequest& request) {
            request.set_context(chosen);
            return std::optional<tls::AlertDescription>();
        });
        tls::test::memory::Pair p =
            tls::test::memory::make_pair(client_context(OcspPolicy::require), first);
        ASSERT_FALSE(handshake(p)) << p.client.object.last_error().message;
        ASSERT_TRUE(p.client.object.ocsp_response());
        EXPECT_EQ(p.client.object.ocsp_response()->serial_number, pki().leaf_serial());
        EXPECT_EQ(p.client.object.getpeercert()->serial_number, pki().leaf_serial());
    }
}

TEST(OcspStapling, MustStapleCertificateWithoutStapleFailsUnlessPolicyIsOff) {
    for (const VersionRow& version : kVersions) {
        SCOPED_TRACE(version.name);
        tls::Context server = server_context(version.version, pki().must_staple_leaf());
        tls::test::memory::Pair checked =
            tls::test::memory::make_pair(client_context(OcspPolicy::check_if_present), server);
        EXPECT_EQ(handshake(checked), tls::SSLErrc::cert_verification);
        EXPECT_EQ(checked.client.object.last_error().verify_code, 73);
        tls::test::memory::Pair off =
            tls::test::memory::make_pair(client_context(OcspPolicy::off), server);
        EXPECT_FALSE(handshake(off)) << off.client.object.last_error().message;
        server.set_ocsp_response(response(pki().must_staple_good()));
        tls::test::memory::Pair stapled =
            tls::test::memory::make_pair(client_context(OcspPolicy::check_if_present), server);
        EXPECT_FALSE(handshake(stapled)) << stapled.client.object.last_error().message;
    }
}

}  // namespace
