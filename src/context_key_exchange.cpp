// Key exchange of a tls::Context: the (EC)DHE groups and finite-field DH parameters.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

#include "context_state.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "post_quantum.hpp"
#include "tls/context.hpp"

namespace tls {

void Context::load_dh_params(const std::string& path) {
    std::string pem = detail::read_file(path, "load_dh_params");
    ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    ossl::EvpPkeyPtr params(bio ? PEM_read_bio_Parameters(bio.get(), nullptr) : nullptr);
    if (!params) {
        ossl::throw_error("load_dh_params", "no DH parameters in '" + path + "'");
    }
    // set0: on success the context owns the parameters.
    if (SSL_CTX_set0_tmp_dh_pkey(state_->ctx.get(), params.get()) != 1) {
        ossl::throw_error("load_dh_params", "the DH parameters cannot be used");
    }
    static_cast<void>(params.release());  // the context owns the parameters (set0 above)
}

void Context::set_ecdh_curve(const std::string& name) {
    detail::check_groups_keep_post_quantum(*state_, name, "set_ecdh_curve");
    // One curve, as in Python: OpenSSL 3.5 accepts an empty group list (3.0 refuses it), and
    // lists are set_groups's job, so neither may pass for a curve name.
    if (name.empty() || name.find_first_of(":/ ") != std::string::npos ||
        SSL_CTX_set1_groups_list(state_->ctx.get(), name.c_str()) != 1) {
        ERR_clear_error();
        throw std::invalid_argument("set_ecdh_curve: unknown elliptic curve name '" + name + "'");
    }
}

void Context::set_groups(const std::string& groups) {
    detail::check_groups_keep_post_quantum(*state_, groups, "set_groups");
    if (SSL_CTX_set1_groups_list(state_->ctx.get(), groups.c_str()) != 1) {
        ossl::throw_error("set_groups", "unknown or unusable group in '" + groups + "'");
    }
}

}  // namespace tls
