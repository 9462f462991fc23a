// OCSP stapling against real peers on 127.0.0.1, TLS 1.2 and 1.3: a tlsctx server stapling for
// `openssl s_client -status`, `openssl s_server -status_file` stapling for a tlsctx client under
// each OcspPolicy, `tlsctx serve --ocsp-response` and `tlsctx connect --ocsp`, and tlsctx on
// both ends over TCP. The responses come from `openssl ocsp` (support/ocsp_pki.hpp).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/more_peers.hpp"
#include "support/ocsp_pki.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "tls/tls.hpp"

namespace {

using tls::OcspPolicy;
using tls::test::OcspPki;
using tls::test::OpensslClientOptions;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::ProcessResult;
using tls::test::more::contains;

const OcspPki& pki() {
    return OcspPki::get();
}

struct VersionRow {
    const char* flag;
    tls::TLSVersion version;
    const char* name;
};
const VersionRow kVersions[] = {{"-tls1_3", tls::TLSVersion::TLSv1_3, "TLSv1.3"},
                                {"-tls1_2", tls::TLSVersion::TLSv1_2, "TLSv1.2"}};

tls::Context server_context(const tls::test::CertFiles& files = OcspPki::get().leaf()) {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.load_cert_chain(files.chain, files.key);
    return ctx;
}

tls::Context client_context(OcspPolicy policy, const VersionRow& row) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(OcspPki::get().ca_cert());
    ctx.set_ocsp_policy(policy);
    ctx.set_minimum_version(row.version);
    ctx.set_maximum_version(row.version);
    return ctx;
}

// `openssl s_client -status` against a tlsctx server on `listener` (one connection, ping/pong);
// returns what s_client printed.
std::string s_client_status(tls::Listener& listener, const VersionRow& row) {
    tls::test::more::ServerSeen seen;
    tls::test::ServerThread server =
        tls::test::run_server_in_thread(listener, tls::test::more::ping_pong(seen));
    OpensslClientOptions options;
    options.port = listener.port();
    options.cafile = pki().ca_cert();
    options.version_flag = row.flag;
    options.input = "ping\n";
    options.extra_args = {"-status"};
    const tls::test::OpensslClientResult r = tls::test::run_openssl_client(options);
    const std::exception_ptr error = server.join();
    EXPECT_FALSE(error) << tls::test::describe(error);
    EXPECT_EQ(r.verify_code, 0) << r.process.out << r.process.err;
    EXPECT_TRUE(contains(r.process.out, "pong")) << r.process.out;
    return r.process.out;
}

// ---------------------------------------------------------------------------------------------
// tlsctx server -> openssl s_client -status

TEST(OcspTlsctxServerToOpensslClient, GoodResponseIsStapled) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.name);
        tls::Context ctx = server_context();
        ctx.load_ocsp_response(pki().good());
        tls::Listener listener(ctx, "127.0.0.1", 0);
        const std::string out = s_client_status(listener, row);
        EXPECT_TRUE(contains(out, "OCSP Response Status: successful")) << out;
        EXPECT_TRUE(contains(out, "Cert Status: good")) << out;
    }
}

TEST(OcspTlsctxServerToOpensslClient, ExpiredOrOtherCertificatesResponseIsNotStapled) {
    for (const VersionRow& row : kVersions) {
        for (const std::string& path : {pki().expired(), pki().other_cert()}) {
            SCOPED_TRACE(std::string(row.name) + ": " + path);
            tls::Context ctx = server_context();
            ctx.load_ocsp_response(path);
            tls::Listener listener(ctx, "127.0.0.1", 0);
            const std::string out = s_client_status(listener, row);
            EXPECT_TRUE(contains(out, "OCSP response: no response sent")) << out;
            EXPECT_FALSE(contains(out, "OCSP Response Status")) << out;
        }
    }
}

TEST(OcspTlsctxServerToOpensslClient, CallbackRefreshesTheStapleBetweenHandshakes) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.name);
        tls::Context ctx = server_context();
        std::atomic<int> calls{0};
        ctx.set_ocsp_response_callback([&calls](const tls::OcspRequestInfo&) {
            return std::optional<tls::Bytes>(
                OcspPki::bytes(calls++ == 0 ? pki().good() : pki().revoked()));
        });
        tls::Listener listener(ctx, "127.0.0.1", 0);
        const std::string first = s_client_status(listener, row);
        EXPECT_TRUE(contains(first, "Cert Status: good")) << first;
        const std::string second = s_client_status(listener, row);
        EXPECT_TRUE(contains(second, "Cert Status: revoked")) << second;
        EXPECT_EQ(calls.load(), 2);
    }
}

TEST(OcspTlsctxServerToOpensslClient, NewStapleSetWhileServingIsUsedByTheNextHandshake) {
    tls::Context ctx = server_context();
    ctx.load_ocsp_response(pki().revoked());
    tls::Listener listener(ctx, "127.0.0.1", 0);
    EXPECT_TRUE(contains(s_client_status(listener, kVersions[0]), "Cert Status: revoked"));
    // Through another handle to the same context, as a refresher thread would hold one.
    tls::Context refresher = ctx;
    refresher.load_ocsp_response(pki().good());
    EXPECT_TRUE(contains(s_client_status(listener, kVersions[0]), "Cert Status: good"));
}

// ---------------------------------------------------------------------------------------------
// openssl s_server -status_file -> tlsctx client

// Each row: the certificate s_server presents, the response it staples (empty: none), the
// client's policy, the verify code the client's handshake fails with (0: it completes).
struct ClientRow {
    const char* what;
    bool must_staple_leaf;
    std::string (OcspPki::*staple)() const;
    OcspPolicy policy;
    long verify_code;
};

const ClientRow kClientRows[] = {
    {"good, check", false, &OcspPki::good, OcspPolicy::check_if_present, 0},
    {"good, require", false, &OcspPki::good, OcspPolicy::require, 0},
    // The client asks for nothing, so s_server sends nothing to judge.
    {"revoked, off", false, &OcspPki::revoked, OcspPolicy::off, 0},
    {"revoked, check", false, &OcspPki::revoked, OcspPolicy::check_if_present, 23},
    {"revoked, require", false, &OcspPki::revoked, OcspPolicy::require, 23},
    {"unknown, check", false, &OcspPki::unknown, OcspPolicy::check_if_present, 75},
    {"unknown, require", false, &OcspPki::unknown, OcspPolicy::require, 75},
    {"wrong issuer, check", false, &OcspPki::wrong_issuer, OcspPolicy::check_if_present, 74},
    {"wrong issuer, require", false, &OcspPki::wrong_issuer, OcspPolicy::require, 74},
    {"expired, check", false, &OcspPki::expired, OcspPolicy::check_if_present, 74},
    {"expired, require", false, &OcspPki::expired, OcspPolicy::require, 74},
    {"other certificate, check", false, &OcspPki::other_cert, OcspPolicy::check_if_present, 74},
    {"unauthorized, check", false, &OcspPki::unauthorized, OcspPolicy::check_if_present, 74},
    {"none, check", false, nullptr, OcspPolicy::check_if_present, 0},
    {"none, require", false, nullptr, OcspPolicy::require, 73},
    // RFC 7633: the certificate itself demands a staple.
    {"must-staple, none, check", true, nullptr, OcspPolicy::check_if_present, 73},
    {"must-staple, none, off", true, nullptr, OcspPolicy::off, 0},
    {"must-staple, good, check", true, &OcspPki::must_staple_good, OcspPolicy::check_if_present, 0},
};

TEST(OcspOpensslServerToTlsctxClient, ClientPolicyTable) {
    for (const VersionRow& version : kVersions) {
        for (const ClientRow& row : kClientRows) {
            SCOPED_TRACE(std::string(version.name) + ": " + row.what);
            const tls::test::CertFiles files =
                row.must_staple_leaf ? pki().must_staple_leaf() : pki().leaf();
            OpensslServerOptions options;
            options.cert = files.cert;
            options.key = files.key;
            options.cert_chain = pki().intermediate_cert();
            options.version_flag = version.flag;
            if (row.staple != nullptr) {
                options.extra_args = {"-status_file", (pki().*row.staple)()};
            }
            OpensslServer server(options);
            tls::Socket client = tls::test::feature::wrap_loopback(
                client_context(row.policy, version), server.port());
            if (row.verify_code == 0) {
                ASSERT_NO_THROW(client.do_handshake());
                const std::optional<tls::OcspResponseInfo> staple = client.ocsp_response();
                if (row.policy != OcspPolicy::off && row.staple != nullptr) {
                    ASSERT_TRUE(staple);
                    EXPECT_EQ(staple->cert_status, "good");
                    EXPECT_EQ(staple->der, OcspPki::bytes((pki().*row.staple)()));
                } else {
                    EXPECT_FALSE(staple);
                }
                (void)tls::test::fetch_status_page(client);
                client.close();
            } else {
                try {
                    client.do_handshake();
                    ADD_FAILURE() << "the handshake completed";
                } catch (const tls::SSLCertVerificationError& e) {
                    EXPECT_EQ(e.verify_code(), row.verify_code) << e.what();
                    EXPECT_FALSE(e.verify_message().empty());
                }
                client.close();  // s_server exits once its one client has gone
            }
            (void)server.finish();
        }
    }
}

TEST(OcspOpensslServerToTlsctxClient, StapleWindowIsCheckedAtTheChosenVerifyTime) {
    // good() is valid for a day from now; as of two days from now it has expired, while the
    // certificates (valid for years) still verify: the refusal can only come from the staple.
    for (const bool chosen_time : {false, true}) {
        SCOPED_TRACE(chosen_time ? "as of two days from now" : "at the clock");
        OpensslServerOptions options;
        options.cert = pki().leaf().cert;
        options.key = pki().leaf().key;
        options.cert_chain = pki().intermediate_cert();
        options.extra_args = {"-status_file", pki().good()};
        OpensslServer server(options);
        tls::Context ctx = client_context(OcspPolicy::require, kVersions[0]);
        if (chosen_time) {
            ctx.dangerous().verify_at_time(std::chrono::system_clock::now() +
                                           std::chrono::hours(48));
        }
        tls::Socket client = tls::test::feature::wrap_loopback(ctx, server.port());
        try {
            client.do_handshake();
            EXPECT_FALSE(chosen_time) << "a staple expired at the chosen time was accepted";
            (void)tls::test::fetch_status_page(client);
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_TRUE(chosen_time) << e.what();
            EXPECT_EQ(e.verify_code(), 74) << e.what();  // X509_V_ERR_OCSP_VERIFY_FAILED
            EXPECT_TRUE(contains(e.what(), "has expired or is not yet valid")) << e.what();
        }
        client.close();  // s_server exits once its one client has gone
        (void)server.finish();
    }
}

// ---------------------------------------------------------------------------------------------
// tlsctx on both ends over TCP

TEST(OcspTlsctxToTlsctx, RequiredStapleIsCheckedAndBothSidesReportIt) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.name);
        tls::Context server = server_context();
        server.load_ocsp_response(pki().good());
        tls::test::TlsPair pair =
            tls::test::handshake_pair(client_context(OcspPolicy::require, row), server,
                                      tls::WrapOptions::client("localhost"));
        ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
        ASSERT_FALSE(pair.server_error) << tls::test::describe(pair.server_error);
        EXPECT_EQ(pair.client.version(), row.name);
        ASSERT_TRUE(pair.client.ocsp_response());
        EXPECT_EQ(pair.client.ocsp_response()->serial_number, pki().leaf_serial());
        ASSERT_TRUE(pair.server.ocsp_response());
        EXPECT_EQ(pair.server.ocsp_response()->der, pair.client.ocsp_response()->der);
    }
}

TEST(OcspTlsctxToTlsctx, RevokedStapleFailsTheClientWithVerifyCode23) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.name);
        tls::Context server = server_context();
        server.load_ocsp_response(pki().revoked());
        tls::test::TlsPair pair =
            tls::test::handshake_pair(client_context(OcspPolicy::check_if_present, row), server,
                                      tls::WrapOptions::client("localhost"));
        ASSERT_TRUE(pair.client_error);
        try {
            tls::test::rethrow(pair.client_error);
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), 23);
        } catch (...) {
            ADD_FAILURE() << tls::test::describe(pair.client_error);
        }
        // The server learns of it through the client's alert.
        EXPECT_TRUE(pair.server_error);
    }
}

// ---------------------------------------------------------------------------------------------
// The tlsctx command

TEST(OcspTlsctxTool, ServeStaplesTheResponseForOpensslClient) {
    tls::test::more::TlsctxServe serve({"--cert", pki().leaf().chain, "--key", pki().leaf().key,
                                        "--ocsp-response", pki().good(), "--www", "--exit-after",
                                        "1"});
    OpensslClientOptions options;
    options.port = serve.port();
    options.cafile = pki().ca_cert();
    options.input = "GET / HTTP/1.0\r\n\r\n";
    options.extra_args = {"-status"};
    const tls::test::OpensslClientResult r = tls::test::run_openssl_client(options);
    EXPECT_TRUE(contains(r.process.out, "OCSP Response Status: successful")) << r.process.out;
    EXPECT_TRUE(contains(r.process.out, "Cert Status: good")) << r.process.out;
    const ProcessResult served = serve.finish();
    EXPECT_EQ(served.exit_code, 0) << served.out << served.err;
}

TEST(OcspTlsctxTool, ConnectRequiresAndShowsTheStaple) {
    for (const std::string& staple : {pki().good(), std::string()}) {
        SCOPED_TRACE(staple.empty() ? "no staple" : staple);
        OpensslServerOptions options;
        options.cert = pki().leaf().cert;
        options.key = pki().leaf().key;
        options.cert_chain = pki().intermediate_cert();
        if (!staple.empty()) {
            options.extra_args = {"-status_file", staple};
        }
        OpensslServer server(options);
        const ProcessResult r = tls::test::run_process(
            {tls::test::more::tlsctx_tool(), "connect",
             "127.0.0.1:" + std::to_string(server.port()), "--servername", "localhost", "--cafile",
             pki().ca_cert(), "--ocsp", "require", "--json"});
        if (staple.empty()) {
            EXPECT_NE(r.exit_code, 0) << r.out;
        } else {
            ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
            EXPECT_EQ(nlohmann::json::parse(r.out)["ocsp_cert_status"], "good");
        }
        server.process().kill();
    }
}

}  // namespace
