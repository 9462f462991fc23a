// tlsctx tests — what tests against `openssl s_server -www` share. Header-only.
#pragma once

#include <string>

#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/socket.hpp"

namespace tls::test {

/// s_server options presenting `cert` with the test PKI's intermediate.
inline OpensslServerOptions serving(const CertFiles& cert) {
    OpensslServerOptions o;
    o.cert = cert.cert;
    o.key = cert.key;
    o.cert_chain = TestPki::get().intermediate_cert();
    return o;
}

/// Asks an `s_server -www` for its status page: the page is the server's own account of the
/// connection ("Protocol  : TLSv1.3", "Cipher    : ...", "Verify return code: ...").
inline std::string fetch_status_page(tls::Socket& socket) {
    socket.sendall("GET / HTTP/1.0\r\n\r\n");
    std::string page;
    for (std::string chunk = socket.recv(); !chunk.empty(); chunk = socket.recv()) {
        page += chunk;
    }
    return page;
}

}  // namespace tls::test
