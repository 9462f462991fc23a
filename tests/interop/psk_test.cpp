// TLS-PSK (Python 3.13's set_psk_client_callback / set_psk_server_callback): tlsctx against
// tlsctx over loopback, and against `openssl s_client -psk`, for TLS 1.2 PSK suites and TLS 1.3.
#include <gtest/gtest.h>
#include <tls/tls.hpp>

#include <string>

#include "support/peers.hpp"

namespace {

using tls::test::handshake_pair;

const tls::Bytes kKey = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
                         0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};
const char* const kKeyHex = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

// A PSK server has no certificate; a PSK client has nothing to verify a certificate against,
// so both pin the protocol and the PSK suites they mean.
tls::Context psk_server(tls::TLSVersion version) {
    tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
    ctx.set_minimum_version(version);
    ctx.set_maximum_version(version);
    if (version == tls::TLSVersion::TLSv1_2) {
        ctx.set_ciphers("PSK");
    }
    ctx.set_psk_server_callback(
        [](const std::optional<std::string>& identity) {
            return identity == std::optional<std::string>("client-1") ? kKey : tls::Bytes{};
        },
        "hint-from-server");
    return ctx;
}

tls::Context psk_client(tls::TLSVersion version, std::string identity, tls::Bytes key,
                        std::optional<std::string>* seen_hint = nullptr) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.set_maximum_version(version);
    if (version == tls::TLSVersion::TLSv1_2) {
        ctx.set_ciphers("PSK");
    }
    ctx.set_psk_client_callback([=](const std::optional<std::string>& hint) {
        if (seen_hint != nullptr) {
            *seen_hint = hint;
        }
        return tls::PskClientIdentity{identity, key};
    });
    return ctx;
}

class PskTest : public ::testing::TestWithParam<tls::TLSVersion> {};

TEST_P(PskTest, ClientAndServerWithTheSameKeyCompleteTheHandshake) {
    std::optional<std::string> hint;
    tls::test::TlsPair pair =
        handshake_pair(psk_client(GetParam(), "client-1", kKey, &hint), psk_server(GetParam()),
                       tls::WrapOptions::client("psk.example"));
    ASSERT_FALSE(pair.client_error) << tls::test::describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << tls::test::describe(pair.server_error);
    const bool tls12 = GetParam() == tls::TLSVersion::TLSv1_2;
    EXPECT_EQ(pair.client.version(), tls12 ? "TLSv1.2" : "TLSv1.3");
    if (tls12) {
        EXPECT_NE(pair.client.cipher()->name.find("PSK"), std::string::npos)
            << pair.client.cipher()->name;
        EXPECT_EQ(hint, "hint-from-server");  // TLS 1.3 has no identity hint
    }
    EXPECT_FALSE(pair.client.getpeercert_der().has_value()) << "no certificate is involved";
    pair.client.sendall("over psk");
    EXPECT_EQ(pair.server.recv(), "over psk");
}

TEST_P(PskTest, WrongKeyFailsOnBothSides) {
    tls::Bytes wrong = kKey;
    wrong[0] ^= 1;
    tls::test::TlsPair pair =
        handshake_pair(psk_client(GetParam(), "client-1", wrong), psk_server(GetParam()),
                       tls::WrapOptions::client("psk.example"));
    EXPECT_TRUE(pair.client_error);
    EXPECT_TRUE(pair.server_error);
    EXPECT_THROW(tls::test::rethrow(pair.server_error), tls::SSLError);
}

TEST_P(PskTest, UnknownIdentityIsRefusedByTheServer) {
    tls::test::TlsPair pair =
        handshake_pair(psk_client(GetParam(), "someone-else", kKey), psk_server(GetParam()),
                       tls::WrapOptions::client("psk.example"));
    EXPECT_TRUE(pair.client_error);
    EXPECT_TRUE(pair.server_error);
}

TEST_P(PskTest, ExceptionFromTheClientCallbackIsRethrownFromTheHandshake) {
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    client.set_maximum_version(GetParam());
    if (GetParam() == tls::TLSVersion::TLSv1_2) {
        client.set_ciphers("PSK");
    }
    client.set_psk_client_callback([](const std::optional<std::string>&) -> tls::PskClientIdentity {
        throw std::runtime_error("no key for you");
    });
    tls::test::TlsPair pair =
        handshake_pair(client, psk_server(GetParam()), tls::WrapOptions::client("psk.example"));
    EXPECT_THROW(tls::test::rethrow(pair.client_error), std::runtime_error);
}

TEST_P(PskTest, OpensslClientWithTheKeyIsAcceptedByATlsctxServer) {
    tls::Listener listener(psk_server(GetParam()), "127.0.0.1", 0);
    std::string received;
    tls::test::ServerThread server =
        tls::test::run_server_in_thread(listener, [&](tls::Socket& s) { received = s.recv(); });
    const bool tls12 = GetParam() == tls::TLSVersion::TLSv1_2;
    std::vector<std::string> argv = {"openssl",
                                     "s_client",
                                     "-connect",
                                     "127.0.0.1:" + std::to_string(listener.port()),
                                     "-psk",
                                     kKeyHex,
                                     "-psk_identity",
                                     "client-1",
                                     tls12 ? "-tls1_2" : "-tls1_3",
                                     "-ign_eof"};
    if (tls12) {
        argv.insert(argv.end(), {"-cipher", "PSK"});
    }
    tls::test::ProcessResult r = tls::test::run_process(argv, "hello from s_client\n");
    EXPECT_FALSE(server.join()) << r.out << r.err;
    EXPECT_EQ(received, "hello from s_client\n");
    EXPECT_NE(r.out.find(tls12 ? "Protocol  : TLSv1.2" : "TLSv1.3"), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(Versions, PskTest,
                         ::testing::Values(tls::TLSVersion::TLSv1_2, tls::TLSVersion::TLSv1_3),
                         [](const auto& info) {
                             return info.param == tls::TLSVersion::TLSv1_2 ? "Tls12" : "Tls13";
                         });

}  // namespace
