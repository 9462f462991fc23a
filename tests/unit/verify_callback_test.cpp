// The verify callback (Context::set_verify_callback, dangerous().set_verify_callback): what it
// is shown, rejecting with a reason, why a plain callback cannot accept what OpenSSL rejected
// and a dangerous one can, exceptions, servers verifying clients, and an openssl s_server peer.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::CertificateCheck;
using tls::VerifyDecision;
using tls::test::CertFiles;
using tls::test::handshake_pair;
using tls::test::TestPki;
using tls::test::TlsPair;
using tls::test::feature::client_context;
using tls::test::feature::server_context;

constexpr long kApplicationVerification = 50;  // X509_V_ERR_APPLICATION_VERIFICATION
constexpr long kHostnameMismatch = 62;         // X509_V_ERR_HOSTNAME_MISMATCH

const TestPki& pki() {
    return TestPki::get();
}

std::string common_name(const tls::CertificateInfo& info) {
    for (const auto& rdn : info.subject) {
        for (const auto& attribute : rdn) {
            if (attribute.first == "commonName") {
                return attribute.second;
            }
        }
    }
    return {};
}

// What the callback saw, one entry per call.
struct Seen {
    int depth;
    std::string subject_cn;
    bool preverified;
    long verify_code;
};

tls::VerifyCallback recorder(std::vector<Seen>& seen,
                             VerifyDecision answer = VerifyDecision::keep()) {
    return [&seen, answer](const CertificateCheck& check) {
        seen.push_back(
            {check.depth, common_name(check.certificate), check.preverified, check.verify_code});
        EXPECT_FALSE(check.der.empty());
        EXPECT_EQ(tls::decode_certificate(tls::DER_cert_to_PEM_cert(check.der)), check.certificate)
            << "der and the decoded certificate must be the same certificate";
        return answer;
    };
}

TlsPair connect_to(const tls::Context& client, const CertFiles& cert) {
    return handshake_pair(client, server_context(cert), tls::WrapOptions::client("localhost"));
}

// The client's SSLCertVerificationError; fails the test when the handshake ended otherwise.
tls::SSLCertVerificationError client_rejection(const TlsPair& pair) {
    try {
        tls::test::rethrow(pair.client_error);
    } catch (const tls::SSLCertVerificationError& e) {
        return e;
    } catch (...) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
    ADD_FAILURE() << "the handshake succeeded";
    throw std::runtime_error("no rejection");
}

TEST(VerifyCallback, SeesEveryCertificateFromTheAnchorDownWithOpenSSLsVerdict) {
    tls::Context client = client_context();
    std::vector<Seen> seen;
    client.set_verify_callback(recorder(seen));
    TlsPair pair = connect_to(client, pki().localhost());
    ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    ASSERT_EQ(seen.size(), 3u) << "anchor, intermediate, leaf";
    EXPECT_EQ(seen[0].depth, 2);
    EXPECT_EQ(seen[1].depth, 1);
    EXPECT_EQ(seen[2].depth, 0);
    for (const Seen& s : seen) {
        EXPECT_TRUE(s.preverified) << s.depth;
        EXPECT_EQ(s.verify_code, 0) << s.depth;
    }
    const auto peer = pair.client.getpeercert();
    ASSERT_TRUE(peer.has_value());
    EXPECT_EQ(seen[2].subject_cn, common_name(*peer));
    EXPECT_NE(seen[0].subject_cn, seen[2].subject_cn);
}

TEST(VerifyCallback, RejectionFailsTheHandshakeWithItsReason) {
    tls::Context client = client_context();
    client.set_verify_callback([](const CertificateCheck& check) {
        return check.depth == 0 ? VerifyDecision::reject("leaf key is not the pinned one")
                                : VerifyDecision::keep();
    });
    const tls::SSLCertVerificationError e = client_rejection(connect_to(client, pki().localhost()));
    EXPECT_EQ(e.verify_code(), kApplicationVerification);
    EXPECT_EQ(e.verify_message(), "leaf key is not the pinned one");
    EXPECT_NE(
        std::string(e.what()).find("certificate verify failed: leaf key is not the pinned one"),
        std::string::npos)
        << e.what();
}

TEST(VerifyCallback, RejectionOfAnIntermediateStopsThere) {
    tls::Context client = client_context();
    std::vector<int> depths;
    client.set_verify_callback([&](const CertificateCheck& check) {
        depths.push_back(check.depth);
        return check.depth == 1 ? VerifyDecision::reject("intermediate is distrusted")
                                : VerifyDecision::keep();
    });
    const tls::SSLCertVerificationError e = client_rejection(connect_to(client, pki().localhost()));
    EXPECT_EQ(e.verify_message(), "intermediate is distrusted");
    EXPECT_EQ(depths, (std::vector<int>{2, 1}));
}

TEST(VerifyCallback, PlainCallbackCannotAcceptWhatOpenSSLRejected) {
    for (const CertFiles& bad : {pki().wrong_host(), pki().expired(), pki().self_signed()}) {
        SCOPED_TRACE(bad.chain);
        tls::Context reference = client_context();
        const long openssl_code = client_rejection(connect_to(reference, bad)).verify_code();
        ASSERT_NE(openssl_code, 0);

        tls::Context client = client_context();
        std::vector<Seen> seen;
        client.set_verify_callback(recorder(seen, VerifyDecision::accept()));
        const tls::SSLCertVerificationError e = client_rejection(connect_to(client, bad));
        EXPECT_EQ(e.verify_code(), openssl_code) << "OpenSSL's verdict and reason stand";
        bool shown_the_failure = false;
        for (const Seen& s : seen) {
            shown_the_failure =
                shown_the_failure || (!s.preverified && s.verify_code == openssl_code);
        }
        EXPECT_TRUE(shown_the_failure) << "the callback is shown OpenSSL's rejection";
    }
}

TEST(VerifyCallback, RejectingWhatOpenSSLRejectedKeepsOpenSSLsReason) {
    tls::Context client = client_context();
    client.set_verify_callback(
        [](const CertificateCheck&) { return VerifyDecision::reject("no"); });
    const tls::SSLCertVerificationError e =
        client_rejection(connect_to(client, pki().wrong_host()));
    EXPECT_EQ(e.verify_code(), kHostnameMismatch);
    EXPECT_NE(e.verify_message(), "no");
}

TEST(VerifyCallback, DangerousCallbackMayAcceptWhatOpenSSLRejected) {
    tls::Context client = client_context();
    std::vector<Seen> seen;
    client.dangerous().set_verify_callback(recorder(seen, VerifyDecision::accept()));
    for (const CertFiles& bad : {pki().wrong_host(), pki().expired(), pki().self_signed()}) {
        SCOPED_TRACE(bad.chain);
        seen.clear();
        TlsPair pair = connect_to(client, bad);
        EXPECT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
        bool rejected_by_openssl = false;
        for (const Seen& s : seen) {
            rejected_by_openssl = rejected_by_openssl || !s.preverified;
        }
        EXPECT_TRUE(rejected_by_openssl);
    }
    // keep() from the same dangerous callback leaves OpenSSL's verdict.
    client.dangerous().set_verify_callback(
        [](const CertificateCheck&) { return VerifyDecision::keep(); });
    EXPECT_EQ(client_rejection(connect_to(client, pki().wrong_host())).verify_code(),
              kHostnameMismatch);
}

struct PinMismatch : std::runtime_error {
    using std::runtime_error::runtime_error;
};

TEST(VerifyCallback, ExceptionAbortsTheHandshakeAndIsRethrownFromIt) {
    tls::Context client = client_context();
    int calls = 0;
    client.set_verify_callback([&](const CertificateCheck& check) -> VerifyDecision {
        ++calls;
        if (check.depth == 0) {
            throw PinMismatch("pin store unreachable");
        }
        return VerifyDecision::keep();
    });
    TlsPair pair = connect_to(client, pki().localhost());
    try {
        tls::test::rethrow(pair.client_error);
        ADD_FAILURE() << "the handshake succeeded";
    } catch (const PinMismatch& e) {
        EXPECT_STREQ(e.what(), "pin store unreachable");
    } catch (...) {
        ADD_FAILURE() << tls::test::describe(std::current_exception());
    }
    EXPECT_EQ(calls, 3);
}

TEST(VerifyCallback, StaysThroughVerifyModeChangesAndAnEmptyOneRemovesIt) {
    tls::Context client = client_context();
    std::vector<Seen> seen;
    client.set_verify_callback(recorder(seen));
    client.set_verify_mode(tls::CERT_OPTIONAL);
    client.set_verify_mode(tls::CERT_REQUIRED);
    client.set_post_handshake_auth(true);
    TlsPair pair = connect_to(client, pki().localhost());
    EXPECT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    EXPECT_EQ(seen.size(), 3u);

    client.set_verify_callback(nullptr);
    seen.clear();
    pair = connect_to(client, pki().localhost());
    EXPECT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    EXPECT_TRUE(seen.empty());
}

TEST(VerifyCallback, ServerRejectsAClientCertificateWithItsReason) {
    const CertFiles client_cert = pki().client();
    tls::Context server = server_context(pki().localhost(), tls::CERT_REQUIRED);
    std::vector<Seen> seen;
    server.set_verify_callback([&](const CertificateCheck& check) {
        seen.push_back(
            {check.depth, common_name(check.certificate), check.preverified, check.verify_code});
        return check.depth == 0 ? VerifyDecision::reject("client is not on the allow list")
                                : VerifyDecision::keep();
    });
    // TLS 1.2: the client hears of the refusal inside its handshake.
    tls::Context client = client_context(&client_cert);
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client("localhost"));
    try {
        tls::test::rethrow(pair.server_error);
        ADD_FAILURE() << "the server accepted the client";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), kApplicationVerification);
        EXPECT_EQ(e.verify_message(), "client is not on the allow list");
    }
    EXPECT_TRUE(pair.client_error) << "the client must hear of the refusal";
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back().depth, 0);
}

TEST(VerifyCallback, TlsctxClientAgainstOpensslServer) {
    for (const bool reject : {false, true}) {
        SCOPED_TRACE(reject ? "rejecting" : "keeping");
        tls::test::OpensslServer server(tls::test::serving(pki().localhost()));
        tls::Context client = client_context();
        std::vector<int> depths;
        client.set_verify_callback([&](const CertificateCheck& check) {
            depths.push_back(check.depth);
            return reject && check.depth == 0 ? VerifyDecision::reject("not pinned")
                                              : VerifyDecision::keep();
        });
        try {
            tls::Socket socket =
                tls::test::feature::connect_loopback(client, server.port(), "localhost");
            EXPECT_FALSE(reject) << "the callback's rejection was ignored";
            EXPECT_NE(tls::test::fetch_status_page(socket).find("Protocol"), std::string::npos);
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_TRUE(reject) << e.what();
            EXPECT_EQ(e.verify_message(), "not pinned");
        }
        EXPECT_EQ(depths, (std::vector<int>{2, 1, 0}));
        server.finish();
    }
}

}  // namespace
