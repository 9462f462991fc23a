// tlsctx tests — OCSP material for the stapling tests: a root -> intermediate -> leaf PKI of its
// own and DER responses about its leaves made by `openssl ocsp` as a one-shot responder
// (`-index ... -reqin ... -respout`), one per case a client must tell apart. Generated once per
// process in a subdirectory of the suite's TestPki directory (removed with it).
#pragma once

#include <string>

#include "support/test_pki.hpp"
#include "tls/bytes.hpp"

namespace tls::test {

/// Paths of the OCSP test material. get() is thread-safe; immutable afterwards.
class OcspPki {
  public:
    /// The process-wide instance, made on first call by running the `openssl` in PATH.
    /// @throws std::runtime_error when `openssl ocsp` fails.
    static const OcspPki& get();

    /// Root "tlsctx OCSP test root": the clients' one trust anchor.
    std::string ca_cert() const { return path("root.pem"); }
    /// "tlsctx OCSP test intermediate" under the root: issues the leaves, signs the responses.
    std::string intermediate_cert() const { return path("intermediate.pem"); }
    /// localhost, 127.0.0.1 (chain: leaf + intermediate).
    CertFiles leaf() const { return files("leaf"); }
    /// leaf()'s names with the TLS Feature extension status_request (must-staple).
    CertFiles must_staple_leaf() const { return files("must-staple"); }

    // Responses (DER files). Signed by the intermediate unless the name says otherwise; valid
    // for a day unless the name says otherwise.
    std::string good() const { return path("good.der"); }        ///< leaf(): good
    std::string revoked() const { return path("revoked.der"); }  ///< leaf(): revoked, keyCompromise
    std::string unknown() const {
        return path("unknown.der");
    }  ///< leaf(): unknown (not in the index)
    /// leaf(): good, but signed by an unrelated CA.
    std::string wrong_issuer() const { return path("wrong-issuer.der"); }
    /// leaf(): good, but thisUpdate two days ago and nextUpdate yesterday. `openssl ocsp` cannot
    /// date a response in the past (it has -ndays/-nmin forward only), so this one comes from
    /// tls::pki's make_ocsp_response (OCSP_basic_add1_status + OCSP_basic_sign).
    std::string expired() const { return path("expired.der"); }
    /// Good, about another certificate from the same intermediate.
    std::string other_cert() const { return path("other-cert.der"); }
    /// must_staple_leaf(): good.
    std::string must_staple_good() const { return path("must-staple-good.der"); }
    /// An "unauthorized" response (no basic response inside).
    std::string unauthorized() const { return path("unauthorized.der"); }

    /// The serial number of leaf(), as getpeercert() and decode_ocsp_response() spell it.
    const std::string& leaf_serial() const { return leaf_serial_; }

    /// The contents of a response file.
    static tls::Bytes bytes(const std::string& path);

  private:
    OcspPki();
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    CertFiles files(const std::string& stem) const {
        return {path(stem + ".pem"), path(stem + "-chain.pem"), path(stem + "-key.pem")};
    }
    std::string dir_;
    std::string leaf_serial_;
};

}  // namespace tls::test
