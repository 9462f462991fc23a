// Every default of a new tls::Context, in one function. docs/security.md gives the reason for each.
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "cert_compression.hpp"
#include "context_state.hpp"
#include "context_versions.hpp"
#include "ex_data.hpp"
#include "ocsp_check.hpp"
#include "ossl/error.hpp"
#include "tls/ciphers.hpp"
#include "verify_policy.hpp"

namespace tls::detail {
namespace {

// Python's OP_ALL: OpenSSL's workarounds minus OP_DONT_INSERT_EMPTY_FRAGMENTS, whose absence
// keeps the empty-fragment countermeasure against the CBC IV attack (CVE-2011-3389).
constexpr uint64_t kPythonOpAll = SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS;

const SSL_METHOD* method_for(Protocol protocol) {
    switch (protocol) {
        case Protocol::PROTOCOL_TLS_CLIENT:
            return TLS_client_method();
        case Protocol::PROTOCOL_TLS_SERVER:
            return TLS_server_method();
        default:
            return TLS_method();
    }
}

}  // namespace

std::shared_ptr<ContextState> make_context_state(Protocol protocol) {
    auto shared = std::make_shared<ContextState>();
    ContextState& state = *shared;
    state.protocol = protocol;
    state.ctx.reset(SSL_CTX_new(method_for(protocol)));
    if (!state.ctx) {
        ossl::throw_error("Context", "cannot create SSL_CTX");
    }
    SSL_CTX* ctx = state.ctx.get();
    // Callbacks find the tlsctx state of whatever context a connection uses (SNI may switch it).
    // Setting the first slot allocates: a context without its state would skip the verify
    // callback and the ticket key ring as if none were set.
    if (SSL_CTX_set_ex_data(ctx, context_slot(), &state) != 1) {
        ossl::throw_error("Context", "cannot attach the context's state to its SSL_CTX");
    }

    // Options: Python 3.7's constructor. OP_NO_SSLv2, OP_SINGLE_DH_USE and OP_SINGLE_ECDH_USE are
    // 0 on OpenSSL 3 (SSLv2 is gone, ephemeral keys are always fresh) and kept for the record.
    uint64_t options = kPythonOpAll;
    options |= SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3;  // both broken (DROWN, POODLE)
    options |= SSL_OP_NO_COMPRESSION;              // CRIME
    options |= SSL_OP_CIPHER_SERVER_PREFERENCE;    // servers pick from their own ordered list
    options |= SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE;
    SSL_CTX_set_options(ctx, options);

    // Protocol floor: TLS 1.2, as Python 3.10+; fixed-version protocols pin min = max.
    if (std::optional<TLSVersion> pinned = pinned_version(protocol)) {
        SSL_CTX_set_min_proto_version(ctx, static_cast<int>(*pinned));
        SSL_CTX_set_max_proto_version(ctx, static_cast<int>(*pinned));
    } else {
        SSL_CTX_set_min_proto_version(ctx, static_cast<int>(kProtocolFloor));
    }

    // Ciphers (TLS 1.2 and below): Python 3.10's policy, which also pins security level 2.
    if (SSL_CTX_set_cipher_list(ctx, cipher_string(CipherPolicy::default_policy).data()) != 1) {
        ossl::throw_error("Context", "cannot set the default cipher policy");
    }

    // Verification: a client verifies the chain and the host name; a server asks for no client
    // certificate until told to (Python's PROTOCOL_TLS_SERVER).
    if (state.can_be_client()) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
        state.check_hostname = true;
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
        state.check_hostname = false;
    }
    // OpenSSL's chain verification plus the checks it lacks (the expected host name against the
    // CAs' name constraints); tls::verify_certificate_chain runs the very same function.
    SSL_CTX_set_cert_verify_callback(ctx, &verify_cert_with_policy,
                                     profile_argument(VerifyProfile::standard));
    // Python 3.13's strict X.509 rules; partial chains let an intermediate placed in the store
    // act as a trust anchor; trusted-first prefers local anchors over peer-sent copies.
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_TRUSTED_FIRST |
                                                             X509_V_FLAG_X509_STRICT |
                                                             X509_V_FLAG_PARTIAL_CHAIN);
    // RFC 6125 / 9525: a wildcard only stands for a whole leftmost label; never fall back to
    // the subject CN (hostname_checks_common_name can turn it back on).
    state.hostname_checks_common_name = false;

    // Key exchange: no group list here. The linked OpenSSL's default is the right one, and from
    // OpenSSL 3.5 on it offers the post-quantum hybrid X25519MLKEM768 first, as Python does.

    // Certificate compression (RFC 8879): OpenSSL 3.2+ offers every algorithm it was built with;
    // tlsctx records them (OpenSSL has no getter) and compresses a server's chain when it is
    // loaded (context_certificate.cpp), without which OpenSSL would never send it compressed.
    state.cert_compression = available_cert_compression();

    // OCSP: the status callback is there from the start, doing nothing until a staple or a
    // policy is set, so those setters never write to an SSL_CTX other threads handshake on.
    install_status_callback(state);

    // Release idle read/write buffers (about 34 KiB per connection), as CPython does
    // (Context::set_release_buffers trades that memory for speed); accept a
    // retried write from a different address (a std::string may reallocate between retries).
    SSL_CTX_set_mode(
        ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    return shared;
}

}  // namespace tls::detail
