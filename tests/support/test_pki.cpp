#include "support/test_pki.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "tls/pki.hpp"

namespace tls::test {
namespace {

using namespace std::chrono_literals;
using tls::pki::CertificateOptions;
using tls::pki::ExtendedKeyUsage;
using tls::pki::IssuedCert;
using tls::pki::KeyType;

std::string make_private_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/tlsctx-test-pki-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    // mkdtemp makes the directory 0700, so the unencrypted keys are private to this user.
    if (mkdtemp(buf.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
    }
    return buf.data();
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
        throw std::system_error(errno != 0 ? errno : EIO, std::generic_category(),
                                "cannot write " + path);
    }
}

// Every localhost-style leaf answers to the names a loopback test connects with.
CertificateOptions localhost_options() {
    CertificateOptions options;
    options.common_name = "localhost";
    options.dns_names = {"localhost"};
    options.ip_addresses = {"127.0.0.1", "::1"};
    return options;
}

CertificateOptions single_name_options(const std::string& name) {
    CertificateOptions options;
    options.common_name = name;
    options.dns_names = {name};
    return options;
}

}  // namespace

TestPki::TestPki() : dir_(make_private_dir()), owner_pid_(static_cast<long>(getpid())) {
    try {
        const pki::CertificateAuthority root("tlsctx test root CA");
        const pki::CertificateAuthority other("tlsctx other CA (untrusted)");
        const pki::CertificateAuthority intermediate =
            root.create_child_ca("tlsctx test intermediate CA");

        auto save = [this](const std::string& stem, const IssuedCert& issued) {
            write_file(path(stem + ".pem"), issued.cert_pem());
            write_file(path(stem + "-chain.pem"), issued.cert_chain_pem());
            write_file(path(stem + "-key.pem"), issued.private_key_pem());
        };

        write_file(path("ca.pem"), root.cert_pem());
        write_file(path("other-ca.pem"), other.cert_pem());
        write_file(path("intermediate.pem"), intermediate.cert_pem());

        const IssuedCert localhost = intermediate.issue_cert(localhost_options());
        save("localhost", localhost);
        write_file(path("localhost-key-encrypted.pem"),
                   localhost.private_key_pem_encrypted(password()));

        CertificateOptions rsa = localhost_options();
        rsa.key_type = KeyType::rsa2048;
        save("localhost-rsa", intermediate.issue_cert(rsa));

        CertificateOptions ed25519 = localhost_options();
        ed25519.key_type = KeyType::ed25519;
        save("localhost-ed25519", intermediate.issue_cert(ed25519));

        // A second ECDSA localhost: what a renewed certificate looks like to a reloading server.
        save("localhost-renewed", intermediate.issue_cert(localhost_options()));

        save("wildcard", intermediate.issue_cert(single_name_options("*.example.test")));

        CertificateOptions expired = localhost_options();
        expired.not_before_offset = -48h;
        expired.not_after_offset = -24h;
        save("expired", intermediate.issue_cert(expired));

        CertificateOptions not_yet_valid = localhost_options();
        not_yet_valid.not_before_offset = 24h;
        not_yet_valid.not_after_offset = 48h;
        save("not-yet-valid", intermediate.issue_cert(not_yet_valid));

        save("wrong-host", intermediate.issue_cert(single_name_options("wrong.example.test")));
        save("self-signed", pki::make_self_signed({"localhost", "127.0.0.1", "::1"}));

        CertificateOptions no_san;
        no_san.common_name = "localhost";
        save("no-san", intermediate.issue_cert(no_san));

        CertificateOptions client;
        client.common_name = "tlsctx test client";
        client.extended_key_usages = {ExtendedKeyUsage::client_auth};
        save("client", intermediate.issue_cert(client));

        const IssuedCert revoked = intermediate.issue_cert(localhost_options());
        save("revoked", revoked);
        write_file(path("crl.pem"),
                   intermediate.make_crl_pem({revoked.cert_pem()}) + root.make_crl_pem({}));

        CertificateOptions server_only = localhost_options();
        server_only.extended_key_usages = {ExtendedKeyUsage::server_auth};
        save("server-only-eku", intermediate.issue_cert(server_only));

        save("untrusted-localhost", other.issue_cert(localhost_options()));
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
        throw;
    }
}

TestPki::~TestPki() {
    // A forked child that exits normally runs static destructors too; only the process that
    // made the files may delete them from under its siblings.
    if (static_cast<long>(getpid()) == owner_pid_) {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
}

const TestPki& TestPki::get() {
    static const TestPki pki;
    return pki;
}

CertFiles TestPki::files(const std::string& stem) const {
    return CertFiles{path(stem + ".pem"), path(stem + "-chain.pem"), path(stem + "-key.pem")};
}

CertFiles TestPki::localhost_encrypted_key() const {
    CertFiles files = localhost();
    files.key = path("localhost-key-encrypted.pem");
    return files;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::system_error(errno != 0 ? errno : ENOENT, std::generic_category(),
                                "cannot read " + path);
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

}  // namespace tls::test
