// OCSP stapling on a tls::Context (RFC 6066 section 8): the server's staple (bytes, file or
// callback) and the client's policy, with the one status callback OpenSSL calls for both roles.
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <climits>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>

#include "certificate_decode.hpp"
#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "ocsp_check.hpp"
#include "ossl/der.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/context.hpp"
#include "tls/ocsp.hpp"

namespace tls {
namespace {

using detail::ContextState;
using detail::OcspStaple;

// OpenSSL's "no status request" value (TLSEXT_STATUSTYPE_nothing is not in its public headers).
constexpr int kNoStatusRequest = -1;

std::shared_ptr<const OcspStaple> current_staple(ContextState& state) {
    const std::lock_guard<std::mutex> lock(state.ocsp_mutex);
    return state.ocsp_staple;
}

// The trust store this connection verifies with: the one a live reload published
// (reload_verify_locations gives it to each new SSL), else the context's.
X509_STORE* verify_store(SSL* ssl) {
    X509_STORE* store = nullptr;
    if (SSL_get0_verify_cert_store(ssl, &store) != 1 || store == nullptr) {
        store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    }
    return store;
}

// The certificate that issued `leaf`: from the chain configured with it, else the context's
// extra chain, else its trust store (a server whose chain file lacks the issuer). `owned` keeps
// a store lookup alive.
X509* issuer_of(SSL* ssl, X509* leaf, ossl::X509Ptr& owned) {
    STACK_OF(X509)* chain = nullptr;
    if (SSL_get0_chain_certs(ssl, &chain) == 1 && chain != nullptr) {
        if (X509* issuer = detail::find_issuer(chain, leaf)) {
            return issuer;
        }
    }
    SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
    STACK_OF(X509)* extra = nullptr;
    if (SSL_CTX_get_extra_chain_certs(ctx, &extra) == 1 && extra != nullptr) {
        if (X509* issuer = detail::find_issuer(extra, leaf)) {
            return issuer;
        }
    }
    const ossl::X509StoreCtxPtr lookup(X509_STORE_CTX_new());
    if (lookup && X509_STORE_CTX_init(lookup.get(), verify_store(ssl), leaf, nullptr) == 1) {
        X509* issuer = nullptr;
        if (X509_STORE_CTX_get1_issuer(&issuer, lookup.get(), leaf) == 1) {
            owned.reset(issuer);
        }
    }
    ERR_clear_error();
    return owned.get();
}

// The staple for this handshake, from the callback when there is one, else the one set.
std::shared_ptr<const OcspStaple> staple_for(SSL* ssl, ContextState& state, X509* leaf) {
    if (!state.ocsp_callback) {
        return current_staple(state);
    }
    OcspRequestInfo request;
    if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
        request.server_name = name;
    }
    request.certificate_der = ossl::der_or_empty(&i2d_X509, static_cast<const X509*>(leaf));
    request.serial_number = detail::decode_x509(leaf).serial_number;
    std::optional<Bytes> der = state.ocsp_callback(request);
    if (!der || der->empty()) {
        return nullptr;
    }
    return detail::parse_ocsp_staple(*der, "set_ocsp_response_callback");
}

// Server: staple what we have if it is good for the certificate chosen for this handshake
// (SSL_get_certificate: an SNI switch or several certificate types pick it before this runs).
// A stapling failure never fails the handshake (nginx and Apache serve without the staple).
int staple_response(SSL* ssl, ContextState& state) noexcept {
    try {
        X509* leaf = SSL_get_certificate(ssl);
        if (leaf == nullptr) {
            return SSL_TLSEXT_ERR_NOACK;
        }
        const std::shared_ptr<const OcspStaple> staple = staple_for(ssl, state, leaf);
        if (!staple) {
            return SSL_TLSEXT_ERR_NOACK;
        }
        ossl::X509Ptr owned_issuer;
        X509* issuer = issuer_of(ssl, leaf, owned_issuer);
        if (detail::staple_refusal(*staple, leaf, issuer) != nullptr ||
            staple->der.size() > static_cast<std::size_t>(LONG_MAX)) {
            return SSL_TLSEXT_ERR_NOACK;
        }
        // SSL_set_tlsext_status_ocsp_resp takes ownership of an OPENSSL_malloc'ed copy.
        auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(staple->der.size()));
        if (copy == nullptr) {
            return SSL_TLSEXT_ERR_NOACK;
        }
        std::memcpy(copy, staple->der.data(), staple->der.size());
        if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple->der.size())) !=
            1) {
            OPENSSL_free(copy);
            return SSL_TLSEXT_ERR_NOACK;
        }
#ifdef SSL_OP_NO_TX_CERTIFICATE_COMPRESSION
        // OpenSSL 3.2+ sends a chain compressed at load time (RFC 8879, context_certificate.cpp)
        // as it was made then, without this handshake's status_request extension, so the staple
        // would silently vanish in TLS 1.3. This handshake sends its certificate uncompressed.
        SSL_set_options(ssl, SSL_OP_NO_TX_CERTIFICATE_COMPRESSION);
#endif
        return SSL_TLSEXT_ERR_OK;
    } catch (...) {
        ERR_clear_error();
        return SSL_TLSEXT_ERR_NOACK;
    }
}

// Client: the handshake fails as a certificate verification failure with `code`; the mapper
// (ossl/error.cpp) turns OpenSSL's INVALID_STATUS_RESPONSE plus this verify result into
// SSLCertVerificationError, and the note gives the message its detail.
int refuse_staple(SSL* ssl, long code, const char* what) noexcept {
    ERR_clear_error();
    SSL_set_verify_result(ssl, code);
    if (detail::Engine* engine = detail::engine_of(ssl)) {
        try {
            engine->note_callback_refusal(std::string("certificate verify failed: ") + what);
        } catch (...) {
            // Out of memory: the mapper's generic wording stays.
        }
    }
    return 0;
}

X509* peer_issuer(SSL* ssl, X509* leaf) noexcept {
    if (X509* issuer = detail::find_issuer(SSL_get0_verified_chain(ssl), leaf)) {
        return issuer;
    }
    return detail::find_issuer(SSL_get_peer_cert_chain(ssl), leaf);
}

// Client: RFC 6066 section 8 leaves checking the staple to us. Returns 1 to go on, 0 to fail.
int check_staple(SSL* ssl, const ContextState& state) noexcept {
    X509* leaf = SSL_get0_peer_certificate(ssl);
    if (leaf == nullptr) {
        return 1;
    }
    const unsigned char* data = nullptr;
    const long len = SSL_get_tlsext_status_ocsp_resp(ssl, &data);
    if (data == nullptr || len <= 0) {
        if (state.ocsp_policy == OcspPolicy::require) {
            return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_NEEDED,
                                 "the server sent no OCSP staple and the policy requires one");
        }
        if (detail::requires_staple(leaf)) {
            return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_NEEDED,
                                 "the server sent no OCSP staple and its certificate requires "
                                 "one (TLS Feature status_request, must-staple)");
        }
        return 1;
    }
    const unsigned char* p = data;
    const ossl::OcspResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &p, len));
    if (!response) {
        return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                             "the OCSP staple is not an OCSP response");
    }
    if (OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                             "the OCSP staple's response status is not successful");
    }
    const ossl::OcspBasicRespPtr basic(OCSP_response_get1_basic(response.get()));
    X509* issuer = peer_issuer(ssl, leaf);
    if (!basic || issuer == nullptr) {
        return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                             "the OCSP staple cannot be matched to the certificate's issuer");
    }
    // The signer must chain to our trust anchors and be the issuer or its delegated responder
    // (RFC 6960 section 4.2.2.2); the server's chain may supply intermediates.
    X509_STORE* store = verify_store(ssl);
    if (OCSP_basic_verify(basic.get(), SSL_get_peer_cert_chain(ssl), store, 0) != 1) {
        return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                             "the OCSP staple's signature is not from the certificate's issuer "
                             "or a responder it authorised");
    }
    OCSP_SINGLERESP* single = detail::find_single_response(basic.get(), leaf, issuer);
    if (single == nullptr) {
        return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                             "the OCSP staple is not about the server's certificate");
    }
    int reason = -1;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    const int status =
        OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
    if (!detail::staple_window_current(this_update, next_update, SSL_get0_param(ssl))) {
        return refuse_staple(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                             "the OCSP staple has expired or is not yet valid");
    }
    switch (status) {
        case V_OCSP_CERTSTATUS_GOOD:
            ERR_clear_error();
            return 1;
        case V_OCSP_CERTSTATUS_REVOKED:
            return refuse_staple(ssl, X509_V_ERR_CERT_REVOKED,
                                 "the OCSP staple says the certificate is revoked");
        default:
            return refuse_staple(ssl, X509_V_ERR_OCSP_CERT_UNKNOWN,
                                 "the OCSP staple says the certificate's status is unknown");
    }
}

int status_trampoline(SSL* ssl, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    if (SSL_is_server(ssl) == 1) {
        return staple_response(ssl, *state);
    }
    return state->ocsp_policy == OcspPolicy::off ? 1 : check_staple(ssl, *state);
}

}  // namespace

namespace detail {

// Every new context gets it (defaults.cpp), so set_ocsp_response, documented as safe while
// handshakes on other threads read the SSL_CTX, never writes to it. The setters call it again
// for contexts OpenSSL's callback was replaced on through tls/native.hpp.
void install_status_callback(ContextState& state) {
    int (*installed)(SSL*, void*) = nullptr;
    SSL_CTX_get_tlsext_status_cb(state.ctx.get(), &installed);
    if (installed != &status_trampoline) {
        SSL_CTX_set_tlsext_status_cb(state.ctx.get(), &status_trampoline);
        SSL_CTX_set_tlsext_status_arg(state.ctx.get(), &state);
    }
}

}  // namespace detail

void Context::set_ocsp_response(const Bytes& der) {
    std::shared_ptr<const OcspStaple> staple;
    if (!der.empty()) {
        staple = detail::parse_ocsp_staple(der, "set_ocsp_response");
    }
    detail::install_status_callback(*state_);
    const std::lock_guard<std::mutex> lock(state_->ocsp_mutex);
    state_->ocsp_staple = std::move(staple);
}

void Context::load_ocsp_response(const std::string& path) {
    const std::string contents = detail::read_file(path, "load_ocsp_response");
    set_ocsp_response(Bytes(contents.begin(), contents.end()));
}

void Context::set_ocsp_response_callback(OcspResponseCallback callback) {
    state_->ocsp_callback = std::move(callback);
    detail::install_status_callback(*state_);
}

void Context::set_ocsp_policy(OcspPolicy policy) {
    switch (policy) {
        case OcspPolicy::off:
        case OcspPolicy::check_if_present:
        case OcspPolicy::require:
            break;
        default:
            throw std::invalid_argument("set_ocsp_policy: not an OcspPolicy value");
    }
    state_->ocsp_policy = policy;
    detail::install_status_callback(*state_);
    SSL_CTX_set_tlsext_status_type(
        state_->ctx.get(), policy == OcspPolicy::off ? kNoStatusRequest : TLSEXT_STATUSTYPE_ocsp);
}

OcspPolicy Context::ocsp_policy() const noexcept {
    return state_->ocsp_policy;
}

}  // namespace tls
