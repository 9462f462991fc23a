// tlsctx fuzzing — the certificates the targets need, made once per process with tls::pki (root ->
// intermediate -> leaves, ECDSA P-256, as tests/support/test_pki.hpp lays them out). Fresh keys
// every run: the targets depend on the structure of what they are fed, not on these bytes.
#pragma once

#include <string>

#include "tls/pki.hpp"

namespace tls::fuzz {

struct FuzzPki {
    pki::CertificateAuthority root{"tlsctx fuzz root CA"};
    pki::CertificateAuthority intermediate = root.create_child_ca("tlsctx fuzz intermediate");
    pki::IssuedCert localhost = intermediate.issue_cert({"localhost", "127.0.0.1", "::1"});
    pki::IssuedCert wildcard = intermediate.issue_cert({"*.example.test", "xn--bcher-kva.test"});
    pki::IssuedCert client = intermediate.issue_cert({"client.example.test"});

    static const FuzzPki& get() {
        static const FuzzPki pki;
        return pki;
    }
};

}  // namespace tls::fuzz
