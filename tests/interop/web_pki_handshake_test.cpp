// tls::VerifyProfile::web_pki in real handshakes on 127.0.0.1: a tlsctx client against
// `openssl s_server` and Python's ssl serving certificates made with the openssl command. A leaf
// OpenSSL accepts but the web PKI forbids (no EKU, CA:TRUE, a wildcard over a public suffix)
// connects under the standard profile and fails under web_pki with SSLCertVerificationError
// naming the rule; a compliant leaf connects under both.
#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/s_server_helpers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using tls::VerifyProfile;
using tls::test::OpensslClientOptions;
using tls::test::OpensslServer;
using tls::test::OpensslServerOptions;
using tls::test::PythonServer;
using tls::test::PythonServerOptions;
using tls::test::feature::connect_loopback;
using tls::test::feature::TempDir;
using tls::test::feature::wrap_loopback;
using tls::test::feature::write_file;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

void openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    const tls::test::ProcessResult r = tls::test::run_process(argv, {}, 30s);
    if (r.exit_code != 0) {
        std::string command;
        for (const std::string& a : argv) {
            command += a + " ";
        }
        throw std::runtime_error("failed: " + command + "\n" + r.err);
    }
}

struct Leaf {
    std::string cert;   // the leaf alone (the root issued it: nothing else to send)
    std::string chain;  // cert, for Python's load_cert_chain
    std::string key;
};

// A root CA and leaves straight under it, every key P-256, made once with the openssl command.
class HandshakePki {
  public:
    static HandshakePki& get() {
        static HandshakePki pki;
        return pki;
    }

    const std::string& root() const { return root_; }
    // SAN localhost, keyUsage digitalSignature, EKU serverAuth: every web-PKI rule kept.
    const Leaf& compliant() const { return compliant_; }
    // compliant() without the extendedKeyUsage (BR 7.1.2.7.10).
    const Leaf& no_eku() const { return no_eku_; }
    // compliant() with basicConstraints CA:TRUE (BR 7.1.2.7.8).
    const Leaf& ca_leaf() const { return ca_leaf_; }
    // SAN *.co.uk: matches example.co.uk only through a wildcard over a public suffix.
    const Leaf& public_suffix_wildcard() const { return public_suffix_wildcard_; }
    // compliant(), valid for one day only (its notAfter is the interesting second).
    const Leaf& one_day() const { return one_day_; }
    // A client certificate: EKU clientAuth, keyUsage digitalSignature, no SAN.
    const Leaf& client() const { return client_; }

  private:
    HandshakePki() {
        const std::string root_key = key("root");
        root_ = issue("root", root_key, "/CN=web pki handshake root",
                      "basicConstraints = critical, CA:TRUE\n"
                      "keyUsage = critical, keyCertSign, cRLSign\n"
                      "subjectKeyIdentifier = hash\n"
                      "authorityKeyIdentifier = keyid:always\n",
                      "", "", 3650);
        const std::string common =
            "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n";
        compliant_ = leaf("compliant", "/CN=localhost",
                          "basicConstraints = critical, CA:FALSE\n"
                          "keyUsage = critical, digitalSignature\n"
                          "extendedKeyUsage = serverAuth\n"
                          "subjectAltName = DNS:localhost\n" +
                              common,
                          root_key);
        no_eku_ = leaf("no-eku", "/CN=localhost",
                       "basicConstraints = critical, CA:FALSE\n"
                       "keyUsage = critical, digitalSignature\n"
                       "subjectAltName = DNS:localhost\n" +
                           common,
                       root_key);
        ca_leaf_ = leaf("ca-leaf", "/CN=localhost",
                        "basicConstraints = critical, CA:TRUE\n"
                        "keyUsage = critical, digitalSignature, keyCertSign\n"
                        "extendedKeyUsage = serverAuth\n"
                        "subjectAltName = DNS:localhost\n" +
                            common,
                        root_key);
        public_suffix_wildcard_ = leaf("co-uk", "/CN=co.uk wildcard",
                                       "keyUsage = critical, digitalSignature\n"
                                       "extendedKeyUsage = serverAuth\n"
                                       "subjectAltName = DNS:*.co.uk\n" +
                                           common,
                                       root_key);
        const std::string compliant_extensions =
            "basicConstraints = critical, CA:FALSE\n"
            "keyUsage = critical, digitalSignature\n"
            "extendedKeyUsage = serverAuth\n"
            "subjectAltName = DNS:localhost\n" +
            common;
        one_day_ = leaf("one-day", "/CN=localhost", compliant_extensions, root_key, 1);
        client_ = leaf("client", "/CN=web pki client",
                       "basicConstraints = critical, CA:FALSE\n"
                       "keyUsage = critical, digitalSignature\n"
                       "extendedKeyUsage = clientAuth\n" +
                           common,
                       root_key);
    }

    std::string key(const std::string& name) {
        const std::string file = dir_.path(name + ".key");
        openssl(
            {"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file});
        return file;
    }

    // Signed by `ca_key` with root_ as issuer, or self-signed when `ca_key` is empty.
    std::string issue(const std::string& name, const std::string& key, const std::string& subject,
                      const std::string& extensions, const std::string& ca_cert,
                      const std::string& ca_key, int days = 30) {
        const std::string csr = dir_.path(name + ".csr");
        const std::string ext = dir_.path(name + ".ext");
        const std::string cert = dir_.path(name + ".pem");
        write_file(ext, extensions);
        openssl({"req", "-new", "-key", key, "-subj", subject, "-out", csr});
        std::vector<std::string> args{"x509",        "-req",
                                      "-in",         csr,
                                      "-extfile",    ext,
                                      "-set_serial", std::to_string(serial_++),
                                      "-days",       std::to_string(days),
                                      "-out",        cert};
        if (ca_key.empty()) {
            args.insert(args.end(), {"-signkey", key});
        } else {
            args.insert(args.end(), {"-CA", ca_cert, "-CAkey", ca_key});
        }
        openssl(args);
        return cert;
    }

    Leaf leaf(const std::string& name, const std::string& subject, const std::string& extensions,
              const std::string& root_key, int days = 30) {
        const std::string leaf_key = key(name);
        const std::string cert = issue(name, leaf_key, subject, extensions, root_, root_key, days);
        return {cert, cert, leaf_key};
    }

    TempDir dir_;
    long serial_ = 0x2000;
    std::string root_;
    Leaf compliant_;
    Leaf no_eku_;
    Leaf ca_leaf_;
    Leaf public_suffix_wildcard_;
    Leaf one_day_;
    Leaf client_;
};

const HandshakePki& pki() {
    return HandshakePki::get();
}

tls::Context client_with(VerifyProfile profile) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.load_verify_locations(pki().root());
    ctx.set_verify_profile(profile);
    return ctx;
}

OpensslServerOptions serving(const Leaf& leaf, const std::string& version_flag = "") {
    OpensslServerOptions o;
    o.cert = leaf.cert;
    o.key = leaf.key;
    o.version_flag = version_flag;
    return o;
}

// Connects to an `s_server -www` serving `leaf` and fetches its status page.
void expect_connects(const tls::Context& client, const Leaf& leaf,
                     const std::string& hostname = "localhost") {
    OpensslServer server(serving(leaf));
    try {
        tls::Socket socket = connect_loopback(client, server.port(), hostname);
        EXPECT_TRUE(contains(tls::test::fetch_status_page(socket), "Protocol"));
    } catch (const std::exception& e) {
        ADD_FAILURE() << "handshake failed: " << e.what();
    }
    server.finish();
}

// The handshake with an `s_server` serving `leaf` fails with SSLCertVerificationError for the
// web-PKI rule `source`, with `code`.
void expect_web_pki_refusal(const tls::Context& client, const Leaf& leaf, long code,
                            const std::string& source, const std::string& version_flag = "",
                            const std::string& hostname = "localhost") {
    OpensslServer server(serving(leaf, version_flag));
    try {
        tls::Socket socket = connect_loopback(client, server.port(), hostname);
        ADD_FAILURE() << "the web_pki client accepted the certificate";
    } catch (const tls::SSLCertVerificationError& e) {
        EXPECT_EQ(e.verify_code(), code) << e.what();
        EXPECT_EQ(e.verify_message().rfind("web-PKI profile:", 0), 0U)
            << "verify_message: '" << e.verify_message() << "'";
        EXPECT_TRUE(contains(e.verify_message(), source))
            << "verify_message: '" << e.verify_message() << "'";
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not an SSLCertVerificationError: " << e.what();
    }
    server.finish();
}

TEST(WebPkiHandshake, StandardProfileConnectsToEveryLeafOpensslAccepts) {
    const tls::Context client = client_with(VerifyProfile::standard);
    EXPECT_EQ(client.verify_profile(), VerifyProfile::standard);
    {
        SCOPED_TRACE("compliant");
        expect_connects(client, pki().compliant());
    }
    {
        SCOPED_TRACE("no EKU");
        expect_connects(client, pki().no_eku());
    }
    {
        SCOPED_TRACE("CA:TRUE leaf");
        expect_connects(client, pki().ca_leaf());
    }
    {
        SCOPED_TRACE("*.co.uk for example.co.uk");
        expect_connects(client, pki().public_suffix_wildcard(), "example.co.uk");
    }
}

TEST(WebPkiHandshake, WebPkiProfileConnectsToTheCompliantLeaf) {
    const tls::Context client = client_with(VerifyProfile::web_pki);
    for (const char* version : {"-tls1_2", "-tls1_3"}) {
        SCOPED_TRACE(version);
        OpensslServer server(serving(pki().compliant(), version));
        try {
            tls::Socket socket = connect_loopback(client, server.port(), "localhost");
            EXPECT_EQ(socket.version(), std::string(version) == "-tls1_2" ? "TLSv1.2" : "TLSv1.3");
            EXPECT_TRUE(contains(tls::test::fetch_status_page(socket), "Protocol"));
        } catch (const std::exception& e) {
            ADD_FAILURE() << "handshake failed: " << e.what();
        }
        server.finish();
    }
}

TEST(WebPkiHandshake, WebPkiProfileRefusesALeafWithoutEku) {
    const tls::Context client = client_with(VerifyProfile::web_pki);
    for (const char* version : {"-tls1_2", "-tls1_3"}) {
        SCOPED_TRACE(version);
        expect_web_pki_refusal(client, pki().no_eku(), X509_V_ERR_INVALID_PURPOSE,
                               "(BR 7.1.2.7.10)", version);
    }
}

TEST(WebPkiHandshake, WebPkiProfileRefusesACaLeaf) {
    expect_web_pki_refusal(client_with(VerifyProfile::web_pki), pki().ca_leaf(),
                           X509_V_ERR_INVALID_NON_CA, "(BR 7.1.2.7.8)");
}

TEST(WebPkiHandshake, WebPkiProfileRefusesAWildcardOverAPublicSuffix) {
    expect_web_pki_refusal(client_with(VerifyProfile::web_pki), pki().public_suffix_wildcard(),
                           X509_V_ERR_HOSTNAME_MISMATCH, "(BR 3.2.2.6)", "", "example.co.uk");
}

TEST(WebPkiHandshake, SwitchingTheProfileBackToStandardConnectsAgain) {
    tls::Context client = client_with(VerifyProfile::web_pki);
    expect_web_pki_refusal(client, pki().no_eku(), X509_V_ERR_INVALID_PURPOSE, "(BR 7.1.2.7.10)");
    client.set_verify_profile(VerifyProfile::standard);
    expect_connects(client, pki().no_eku());
}

// The same verdicts against Python's ssl module as the server.
TEST(WebPkiHandshake, PythonServerWithoutEkuIsRefusedOnlyUnderWebPki) {
    struct Row {
        const char* what;
        const Leaf* leaf;
        VerifyProfile profile;
        bool connects;
    };
    const Row rows[] = {
        {"no EKU, standard", &pki().no_eku(), VerifyProfile::standard, true},
        {"no EKU, web_pki", &pki().no_eku(), VerifyProfile::web_pki, false},
        {"compliant, web_pki", &pki().compliant(), VerifyProfile::web_pki, true},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        PythonServerOptions options;
        options.certfile = row.leaf->chain;
        options.keyfile = row.leaf->key;
        PythonServer server(options);
        const tls::Context client = client_with(row.profile);
        tls::Socket socket = wrap_loopback(client, server.port(), "localhost");
        try {
            socket.do_handshake();
            EXPECT_TRUE(row.connects) << "the certificate was accepted";
            socket.sendall("ping\n");
            std::string reply;
            for (std::string chunk = socket.recv(); !chunk.empty(); chunk = socket.recv()) {
                reply += chunk;
            }
            EXPECT_EQ(reply, "pong\n");
            socket.close();
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_FALSE(row.connects) << e.what();
            EXPECT_EQ(e.verify_code(), X509_V_ERR_INVALID_PURPOSE) << e.what();
            EXPECT_EQ(e.verify_message().rfind("web-PKI profile:", 0), 0U)
                << "verify_message: '" << e.verify_message() << "'";
            socket.close();
        }
        const json r = server.result();
        EXPECT_EQ(r["handshake"], row.connects ? "ok" : "failed") << r.dump();
    }
}

// A tlsctx server with CERT_REQUIRED applies the profile to the client's certificate.
TEST(WebPkiHandshake, ServerRefusesAnOpensslClientCertificateWithoutEkuOnlyUnderWebPki) {
    struct Row {
        const char* what;
        const Leaf* cert;
        VerifyProfile profile;
        bool accepted;
    };
    const Row rows[] = {
        {"no EKU, standard", &pki().no_eku(), VerifyProfile::standard, true},
        {"no EKU, web_pki", &pki().no_eku(), VerifyProfile::web_pki, false},
        {"clientAuth EKU, web_pki", &pki().client(), VerifyProfile::web_pki, true},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        tls::Context ctx(tls::PROTOCOL_TLS_SERVER);
        ctx.load_cert_chain(pki().compliant().chain, pki().compliant().key);
        ctx.load_verify_locations(pki().root());
        ctx.set_verify_mode(tls::CERT_REQUIRED);
        ctx.set_verify_profile(row.profile);
        tls::Listener listener(ctx, "127.0.0.1", 0);
        std::string received;
        tls::test::ServerThread server =
            tls::test::run_server_in_thread(listener, [&received](tls::Socket& s) {
                while (received.find('\n') == std::string::npos) {
                    std::string chunk = s.recv();
                    if (chunk.empty()) {
                        return;
                    }
                    received += chunk;
                }
                s.sendall("pong\n");
            });
        OpensslClientOptions options;
        options.port = listener.port();
        options.cafile = pki().root();
        options.cert = row.cert->cert;
        options.key = row.cert->key;
        options.version_flag = "-tls1_2";  // the server's verdict ends the client's handshake
        options.input = row.accepted ? "ping\n" : "";
        const tls::test::OpensslClientResult client = tls::test::run_openssl_client(options);
        const std::exception_ptr error = server.join();
        if (row.accepted) {
            EXPECT_FALSE(error) << tls::test::describe(error);
            EXPECT_EQ(received, "ping\n");
            EXPECT_TRUE(contains(client.process.out, "pong")) << client.process.out;
            continue;
        }
        try {
            tls::test::rethrow(error);
            ADD_FAILURE() << "the web_pki server accepted a client certificate without EKU";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), X509_V_ERR_INVALID_PURPOSE) << e.what();
            EXPECT_EQ(e.verify_message().rfind("web-PKI profile:", 0), 0U)
                << "verify_message: '" << e.verify_message() << "'";
            EXPECT_TRUE(contains(e.verify_message(), "(BR 7.1.2.7.10)"))
                << "verify_message: '" << e.verify_message() << "'";
        }
        EXPECT_FALSE(contains(client.process.out, "pong"));
    }
}

std::chrono::system_clock::time_point not_after_of(const std::string& pem_file) {
    const std::string pem = tls::test::read_file(pem_file);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    std::tm tm{};
    if (!cert || ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
        throw std::runtime_error("cannot read the notAfter of " + pem_file);
    }
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// RFC 5280 4.1.2.5 in a handshake: at exactly the server certificate's notAfter second the
// web_pki client connects, the standard one finds it expired (OpenSSL's verdict).
TEST(WebPkiHandshake, NotAfterSecondIsValidOnlyUnderWebPki) {
    const std::chrono::system_clock::time_point not_after = not_after_of(pki().one_day().cert);
    {
        SCOPED_TRACE("web_pki at notAfter");
        tls::Context client = client_with(VerifyProfile::web_pki);
        client.dangerous().verify_at_time(not_after);
        expect_connects(client, pki().one_day());
    }
    {
        SCOPED_TRACE("standard at notAfter");
        tls::Context client = client_with(VerifyProfile::standard);
        client.dangerous().verify_at_time(not_after);
        OpensslServer server(serving(pki().one_day()));
        try {
            tls::Socket socket = connect_loopback(client, server.port(), "localhost");
            ADD_FAILURE() << "the standard client accepted a certificate at its notAfter second";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), X509_V_ERR_CERT_HAS_EXPIRED) << e.what();
        }
        server.finish();
    }
    {
        SCOPED_TRACE("web_pki a second later");
        tls::Context client = client_with(VerifyProfile::web_pki);
        client.dangerous().verify_at_time(not_after + 1s);
        OpensslServer server(serving(pki().one_day()));
        try {
            tls::Socket socket = connect_loopback(client, server.port(), "localhost");
            ADD_FAILURE() << "the web_pki client accepted a certificate after its notAfter";
        } catch (const tls::SSLCertVerificationError& e) {
            EXPECT_EQ(e.verify_code(), X509_V_ERR_CERT_HAS_EXPIRED) << e.what();
        }
        server.finish();
    }
}

}  // namespace
