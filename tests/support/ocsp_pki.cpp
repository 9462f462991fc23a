#include "support/ocsp_pki.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

#include "support/peers.hpp"
#include "tls/certificate.hpp"
#include "tls/pki.hpp"

namespace tls::test {
namespace {

void write(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + path);
    }
}

void run_openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    const ProcessResult r = run_process(argv);
    if (r.exit_code != 0) {
        std::string line;
        for (const std::string& a : argv) {
            line += a + " ";
        }
        throw std::runtime_error("ocsp test material: " + line + "failed: " + r.err);
    }
}

tls::pki::CertificateOptions localhost(bool must_staple) {
    tls::pki::CertificateOptions o;
    o.common_name = "localhost";
    o.dns_names = {"localhost"};
    o.ip_addresses = {"127.0.0.1"};
    o.must_staple = must_staple;
    return o;
}

std::string as_string(const std::vector<unsigned char>& der) {
    return std::string(der.begin(), der.end());
}

}  // namespace

const OcspPki& OcspPki::get() {
    static const OcspPki instance;
    return instance;
}

tls::Bytes OcspPki::bytes(const std::string& path) {
    const std::string s = read_file(path);
    return tls::Bytes(s.begin(), s.end());
}

OcspPki::OcspPki() : dir_(TestPki::get().dir() + "/ocsp") {
    std::filesystem::create_directory(dir_);
    const tls::pki::CertificateAuthority root("tlsctx OCSP test root");
    const tls::pki::CertificateAuthority intermediate =
        root.create_child_ca("tlsctx OCSP test intermediate");
    const tls::pki::CertificateAuthority stranger("tlsctx OCSP unrelated CA");
    write(path("root.pem"), root.cert_pem());
    write(path("intermediate.pem"), intermediate.cert_pem());
    write(path("intermediate-key.pem"), intermediate.private_key_pem());
    write(path("stranger.pem"), stranger.cert_pem());
    write(path("stranger-key.pem"), stranger.private_key_pem());

    const auto save = [this](const std::string& stem, const tls::pki::IssuedCert& c) {
        write(path(stem + ".pem"), c.cert_pem());
        write(path(stem + "-chain.pem"), c.cert_chain_pem());
        write(path(stem + "-key.pem"), c.private_key_pem());
        return tls::decode_certificate(c.cert_pem()).serial_number;
    };
    const tls::pki::IssuedCert leaf = intermediate.issue_cert(localhost(false));
    leaf_serial_ = save("leaf", leaf);
    const std::string must_staple_serial =
        save("must-staple", intermediate.issue_cert(localhost(true)));
    const std::string other_serial = save("other", intermediate.issue_cert(localhost(false)));

    // `openssl ocsp -index` reads the CA database format: status, expiry, revocation
    // [,reason], serial (hex), file, subject.
    const std::string expiry = "301231000000Z";
    // The subjects only name the rows: `openssl ocsp` refuses an index with two equal ones.
    const auto valid = [&](const std::string& serial, const std::string& row) {
        return "V\t" + expiry + "\t\t" + serial + "\tunknown\t/CN=" + row + "\n";
    };
    write(path("index-good.txt"), valid(leaf_serial_, "leaf") +
                                      valid(must_staple_serial, "must-staple") +
                                      valid(other_serial, "other"));
    write(path("index-revoked.txt"), "R\t" + expiry + "\t250101000000Z,keyCompromise\t" +
                                         leaf_serial_ + "\tunknown\t/CN=localhost\n");
    write(path("index-empty.txt"), "");

    const auto request = [this](const std::string& stem) {
        run_openssl({"ocsp", "-issuer", path("intermediate.pem"), "-cert", path(stem + ".pem"),
                     "-no_nonce", "-reqout", path(stem + "-request.der")});
        return path(stem + "-request.der");
    };
    const auto respond = [this](const std::string& request_file, const std::string& index,
                                const std::string& signer, const std::string& out) {
        run_openssl({"ocsp", "-index", path(index), "-CA", path("intermediate.pem"), "-rsigner",
                     path(signer + ".pem"), "-rkey", path(signer + "-key.pem"), "-reqin",
                     request_file, "-ndays", "1", "-respout", path(out)});
    };
    const std::string leaf_request = request("leaf");
    respond(leaf_request, "index-good.txt", "intermediate", "good.der");
    respond(leaf_request, "index-revoked.txt", "intermediate", "revoked.der");
    respond(leaf_request, "index-empty.txt", "intermediate", "unknown.der");
    respond(leaf_request, "index-good.txt", "stranger", "wrong-issuer.der");
    respond(request("other"), "index-good.txt", "intermediate", "other-cert.der");
    respond(request("must-staple"), "index-good.txt", "intermediate", "must-staple-good.der");
    write(path("expired.der"), as_string(intermediate.make_ocsp_response(
                                   leaf.cert_pem(), tls::pki::OcspCertStatus::good,
                                   -std::chrono::hours(48), -std::chrono::hours(24))));
    // RFC 6960 4.2.1: an OCSPResponse with only responseStatus unauthorized (6).
    write(path("unauthorized.der"), std::string("\x30\x03\x0a\x01\x06", 5));
}

}  // namespace tls::test
