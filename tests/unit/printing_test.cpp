// tls/printing.hpp against Python itself: for real certificates (made here with the openssl
// command, and the test PKI's), for getpeercert()-shaped values built to hit pprint's corners
// (quotes, escapes, non-ASCII, strings and tuples just under and over the 80-column line) and for
// get_ciphers() lists, tlsctx's text must equal, byte for byte, what a python3 process prints
// with pprint.pformat() and json.dumps() for the same value.
#include "tls/printing.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/context.hpp"

namespace {

using nlohmann::ordered_json;

// The oracle. "certs PATH...": ssl._ssl._test_decode_cert(PATH) for each path. "values FILE":
// each element of the JSON array in FILE, with arrays turned into tuples (Python's getpeercert()
// and cipher() hold tuples) except where {"$list": [...]} asks for a list, and {"$str": HEX} for
// the str that surrogateescape decodes from those bytes (so any bytes can be sent). "ciphers
// STRING": get_ciphers() after set_ciphers(STRING), then each of its dicts. Each value comes back
// as its pprint.pformat() and json.dumps() text.
constexpr const char* kOracle = R"PY(
import json, pprint, ssl, sys

def python_value(x):
    if isinstance(x, list):
        return tuple(python_value(i) for i in x)
    if isinstance(x, dict) and list(x) == ["$list"]:
        return [python_value(i) for i in x["$list"]]
    if isinstance(x, dict) and list(x) == ["$str"]:
        return bytes.fromhex(x["$str"]).decode("utf-8", "surrogateescape")
    if isinstance(x, dict):
        return {k: python_value(v) for k, v in x.items()}
    return x

mode = sys.argv[1]
if mode == "certs":
    values = [ssl._ssl._test_decode_cert(p) for p in sys.argv[2:]]
elif mode == "values":
    with open(sys.argv[2], encoding="ascii") as f:
        values = [python_value(v) for v in json.load(f)]
else:
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.set_ciphers(sys.argv[2])
    values = [c.get_ciphers()] + c.get_ciphers()
print(json.dumps([{"pformat": pprint.pformat(v), "json": json.dumps(v)} for v in values]))
)PY";

struct PythonText {
    std::string pformat;
    std::string json;
};

std::vector<PythonText> ask_python(const std::vector<std::string>& args) {
    const nlohmann::json answers = tls::test::run_python_json(kOracle, args);
    std::vector<PythonText> out;
    for (const nlohmann::json& answer : answers) {
        out.push_back(
            {answer.at("pformat").get<std::string>(), answer.at("json").get<std::string>()});
    }
    return out;
}

// The oracle's "values" mode for `values` (a JSON array), through a temporary file.
std::vector<PythonText> ask_python_values(const ordered_json& values) {
    std::string path =
        (std::filesystem::temp_directory_path() / "tlsctx-print-values-XXXXXX").string();
    const int fd = ::mkstemp(path.data());
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(), "mkstemp");
    }
    ::close(fd);
    std::ofstream(path) << values.dump();
    try {
        std::vector<PythonText> out = ask_python({"values", path});
        std::filesystem::remove(path);
        return out;
    } catch (...) {
        std::filesystem::remove(path);
        throw;
    }
}

// What the oracle's "values" mode turns back into Python's getpeercert() dict: the test's own
// spelling of that shape, so that Python, not the library, decides how it prints.
ordered_json str_shape(const std::string& s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    for (const char c : s) {
        hex += kDigits[static_cast<unsigned char>(c) >> 4U];
        hex += kDigits[static_cast<unsigned char>(c) & 0xFU];
    }
    return {{"$str", hex}};
}

ordered_json strings_shape(const std::vector<std::string>& strings) {
    ordered_json out = ordered_json::array();
    for (const std::string& s : strings) {
        out.push_back(str_shape(s));
    }
    return out;
}

ordered_json name_shape(const tls::DistinguishedName& name) {
    ordered_json out = ordered_json::array();
    for (const tls::RelativeDistinguishedName& rdn : name) {
        ordered_json attributes = ordered_json::array();
        for (const tls::NameAttribute& attribute : rdn) {
            attributes.push_back({str_shape(attribute.first), str_shape(attribute.second)});
        }
        out.push_back(attributes);
    }
    return out;
}

ordered_json certificate_shape(const tls::CertificateInfo& cert) {
    ordered_json out = ordered_json::object();
    if (cert.empty()) {
        return out;
    }
    out["subject"] = name_shape(cert.subject);
    out["issuer"] = name_shape(cert.issuer);
    out["version"] = cert.version;
    out["serialNumber"] = str_shape(cert.serial_number);
    out["notBefore"] = str_shape(cert.not_before);
    out["notAfter"] = str_shape(cert.not_after);
    if (!cert.subject_alt_name.empty()) {
        ordered_json names = ordered_json::array();
        for (const tls::GeneralName& name : cert.subject_alt_name) {
            names.push_back({str_shape(name.type), name.type == "DirName"
                                                       ? name_shape(name.directory_name)
                                                       : str_shape(name.value)});
        }
        out["subjectAltName"] = names;
    }
    if (!cert.ocsp.empty()) {
        out["OCSP"] = strings_shape(cert.ocsp);
    }
    if (!cert.ca_issuers.empty()) {
        out["caIssuers"] = strings_shape(cert.ca_issuers);
    }
    if (!cert.crl_distribution_points.empty()) {
        out["crlDistributionPoints"] = strings_shape(cert.crl_distribution_points);
    }
    return out;
}

void expect_prints_as_python(const tls::CertificateInfo& cert, const PythonText& python,
                             const std::string& what) {
    EXPECT_EQ(tls::to_string(cert), python.pformat) << what;
    EXPECT_EQ(tls::to_json(cert), python.json) << what;
    std::ostringstream streamed;
    streamed << cert;
    EXPECT_EQ(streamed.str(), python.pformat) << what << " (operator<<)";
}

class PrintingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tlsctx-print-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
        dir_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // A self-signed certificate with `subject` (UTF-8) and the [ext] section `extensions`.
    std::string make_cert(const std::string& name, const std::string& subject,
                          const std::string& extensions) const {
        const std::string config = dir_ + "/" + name + ".cnf";
        std::ofstream(config) << "[req]\ndistinguished_name = dn\n[dn]\n[ext]\n" << extensions;
        const std::string cert = dir_ + "/" + name + ".pem";
        const tls::test::ProcessResult r =
            tls::test::run_process({"openssl",     "req",      "-x509",
                                    "-utf8",       "-config",  config,
                                    "-extensions", "ext",      "-newkey",
                                    "ec",          "-pkeyopt", "ec_paramgen_curve:P-256",
                                    "-nodes",      "-keyout",  dir_ + "/" + name + ".key",
                                    "-out",        cert,       "-days",
                                    "30",          "-subj",    subject});
        if (r.exit_code != 0) {
            ADD_FAILURE() << "openssl req failed for " << name << ": " << r.err;
        }
        return cert;
    }

    std::string dir_;
};

TEST_F(PrintingTest, DecodedCertificatesPrintAsPythonPrintsThem) {
    const tls::test::TestPki& pki = tls::test::TestPki::get();
    std::vector<std::string> paths = {
        // Every subjectAltName type Python names, IPv4 and IPv6 included.
        make_cert("every-san", "/CN=every SAN type",
                  "subjectAltName = DNS:www.example.com, DNS:*.example.org, IP:127.0.0.1, "
                  "IP:2001:db8::1, email:admin@example.com, URI:https://example.com/a?b=c, "
                  "RID:1.2.3.4, otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com, "
                  "dirName:dir_sect\n[dir_sect]\nC = DE\nO = Directory Name Org\nCN = dir\n"),
        // A subject whose repr is far longer than a line, with e-mail and multi-valued RDNs.
        make_cert("long-subject",
                  "/C=US/ST=California/L=San Francisco/O=A Rather Long Organization Name For "
                  "Line Wrapping, Inc./OU=Engineering+OU=Security "
                  "Operations/CN=a-very-long-host-name-that-keeps-going.subdomain.example."
                  "com/emailAddress=security-team@example.com",
                  "subjectAltName = DNS:a-very-long-host-name-that-keeps-going.subdomain."
                  "example.com\n"),
        // UTF-8 names: printable non-ASCII stays as it is in pprint, becomes \uXXXX in JSON.
        make_cert("utf8",
                  "/C=DE/O=B\xC3\xBC"
                  "cher & S\xC3\xB6hne GmbH/CN=\xE6\x97\xA5\xE6\x9C"
                  "\xAC\xE8\xAA\x9E.example/L=Gr\xC3\xBC\xC3\x9F Gott \xF0\x9F\x98\x80",
                  "subjectAltName = DNS:xn--wgv71a119e.example, email:j\xC3\xB6rg@example.com\n"),
        // Quotes and backslashes choose and escape repr()'s quote character.
        make_cert("quotes", "/O=O'Reilly \"Media\"/OU=it's/CN=back\\\\slash",
                  "subjectAltName = DNS:quotes.example\n"),
        // Authority information access and CRL distribution points, one and several.
        make_cert("aia", "/CN=aia.example",
                  "authorityInfoAccess = OCSP;URI:http://ocsp.example.com/, "
                  "caIssuers;URI:http://ca.example.com/ca.der, "
                  "caIssuers;URI:http://backup-ca.example.com/intermediate-certificate.der\n"
                  "crlDistributionPoints = URI:http://crl.example.com/ca.crl, "
                  "URI:http://another-crl-distribution-point.example.net/ca.crl\n"),
        pki.ca_cert(),
        pki.intermediate_cert(),
        pki.localhost().cert,
        pki.client().cert,
        pki.wildcard().cert,
        pki.no_san().cert,
    };
    std::vector<std::string> args = {"certs"};
    args.insert(args.end(), paths.begin(), paths.end());
    const std::vector<PythonText> python = ask_python(args);
    ASSERT_EQ(python.size(), paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const tls::CertificateInfo cert = tls::decode_certificate_file(paths[i]);
        expect_prints_as_python(cert, python[i], paths[i]);
    }
    // The test would prove little if nothing wrapped: the long subject must span lines.
    EXPECT_NE(python[1].pformat.find("),\n"), std::string::npos) << python[1].pformat;
    EXPECT_NE(tls::to_json(tls::decode_certificate_file(paths[2])).find("\\u00fc"),
              std::string::npos);
}

// getpeercert()-shaped values that exercise repr() and pprint's wrapping: every string below is
// printed somewhere in a dict nested like Python's, at several lengths around the line width.
std::vector<tls::CertificateInfo> tricky_certificates() {
    const std::vector<std::string> strings = {
        "plain",
        "it's",                                  // single quote: repr() switches to double quotes
        "say \"hi\"",                            // double quotes only: stays single-quoted
        "both ' and \"",                         // both: single quotes, the single one escaped
        "back\\slash",                           //
        "tab\there, cr\r, nl\n, vt\x0b ff\x0c",  // escapes; \v and \f are line breaks
        std::string("nul\0\x01\x1f\x7f", 7),     // \x escapes
        "\xC2\x85 next line, \xC2\xA0 nbsp, \xC2\xAD shy",               // non-printable Latin-1
        "\xC3\xA9t\xC3\xA9 \xC3\xBC \xC3\x9F \xE6\x97\xA5\xE6\x9C\xAC",  // printable
        "\xF0\x9F\x98\x80 emoji, \xF3\xA0\x80\x81 tag, \xEF\xBF\xBF, \xCD\xB8",  // astral, Cn
        "line\xE2\x80\xA8separator\xE2\x80\xA9paragraph\r\nwindows",
        "",
        " leading and trailing spaces ",
        "   ",
        // Not UTF-8: a stray byte, a truncated sequence, an encoded surrogate, an overlong form.
        "bad \xFF\xFE byte",
        "cut \xE2\x82",
        "\xED\xA0\x80 surrogate",
        "\xC0\xAF overlong",
        std::string(95, 'x'),  // one long word: cannot be split
        "http://ocsp.example.com/a/very/long/path/that/does/not/contain/any/space/at/all/x",
    };
    std::vector<tls::CertificateInfo> out;
    tls::CertificateInfo base;
    base.subject = {{{"commonName", "example.com"}}};
    base.issuer = {{{"countryName", "US"}}, {{"organizationName", "Issuer"}}};
    base.version = 3;
    base.serial_number = "0123456789ABCDEF";
    base.not_before = "Jan  1 00:00:00 2025 GMT";
    base.not_after = "Jan  1 00:00:00 2026 GMT";

    for (const std::string& s : strings) {
        tls::CertificateInfo cert = base;
        cert.subject.push_back({{"organizationName", s}});
        cert.subject_alt_name = {{"DNS", s, {}}, {"URI", s + s, {}}};
        cert.ocsp = {s};
        out.push_back(cert);
    }
    // Words of 1 to 9 letters, at every total length from 30 to 130: the split points of
    // pprint's str wrapping and the fit/no-fit edge of each container around them.
    std::string words;
    for (int i = 0; words.size() < 130; ++i) {
        words += std::string(static_cast<std::size_t>(i % 9 + 1), static_cast<char>('a' + i % 26));
        words += i % 4 == 3 ? "  " : " ";
    }
    for (std::size_t n = 30; n <= 130; ++n) {
        tls::CertificateInfo cert = base;
        cert.subject.push_back({{"commonName", words.substr(0, n)}});
        cert.ca_issuers = {words.substr(0, n / 2), words.substr(0, n)};
        cert.crl_distribution_points = {std::string(n, 'c')};
        out.push_back(cert);
    }
    // The same with two-byte characters: widths count characters, not bytes.
    std::string umlauts;
    for (int i = 0; i < 90; ++i) {
        umlauts += i % 3 == 2 ? "\xC3\xBC " : "\xC3\xB6";
        if (i >= 40) {
            tls::CertificateInfo cert = base;
            cert.subject.push_back({{"organizationName", umlauts}});
            out.push_back(cert);
        }
    }
    // A multi-valued RDN, a DirName, and the empty dict of an unverified peer.
    tls::CertificateInfo dir = base;
    dir.subject.push_back({{"organizationalUnitName", "a"}, {"organizationalUnitName", "b"}});
    dir.subject_alt_name = {{"DirName", "", {{{"countryName", "DE"}}, {{"commonName", "x"}}}}};
    out.push_back(dir);
    out.push_back(tls::CertificateInfo{});
    return out;
}

TEST(Printing, TrickyCertificateValuesPrintAsPythonPrintsThem) {
    const std::vector<tls::CertificateInfo> certs = tricky_certificates();
    ordered_json shapes = ordered_json::array();
    for (const tls::CertificateInfo& cert : certs) {
        shapes.push_back(certificate_shape(cert));
    }
    const std::vector<PythonText> python = ask_python_values(shapes);
    ASSERT_EQ(python.size(), certs.size());
    for (std::size_t i = 0; i < certs.size(); ++i) {
        expect_prints_as_python(certs[i], python[i], "value #" + std::to_string(i));
    }
    // get_ca_certs() prints a list of these dicts.
    ordered_json list = {{"$list", ordered_json::array()}};
    for (std::size_t i = 0; i < 3; ++i) {
        list["$list"].push_back(shapes[i]);
    }
    const std::vector<PythonText> as_list = ask_python_values(ordered_json::array({list}));
    ASSERT_EQ(as_list.size(), 1U);
    const std::vector<tls::CertificateInfo> three(certs.begin(), certs.begin() + 3);
    EXPECT_EQ(tls::to_string(three), as_list[0].pformat);
    EXPECT_EQ(tls::to_json(three), as_list[0].json);
}

TEST(Printing, CipherTuplesPrintAsPythonPrintsThem) {
    const std::vector<tls::CipherDescription> ciphers = {
        {"TLS_AES_256_GCM_SHA384", "TLSv1.3", 256},
        {"ECDHE-RSA-CHACHA20-POLY1305", "TLSv1.2", 256},
        {"TLS_AES_128_GCM_SHA256", "TLSv1.3", 128},
        {"AES128-SHA", "SSLv3", 128},
    };
    ordered_json shapes = ordered_json::array();
    ordered_json shared = ordered_json::array();
    for (const tls::CipherDescription& c : ciphers) {
        shapes.push_back({c.name, c.protocol, c.secret_bits});
        shared.push_back({c.name, c.protocol, c.secret_bits});
    }
    shapes.push_back({{"$list", shared}});  // shared_ciphers(): a list of these tuples
    const std::vector<PythonText> python = ask_python_values(shapes);
    ASSERT_EQ(python.size(), ciphers.size() + 1);
    for (std::size_t i = 0; i < ciphers.size(); ++i) {
        EXPECT_EQ(tls::to_string(ciphers[i]), python[i].pformat);
        EXPECT_EQ(tls::to_json(ciphers[i]), python[i].json);
        std::ostringstream streamed;
        streamed << ciphers[i];
        EXPECT_EQ(streamed.str(), python[i].pformat);
    }
    EXPECT_EQ(tls::to_string(ciphers), python.back().pformat);
    EXPECT_EQ(tls::to_json(ciphers), python.back().json);
    EXPECT_EQ(tls::to_string(ciphers[0]), "('TLS_AES_256_GCM_SHA384', 'TLSv1.3', 256)");
}

TEST(Printing, GetCiphersPrintsAsPythonPrintsIt) {
    // get_ciphers() after the same string is the same list in both (context_test.cpp checks it
    // field by field); here its text must be the same too. The python3.4 string has AEAD and
    // CBC suites, so None and the digest names both appear.
    const std::string cipher_string(tls::cipher_string(tls::CipherPolicy::python_3_4));
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    ctx.set_ciphers(tls::CipherPolicy::python_3_4);
    const std::vector<tls::CipherInfo> ciphers = ctx.get_ciphers();
    const std::vector<PythonText> python = ask_python({"ciphers", cipher_string});
    ASSERT_EQ(python.size(), ciphers.size() + 1);
    EXPECT_EQ(tls::to_string(ciphers), python[0].pformat);
    EXPECT_EQ(tls::to_json(ciphers), python[0].json);
    for (std::size_t i = 0; i < ciphers.size(); ++i) {
        EXPECT_EQ(tls::to_string(ciphers[i]), python[i + 1].pformat) << ciphers[i].name;
        EXPECT_EQ(tls::to_json(ciphers[i]), python[i + 1].json) << ciphers[i].name;
    }
    EXPECT_NE(python[0].json.find("null"), std::string::npos) << "no suite without a digest";
}

}  // namespace
