// Certificate decoding checked against Python itself: each certificate is made with the openssl
// command and decoded both by tlsctx and by `ssl._ssl._test_decode_cert` in a python3 process
// (the same OpenSSL underneath), and the JSON must be identical, byte for byte.
#include "tls/certificate.hpp"
#include "tls/version.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "tls/errors.hpp"
#include "tlsctx/json_shapes.hpp"

namespace {

using nlohmann::json;

// The oracle: Python's ssl module, fed one input per line (hex-encoded, so any bytes survive).
constexpr const char* kOracle = R"PY(import json, ssl, sys

mode, arg = sys.argv[1], sys.argv[2]
if mode == "decode":
    print(json.dumps(ssl._ssl._test_decode_cert(arg)))
    sys.exit(0)
with open(arg) as f:
    inputs = [bytes.fromhex(line.strip()) for line in f]
for data in inputs:
    try:
        if mode == "der2pem":
            print(ssl.DER_cert_to_PEM_cert(data).encode("ascii").hex())
        elif mode == "pem2der":
            print(ssl.PEM_cert_to_DER_cert(data.decode("utf-8")).hex())
        elif mode == "seconds":
            print(ssl.cert_time_to_seconds(data.decode("utf-8")))
    except ValueError:
        print("ValueError")
)PY";

// What every generated certificate shares. The oid_section gives 1.2.3.4.5 a name inside the
// openssl command only, so the subject can carry an attribute neither decoder knows.
constexpr const char* kBaseConfig = R"CNF(oid_section = new_oids
[new_oids]
testAttribute = 1.2.3.4.5
[req]
distinguished_name = req_dn
[req_dn]
)CNF";

// `openssl ca` is the one CLI path that takes explicit validity dates.
constexpr const char* kCaConfig = R"CNF([ca]
default_ca = ca_default
[ca_default]
database = DIR/index.txt
new_certs_dir = DIR
serial = DIR/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
commonName = supplied
[req]
distinguished_name = req_dn
[req_dn]
)CNF";

std::string to_hex(const std::string& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out += kDigits[b >> 4];
        out += kDigits[b & 0x0f];
    }
    return out;
}

std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return out;
}

std::string bytes_to_string(const tls::Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

tls::Bytes string_to_bytes(const std::string& s) {
    return tls::Bytes(s.begin(), s.end());
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

struct CertSpec {
    std::string subject = "/CN=tlsctx test";
    std::string extensions;      // body of the [ext] section; empty makes a v1 certificate
    std::string extra_sections;  // sections the extensions refer to
    std::string options;         // further `openssl req` options
    std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:P-256";
};

class CertificateTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tlsctx-cert-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
        dir_ = pattern;
        write("oracle.py", kOracle);
    }

    void TearDown() override {
        if (!dir_.empty()) {
            std::filesystem::remove_all(dir_);
        }
    }

    std::string path(const std::string& name) const { return dir_ + "/" + name; }

    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream out(path(name), std::ios::binary);
        out << content;
        if (!out) {
            throw std::runtime_error("cannot write " + path(name));
        }
        return path(name);
    }

    std::string read(const std::string& file) const {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            throw std::runtime_error("cannot read " + file);
        }
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    // Runs a shell command and returns its standard output; a failure throws (failing the
    // test) with the command's standard error.
    std::string run(const std::string& command) const {
        const std::string errors = path("stderr.txt");
        std::FILE* pipe = ::popen((command + " 2>'" + errors + "'").c_str(), "r");
        if (pipe == nullptr) {
            throw std::runtime_error("popen failed for: " + command);
        }
        std::string out;
        std::array<char, 4096> buf{};
        std::size_t n = 0;
        while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
            out.append(buf.data(), n);
        }
        const int status = ::pclose(pipe);
        if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            throw std::runtime_error("command failed: " + command + "\n" + read(errors));
        }
        return out;
    }

    std::string python(const std::string& mode, const std::string& arg) const {
        return run("python3 '" + path("oracle.py") + "' " + mode + " '" + arg + "'");
    }

    // Python's answers for many inputs at once: one output line per input.
    std::vector<std::string> python_batch(const std::string& mode,
                                          const std::vector<std::string>& inputs) const {
        std::string file;
        for (const std::string& input : inputs) {
            file += to_hex(input) + "\n";
        }
        std::vector<std::string> answers = lines_of(python(mode, write(mode + ".in", file)));
        if (answers.size() != inputs.size()) {
            throw std::runtime_error("python gave " + std::to_string(answers.size()) +
                                     " answers for " + std::to_string(inputs.size()) + " inputs");
        }
        return answers;
    }

    std::string make_cert(const std::string& name, const CertSpec& spec) const {
        const std::string config =
            write(name + ".cnf", std::string(kBaseConfig) + "[ext]\n" + spec.extensions + "\n" +
                                     spec.extra_sections + "\n");
        run("openssl req -x509 -config '" + config + "'" +
            (spec.extensions.empty() ? "" : " -extensions ext") + " " + spec.key +
            " -nodes -keyout '" + path(name + ".key") + "' -out '" + path(name + ".pem") +
            "' -days 30 -subj '" + spec.subject + "' " + spec.options);
        return path(name + ".pem");
    }

    // Both the structure and the exact text of Python's json.dumps must match.
    tls::CertificateInfo expect_matches_python(const std::string& cert_path) const {
        std::string expected = python("decode", cert_path);
        if (!expected.empty() && expected.back() == '\n') {
            expected.pop_back();
        }
        const tls::CertificateInfo info = tls::decode_certificate_file(cert_path);
        EXPECT_EQ(tlsctx_tool::certificate_to_json(info), json::parse(expected)) << cert_path;
        EXPECT_EQ(tlsctx_tool::dumps_like_python(tlsctx_tool::certificate_to_ordered_json(info)),
                  expected)
            << cert_path;
        EXPECT_EQ(ERR_peek_error(), 0UL) << "decoding left errors in the OpenSSL queue";
        return info;
    }

    std::string dir_;
};

TEST_F(CertificateTest, RsaCertificateWithDnsNameMatchesPython) {
    CertSpec spec;
    spec.key = "-newkey rsa:2048";
    spec.subject = "/C=US/ST=California/L=Los Angeles/O=Example, Inc./CN=www.example.com";
    spec.extensions = "subjectAltName = DNS:www.example.com, DNS:*.example.com";
    const tls::CertificateInfo info = expect_matches_python(make_cert("rsa", spec));

    EXPECT_EQ(info.version, 3);
    ASSERT_EQ(info.subject.size(), 5U);
    EXPECT_EQ(info.subject[4], (tls::RelativeDistinguishedName{{"commonName", "www.example.com"}}));
    EXPECT_EQ(info.subject, info.issuer);
    ASSERT_EQ(info.subject_alt_name.size(), 2U);
    EXPECT_EQ(info.subject_alt_name[1], (tls::GeneralName{"DNS", "*.example.com", {}}));
}

TEST_F(CertificateTest, EcCertificateWithoutExtensionsIsVersionOneAndMatchesPython) {
    // `openssl req -x509` of OpenSSL 3.2+ adds key identifiers unless told -x509v1 (which 3.0
    // does not know); the test's openssl is the linked release (interop.OpensslMatrix).
    CertSpec spec;
    const auto [major, minor, fix, patch, status] = tls::openssl_version_info();
    static_cast<void>(fix), static_cast<void>(patch), static_cast<void>(status);
    if (major > 3 || (major == 3 && minor >= 2)) {
        spec.options = "-x509v1";
    }
    const tls::CertificateInfo info = expect_matches_python(make_cert("v1", spec));

    EXPECT_EQ(info.version, 1);
    EXPECT_TRUE(info.subject_alt_name.empty());
    EXPECT_TRUE(info.ocsp.empty());
    EXPECT_TRUE(info.crl_distribution_points.empty());
    EXPECT_FALSE(tlsctx_tool::certificate_to_json(info).contains("subjectAltName"));
}

TEST_F(CertificateTest, EverySubjectAltNameKindMatchesPython) {
    CertSpec spec;
    spec.extensions =
        "subjectAltName = DNS:example.com, IP:192.0.2.1, IP:2001:db8::1, IP:::1, "
        "IP:fe80::1:abcd, email:user@example.com, URI:https://example.com/path?q=1, "
        "dirName:dir_sect, otherName:1.2.3.4;UTF8:hello, otherName:msUPN;UTF8:user@example.com, "
        "otherName:SRVName;IA5STRING:_https.example.com, RID:1.2.3.4.5, RID:2.5.4.3";
    spec.extra_sections =
        "[dir_sect]\nC = US\nO = Directory Org\nCN = Directory Name\n+OU = Directory Unit\n";
    const tls::CertificateInfo info = expect_matches_python(make_cert("sans", spec));

    // Python's own spellings, independent of the oracle.
    ASSERT_EQ(info.subject_alt_name.size(), 13U);
    EXPECT_EQ(info.subject_alt_name[1], (tls::GeneralName{"IP Address", "192.0.2.1", {}}));
    EXPECT_EQ(info.subject_alt_name[2],
              (tls::GeneralName{"IP Address", "2001:DB8:0:0:0:0:0:1", {}}));
    EXPECT_EQ(info.subject_alt_name[3], (tls::GeneralName{"IP Address", "0:0:0:0:0:0:0:1", {}}));
    EXPECT_EQ(info.subject_alt_name[4],
              (tls::GeneralName{"IP Address", "FE80:0:0:0:0:0:1:ABCD", {}}));
    EXPECT_EQ(info.subject_alt_name[5], (tls::GeneralName{"email", "user@example.com", {}}));
    EXPECT_EQ(info.subject_alt_name[7].type, "DirName");
    EXPECT_EQ(info.subject_alt_name[7].directory_name.back(),
              (tls::RelativeDistinguishedName{{"commonName", "Directory Name"},
                                              {"organizationalUnitName", "Directory Unit"}}));
    EXPECT_EQ(info.subject_alt_name[8], (tls::GeneralName{"othername", "<unsupported>", {}}));
    EXPECT_EQ(info.subject_alt_name[9],
              (tls::GeneralName{"othername", "UPN:user@example.com", {}}));
    EXPECT_EQ(info.subject_alt_name[11], (tls::GeneralName{"Registered ID", "1.2.3.4.5", {}}));
    EXPECT_EQ(info.subject_alt_name[12], (tls::GeneralName{"Registered ID", "commonName", {}}));
}

TEST_F(CertificateTest, RawX400EdiPartyOddIpAndNulInDnsNameMatchPython) {
    // GeneralNames built by hand: x400Address [3] (empty), ediPartyName [5] {partyName "x"},
    // an iPAddress of 5 bytes and the dNSName "a\0b".
    CertSpec spec;
    spec.extensions = "subjectAltName = DER:3015A300A505A1030C0178870501020304058203610062";
    const tls::CertificateInfo info = expect_matches_python(make_cert("raw", spec));

    ASSERT_EQ(info.subject_alt_name.size(), 4U);
    EXPECT_EQ(info.subject_alt_name[0], (tls::GeneralName{"X400Name", "<unsupported>", {}}));
    EXPECT_EQ(info.subject_alt_name[1], (tls::GeneralName{"EdiPartyName", "<unsupported>", {}}));
    EXPECT_EQ(info.subject_alt_name[2], (tls::GeneralName{"IP Address", "<invalid>", {}}));
    EXPECT_EQ(info.subject_alt_name[3], (tls::GeneralName{"DNS", std::string("a\0b", 3), {}}));
}

TEST_F(CertificateTest, AuthorityInfoAccessAndCrlDistributionPointsMatchPython) {
    CertSpec spec;
    spec.extensions =
        "authorityInfoAccess = OCSP;URI:http://ocsp.example.com/, "
        "caIssuers;URI:http://ca.example.com/ca.der, OCSP;URI:http://ocsp2.example.com/, "
        "caIssuers;dirName:dir_sect, 1.2.3.4;URI:http://other-method.example.com/\n"
        "crlDistributionPoints = URI:http://crl.example.com/a.crl, "
        "URI:http://crl2.example.com/b.crl";
    spec.extra_sections = "[dir_sect]\nCN = not a URI\n";
    const tls::CertificateInfo info = expect_matches_python(make_cert("aia", spec));

    EXPECT_EQ(info.ocsp,
              (std::vector<std::string>{"http://ocsp.example.com/", "http://ocsp2.example.com/"}));
    EXPECT_EQ(info.ca_issuers, (std::vector<std::string>{"http://ca.example.com/ca.der"}));
    EXPECT_EQ(info.crl_distribution_points,
              (std::vector<std::string>{"http://crl.example.com/a.crl",
                                        "http://crl2.example.com/b.crl"}));
}

TEST_F(CertificateTest, CrlDistributionPointsReportOnlyFullNameUrisLikePython) {
    CertSpec spec;
    // dp_full mixes a URI with a DNS name, dp_relative names the CRL relative to its issuer and
    // dp_issuer_only has no distributionPoint at all (CVE-2019-5010).
    spec.extensions =
        "crlDistributionPoints = dp_full, dp_relative, dp_issuer_only\n"
        "authorityInfoAccess = caIssuers;dirName:dir_sect";
    spec.extra_sections =
        "[dp_full]\nfullname = URI:http://crl.example.com/1.crl, DNS:ignored.example.com\n"
        "[dp_relative]\nrelativename = relative_name\n[relative_name]\nCN = relative\n"
        "[dp_issuer_only]\nreasons = keyCompromise\nCRLissuer = dirName:dir_sect\n"
        "[dir_sect]\nCN = Issuer\n";
    const tls::CertificateInfo info = expect_matches_python(make_cert("crldp", spec));

    EXPECT_EQ(info.crl_distribution_points,
              (std::vector<std::string>{"http://crl.example.com/1.crl"}));
    EXPECT_TRUE(info.ca_issuers.empty()) << "a dirName access location is not a URI";
}

TEST_F(CertificateTest, MultiValuedRdnsAreGroupedLikePython) {
    CertSpec spec;
    spec.subject = "/CN=a+OU=b/O=org/serialNumber=42+C=DE+L=Berlin";
    spec.options = "-multivalue-rdn";
    const tls::CertificateInfo info = expect_matches_python(make_cert("mvrdn", spec));

    ASSERT_EQ(info.subject.size(), 3U);
    EXPECT_EQ(info.subject[0], (tls::RelativeDistinguishedName{{"commonName", "a"},
                                                               {"organizationalUnitName", "b"}}));
    EXPECT_EQ(info.subject[2].size(), 3U);
}

TEST_F(CertificateTest, UnknownAttributeIsNamedByDottedOidLikePython) {
    CertSpec spec;
    spec.subject = "/testAttribute=custom value/CN=known";
    const tls::CertificateInfo info = expect_matches_python(make_cert("oid", spec));

    ASSERT_EQ(info.subject.size(), 2U);
    EXPECT_EQ(info.subject[0], (tls::RelativeDistinguishedName{{"1.2.3.4.5", "custom value"}}));
}

TEST_F(CertificateTest, NonAsciiUtf8SubjectMatchesPython) {
    CertSpec spec;
    spec.subject = "/CN=Grüße 日本 😀/O=Ñandú \"quoted\" \\ back/OU=tab\there";
    spec.options = "-utf8";
    const tls::CertificateInfo info = expect_matches_python(make_cert("utf8", spec));

    EXPECT_EQ(info.subject[0][0].second, "Grüße 日本 😀");
}

TEST_F(CertificateTest, T61AndBmpStringsAreConvertedToUtf8LikePython) {
    // string_mask = default picks T61String for Latin-1 text and BMPString beyond it.
    CertSpec spec;
    spec.subject = "/CN=Grüße/O=日本";
    spec.options = "-utf8";
    const std::string config =
        write("mask.cnf", std::string(kBaseConfig) + "[req]\nstring_mask = default\n");
    run("openssl req -x509 -config '" + config + "' " + spec.key + " -nodes -keyout '" +
        path("mask.key") + "' -out '" + path("mask.pem") + "' -days 30 -subj '" + spec.subject +
        "' -utf8");
    const std::string asn1 = run("openssl asn1parse -in '" + path("mask.pem") + "'");
    ASSERT_NE(asn1.find("T61STRING"), std::string::npos);
    ASSERT_NE(asn1.find("BMPSTRING"), std::string::npos);

    const tls::CertificateInfo info = expect_matches_python(path("mask.pem"));
    EXPECT_EQ(info.subject[0][0].second, "Grüße");
    EXPECT_EQ(info.subject[1][0].second, "日本");
}

TEST_F(CertificateTest, SerialNumbersMatchPython) {
    struct Row {
        const char* serial;
        const char* expected;
    };
    const Row rows[] = {
        {"0", "00"},           // zero has no content bytes; OpenSSL prints "00"
        {"1", "01"},           // small serials keep two digits per byte
        {"-5", "-05"},         // negative (invalid but encodable) keeps its sign
        {"0x00ff01", "FF01"},  // DER's sign byte is not part of the value
        {"0x000012", "12"},    // leading zero bytes vanish in minimal DER
        {"0x7f", "7F"},
        {"0x0102030405060708090a0b0c0d0e0f1011121314", "0102030405060708090A0B0C0D0E0F1011121314"},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.serial);
        CertSpec spec;
        spec.options = std::string("-set_serial ") + row.serial;
        const tls::CertificateInfo info = expect_matches_python(make_cert("serial", spec));
        EXPECT_EQ(info.serial_number, row.expected);
    }
}

TEST_F(CertificateTest, SerialLongerThan35BytesKeepsOpenSslLineBreakLikePython) {
    CertSpec spec;
    spec.options = "-set_serial 0x" + std::string(80, 'A');
    const tls::CertificateInfo info = expect_matches_python(make_cert("longserial", spec));

    // i2a_ASN1_INTEGER breaks the line after 35 bytes and Python keeps only the first line.
    EXPECT_EQ(info.serial_number, std::string(70, 'A') + "\\\n");
}

TEST_F(CertificateTest, CaSignedLeafHasItsIssuerLikePython) {
    CertSpec ca;
    ca.subject = "/O=Test CA/CN=Test Root";
    ca.extensions = "basicConstraints = critical, CA:true";
    const std::string ca_pem = make_cert("ca", ca);
    const std::string config =
        write("leaf.cnf", std::string(kBaseConfig) +
                              "[ext]\nsubjectAltName = DNS:leaf.example.com, IP:10.0.0.1\n");
    run("openssl req -new -config '" + config + "' -newkey ec -pkeyopt ec_paramgen_curve:P-256 " +
        "-nodes -keyout '" + path("leaf.key") + "' -subj '/CN=leaf.example.com' -out '" +
        path("leaf.csr") + "'");
    run("openssl x509 -req -in '" + path("leaf.csr") + "' -CA '" + ca_pem + "' -CAkey '" +
        path("ca.key") + "' -set_serial 4096 -days 30 -extfile '" + config +
        "' -extensions ext -out '" + path("leaf.pem") + "'");
    const tls::CertificateInfo info = expect_matches_python(path("leaf.pem"));

    EXPECT_EQ(info.issuer, (tls::DistinguishedName{{{"organizationName", "Test CA"}},
                                                   {{"commonName", "Test Root"}}}));
    EXPECT_EQ(info.serial_number, "1000");
}

TEST_F(CertificateTest, DatesWithSingleDigitDayAndGeneralizedTimeMatchPython) {
    std::string config = kCaConfig;
    for (std::size_t at = config.find("DIR"); at != std::string::npos; at = config.find("DIR")) {
        config.replace(at, 3, dir_);
    }
    write("ca.cnf", config);
    write("index.txt", "");
    write("serial", "01\n");
    run("openssl req -new -config '" + path("ca.cnf") +
        "' -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout '" + path("dated.key") +
        "' -subj '/CN=dated' -out '" + path("dated.csr") + "'");
    // 2051 is past 2049, so notAfter is a GeneralizedTime (RFC 5280 section 4.1.2.5).
    run("openssl ca -batch -notext -config '" + path("ca.cnf") + "' -selfsign -keyfile '" +
        path("dated.key") + "' -in '" + path("dated.csr") + "' -out '" + path("dated.pem") +
        "' -startdate 20240105093443Z -enddate 20510203040506Z");
    const tls::CertificateInfo info = expect_matches_python(path("dated.pem"));

    EXPECT_EQ(info.not_before, "Jan  5 09:34:43 2024 GMT");
    EXPECT_EQ(info.not_after, "Feb  3 04:05:06 2051 GMT");
    EXPECT_EQ(tls::cert_time_to_seconds(info.not_before), 1704447283);
}

TEST_F(CertificateTest, PemFileWithTextAndKeyBeforeCertificateMatchesPython) {
    const std::string cert = read(make_cert("mixed", CertSpec{}));
    const std::string file =
        write("bundle.pem", "Explanatory text\n" + read(path("mixed.key")) + cert + cert);
    expect_matches_python(file);
}

TEST_F(CertificateTest, DerInputDecodesLikeItsPemForm) {
    CertSpec spec;
    spec.extensions = "subjectAltName = DNS:der.example.com";
    const std::string pem_path = make_cert("der", spec);
    run("openssl x509 -in '" + pem_path + "' -outform DER -out '" + path("der.der") + "'");
    const std::string der = read(path("der.der"));

    const json expected = tlsctx_tool::certificate_to_json(tls::decode_certificate_file(pem_path));
    EXPECT_EQ(tlsctx_tool::certificate_to_json(tls::decode_certificate(der)), expected);
    EXPECT_EQ(tlsctx_tool::certificate_to_json(tls::decode_certificate_file(path("der.der"))),
              expected);
    EXPECT_EQ(expected, json::parse(python("decode", pem_path)));
}

TEST_F(CertificateTest, InputThatIsNotACertificateThrowsSSLError) {
    const std::string pem = read(make_cert("garbage", CertSpec{}));
    run("openssl x509 -in '" + path("garbage.pem") + "' -outform DER -out '" + path("garbage.der") +
        "'");
    const std::string der = read(path("garbage.der"));
    std::string encrypted = pem;
    encrypted.insert(pem.find('\n') + 1,
                     "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
                     "00112233445566778899AABBCCDDEEFF\n\n");

    struct Row {
        const char* what;
        std::string input;
    };
    const Row rows[] = {
        {"empty input", ""},
        {"plain text", "not a certificate"},
        {"PEM block with broken base64",
         "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"},
        {"a private key only", read(path("garbage.key"))},
        {"truncated DER", der.substr(0, der.size() - 1)},
        {"DER followed by another byte", der + '\0'},
        {"a DER SEQUENCE that is no certificate", std::string("\x30\x03\x02\x01\x01", 5)},
        // Must fail without prompting for a passphrase.
        {"PEM claiming to be encrypted", encrypted},
    };
    for (const Row& row : rows) {
        SCOPED_TRACE(row.what);
        EXPECT_THROW(tls::decode_certificate(row.input), tls::SSLError);
        EXPECT_EQ(ERR_peek_error(), 0UL) << "the OpenSSL error queue must be left empty";
    }
    EXPECT_THROW(tls::decode_certificate_file(write("garbage.txt", "hello\n")), tls::SSLError);
}

TEST_F(CertificateTest, MissingFileThrowsSystemErrorWithEnoent) {
    try {
        tls::decode_certificate_file(path("does-not-exist.pem"));
        FAIL() << "no exception";
    } catch (const tls::SSLError&) {
        FAIL() << "a missing file is an OSError in Python, not an SSLError";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
        EXPECT_EQ(e.code().value(), ENOENT);
    }
}

TEST_F(CertificateTest, DirectoryThrowsSystemErrorWithItsErrno) {
    try {
        tls::decode_certificate_file(dir_);
        FAIL() << "no exception";
    } catch (const tls::SSLError&) {
        FAIL() << "an unreadable file is an OSError in Python, not an SSLError";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), std::errc::is_a_directory);
    }
}

TEST_F(CertificateTest, DerToPemMatchesPythonAndRoundTrips) {
    make_cert("pem", CertSpec{});
    run("openssl x509 -in '" + path("pem.pem") + "' -outform DER -out '" + path("pem.der") + "'");
    const std::string der = read(path("pem.der"));
    std::string bytes_0_to_96;
    for (int i = 0; i < 96; ++i) {
        bytes_0_to_96 += static_cast<char>(i * 37);
    }
    // Lengths around the 48-byte (64-column) line boundary and each base64 padding case.
    const std::vector<std::string> inputs = {
        der,
        "",
        bytes_0_to_96.substr(0, 1),
        bytes_0_to_96.substr(0, 2),
        bytes_0_to_96.substr(0, 3),
        bytes_0_to_96.substr(0, 47),
        bytes_0_to_96.substr(0, 48),
        bytes_0_to_96.substr(0, 49),
        bytes_0_to_96,
    };
    const std::vector<std::string> expected = python_batch("der2pem", inputs);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        SCOPED_TRACE("input " + std::to_string(i));
        const std::string pem = tls::DER_cert_to_PEM_cert(string_to_bytes(inputs[i]));
        EXPECT_EQ(pem, from_hex(expected[i]));
        EXPECT_EQ(bytes_to_string(tls::PEM_cert_to_DER_cert(pem)), inputs[i]);
    }
    EXPECT_EQ(tlsctx_tool::certificate_to_json(
                  tls::decode_certificate(tls::DER_cert_to_PEM_cert(string_to_bytes(der)))),
              json::parse(python("decode", path("pem.pem"))));
}

TEST_F(CertificateTest, PemToDerMatchesPythonIncludingItsValueErrors) {
    const std::string pem = read(make_cert("p2d", CertSpec{}));
    const std::string header(tls::PEM_HEADER);
    const std::string footer(tls::PEM_FOOTER);
    std::string crlf;
    for (const char c : pem) {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    std::string one_char_short = pem;
    one_char_short.erase(header.size() + 10, 1);

    struct Row {
        const char* what;
        std::string input;
    };
    const Row rows[] = {
        {"the openssl output", pem},
        {"trailing whitespace is stripped", pem + "\n\n \t\x0b\x0c\x1c"},
        {"a trailing no-break space is Unicode whitespace", pem + "\xc2\xa0"},
        {"CRLF line ends", crlf},
        {"leading whitespace: header not at the start", " " + pem},
        {"no header", pem.substr(header.size())},
        {"no footer", pem.substr(0, pem.size() - footer.size() - 1)},
        {"text after the footer", pem + "garbage\n"},
        {"one base64 character missing", one_char_short},
        {"characters outside the alphabet are skipped", header + "\nQU!!JD\n" + footer},
        {"decoding stops at completing padding", header + "\nQQ==QUJD\n" + footer},
        {"padding that completes nothing is skipped", header + "\n=QUJD\n" + footer},
        {"a lone '=' inside a quantum", header + "\nQU=JD\n" + footer},
        {"incorrect padding", header + "\nQUJ\n" + footer},
        {"one character more than a multiple of four", header + "\nQUJDR\n" + footer},
        {"empty body", header + "\n" + footer + "\n"},
        {"header and footer sharing their dashes",
         "-----BEGIN CERTIFICATE-----END CERTIFICATE-----"},
        {"non-ASCII body", header + "\nQUJD\xc3\xa9\n" + footer},
        {"header only", header + "\n"},
        {"empty string", ""},
    };
    std::vector<std::string> inputs;
    for (const Row& row : rows) {
        inputs.push_back(row.input);
    }
    const std::vector<std::string> expected = python_batch("pem2der", inputs);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        SCOPED_TRACE(rows[i].what);
        if (expected[i] == "ValueError") {
            EXPECT_THROW(tls::PEM_cert_to_DER_cert(inputs[i]), std::invalid_argument);
        } else {
            EXPECT_EQ(to_hex(bytes_to_string(tls::PEM_cert_to_DER_cert(inputs[i]))), expected[i]);
        }
    }
    // The oracle must have exercised both outcomes for the table to mean anything.
    EXPECT_EQ(expected[0].size() % 2, 0U);
    EXPECT_EQ(expected[4], "ValueError");
}

TEST(CertTimeToSeconds, KnownInstantsConvertToTheirEpochSeconds) {
    EXPECT_EQ(tls::cert_time_to_seconds("Jan  5 09:34:43 2018 GMT"), 1515144883);
    EXPECT_EQ(tls::cert_time_to_seconds("Jan  1 00:00:00 1970 GMT"), 0);
    EXPECT_EQ(tls::cert_time_to_seconds("Dec 31 23:59:59 1969 GMT"), -1);
    EXPECT_EQ(tls::cert_time_to_seconds("Feb 29 00:00:00 2000 GMT"), 951782400);
    EXPECT_EQ(tls::cert_time_to_seconds("Nov 22 21:18:13 2026 GMT"), 1795382293);
}

TEST(CertTimeToSeconds, MalformedTimesThrowInvalidArgument) {
    EXPECT_THROW(tls::cert_time_to_seconds(""), std::invalid_argument);
    EXPECT_THROW(tls::cert_time_to_seconds("Jan  5 09:34:43 2018"), std::invalid_argument);
    EXPECT_THROW(tls::cert_time_to_seconds("Foo  5 09:34:43 2018 GMT"), std::invalid_argument);
    EXPECT_THROW(tls::cert_time_to_seconds("Jan  5 09:34:43 2018 UTC"), std::invalid_argument);
    EXPECT_THROW(tls::cert_time_to_seconds("Jan 32 09:34:43 2018 GMT"), std::invalid_argument);
}

TEST_F(CertificateTest, CertTimeToSecondsMatchesPythonAcceptingAndRejecting) {
    const std::vector<std::pair<const char*, std::string>> rows = {
        {"Python's documented example", "Jan  5 09:34:43 2018 GMT"},
        {"zero-padded day", "Jan 05 09:34:43 2018 GMT"},
        {"single space before a one-digit day", "Jan 5 09:34:43 2018 GMT"},
        {"two-digit day", "Nov 22 21:18:13 2026 GMT"},
        {"leap day", "Feb 29 12:00:00 2024 GMT"},
        {"Feb 29 of a common year rolls over like timegm", "Feb 29 12:00:00 2023 GMT"},
        {"day past the month's end rolls over", "Feb 31 00:00:00 2021 GMT"},
        {"last representable year", "Dec 31 23:59:59 9999 GMT"},
        {"first representable year", "Jan  1 00:00:00 0001 GMT"},
        {"the epoch", "Jan  1 00:00:00 1970 GMT"},
        {"just before the epoch", "Dec 31 23:59:59 1969 GMT"},
        {"month and zone in any case", "jAN  5 09:34:43 2018 gmt"},
        {"one-digit time fields", "Jan  5 9:4:3 2018 GMT"},
        {"leap second", "Jan  5 23:59:60 2018 GMT"},
        {"second 61 is accepted by strptime", "Jan  5 23:59:61 2018 GMT"},
        {"tabs as separators", "Jan\t5\t09:34:43\t2018\tGMT"},
        {"no-break space is \\s",
         "Jan\xc2\xa0"
         "5 09:34:43 2018 GMT"},
        {"ideographic space is \\s", "Jan  5 09:34:43 2018\xe3\x80\x80GMT"},
        {"several spaces", "Jan  5 09:34:43 2018   GMT"},
        {"empty", ""},
        {"too short for a month", "Ja"},
        {"unknown month", "Foo  5 09:34:43 2018 GMT"},
        {"full month name", "January 5 09:34:43 2018 GMT"},
        {"leading space", " Jan  5 09:34:43 2018 GMT"},
        {"no space after the month", "Jan5 09:34:43 2018 GMT"},
        {"day zero", "Jan  0 09:34:43 2018 GMT"},
        {"day 00", "Jan 00 09:34:43 2018 GMT"},
        {"day 32", "Jan 32 09:34:43 2018 GMT"},
        {"three-digit day", "Jan 123 09:34:43 2018 GMT"},
        {"signed day", "Jan +5 09:34:43 2018 GMT"},
        {"hour 24", "Jan  5 24:00:00 2018 GMT"},
        {"minute 60", "Jan  5 23:60:00 2018 GMT"},
        {"second 62", "Jan  5 23:59:62 2018 GMT"},
        {"three-digit hour", "Jan  5 009:34:43 2018 GMT"},
        {"fractional seconds", "Jan  5 09:34:43.5 2018 GMT"},
        {"wrong time separators", "Jan  5 09-34-43 2018 GMT"},
        {"two-digit year", "Jan  5 09:34:43 18 GMT"},
        {"five-digit year", "Jan  5 09:34:43 20180 GMT"},
        {"year zero", "Jan  5 09:34:43 0000 GMT"},
        {"other zone", "Jan  5 09:34:43 2018 UTC"},
        {"no zone", "Jan  5 09:34:43 2018"},
        {"zone without a space", "Jan  5 09:34:43 2018GMT"},
        {"trailing space", "Jan  5 09:34:43 2018 GMT "},
        {"trailing newline", "Jan  5 09:34:43 2018 GMT\n"},
        {"text after the zone", "Jan  5 09:34:43 2018 GMTX"},
    };
    std::vector<std::string> inputs;
    for (const auto& row : rows) {
        inputs.push_back(row.second);
    }
    const std::vector<std::string> expected = python_batch("seconds", inputs);
    int accepted = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        SCOPED_TRACE(std::string(rows[i].first) + ": '" + rows[i].second + "'");
        if (expected[i] == "ValueError") {
            EXPECT_THROW(tls::cert_time_to_seconds(rows[i].second), std::invalid_argument);
        } else {
            ++accepted;
            EXPECT_EQ(std::to_string(tls::cert_time_to_seconds(rows[i].second)), expected[i]);
        }
    }
    EXPECT_EQ(accepted, 19) << "Python's verdicts changed; review the table";
}

TEST(CertificateJson, EmptyCertificateInfoIsAnEmptyObjectLikeUnverifiedGetpeercert) {
    EXPECT_EQ(tlsctx_tool::certificate_to_json(tls::CertificateInfo{}), json::object());
    EXPECT_EQ(tlsctx_tool::dumps_like_python(
                  tlsctx_tool::certificate_to_ordered_json(tls::CertificateInfo{})),
              "{}");
}

}  // namespace
