// Key exchange of a tls::Context: the (EC)DHE groups (set and listed) and finite-field DH
// parameters.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "context_state.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "post_quantum.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/version.hpp"

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
    // OpenSSL parses the whole list before it replaces the context's, so a refused list leaves
    // the groups as they were (Python raises SSLError the same way). An empty list is refused
    // on every version: OpenSSL 3.5 would take it and then fail every (EC)DHE handshake.
    if (groups.empty()) {
        throw SSLError(SSLErrc::ssl, "set_groups: the group list is empty");
    }
    if (SSL_CTX_set1_groups_list(state_->ctx.get(), groups.c_str()) != 1) {
        ossl::throw_error("set_groups", "unknown or unusable group in '" + groups + "'");
    }
}

std::vector<std::string> Context::get_groups(bool include_aliases) const {
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    // The stack borrows the names from the context's group table.
    ossl::CstringStackPtr names(sk_OPENSSL_CSTRING_new_null());
    if (!names || SSL_CTX_get0_implemented_groups(state_->ctx.get(), include_aliases ? 1 : 0,
                                                  names.get()) != 1) {
        ossl::throw_error("get_groups", "cannot list the implemented groups");
    }
    const int count = sk_OPENSSL_CSTRING_num(names.get());
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        out.emplace_back(sk_OPENSSL_CSTRING_value(names.get(), i));
    }
    return out;
#else
    static_cast<void>(include_aliases);
    throw NotImplementedError(
        "get_groups: needs OpenSSL 3.5 or later (linked: " + openssl_version() + ")");
#endif
}

}  // namespace tls
