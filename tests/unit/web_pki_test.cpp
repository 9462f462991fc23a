// tls::VerifyProfile::web_pki offline (tls::verify_certificate_chain): for each rule of the
// profile (src/web_pki_certificate_rules.cpp, src/web_pki_name_rules.cpp, src/web_pki.cpp) one
// chain that breaks it and a twin that keeps it, made with the `openssl` command as a private PKI
// would make them. The breaking chain passes the standard profile (OpenSSL's verdict) and fails
// web_pki with the rule's source in verify_message, its code and the depth of the certificate
// at fault; the twin passes both. Also VerifyRequest::email_address and the profile's setter on
// tls::Context.
#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using namespace std::chrono_literals;
using tls::VerifyProfile;
using tls::VerifyRequest;
using tls::VerifyResult;
using tls::test::read_file;
using tls::test::feature::TempDir;
using tls::test::feature::write_file;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// A private PKI made with the openssl command

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

// A certificate and its key, as files.
struct Issued {
    std::string cert;
    std::string key;
};

// A CA's extensions; each non-empty field is one extension line.
struct CaSpec {
    std::string subject;
    std::string key;  // key file; empty = a new P-256 key
    std::string serial;
    std::string authority_key_identifier = "keyid:always";
    std::string extra;  // further lines
};

// A leaf's extensions; the defaults keep every web-PKI rule. An empty field leaves the
// extension out.
struct LeafSpec {
    std::string subject = "/CN=www.example.com";
    std::string basic_constraints = "critical, CA:FALSE";
    std::string key_usage = "critical, digitalSignature";
    std::string extended_key_usage = "serverAuth";
    std::string subject_alt_name = "DNS:www.example.com";
    std::string extra;   // further lines
    std::string key;     // key file; empty = the suite's P-256 leaf key
    std::string serial;  // `openssl x509 -set_serial`; empty = a fresh small positive one
    int days = 30;
};

// root ("web pki root", trusted) -> intermediate ("web pki ICA", sent) -> leaves; everything
// compliant unless a test asks otherwise. Made on first use, files removed at exit.
class Pki {
  public:
    static Pki& get() {
        static Pki pki;
        return pki;
    }

    std::string path(const std::string& name) const { return dir_.path(name); }

    // A private key made once per name with `openssl genpkey <args>`.
    std::string key(const std::string& name, const std::vector<std::string>& genpkey_args) {
        const std::string file = path(name + ".key");
        if (made_keys_.count(name) == 0) {
            std::vector<std::string> args{"genpkey"};
            args.insert(args.end(), genpkey_args.begin(), genpkey_args.end());
            args.insert(args.end(), {"-out", file});
            openssl(args);
            made_keys_[name] = true;
        }
        return file;
    }
    std::string p256(const std::string& name) {
        return key(name, {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"});
    }

    // `openssl req -new` then `openssl x509 -req` with `extensions` as the -extfile, signed by
    // `issuer` or, without one, by `key` itself.
    std::string issue(const std::string& name, const std::string& key, const std::string& subject,
                      const std::string& extensions, const Issued* issuer, std::string serial,
                      int days) {
        const std::string csr = path(name + ".csr");
        const std::string ext = path(name + ".ext");
        const std::string cert = path(name + ".pem");
        write_file(ext, extensions);
        openssl({"req", "-new", "-key", key, "-subj", subject, "-out", csr});
        if (serial.empty()) {
            serial = std::to_string(next_serial_++);
        }
        std::vector<std::string> args{"x509", "-req",        "-in",  csr,     "-extfile",
                                      ext,    "-set_serial", serial, "-days", std::to_string(days),
                                      "-out", cert};
        if (issuer != nullptr) {
            args.insert(args.end(), {"-CA", issuer->cert, "-CAkey", issuer->key});
        } else {
            args.insert(args.end(), {"-signkey", key});
        }
        openssl(args);
        return cert;
    }

    // A CA certificate (self-signed without `issuer`).
    Issued ca(const std::string& name, const CaSpec& spec, const Issued* issuer) {
        std::string ext =
            "basicConstraints = critical, CA:TRUE\n"
            "keyUsage = critical, keyCertSign, cRLSign\n"
            "subjectKeyIdentifier = hash\n";
        if (!spec.authority_key_identifier.empty()) {
            ext += "authorityKeyIdentifier = " + spec.authority_key_identifier + "\n";
        }
        ext += spec.extra + "\n";
        const std::string key = spec.key.empty() ? p256(name) : spec.key;
        return {issue(name, key, spec.subject, ext, issuer, spec.serial, 3650), key};
    }

    // A leaf certificate from `issuer` (default: the intermediate).
    std::string leaf(const std::string& name, const LeafSpec& spec,
                     const Issued* issuer = nullptr) {
        std::string ext;
        auto line = [&ext](const char* field, const std::string& value) {
            if (!value.empty()) {
                ext += std::string(field) + " = " + value + "\n";
            }
        };
        line("basicConstraints", spec.basic_constraints);
        line("keyUsage", spec.key_usage);
        line("extendedKeyUsage", spec.extended_key_usage);
        line("subjectAltName", spec.subject_alt_name);
        ext += "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n" + spec.extra +
               "\n";
        return issue(name, spec.key.empty() ? leaf_key_ : spec.key, spec.subject, ext,
                     issuer != nullptr ? issuer : &intermediate_, spec.serial, spec.days);
    }

    const Issued& root() const { return root_; }
    const Issued& intermediate() const { return intermediate_; }

  private:
    Pki() {
        root_ = ca("root", CaSpec{"/CN=web pki root", "", "", "keyid:always", ""}, nullptr);
        intermediate_ = ca("ica", CaSpec{"/CN=web pki ICA", "", "", "keyid:always", ""}, &root_);
        leaf_key_ = p256("leaf");
    }

    TempDir dir_;
    std::map<std::string, bool> made_keys_;
    long next_serial_ = 0x1000;
    Issued root_;
    Issued intermediate_;
    std::string leaf_key_;
};

// ---------------------------------------------------------------------------------------------
// Verdicts

// What a client of `dns_name` verifies: `leaf` sent with `intermediates`, the root trusted.
VerifyRequest request_for(const std::string& leaf, const std::string& dns_name = "www.example.com",
                          const std::vector<std::string>& intermediates = {},
                          const std::string& trusted = "") {
    Pki& pki = Pki::get();
    VerifyRequest request;
    request.trusted_pem = {read_file(trusted.empty() ? pki.root().cert : trusted)};
    if (intermediates.empty()) {
        request.intermediates_pem = {read_file(pki.intermediate().cert)};
    } else {
        for (const std::string& file : intermediates) {
            request.intermediates_pem.push_back(read_file(file));
        }
    }
    request.leaf_pem = read_file(leaf);
    request.dns_name = dns_name;
    return request;
}

// A leaf issued straight by a root: nothing is sent besides it.
VerifyRequest request_from_root(const std::string& leaf, const std::string& root) {
    VerifyRequest request = request_for(leaf, "www.example.com", {}, root);
    request.intermediates_pem.clear();
    return request;
}

VerifyResult verify(VerifyRequest request, VerifyProfile profile) {
    request.profile = profile;
    return tls::verify_certificate_chain(request);
}

std::string describe(const VerifyResult& r) {
    return "ok=" + std::to_string(r.ok) + " code=" + std::to_string(r.verify_code) +
           " depth=" + std::to_string(r.error_depth) + " message='" + r.verify_message + "'";
}

// OpenSSL (the standard profile) accepts the chain; web_pki refuses it at `depth` with `code`,
// a message naming the rule's `source` and holding `detail`.
void expect_only_web_pki_refuses(const VerifyRequest& request, int depth, long code,
                                 const std::string& source, const std::string& detail = "") {
    const VerifyResult standard = verify(request, VerifyProfile::standard);
    EXPECT_TRUE(standard.ok) << "standard: " << describe(standard);
    const VerifyResult web = verify(request, VerifyProfile::web_pki);
    EXPECT_FALSE(web.ok) << "web_pki accepted the chain";
    EXPECT_EQ(web.verify_code, code) << describe(web);
    EXPECT_EQ(web.error_depth, depth) << describe(web);
    EXPECT_EQ(web.verify_message.rfind("web-PKI profile: ", 0), 0U) << describe(web);
    EXPECT_TRUE(contains(web.verify_message, source))
        << "no '" << source << "' in " << describe(web);
    EXPECT_TRUE(contains(web.verify_message, detail))
        << "no '" << detail << "' in " << describe(web);
    // The chain was verified by OpenSSL first: it is there in full.
    EXPECT_EQ(web.chain.size(), standard.chain.size());
    EXPECT_GT(web.chain.size(), static_cast<std::size_t>(depth));
}

void expect_both_accept(const VerifyRequest& request) {
    for (const VerifyProfile profile : {VerifyProfile::standard, VerifyProfile::web_pki}) {
        const VerifyResult r = verify(request, profile);
        EXPECT_TRUE(r.ok) << (profile == VerifyProfile::web_pki ? "web_pki: " : "standard: ")
                          << describe(r);
        EXPECT_EQ(r.verify_code, X509_V_OK);
        EXPECT_EQ(r.error_depth, -1);
        EXPECT_TRUE(r.verify_message.empty()) << r.verify_message;
    }
}

class WebPkiRules : public ::testing::Test {
  protected:
    static Pki& pki() { return Pki::get(); }
    static const Issued& root() { return Pki::get().root(); }
    static const Issued& intermediate() { return Pki::get().intermediate(); }
    static std::string leaf(const std::string& name, const LeafSpec& spec,
                            const Issued* issuer = nullptr) {
        return Pki::get().leaf(name, spec, issuer);
    }
};

TEST_F(WebPkiRules, TheDefaultChainPassesBothProfiles) {
    const VerifyRequest request = request_for(leaf("compliant", LeafSpec{}));
    expect_both_accept(request);
    EXPECT_EQ(verify(request, VerifyProfile::web_pki).chain.size(), 3U);
    // A request verifies with the standard profile unless told otherwise.
    EXPECT_EQ(VerifyRequest{}.profile, VerifyProfile::standard);
}

// RFC 5280 4.1.2.2: positive, at most 20 octets (DER counts a leading zero octet in front of a
// top bit that is set).
TEST_F(WebPkiRules, LeafSerialNumberIsPositiveAndAtMostTwentyOctets) {
    struct Row {
        const char* what;
        std::string serial;
        const char* detail;
    };
    const Row broken[] = {
        {"zero", "0", "the serial number is zero"},
        {"negative", "-5", "the serial number is negative"},
        {"21 octets", "0x01" + std::string(40, '2'), "longer than 20 octets"},
        {"20 octets with the top bit set: 21 in DER", "0x80" + std::string(38, '0'),
         "longer than 20 octets"},
    };
    for (const Row& row : broken) {
        SCOPED_TRACE(row.what);
        LeafSpec spec;
        spec.serial = row.serial;
        expect_only_web_pki_refuses(request_for(leaf(std::string("serial-") + row.what, spec)), 0,
                                    X509_V_ERR_UNSPECIFIED, "(RFC 5280 4.1.2.2)", row.detail);
    }
    const Row kept[] = {
        {"one", "1", ""},
        {"20 octets, top bit clear", "0x7f" + std::string(38, 'f'), ""},
    };
    for (const Row& row : kept) {
        SCOPED_TRACE(row.what);
        LeafSpec spec;
        spec.serial = row.serial;
        expect_both_accept(request_for(leaf(std::string("serial-ok-") + row.what, spec)));
    }
}

TEST_F(WebPkiRules, SerialNumberRuleCoversIntermediatesButNotTheTrustAnchor) {
    // An intermediate with serial 0 fails at its depth.
    CaSpec zero_ica{"/CN=web pki ICA serial zero", "", "0", "keyid:always", ""};
    const Issued ica = pki().ca("ica-serial-zero", zero_ica, &root());
    const std::string from_ica = leaf("leaf-of-ica-serial-zero", LeafSpec{}, &ica);
    expect_only_web_pki_refuses(request_for(from_ica, "www.example.com", {ica.cert}), 1,
                                X509_V_ERR_UNSPECIFIED, "(RFC 5280 4.1.2.2)", "zero");
    // A trusted root with serial 0 is trusted as configured.
    CaSpec zero_root{"/CN=web pki root serial zero", "", "0", "keyid:always", ""};
    const Issued anchor = pki().ca("root-serial-zero", zero_root, nullptr);
    const std::string from_root = leaf("leaf-of-root-serial-zero", LeafSpec{}, &anchor);
    expect_both_accept(request_from_root(from_root, anchor.cert));
}

// BR 7.1.2.7.8.
TEST_F(WebPkiRules, LeafIsNotACa) {
    LeafSpec ca_leaf;
    ca_leaf.basic_constraints = "critical, CA:TRUE";
    ca_leaf.key_usage = "critical, digitalSignature, keyCertSign";
    expect_only_web_pki_refuses(request_for(leaf("leaf-ca-true", ca_leaf)), 0,
                                X509_V_ERR_INVALID_NON_CA, "(BR 7.1.2.7.8)", "is a CA");

    LeafSpec no_basic_constraints;
    no_basic_constraints.basic_constraints.clear();
    expect_both_accept(request_for(leaf("leaf-no-basic-constraints", no_basic_constraints)));
}

// RFC 5280 4.2.1.3 with RFC 8446 4.4.2.2: every allowed handshake signs with the leaf's key.
TEST_F(WebPkiRules, LeafKeyUsageAllowsDigitalSignature) {
    LeafSpec encipherment_only;
    encipherment_only.key_usage = "critical, keyEncipherment";
    expect_only_web_pki_refuses(request_for(leaf("leaf-ku-encipherment", encipherment_only)), 0,
                                X509_V_ERR_INVALID_PURPOSE, "RFC 5280 4.2.1.3", "digitalSignature");

    LeafSpec both;
    both.key_usage = "critical, digitalSignature, keyEncipherment";
    expect_both_accept(request_for(leaf("leaf-ku-both", both)));
    LeafSpec none;
    none.key_usage.clear();
    expect_both_accept(request_for(leaf("leaf-ku-none", none)));
}

// BR 7.1.2.7.10: present, not critical, no anyExtendedKeyUsage.
TEST_F(WebPkiRules, LeafExtendedKeyUsageIsPresentNonCriticalAndSpecific) {
    struct Row {
        const char* what;
        const char* eku;
        const char* detail;
    };
    const Row broken[] = {
        {"absent", "", "has no extendedKeyUsage"},
        {"critical", "critical, serverAuth", "extendedKeyUsage is critical"},
        {"anyExtendedKeyUsage", "serverAuth, anyExtendedKeyUsage", "anyExtendedKeyUsage"},
    };
    for (const Row& row : broken) {
        SCOPED_TRACE(row.what);
        LeafSpec spec;
        spec.extended_key_usage = row.eku;
        expect_only_web_pki_refuses(request_for(leaf(std::string("eku-") + row.what, spec)), 0,
                                    X509_V_ERR_INVALID_PURPOSE, "(BR 7.1.2.7.10)", row.detail);
    }
    LeafSpec both;
    both.extended_key_usage = "serverAuth, clientAuth";
    expect_both_accept(request_for(leaf("eku-server-client", both)));
}

// BR 7.1.2.1.2: a root has no EKU; an intermediate may have one.
TEST_F(WebPkiRules, RootHasNoExtendedKeyUsage) {
    CaSpec with_eku{"/CN=web pki root with EKU", "", "", "keyid:always",
                    "extendedKeyUsage = serverAuth"};
    const Issued eku_root = pki().ca("root-eku", with_eku, nullptr);
    expect_only_web_pki_refuses(
        request_from_root(leaf("leaf-of-root-eku", LeafSpec{}, &eku_root), eku_root.cert), 1,
        X509_V_ERR_INVALID_PURPOSE, "(BR 7.1.2.1.2)", "root certificate has an extendedKeyUsage");

    // The twin: the same shape of chain under the EKU-less root.
    expect_both_accept(request_from_root(leaf("leaf-of-root", LeafSpec{}, &root()), root().cert));
    // An intermediate's EKU is no root's.
    CaSpec ica_eku{"/CN=web pki ICA with EKU", "", "", "keyid:always",
                   "extendedKeyUsage = serverAuth"};
    const Issued ica = pki().ca("ica-eku", ica_eku, &root());
    expect_both_accept(
        request_for(leaf("leaf-of-ica-eku", LeafSpec{}, &ica), "www.example.com", {ica.cert}));
}

// BR 6.1.5: RSA >= 2048 bits in whole bytes, EC on P-256/P-384/P-521, nothing else.
TEST_F(WebPkiRules, KeysAreRsaInWholeBytesOrEcdsaOnNistCurves) {
    const std::string rsa2052 =
        pki().key("rsa2052", {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2052"});
    LeafSpec rsa_leaf;
    rsa_leaf.key = rsa2052;
    rsa_leaf.key_usage = "critical, digitalSignature, keyEncipherment";
    {
        SCOPED_TRACE("RSA-2052 leaf");
        expect_only_web_pki_refuses(request_for(leaf("leaf-rsa2052", rsa_leaf)), 0,
                                    X509_V_ERR_EE_KEY_TOO_SMALL, "(BR 6.1.5)", "2052 bits");
    }
    {
        SCOPED_TRACE("RSA-2052 intermediate");
        const Issued ica =
            pki().ca("ica-rsa2052",
                     CaSpec{"/CN=web pki ICA RSA-2052", rsa2052, "", "keyid:always", ""}, &root());
        expect_only_web_pki_refuses(request_for(leaf("leaf-of-ica-rsa2052", LeafSpec{}, &ica),
                                                "www.example.com", {ica.cert}),
                                    1, X509_V_ERR_CA_KEY_TOO_SMALL, "(BR 6.1.5)", "2052 bits");
    }
    {
        SCOPED_TRACE("secp256k1 leaf");
        LeafSpec k1;
        k1.key =
            pki().key("secp256k1", {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"});
        expect_only_web_pki_refuses(request_for(leaf("leaf-secp256k1", k1)), 0,
                                    X509_V_ERR_UNSPECIFIED, "(BR 6.1.5)",
                                    "not on P-256, P-384 or P-521");
    }
    {
        SCOPED_TRACE("Ed25519 leaf");
        LeafSpec ed;
        ed.key = pki().key("ed25519", {"-algorithm", "ED25519"});
        expect_only_web_pki_refuses(request_for(leaf("leaf-ed25519", ed)), 0,
                                    X509_V_ERR_UNSPECIFIED, "(BR 6.1.5)",
                                    "ED25519; only RSA and ECDSA keys are allowed");
    }
    struct Kept {
        const char* what;
        std::vector<std::string> genpkey;
    };
    const Kept kept[] = {
        {"rsa2048", {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}},
        {"p384", {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"}},
        {"p521", {"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"}},
    };
    for (const Kept& row : kept) {
        SCOPED_TRACE(row.what);
        LeafSpec spec;
        spec.key = pki().key(row.what, row.genpkey);
        spec.key_usage = "critical, digitalSignature";
        expect_both_accept(request_for(leaf(std::string("leaf-") + row.what, spec)));
    }
}

// RFC 5280 4.2.1.10: only in CAs; DNS bases are host names.
TEST_F(WebPkiRules, NameConstraintsOnlyInCasAndWithHostNameBases) {
    LeafSpec constrained_leaf;
    constrained_leaf.extra = "nameConstraints = critical, permitted;DNS:example.com";
    expect_only_web_pki_refuses(request_for(leaf("leaf-name-constraints", constrained_leaf)), 0,
                                X509_V_ERR_INVALID_EXTENSION, "(RFC 5280 4.2.1.10)", "not a CA");

    const Issued dotted = pki().ca("ica-nc-dot",
                                   CaSpec{"/CN=web pki ICA .example.com", "", "", "keyid:always",
                                          "nameConstraints = critical, permitted;DNS:.example.com"},
                                   &root());
    expect_only_web_pki_refuses(request_for(leaf("leaf-of-ica-nc-dot", LeafSpec{}, &dotted),
                                            "www.example.com", {dotted.cert}),
                                1, X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX, "(RFC 5280 4.2.1.10)",
                                "\".example.com\" is not a host name");

    const Issued ica = pki().ca("ica-nc",
                                CaSpec{"/CN=web pki ICA example.com", "", "", "keyid:always",
                                       "nameConstraints = critical, permitted;DNS:example.com"},
                                &root());
    expect_both_accept(
        request_for(leaf("leaf-of-ica-nc", LeafSpec{}, &ica), "www.example.com", {ica.cert}));
}

// RFC 5280 4.2.1.11: always critical.
TEST_F(WebPkiRules, PolicyConstraintsAreCritical) {
    const Issued loose =
        pki().ca("ica-pc-noncritical",
                 CaSpec{"/CN=web pki ICA policyConstraints", "", "", "keyid:always",
                        "policyConstraints = requireExplicitPolicy:0"},
                 &root());
    expect_only_web_pki_refuses(request_for(leaf("leaf-of-ica-pc-noncritical", LeafSpec{}, &loose),
                                            "www.example.com", {loose.cert}),
                                1, X509_V_ERR_INVALID_POLICY_EXTENSION, "(RFC 5280 4.2.1.11)",
                                "policyConstraints is not critical");

    const Issued strict =
        pki().ca("ica-pc-critical",
                 CaSpec{"/CN=web pki ICA critical policyConstraints", "", "", "keyid:always",
                        "policyConstraints = critical, requireExplicitPolicy:0"},
                 &root());
    expect_both_accept(request_for(leaf("leaf-of-ica-pc-critical", LeafSpec{}, &strict),
                                   "www.example.com", {strict.cert}));
}

// RFC 5280 4.2.1.6 with RFC 1034's preferred syntax and RFC 6125 6.4.3; mailboxes per RFC 5321.
TEST_F(WebPkiRules, SubjectAltNamesAreHostNamesAndMailboxes) {
    struct Row {
        const char* what;
        const char* san;
        const char* detail;
    };
    const Row broken[] = {
        {"underscore", "DNS:www.example.com, DNS:a_b.example.com",
         "DNS name \"a_b.example.com\" is not a host name"},
        {"partial wildcard", "DNS:www.example.com, DNS:f*o.example.com",
         "DNS name \"f*o.example.com\" is not a host name"},
        {"two @", "DNS:www.example.com, email:a@b@example.com",
         "email address \"a@b@example.com\" is not a mailbox"},
    };
    for (const Row& row : broken) {
        SCOPED_TRACE(row.what);
        LeafSpec spec;
        spec.subject_alt_name = row.san;
        expect_only_web_pki_refuses(request_for(leaf(std::string("san-") + row.what, spec)), 0,
                                    X509_V_ERR_UNSUPPORTED_NAME_SYNTAX, "(RFC 5280 4.2.1.6)",
                                    row.detail);
    }
    LeafSpec kept;
    kept.subject_alt_name =
        "DNS:www.example.com, DNS:a-b.example.com, DNS:*.example.com, email:a.b+c@example.com";
    expect_both_accept(request_for(leaf("san-kept", kept)));
    // A whole-label wildcard matches, under both profiles.
    LeafSpec wildcard;
    wildcard.subject_alt_name = "DNS:*.example.com";
    expect_both_accept(request_for(leaf("san-wildcard", wildcard)));
}

// BR 7.1.2.7.12: subjectAltName is critical only when the subject is empty.
TEST_F(WebPkiRules, SubjectAltNameIsCriticalOnlyWithAnEmptySubject) {
    LeafSpec critical;
    critical.subject_alt_name = "critical, DNS:www.example.com";
    expect_only_web_pki_refuses(request_for(leaf("san-critical", critical)), 0,
                                X509_V_ERR_INVALID_EXTENSION, "(BR 7.1.2.7.12)",
                                "subjectAltName is critical although the subject is not empty");

    LeafSpec empty_subject = critical;
    empty_subject.subject = "/";
    expect_both_accept(request_for(leaf("san-critical-empty-subject", empty_subject)));
}

// BR 7.1.2.1.3: a root's AKI is its SKI and nothing more.
TEST_F(WebPkiRules, RootAuthorityKeyIdentifierIsOnlyItsKeyIdentifier) {
    const Issued issuer_aki = pki().ca(
        "root-aki-issuer",
        CaSpec{"/CN=web pki root AKI issuer", "", "", "keyid:always, issuer:always", ""}, nullptr);
    expect_only_web_pki_refuses(
        request_from_root(leaf("leaf-of-root-aki-issuer", LeafSpec{}, &issuer_aki),
                          issuer_aki.cert),
        1, X509_V_ERR_INVALID_EXTENSION, "(BR 7.1.2.1.3)", "authorityKeyIdentifier");

    // The suite's root has AKI = SKI; a root without an AKI is fine too.
    expect_both_accept(request_from_root(leaf("leaf-of-root-2", LeafSpec{}, &root()), root().cert));
    const Issued no_aki =
        pki().ca("root-no-aki", CaSpec{"/CN=web pki root no AKI", "", "", "", ""}, nullptr);
    expect_both_accept(
        request_from_root(leaf("leaf-of-root-no-aki", LeafSpec{}, &no_aki), no_aki.cert));
}

// BR 3.2.2.6: no wildcard stands for a name right under a public suffix.
TEST_F(WebPkiRules, WildcardOverAPublicSuffixDoesNotMatch) {
    LeafSpec over_suffix;
    over_suffix.subject = "/CN=co.uk wildcard";
    over_suffix.subject_alt_name = "DNS:*.co.uk";
    expect_only_web_pki_refuses(
        request_for(leaf("san-wildcard-co-uk", over_suffix), "example.co.uk"), 0,
        X509_V_ERR_HOSTNAME_MISMATCH, "(BR 3.2.2.6)",
        "'example.co.uk' matches the certificate only through a wildcard "
        "over the public suffix 'co.uk'");

    LeafSpec exact;
    exact.subject = "/CN=example.co.uk";
    exact.subject_alt_name = "DNS:example.co.uk";
    const std::string exact_leaf = leaf("san-example-co-uk", exact);
    expect_both_accept(request_for(exact_leaf, "example.co.uk"));
    // Names compare without regard to ASCII case.
    expect_both_accept(request_for(exact_leaf, "Example.CO.uk"));

    // A wildcard one label further down is not over the suffix.
    LeafSpec deeper;
    deeper.subject = "/CN=example.co.uk wildcard";
    deeper.subject_alt_name = "DNS:*.example.co.uk";
    expect_both_accept(
        request_for(leaf("san-wildcard-example-co-uk", deeper), "www.example.co.uk"));
}

std::chrono::system_clock::time_point not_after_of(const std::string& pem_file) {
    const std::string pem = read_file(pem_file);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert) {
        throw std::runtime_error("cannot read " + pem_file);
    }
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
        throw std::runtime_error("cannot read notAfter of " + pem_file);
    }
    return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// RFC 5280 4.1.2.5: valid from notBefore through notAfter, inclusive; OpenSSL counts the
// notAfter second as expired.
TEST_F(WebPkiRules, NotAfterSecondIsStillValid) {
    LeafSpec one_day;
    one_day.days = 1;
    const std::string file = leaf("leaf-one-day", one_day);
    const std::chrono::system_clock::time_point not_after = not_after_of(file);
    VerifyRequest request = request_for(file);

    request.at_time = not_after;
    const VerifyResult standard = verify(request, VerifyProfile::standard);
    EXPECT_FALSE(standard.ok);
    EXPECT_EQ(standard.verify_code, X509_V_ERR_CERT_HAS_EXPIRED) << describe(standard);
    EXPECT_EQ(standard.error_depth, 0);
    const VerifyResult web = verify(request, VerifyProfile::web_pki);
    EXPECT_TRUE(web.ok) << describe(web);

    request.at_time = not_after + 1s;
    for (const VerifyProfile profile : {VerifyProfile::standard, VerifyProfile::web_pki}) {
        const VerifyResult after = verify(request, profile);
        EXPECT_FALSE(after.ok);
        EXPECT_EQ(after.verify_code, X509_V_ERR_CERT_HAS_EXPIRED) << describe(after);
        EXPECT_EQ(after.error_depth, 0);
    }
    request.at_time = not_after - 1s;
    expect_both_accept(request);
}

// The rules run on chains OpenSSL accepted: OpenSSL's own verdict comes first.
TEST_F(WebPkiRules, OpensslVerdictComesBeforeTheProfilesRules) {
    LeafSpec no_eku;
    no_eku.extended_key_usage.clear();
    VerifyRequest request = request_for(leaf("leaf-no-eku-expired", no_eku));
    request.at_time = std::chrono::system_clock::now() + 24h * 365;
    const VerifyResult web = verify(request, VerifyProfile::web_pki);
    EXPECT_FALSE(web.ok);
    EXPECT_EQ(web.verify_code, X509_V_ERR_CERT_HAS_EXPIRED) << describe(web);
    EXPECT_FALSE(contains(web.verify_message, "web-PKI profile")) << describe(web);
    // A host name mismatch is OpenSSL's too.
    request.at_time.reset();
    request.dns_name = "other.example.com";
    const VerifyResult mismatch = verify(request, VerifyProfile::web_pki);
    EXPECT_EQ(mismatch.verify_code, X509_V_ERR_HOSTNAME_MISMATCH) << describe(mismatch);
    EXPECT_TRUE(contains(mismatch.verify_message, "Hostname mismatch")) << describe(mismatch);
}

// RFC 5280 6.1.4(l): a self-issued intermediate (a key rollover) does not count toward the
// maximum depth.
TEST_F(WebPkiRules, MaximumDepthLeavesSelfIssuedIntermediatesOut) {
    // root -> ICA (key A) -> ICA (key B, issued by A: same name) -> leaf.
    const Issued old_key = pki().ca(
        "ica-rollover-a", CaSpec{"/CN=web pki rollover ICA", "", "", "keyid:always", ""}, &root());
    const Issued new_key = pki().ca(
        "ica-rollover-b", CaSpec{"/CN=web pki rollover ICA", "", "", "keyid:always", ""}, &old_key);
    const std::string file = leaf("leaf-of-rollover", LeafSpec{}, &new_key);
    VerifyRequest request = request_for(file, "www.example.com", {new_key.cert, old_key.cert});
    expect_both_accept(request);
    ASSERT_EQ(verify(request, VerifyProfile::web_pki).chain.size(), 4U);

    request.max_depth = 1;
    const VerifyResult standard = verify(request, VerifyProfile::standard);
    EXPECT_FALSE(standard.ok);
    EXPECT_EQ(standard.verify_code, X509_V_ERR_CERT_CHAIN_TOO_LONG) << describe(standard);
    const VerifyResult web = verify(request, VerifyProfile::web_pki);
    EXPECT_TRUE(web.ok) << describe(web);
    EXPECT_EQ(web.chain.size(), 4U);

    request.max_depth = 0;
    const VerifyResult too_deep = verify(request, VerifyProfile::web_pki);
    EXPECT_FALSE(too_deep.ok);
    EXPECT_EQ(too_deep.verify_code, X509_V_ERR_CERT_CHAIN_TOO_LONG) << describe(too_deep);
    EXPECT_EQ(too_deep.error_depth, 2) << describe(too_deep);
    EXPECT_EQ(too_deep.verify_message.rfind("web-PKI profile: ", 0), 0U) << describe(too_deep);
    EXPECT_TRUE(contains(too_deep.verify_message, "(RFC 5280 6.1.4(l))")) << describe(too_deep);

    // Without a self-issued certificate the profile counts as OpenSSL does.
    VerifyRequest plain = request_for(leaf("leaf-depth-plain", LeafSpec{}));
    plain.max_depth = 0;
    for (const VerifyProfile profile : {VerifyProfile::standard, VerifyProfile::web_pki}) {
        const VerifyResult r = verify(plain, profile);
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.verify_code, X509_V_ERR_CERT_CHAIN_TOO_LONG) << describe(r);
    }
    plain.max_depth = 1;
    expect_both_accept(plain);
}

// ---------------------------------------------------------------------------------------------
// VerifyRequest::email_address

TEST_F(WebPkiRules, EmailAddressIsCheckedAgainstTheClientCertificate) {
    LeafSpec client;
    client.subject = "/CN=Alice";
    client.extended_key_usage = "clientAuth";
    client.subject_alt_name = "email:alice@example.com";
    VerifyRequest request = request_for(leaf("client-alice", client), "");
    request.purpose = tls::Purpose::CLIENT_AUTH;

    request.email_address = "alice@example.com";
    expect_both_accept(request);

    request.email_address = "bob@example.com";
    for (const VerifyProfile profile : {VerifyProfile::standard, VerifyProfile::web_pki}) {
        const VerifyResult r = verify(request, profile);
        EXPECT_FALSE(r.ok);
        EXPECT_EQ(r.verify_code, X509_V_ERR_EMAIL_MISMATCH) << describe(r);
        EXPECT_EQ(r.error_depth, 0) << describe(r);
        EXPECT_TRUE(contains(r.verify_message, "Email address mismatch")) << describe(r);
        EXPECT_TRUE(contains(r.verify_message, "bob@example.com")) << describe(r);
    }

    request.email_address = std::string("alice@example.com\0.evil", 23);
    EXPECT_THROW(tls::verify_certificate_chain(request), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Context::verify_profile

TEST(WebPkiContext, ProfileDefaultsToStandardAndReadsBack) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    EXPECT_EQ(ctx.verify_profile(), VerifyProfile::standard);
    ctx.set_verify_profile(VerifyProfile::web_pki);
    EXPECT_EQ(ctx.verify_profile(), VerifyProfile::web_pki);
    EXPECT_THROW(ctx.set_verify_profile(static_cast<VerifyProfile>(7)), std::invalid_argument);
    EXPECT_EQ(ctx.verify_profile(), VerifyProfile::web_pki) << "a refused value changed it";
    ctx.set_verify_profile(VerifyProfile::standard);
    EXPECT_EQ(ctx.verify_profile(), VerifyProfile::standard);

    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    EXPECT_EQ(server.verify_profile(), VerifyProfile::standard);
}

}  // namespace
