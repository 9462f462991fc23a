// Certificate compression (RFC 8879) between tlsctx peers in memory: on by default wherever the
// linked OpenSSL has algorithms, each algorithm shrinks the test chain's Certificate message, and
// the bytes saved are printed so they can be quoted. Without algorithms (OpenSSL before 3.2, or
// built without zlib, brotli and zstd) the setter is a NotImplementedError and nothing is
// compressed. Every test branches on tls::HAS_CERT_COMPRESSION() and checks both sides of it.
#include <gtest/gtest.h>

#include <cstddef>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/memory_pair.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::CertCompression;
using tls::test::CertFiles;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
namespace memory = tls::test::memory;

// TLS 1.3 handshake message types (RFC 8446 4, RFC 8879 4).
constexpr int kCertificate = 11;
constexpr int kCompressedCertificate = 25;
constexpr int kHandshake = 22;

const char* name_of(CertCompression a) {
    switch (a) {
        case CertCompression::zlib:
            return "zlib";
        case CertCompression::brotli:
            return "brotli";
        case CertCompression::zstd:
            return "zstd";
        default:
            return "?";
    }
}

// What the server sent in one handshake.
struct ServerFlight {
    int certificate_type = 0;             // 11 Certificate or 25 CompressedCertificate; 0 = none
    std::size_t certificate_bytes = 0;    // that message, with its 4-byte header
    int algorithm = 0;                    // the CompressedCertificate's algorithm code point
    std::size_t uncompressed_length = 0;  // what the CompressedCertificate says it expands to
    std::size_t wire_bytes = 0;           // every byte the server wrote during the handshake
};

// One handshake of a server presenting `chain` against a verifying client; a null algorithm list
// leaves that side at its defaults.
ServerFlight handshake_once(const CertFiles& chain, const std::vector<CertCompression>* server_algs,
                            const std::vector<CertCompression>* client_algs) {
    ServerFlight flight;
    tls::Context server = server_context(chain);
    server.set_msg_callback([&flight](const tls::TlsMessage& m) {
        if (!m.outgoing || m.content_type != kHandshake || m.size < 4) {
            return;
        }
        const int type = m.data[0];
        if (type == kCertificate || type == kCompressedCertificate) {
            flight.certificate_type = type;
            flight.certificate_bytes = m.size;
        }
        if (type == kCompressedCertificate && m.size >= 9) {
            flight.algorithm = (m.data[4] << 8) | m.data[5];
            flight.uncompressed_length = (static_cast<std::size_t>(m.data[6]) << 16) |
                                         (static_cast<std::size_t>(m.data[7]) << 8) | m.data[8];
        }
    });
    if (server_algs != nullptr) {
        server.set_certificate_compression(*server_algs);
    }
    tls::Context client = client_context();
    if (client_algs != nullptr) {
        client.set_certificate_compression(*client_algs);
    }
    memory::Pair pair = memory::make_pair(client, server);
    const std::error_code ec = memory::handshake(pair.client, pair.server);
    EXPECT_FALSE(ec) << pair.client.object.last_error().message << " / "
                     << pair.server.object.last_error().message;
    for (const std::string& chunk : pair.server.sent) {
        flight.wire_bytes += chunk.size();
    }
    return flight;
}

TEST(CertCompression, DefaultsAreWhatTheLinkedOpenSSLOffers) {
    const std::vector<CertCompression> defaults = tls::Context().certificate_compression();
    EXPECT_EQ(server_context().certificate_compression(), defaults);
    if (tls::HAS_CERT_COMPRESSION()) {
        EXPECT_FALSE(defaults.empty());
        EXPECT_GE(tls::openssl_version_number(), 0x30200000UL) << tls::openssl_version();
    } else {
        EXPECT_TRUE(defaults.empty());
        tls::Context ctx;
        EXPECT_THROW(ctx.set_certificate_compression({CertCompression::zlib}),
                     tls::NotImplementedError);
        EXPECT_THROW(ctx.set_certificate_compression({}), tls::NotImplementedError);
    }
}

TEST(CertCompression, DefaultContextsCompressTheChainWhenOpenSSLCan) {
    const ServerFlight flight = handshake_once(TestPki::get().localhost_rsa(), nullptr, nullptr);
    if (tls::HAS_CERT_COMPRESSION()) {
        EXPECT_EQ(flight.certificate_type, kCompressedCertificate);
        // The client's first preference that the server has: OpenSSL's order starts with brotli.
        EXPECT_EQ(flight.algorithm,
                  static_cast<int>(tls::Context().certificate_compression().front()));
    } else {
        EXPECT_EQ(flight.certificate_type, kCertificate);
    }
}

TEST(CertCompression, EachAlgorithmShrinksTheChain) {
    if (!tls::HAS_CERT_COMPRESSION()) {
        EXPECT_TRUE(tls::Context().certificate_compression().empty());
        EXPECT_THROW(tls::Context().set_certificate_compression({CertCompression::brotli}),
                     tls::NotImplementedError);
        return;
    }
    const std::vector<CertCompression> none;
    struct Chain {
        const char* name;
        CertFiles files;
    };
    const Chain chains[] = {
        {"RSA-2048 leaf + intermediate", TestPki::get().localhost_rsa()},
        {"ECDSA P-256 leaf + intermediate", TestPki::get().localhost()},
    };
    for (const Chain& chain : chains) {
        const ServerFlight plain = handshake_once(chain.files, &none, &none);
        ASSERT_EQ(plain.certificate_type, kCertificate) << chain.name;
        for (CertCompression algorithm : tls::Context().certificate_compression()) {
            const std::vector<CertCompression> only{algorithm};
            const ServerFlight packed = handshake_once(chain.files, &only, &only);
            SCOPED_TRACE(std::string(chain.name) + ", " + name_of(algorithm));
            ASSERT_EQ(packed.certificate_type, kCompressedCertificate);
            EXPECT_EQ(packed.algorithm, static_cast<int>(algorithm));
            // The Certificate message's body is what was compressed (RFC 8879 4).
            EXPECT_EQ(packed.uncompressed_length + 4, plain.certificate_bytes);
            EXPECT_LT(packed.certificate_bytes, plain.certificate_bytes);
            EXPECT_LT(packed.wire_bytes, plain.wire_bytes);
            const std::size_t saved = plain.certificate_bytes - packed.certificate_bytes;
            std::ostringstream line;
            line << "[ bytes    ] " << chain.name << ", " << name_of(algorithm) << ": Certificate "
                 << plain.certificate_bytes << " -> CompressedCertificate "
                 << packed.certificate_bytes << " bytes, saved " << saved << " (" << std::fixed
                 << std::setprecision(1)
                 << 100.0 * static_cast<double>(saved) /
                        static_cast<double>(plain.certificate_bytes)
                 << " %); server flight " << plain.wire_bytes << " -> " << packed.wire_bytes
                 << " bytes on the wire";
            std::cout << line.str() << std::endl;
            ::testing::Test::RecordProperty(std::string(chain.name) + " " + name_of(algorithm),
                                            static_cast<int>(saved));
        }
    }
}

TEST(CertCompression, EmptyListTurnsItOffOnEitherSide) {
    if (!tls::HAS_CERT_COMPRESSION()) {
        EXPECT_THROW(tls::Context().set_certificate_compression({}), tls::NotImplementedError);
        return;
    }
    const std::vector<CertCompression> none;
    const CertFiles chain = TestPki::get().localhost_rsa();
    // Off on the server: it sends the plain Certificate though the client asks.
    EXPECT_EQ(handshake_once(chain, &none, nullptr).certificate_type, kCertificate);
    // Off on the client: it does not ask, so the server does not compress.
    EXPECT_EQ(handshake_once(chain, nullptr, &none).certificate_type, kCertificate);
    tls::Context ctx;
    ctx.set_certificate_compression(none);
    EXPECT_TRUE(ctx.certificate_compression().empty());
}

TEST(CertCompression, SetterKeepsOrderAndRefusesDuplicates) {
    if (!tls::HAS_CERT_COMPRESSION()) {
        EXPECT_THROW(tls::Context().set_certificate_compression({CertCompression::zstd}),
                     tls::NotImplementedError);
        return;
    }
    std::vector<CertCompression> reversed = tls::Context().certificate_compression();
    std::reverse(reversed.begin(), reversed.end());
    tls::Context ctx;
    ctx.set_certificate_compression(reversed);
    EXPECT_EQ(ctx.certificate_compression(), reversed);
    EXPECT_THROW(ctx.set_certificate_compression({reversed[0], reversed[0]}),
                 std::invalid_argument);
    EXPECT_EQ(ctx.certificate_compression(), reversed);
}

TEST(CertCompression, ChainLoadedAfterTheSetterIsCompressedToo) {
    if (!tls::HAS_CERT_COMPRESSION()) {
        EXPECT_TRUE(server_context().certificate_compression().empty());
        return;
    }
    // The setter on a context without a chain, then load_cert_chain: precompression at load.
    const CertCompression algorithm = tls::Context().certificate_compression().back();
    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    server.set_certificate_compression({algorithm});
    server.load_cert_chain(TestPki::get().localhost_rsa().chain,
                           TestPki::get().localhost_rsa().key);
    int type = 0;
    server.set_msg_callback([&type](const tls::TlsMessage& m) {
        if (m.outgoing && m.content_type == kHandshake && m.size > 0 &&
            (m.data[0] == kCertificate || m.data[0] == kCompressedCertificate)) {
            type = m.data[0];
        }
    });
    memory::Pair pair = memory::make_pair(client_context(), server);
    ASSERT_FALSE(memory::handshake(pair.client, pair.server));
    EXPECT_EQ(type, kCompressedCertificate);
}

}  // namespace
