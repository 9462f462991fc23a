// tlsctx tests — the one generator of the suite's certificates (CPython's make_ssl_certs.py).
// Everything is made once per process with tls::pki and written as PEM files into a fresh
// private directory, so external peers (openssl s_server/s_client, python3, gnutls, curl,
// nginx) load exactly what the C++ tests load. Each certificate is named by what it exercises.
//
// Layout: root CA -> intermediate CA -> most leaves. Leaves' `chain` files hold the leaf and the
// intermediate (never the root); `ca_cert()` is the one trust anchor.
#pragma once

#include <string>

namespace tls::test {

/// Paths of one certificate's files.
struct CertFiles {
    std::string cert;   ///< the certificate alone
    std::string chain;  ///< certificate + intermediates (not the root): a server's certfile
    std::string key;    ///< its private key, PKCS#8 PEM (encrypted only where the name says so)
};

/// The suite's PKI on disk. Generated on first use, removed when the process exits (by the
/// process that made it, not by forked children). get() is thread-safe; the object is
/// immutable afterwards. Leaf keys are ECDSA P-256 unless the name says otherwise.
class TestPki {
  public:
    /// The process-wide instance, generated on first call. Throws if generation fails.
    static const TestPki& get();

    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;
    ~TestPki();

    std::string dir() const { return dir_; }
    /// Root CA "tlsctx test root CA": the trust anchor for everything below.
    std::string ca_cert() const { return path("ca.pem"); }
    /// An unrelated root: trusting only it must make every other leaf fail verification.
    std::string other_ca_cert() const { return path("other-ca.pem"); }
    /// The intermediate under ca_cert() that issues the leaves.
    std::string intermediate_cert() const { return path("intermediate.pem"); }
    /// Two CRLs in one file, valid for a day: the intermediate's, revoking revoked(), and the
    /// root's, revoking nothing, so both leaf-only (CRL_CHECK) and whole-chain
    /// (CRL_CHECK_ALL) checking find a CRL for every CA.
    std::string crl() const { return path("crl.pem"); }

    /// CN localhost; SAN DNS:localhost, IP:127.0.0.1, IP:::1; EKU serverAuth+clientAuth.
    CertFiles localhost() const { return files("localhost"); }
    /// localhost() with an RSA-2048 key.
    CertFiles localhost_rsa() const { return files("localhost-rsa"); }
    /// localhost() with an Ed25519 key.
    CertFiles localhost_ed25519() const { return files("localhost-ed25519"); }
    /// localhost() again with a new ECDSA key and serial: a renewal, for reload tests.
    CertFiles localhost_renewed() const { return files("localhost-renewed"); }
    /// CN and SAN DNS:*.example.test.
    CertFiles wildcard() const { return files("wildcard"); }
    /// localhost(), but valid from two days ago until yesterday.
    CertFiles expired() const { return files("expired"); }
    /// localhost(), but valid from tomorrow for a day.
    CertFiles not_yet_valid() const { return files("not-yet-valid"); }
    /// CN and SAN DNS:wrong.example.test only.
    CertFiles wrong_host() const { return files("wrong-host"); }
    /// localhost's names, self-signed (CA:FALSE, not from any CA here); chain == cert.
    CertFiles self_signed() const { return files("self-signed"); }
    /// CN=localhost and no subjectAltName at all: passes a hostname check only through the
    /// CN fallback (Python's hostname_checks_common_name, on by default there).
    CertFiles no_san() const { return files("no-san"); }
    /// CN "tlsctx test client", no SAN, EKU clientAuth only.
    CertFiles client() const { return files("client"); }
    /// localhost's names, revoked by crl().
    CertFiles revoked() const { return files("revoked"); }
    /// localhost's names, EKU serverAuth only: must be refused as a client certificate.
    CertFiles server_only_eku() const { return files("server-only-eku"); }
    /// localhost()'s cert and chain with its key encrypted (AES-256-CBC PKCS#8) by password().
    CertFiles localhost_encrypted_key() const;
    /// The password of localhost_encrypted_key().
    std::string password() const { return "tlsctx-test-password"; }
    /// localhost's names issued directly by other_ca_cert(); chain == cert.
    CertFiles untrusted_localhost() const { return files("untrusted-localhost"); }

  private:
    TestPki();
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    CertFiles files(const std::string& stem) const;

    std::string dir_;
    long owner_pid_;
};

/// The whole file as bytes. Throws std::system_error if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace tls::test
