// tls/printing.hpp after real handshakes: what a python3 ssl client prints with pprint and
// json.dumps for getpeercert() and cipher() must be, byte for byte, what tlsctx prints for the
// same facts: on one connection (Python client, tlsctx server), and for two connections with the
// same parameters to an openssl s_server (Python client, tlsctx client).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/printing.hpp"
#include "tls/tls.hpp"

namespace {

using nlohmann::json;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::server_context;
using tls::test::feature::wrap_loopback;

// A client as in Python's ssl documentation: create_default_context(cafile), optionally a
// client certificate and a TLS 1.2 ceiling. It prints pformat() and json.dumps() of what it got,
// and of ssl._ssl._test_decode_cert(certfile) for its own certificate.
constexpr const char* kPythonClient = R"PY(
import json, pprint, socket, ssl, sys
port, cafile, chainfile, keyfile, certfile, max_version = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=cafile)
if chainfile:
    ctx.load_cert_chain(chainfile, keyfile)
if max_version == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2

def texts(value):
    return {"pformat": pprint.pformat(value), "json": json.dumps(value)}

out = {}
with socket.create_connection(("127.0.0.1", int(port)), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        out["getpeercert"] = texts(s.getpeercert())
        out["cipher"] = texts(s.cipher())
if certfile:
    out["own_certificate"] = texts(ssl._ssl._test_decode_cert(certfile))
print(json.dumps(out))
)PY";

json run_python_client(std::uint16_t port, const tls::test::CertFiles* client_cert,
                       const std::string& max_version) {
    return tls::test::run_python_json(
        kPythonClient, {std::to_string(port), TestPki::get().ca_cert(),
                        client_cert != nullptr ? client_cert->chain : "",
                        client_cert != nullptr ? client_cert->key : "",
                        client_cert != nullptr ? client_cert->cert : "", max_version});
}

struct Printed {
    std::string pformat;
    std::string json;
};

template <typename T>
Printed printed(const T& value) {
    return {tls::to_string(value), tls::to_json(value)};
}

void expect_same(const Printed& ours, const json& python, const std::string& what) {
    EXPECT_EQ(ours.pformat, python.at("pformat").get<std::string>()) << what;
    EXPECT_EQ(ours.json, python.at("json").get<std::string>()) << what;
}

struct VersionRow {
    const char* python_max;  // the Python client's maximum_version
    const char* flag;        // s_server's version flag
    std::vector<std::string> s_server_args;
};

const VersionRow kVersions[] = {
    {"", "-tls1_3", {}},
    // A TLS 1.2 suite both clients offer by default, named by s_server.
    {"1.2", "-tls1_2", {"-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"}},
};

TEST(PrintingInterop, TlsctxServerPrintsTheCipherAndClientCertificateAsItsPythonClientDoes) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.flag);
        tls::Context ctx = server_context(TestPki::get().localhost(), tls::CERT_REQUIRED);
        if (std::string(row.python_max) == "1.2") {
            ctx.set_maximum_version(tls::TLSVersion::TLSv1_2);
        }
        tls::Listener listener(ctx, "127.0.0.1", 0);
        std::optional<Printed> cipher;
        std::optional<Printed> client_cert;
        tls::test::ServerThread server =
            tls::test::run_server_in_thread(listener, [&](tls::Socket& socket) {
                cipher = printed(socket.cipher().value());
                client_cert = printed(socket.getpeercert().value());
            });
        const tls::test::CertFiles client = TestPki::get().client();
        const json python = run_python_client(listener.port(), &client, row.python_max);
        ASSERT_EQ(server.join(), nullptr);
        ASSERT_TRUE(cipher && client_cert);
        // Both ends of one connection print the same cipher() tuple.
        expect_same(*cipher, python.at("cipher"), "cipher()");
        // The server's getpeercert() is the client's certificate, as Python decodes that file.
        expect_same(*client_cert, python.at("own_certificate"), "getpeercert() on the server");
    }
}

TEST(PrintingInterop, TlsctxAndPythonClientsPrintTheSameFactsOfTheSameServer) {
    for (const VersionRow& row : kVersions) {
        SCOPED_TRACE(row.flag);
        tls::test::OpensslServerOptions options;
        options.cert = TestPki::get().localhost().cert;
        options.key = TestPki::get().localhost().key;
        options.cert_chain = TestPki::get().intermediate_cert();
        options.version_flag = row.flag;
        options.extra_args = row.s_server_args;

        tls::test::OpensslServer for_python(options);
        const json python = run_python_client(for_python.port(), nullptr, row.python_max);
        for_python.finish();

        tls::test::OpensslServer for_tlsctx(options);
        tls::Socket client = wrap_loopback(client_context(), for_tlsctx.port());
        client.do_handshake();
        const Printed cert = printed(client.getpeercert().value());
        const Printed cipher = printed(client.cipher().value());
        // pprint.pprint(ssl_sock.getpeercert()) of Python's client example is operator<<.
        std::ostringstream streamed;
        streamed << *client.getpeercert() << '\n';
        client.close();
        for_tlsctx.finish();

        expect_same(cert, python.at("getpeercert"), "getpeercert()");
        expect_same(cipher, python.at("cipher"), "cipher()");
        EXPECT_EQ(streamed.str(), python.at("getpeercert").at("pformat").get<std::string>() + "\n");
        // Not an empty dict: the certificate really was compared.
        EXPECT_NE(cert.pformat.find("'subjectAltName'"), std::string::npos) << cert.pformat;
    }
}

}  // namespace
