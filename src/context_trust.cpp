// Trust anchors of a tls::Context: what it verifies its peers against (load_verify_locations,
// cadata, the system store loaded on first use) and what it can report about them.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sys/stat.h>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "certificate_decode.hpp"
#include "context_state.hpp"
#include "live_material.hpp"
#include "ossl/der.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"

namespace tls {
namespace detail {

void ContextState::ensure_default_trust() {
    // Acquire: pairs with the store of a configuring call on another thread.
    if (trust_configured.load(std::memory_order_acquire)) {
        return;
    }
    std::call_once(default_trust_once, [this] {
        // Like Python's set_default_verify_paths, a missing system store is not an error here:
        // verification will then fail with "unable to get local issuer certificate".
        SSL_CTX_set_default_verify_paths(ctx.get());
        ERR_clear_error();
        ++trust_generation;
    });
}

}  // namespace detail

namespace {

using detail::ContextState;

// The store new connections verify against: the one reload_verify_locations published, or the
// context's own. Loading after a reload adds to the published one (X509_STORE locks itself).
X509_STORE* current_store(const ContextState& s,
                          std::shared_ptr<const detail::TrustSnapshot>& hold) {
    hold = s.live.trust();
    return hold ? hold->store.get() : SSL_CTX_get_cert_store(s.ctx.get());
}

template <typename Fn>
void for_each_store_object(const ContextState& s, Fn&& fn) {
    std::shared_ptr<const detail::TrustSnapshot> hold;
    X509_STORE* store = current_store(s, hold);
    // get0_objects is not locked; callers configure a context before sharing it (see header).
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
        fn(sk_X509_OBJECT_value(objects, i));
    }
}

// PEM certificates and CRLs from `pem` into `store`; `source` names where they came from.
int load_pem_trust(X509_STORE* store, std::string_view pem, const char* operation,
                   const std::string& source = "cadata") {
    ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        ossl::throw_error(operation, "cannot allocate a memory BIO");
    }
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
    ossl::X509InfoStackPtr owner(infos);
    if (infos == nullptr) {
        ossl::throw_error(operation, "no certificate or CRL found in " + source);
    }
    // Every anchor's extensions are decoded before the first is added, so that running out of
    // memory there adds nothing (pem_loading.hpp says why they are decoded at all).
    for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
        if (X509* cert = sk_X509_INFO_value(infos, i)->x509) {
            detail::decode_extensions_now(cert, operation);
        }
    }
    int loaded = 0;
    for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
        X509_INFO* info = sk_X509_INFO_value(infos, i);
        // X509_STORE_add_* take their own reference; `owner` frees ours.
        if (info->x509 != nullptr) {
            if (X509_STORE_add_cert(store, info->x509) != 1) {
                ossl::throw_error(operation, "cannot add a certificate to the store");
            }
            ++loaded;
        }
        if (info->crl != nullptr) {
            if (X509_STORE_add_crl(store, info->crl) != 1) {
                ossl::throw_error(operation, "cannot add a CRL to the store");
            }
            ++loaded;
        }
    }
    ERR_clear_error();
    if (loaded == 0) {
        throw SSLError(SSLErrc::ssl,
                       std::string(operation) + ": no certificate or CRL found in " + source);
    }
    return loaded;
}

void load_der_trust_file(X509_STORE* store, const std::string& der, const std::string& path,
                         const char* operation) {
    const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
    const unsigned char* p = begin;
    if (ossl::X509Ptr cert{d2i_X509(nullptr, &p, static_cast<long>(der.size()))}) {
        detail::decode_extensions_now(cert.get(), operation);
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
            ossl::throw_error(operation, "cannot add the certificate in '" + path + "'");
        }
        return;
    }
    ERR_clear_error();
    p = begin;
    if (ossl::X509CrlPtr crl{d2i_X509_CRL(nullptr, &p, static_cast<long>(der.size()))}) {
        if (X509_STORE_add_crl(store, crl.get()) != 1) {
            ossl::throw_error(operation, "cannot add the CRL in '" + path + "'");
        }
        return;
    }
    ossl::throw_error(operation, "no certificate or CRL found in '" + path + "'");
}

// cafile (PEM or one DER certificate or CRL) and capath into `store`, as Python loads them.
void load_locations(X509_STORE* store, const std::string& cafile, const std::string& capath,
                    const char* op) {
    if (!cafile.empty()) {
        // Checked first so a missing file is an OSError-like std::system_error, as in Python.
        const std::string contents = detail::read_file(cafile, op);
        if (contents.find("-----BEGIN") == std::string::npos) {
            // Python (3.5+) also takes a DER file: a single certificate or CRL.
            load_der_trust_file(store, contents, cafile, op);
        } else {
            // What X509_STORE_load_file does (PEM_X509_INFO_read_bio, then each certificate and
            // CRL into the store), with the anchors' extensions decoded first.
            load_pem_trust(store, contents, op, "'" + cafile + "'");
        }
    }
    if (!capath.empty()) {
        struct stat st {};
        if (::stat(capath.c_str(), &st) != 0) {
            throw std::system_error(errno, std::generic_category(),
                                    std::string(op) + ": cannot open '" + capath + "'");
        }
        if (X509_STORE_load_path(store, capath.c_str()) != 1) {
            ossl::throw_error(op, "cannot use directory '" + capath + "'");
        }
    }
}

}  // namespace

void Context::load_verify_locations(const std::string& cafile, const std::string& capath) {
    const char* op = "load_verify_locations";
    if (cafile.empty() && capath.empty()) {
        throw std::invalid_argument(
            "load_verify_locations: cafile, capath and cadata cannot be all omitted");
    }
    std::shared_ptr<const detail::TrustSnapshot> hold;
    load_locations(current_store(*state_, hold), cafile, capath, op);
    state_->trust_configured = true;
    ++state_->trust_generation;
}

void Context::reload_verify_locations(const std::string& cafile, const std::string& capath,
                                      std::string_view cadata) {
    const char* op = "reload_verify_locations";
    if (cafile.empty() && capath.empty() && cadata.empty()) {
        throw std::invalid_argument(
            "reload_verify_locations: cafile, capath and cadata cannot be all omitted");
    }
    auto snapshot = std::make_shared<detail::TrustSnapshot>();
    snapshot->store.reset(X509_STORE_new());
    if (!snapshot->store) {
        ossl::throw_error(op, "cannot allocate a certificate store");
    }
    // The store's own parameters (the context's verify flags live in the SSL_CTX's parameters,
    // which every connection applies on top, so they stay as they are).
    std::shared_ptr<const detail::TrustSnapshot> hold;
    X509_STORE* old = current_store(*state_, hold);
    if (X509_VERIFY_PARAM_set1(X509_STORE_get0_param(snapshot->store.get()),
                               X509_STORE_get0_param(old)) != 1) {
        ossl::throw_error(op, "cannot copy the store's parameters");
    }
    load_locations(snapshot->store.get(), cafile, capath, op);
    if (!cadata.empty()) {
        load_pem_trust(snapshot->store.get(), cadata, op);
    }
    state_->trust_configured = true;
    ++state_->trust_generation;
    state_->live.publish_trust(std::move(snapshot));
}

void Context::load_verify_cadata(std::string_view pem) {
    std::shared_ptr<const detail::TrustSnapshot> hold;
    load_pem_trust(current_store(*state_, hold), pem, "load_verify_locations");
    state_->trust_configured = true;
    ++state_->trust_generation;
}

void Context::load_verify_cadata(const Bytes& der) {
    const char* op = "load_verify_locations";
    std::shared_ptr<const detail::TrustSnapshot> hold;
    X509_STORE* store = current_store(*state_, hold);
    const unsigned char* p = der.data();
    const unsigned char* end = der.data() + der.size();
    int loaded = 0;
    // All parsed and their extensions decoded before the first is added (see load_pem_trust).
    std::vector<ossl::X509Ptr> certs;
    while (p < end) {
        ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(end - p)));
        if (!cert) {
            ossl::throw_error(op, "malformed DER certificate in cadata");
        }
        detail::decode_extensions_now(cert.get(), op);
        certs.push_back(std::move(cert));
    }
    for (const ossl::X509Ptr& cert : certs) {
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
            ossl::throw_error(op, "cannot add a certificate to the store");
        }
        ++loaded;
    }
    if (loaded == 0) {
        throw SSLError(SSLErrc::ssl, std::string(op) + ": no certificate found in cadata");
    }
    state_->trust_configured = true;
    ++state_->trust_generation;
}

void Context::load_default_certs(Purpose) {
    set_default_verify_paths();
}

void Context::set_default_verify_paths() {
    // Python does not report failure here either: a machine without a CA bundle still works
    // with explicitly loaded anchors.
    std::shared_ptr<const detail::TrustSnapshot> hold;
    X509_STORE_set_default_paths(current_store(*state_, hold));
    ERR_clear_error();
    state_->trust_configured = true;
    ++state_->trust_generation;
}

std::vector<CertificateInfo> Context::get_ca_certs() const {
    std::vector<CertificateInfo> out;
    for_each_store_object(*state_, [&](X509_OBJECT* obj) {
        X509* cert = X509_OBJECT_get0_X509(obj);
        if (cert != nullptr && X509_check_ca(cert) != 0) {
            out.push_back(detail::decode_x509(cert));
        }
    });
    return out;
}

std::vector<Bytes> Context::get_ca_certs_der() const {
    std::vector<Bytes> out;
    for_each_store_object(*state_, [&](X509_OBJECT* obj) {
        X509* cert = X509_OBJECT_get0_X509(obj);
        if (cert != nullptr && X509_check_ca(cert) != 0) {
            out.push_back(ossl::to_der(i2d_X509, cert, "get_ca_certs"));
        }
    });
    return out;
}

CertStoreStats Context::cert_store_stats() const {
    CertStoreStats stats;
    for_each_store_object(*state_, [&](X509_OBJECT* obj) {
        switch (X509_OBJECT_get_type(obj)) {
            case X509_LU_X509:
                ++stats.x509;
                if (X509_check_ca(X509_OBJECT_get0_X509(obj)) != 0) {
                    ++stats.x509_ca;
                }
                break;
            case X509_LU_CRL:
                ++stats.crl;
                break;
            default:
                break;
        }
    });
    return stats;
}

DefaultVerifyPaths get_default_verify_paths() {
    DefaultVerifyPaths paths;
    paths.openssl_cafile_env = X509_get_default_cert_file_env();
    paths.openssl_cafile = X509_get_default_cert_file();
    paths.openssl_capath_env = X509_get_default_cert_dir_env();
    paths.openssl_capath = X509_get_default_cert_dir();
    const char* env_file = std::getenv(paths.openssl_cafile_env.c_str());
    const char* env_dir = std::getenv(paths.openssl_capath_env.c_str());
    std::string cafile = env_file != nullptr ? env_file : paths.openssl_cafile;
    std::string capath = env_dir != nullptr ? env_dir : paths.openssl_capath;
    struct stat st {};
    if (::stat(cafile.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        paths.cafile = cafile;
    }
    if (::stat(capath.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        paths.capath = capath;
    }
    return paths;
}

}  // namespace tls
