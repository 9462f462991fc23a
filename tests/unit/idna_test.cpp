// Host names as a client gives them: internationalized names become A-labels before they are
// sent as SNI and matched (as Python's `str.encode('idna')` does), malformed UTF-8 is refused,
// and IP addresses (v4 and v6) are matched against IP SANs only. Real tlsctx peers.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::describe;
using tls::test::handshake_pair;
using tls::test::rethrow;
using tls::test::TestPki;
using tls::test::TlsPair;
using tls::test::feature::client_context;

struct IdnRow {
    const char* input;
    const char* a_label;  // Python: input.encode('idna')
    const char* why;
};

const IdnRow kIdnRows[] = {
    {"b\xc3\xbc"
     "cher.example",
     "xn--bcher-kva.example", "one non-ASCII label"},
    {"\xc3\x84"
     "BC.de",
     "xn--bc-uia.de", "upper-case U-label is case-folded before Punycode"},
    {"B\xc3\xbc"
     "cher.Example",
     "xn--bcher-kva.Example", "ASCII labels are kept as they are, as Python does"},
    {"m\xc3\xbcnchen.de", "xn--mnchen-3ya.de", "letter in the middle of the label"},
    {"\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", "xn--r8jz45g.xn--zckzah",
     "labels without any ASCII letter"},
    {"b\xc3\xbc"
     "cher.example.",
     "xn--bcher-kva.example.", "trailing dot of a fully qualified name is kept"},
    {"plain.example.test", "plain.example.test", "an ASCII name is untouched"},
};

tls::Object client_object(const std::string& host, tls::MemoryBIO& in, tls::MemoryBIO& out) {
    return client_context().wrap_bio(in, out, tls::WrapOptions::client(host));
}

TEST(Idna, ServerHostnameBecomesTheALabel) {
    for (const IdnRow& row : kIdnRows) {
        tls::MemoryBIO in, out;
        tls::Object client = client_object(row.input, in, out);
        EXPECT_EQ(client.server_hostname(), row.a_label) << row.why;
    }
}

TEST(Idna, ALabelsMatchWhatPythonsIdnaCodecProduces) {
    std::vector<std::string> args;
    for (const IdnRow& row : kIdnRows) {
        args.push_back(row.input);
    }
    nlohmann::json python = tls::test::run_python_json(
        "import json, sys\n"
        "print(json.dumps([a.encode('idna').decode('ascii') for a in sys.argv[1:]]))",
        args);
    ASSERT_EQ(python.size(), std::size(kIdnRows));
    for (std::size_t i = 0; i < python.size(); ++i) {
        EXPECT_EQ(python[i].get<std::string>(), kIdnRows[i].a_label) << kIdnRows[i].why;
    }
}

TEST(Idna, UpperCaseLettersOutsideLatin1AreCaseFoldedAsPythonDoes) {
    // Nameprep (RFC 3491) folds every script's capitals, not only ASCII and Latin-1: a name
    // typed in capitals must reach the same A-label as the lower-case one a certificate holds.
    const IdnRow rows[] = {
        {"\xce\x91\xce\x92\xce\x93.gr", "xn--mxacd.gr", "Greek capitals"},
        {"\xd0\x9f\xd0\xa0\xd0\x98\xd0\x9c\xd0\x95\xd0\xa0.\xd1\x80\xd1\x84",
         "xn--e1afmkfd.xn--p1ai", "Cyrillic capitals"},
        {"\xc5\xb8"
         "ES.example",
         "xn--es-5ka.example", "Latin Extended-A capital Y with diaeresis"},
    };
    for (const IdnRow& row : rows) {
        tls::MemoryBIO in, out;
        tls::Object client = client_object(row.input, in, out);
        EXPECT_EQ(client.server_hostname(), row.a_label) << row.why;
    }
}

TEST(Idna, MalformedUtf8HostnameThrowsInvalidArgument) {
    const struct {
        const char* host;
        const char* why;
    } rows[] = {
        {"\xff.example", "0xFF never starts a UTF-8 sequence"},
        {"b\xc3", "sequence cut off at the end"},
        {"\xc3(.example", "lead byte followed by a non-continuation byte"},
        {"\x80.example", "stray continuation byte"},
        {"\xc0\xaf.example", "overlong two-byte encoding of '/'"},
        {"\xe0\x80\xaf.example", "overlong three-byte encoding of '/'"},
        {"\xed\xa0\x80.example", "UTF-16 surrogate U+D800"},
        {"\xf4\x90\x80\x80.example", "beyond U+10FFFF"},
    };
    for (const auto& row : rows) {
        tls::MemoryBIO in, out;
        EXPECT_THROW(client_object(row.host, in, out), std::invalid_argument) << row.why;
    }
}

// A server for the A-label, recording the name each client asked for.
struct IdnServer {
    tls::pki::CertificateAuthority ca{"tlsctx IDN test CA"};
    tls::pki::IssuedCert cert = ca.issue_cert(std::vector<std::string>{"xn--bcher-kva.example"});
    tls::Context ctx{tls::PROTOCOL_TLS_SERVER};
    std::vector<std::optional<std::string>> names;

    IdnServer() {
        ctx.load_cert_chain_pem(cert.cert_chain_pem(), cert.private_key_pem());
        ctx.set_sni_callback(
            [this](tls::ServerNameRequest& r) -> std::optional<tls::AlertDescription> {
                names.push_back(r.server_name());
                return std::nullopt;
            });
    }
    tls::Context client() const {
        tls::Context c(tls::PROTOCOL_TLS_CLIENT);
        c.load_verify_cadata(ca.cert_pem());
        return c;
    }
};

TEST(Idna, ServerSeesTheALabelAsSniAndTheClientVerifiesAgainstIt) {
    IdnServer server;
    TlsPair pair = handshake_pair(server.client(), server.ctx,
                                  tls::WrapOptions::client("b\xc3\xbc"
                                                           "cher.example"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    ASSERT_FALSE(pair.server_error) << describe(pair.server_error);
    ASSERT_EQ(server.names.size(), 1u);
    EXPECT_EQ(server.names[0], std::optional<std::string>("xn--bcher-kva.example"));
    EXPECT_EQ(pair.client.server_hostname(), "xn--bcher-kva.example");
}

TEST(Idna, CertificateForAnotherInternationalNameIsRefused) {
    IdnServer server;
    TlsPair pair = handshake_pair(server.client(), server.ctx,
                                  tls::WrapOptions::client("m\xc3\xbcnchen.example"));
    try {
        rethrow(pair.client_error);
        FAIL() << "the handshake succeeded";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), 62);  // X509_V_ERR_HOSTNAME_MISMATCH
    }
}

// --- IP addresses ---------------------------------------------------------------------------

tls::pki::CertificateOptions ip_options(std::vector<std::string> dns_names) {
    tls::pki::CertificateOptions options;
    options.common_name = "127.0.0.1";
    options.dns_names = std::move(dns_names);
    return options;
}

struct IpCerts {
    tls::pki::CertificateAuthority ca{"tlsctx IP test CA"};
    // SAN DNS:127.0.0.1 and DNS:::1, no IP SAN.
    tls::pki::IssuedCert dns_spelling = ca.issue_cert(ip_options({"127.0.0.1", "::1"}));
    // CN=127.0.0.1 and no SAN at all.
    tls::pki::IssuedCert cn_only = ca.issue_cert(ip_options({}));
};

TEST(IpAddressHostname, AddressesAreMatchedAgainstIpSansOnly) {
    const IpCerts ip;
    const std::string localhost_chain = tls::test::read_file(TestPki::get().localhost().chain);
    const std::string localhost_key = tls::test::read_file(TestPki::get().localhost().key);
    struct Row {
        std::string chain, key;
        const char* host;
        long verify_code;  // 0: accepted
        const char* why;
    };
    const Row rows[] = {
        {localhost_chain, localhost_key, "127.0.0.1", 0, "IPv4 address in an IP SAN"},
        {localhost_chain, localhost_key, "::1", 0, "IPv6 address in an IP SAN"},
        {localhost_chain, localhost_key, "0:0:0:0:0:0:0:1", 0, "same IPv6 address, long form"},
        {localhost_chain, localhost_key, "127.0.0.2", 64, "another IPv4 address"},
        {localhost_chain, localhost_key, "::2", 64, "another IPv6 address"},
        {ip.dns_spelling.cert_chain_pem(), ip.dns_spelling.private_key_pem(), "127.0.0.1", 64,
         "the address spelled as a DNS SAN is not an IP SAN"},
        {ip.dns_spelling.cert_chain_pem(), ip.dns_spelling.private_key_pem(), "::1", 64,
         "the IPv6 address spelled as a DNS SAN is not an IP SAN"},
        {ip.cn_only.cert_chain_pem(), ip.cn_only.private_key_pem(), "127.0.0.1", 64,
         "the common name never matches an address, even with the CN fallback on"},
    };
    for (const Row& row : rows) {
        tls::Context server(tls::PROTOCOL_TLS_SERVER);
        server.load_cert_chain_pem(row.chain, row.key);
        tls::Context client = client_context();
        client.load_verify_cadata(ip.ca.cert_pem());
        client.set_hostname_checks_common_name(true);
        TlsPair pair = handshake_pair(client, server, tls::WrapOptions::client(row.host));
        if (row.verify_code == 0) {
            EXPECT_FALSE(pair.client_error) << row.why << ": " << describe(pair.client_error);
            EXPECT_EQ(pair.client.server_hostname(), row.host) << row.why;
            continue;
        }
        try {
            rethrow(pair.client_error);
            ADD_FAILURE() << row.why << ": the handshake succeeded";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), row.verify_code) << row.why;
        } catch (const std::exception&) {
            ADD_FAILURE() << row.why << ": " << describe(pair.client_error);
        }
    }
}

TEST(IpAddressHostname, ClientConnectsToAnIpv6ListenerByAddress) {
    std::optional<tls::Listener> listener;
    try {
        listener.emplace(tls::test::feature::server_context(), "::1", 0);
    } catch (const std::system_error& e) {
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    tls::test::feature::ConnectionServer server(
        *listener, 1, [](std::size_t, tls::Socket& s) { s.sendall("v6\n"); });
    tls::Socket client =
        tls::connect(client_context(), "::1", listener->port(), std::chrono::seconds(10));
    EXPECT_EQ(client.server_hostname(), "::1");
    EXPECT_EQ(tls::test::feature::read_until(client), "v6\n");
    EXPECT_FALSE(server.join()[0]) << describe(server.join()[0]);
}

}  // namespace
