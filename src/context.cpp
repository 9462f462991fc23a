#include "tls/context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>
#include <cstdlib>
#include <stdexcept>

#include "certificate_decode.hpp"
#include "context_state.hpp"
#include "ossl/error.hpp"
#include "pem_loading.hpp"
#include "tls/dangerous.hpp"
#include "tls/errors.hpp"

namespace tls {
namespace detail {

void ContextState::ensure_default_trust() {
    if (trust_configured) {
        return;
    }
    std::call_once(default_trust_once, [this] {
        // Like Python's set_default_verify_paths, a missing system store is not an error here:
        // verification will then fail with "unable to get local issuer certificate".
        SSL_CTX_set_default_verify_paths(ctx.get());
        ERR_clear_error();
    });
}

}  // namespace detail

namespace {

using detail::ContextState;

bool weakens(Options before, Options after) {
    const Options must_stay_set = Options::OP_NO_SSLv3 | Options::OP_NO_COMPRESSION;
    const Options must_stay_clear =
        Options::OP_IGNORE_UNEXPECTED_EOF | Options::OP_LEGACY_SERVER_CONNECT;
    bool clears = ((before & must_stay_set) & ~after) != Options::OP_NONE;
    bool sets = ((after & must_stay_clear) & ~before) != Options::OP_NONE;
    return clears || sets;
}

int to_openssl_min(TLSVersion v) {
    switch (v) {
        case TLSVersion::MINIMUM_SUPPORTED:
            return 0;
        case TLSVersion::MAXIMUM_SUPPORTED:
            return TLS1_3_VERSION;
        default:
            return static_cast<int>(v);
    }
}

int to_openssl_max(TLSVersion v) {
    switch (v) {
        case TLSVersion::MAXIMUM_SUPPORTED:
            return 0;
        case TLSVersion::MINIMUM_SUPPORTED:
            return detail::lowest_protocol_version();
        default:
            return static_cast<int>(v);
    }
}

TLSVersion from_openssl(int v, TLSVersion unset) {
    return v == 0 ? unset : static_cast<TLSVersion>(v);
}

void require_flexible_protocol(const ContextState& s, const char* operation) {
    if (s.protocol != Protocol::PROTOCOL_TLS && s.protocol != Protocol::PROTOCOL_TLS_CLIENT &&
        s.protocol != Protocol::PROTOCOL_TLS_SERVER) {
        throw std::invalid_argument(std::string(operation) +
                                    ": the context's protocol doesn't support modification of "
                                    "highest and lowest version");
    }
}

void set_version_bound(ContextState& s, TLSVersion version, bool minimum) {
    require_flexible_protocol(s, minimum ? "set_minimum_version" : "set_maximum_version");
    int v = minimum ? to_openssl_min(version) : to_openssl_max(version);
    int ok = minimum ? SSL_CTX_set_min_proto_version(s.ctx.get(), v)
                     : SSL_CTX_set_max_proto_version(s.ctx.get(), v);
    if (ok != 1) {
        ERR_clear_error();
        throw std::invalid_argument(
            std::string(minimum ? "set_minimum_version" : "set_maximum_version") +
            ": unsupported protocol version " + std::to_string(static_cast<int>(version)));
    }
}

void apply_verify_mode(ContextState& s, VerifyMode mode) {
    const int post_handshake = s.post_handshake_auth ? SSL_VERIFY_POST_HANDSHAKE : 0;
    int flags = SSL_VERIFY_NONE;
    switch (mode) {
        case VerifyMode::CERT_NONE:
            flags = SSL_VERIFY_NONE;
            break;
        case VerifyMode::CERT_OPTIONAL:
            flags = SSL_VERIFY_PEER | post_handshake;
            break;
        case VerifyMode::CERT_REQUIRED:
            flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | post_handshake;
            break;
        default:
            throw std::invalid_argument("set_verify_mode: invalid value for verify_mode");
    }
    SSL_CTX_set_verify(s.ctx.get(), flags, nullptr);
}

// The TLS 1.2-and-below list of a context as a cipher string, to restore it after a refusal
// (OpenSSL replaces the list even when it then reports that nothing matched).
std::string current_cipher_string(SSL_CTX* ctx) {
    std::string out;
    STACK_OF(SSL_CIPHER)* current = SSL_CTX_get_ciphers(ctx);
    for (int i = 0; current != nullptr && i < sk_SSL_CIPHER_num(current); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(current, i);
        if (std::string_view(SSL_CIPHER_get_version(c)) == "TLSv1.3") {
            continue;  // TLS 1.3 suites are configured separately and stay untouched
        }
        if (!out.empty()) {
            out += ':';
        }
        out += SSL_CIPHER_get_name(c);
    }
    return out;
}

void restore_ciphers(SSL_CTX* ctx, const std::string& previous, int level) {
    SSL_CTX_set_security_level(ctx, level);
    if (!previous.empty()) {
        SSL_CTX_set_cipher_list(ctx, previous.c_str());
    }
    ERR_clear_error();
}

}  // namespace

namespace detail {

void apply_ciphers(ContextState& s, std::string_view cipher_string, bool allow_lower_level) {
    SSL_CTX* ctx = s.ctx.get();
    const int level_before = SSL_CTX_get_security_level(ctx);
    const std::string previous = current_cipher_string(ctx);
    std::string text(cipher_string);
    if (SSL_CTX_set_cipher_list(ctx, text.c_str()) != 1) {
        restore_ciphers(ctx, previous, level_before);
        // Python's wording: an empty selection is the common user error.
        throw SSLError(SSLErrc::ssl, "set_ciphers: No cipher can be selected. (" + text + ")");
    }
    if (!allow_lower_level && SSL_CTX_get_security_level(ctx) < level_before) {
        restore_ciphers(ctx, previous, level_before);
        throw std::invalid_argument("set_ciphers: the string lowers the security level below " +
                                    std::to_string(level_before) +
                                    "; use ctx.dangerous().set_ciphers(...)");
    }
}

}  // namespace detail

namespace {

CertificateInfo decode_or_empty(X509* cert) {
    return detail::decode_x509(cert);
}

template <typename Fn>
void for_each_store_object(SSL_CTX* ctx, Fn&& fn) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    // get0_objects is not locked; callers configure a context before sharing it (see header).
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
        fn(sk_X509_OBJECT_value(objects, i));
    }
}

void load_pem_trust(ContextState& s, std::string_view pem, const char* operation) {
    ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        ossl::throw_error(operation, "cannot allocate a memory BIO");
    }
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
    std::unique_ptr<STACK_OF(X509_INFO), void (*)(STACK_OF(X509_INFO)*)> owner(
        infos, [](STACK_OF(X509_INFO) * p) { sk_X509_INFO_pop_free(p, X509_INFO_free); });
    if (infos == nullptr) {
        ossl::throw_error(operation, "no certificate or CRL found in cadata");
    }
    X509_STORE* store = SSL_CTX_get_cert_store(s.ctx.get());
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
                       std::string(operation) + ": no certificate or CRL found in cadata");
    }
    s.trust_configured = true;
}

}  // namespace

Context::Context() : Context(Protocol::PROTOCOL_TLS) {}

Context::Context(Protocol protocol) : state_(std::make_shared<ContextState>()) {
    if (protocol == Protocol::PROTOCOL_TLSv1 || protocol == Protocol::PROTOCOL_TLSv1_1) {
        throw std::invalid_argument(
            "Context: TLS 1.0 and 1.1 are insecure; use "
            "tls::dangerous::legacy_protocol_context(...) to create such a context");
    }
    state_->protocol = protocol;
    detail::apply_defaults(*state_);
}

Context::Context(std::shared_ptr<detail::ContextState> state) noexcept : state_(std::move(state)) {}
Context::~Context() = default;
Context::Context(const Context&) noexcept = default;
Context& Context::operator=(const Context&) noexcept = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

Protocol Context::protocol() const noexcept {
    return state_->protocol;
}

Options Context::options() const noexcept {
    return static_cast<Options>(SSL_CTX_get_options(state_->ctx.get()));
}

void Context::set_options(Options new_options) {
    if (weakens(options(), new_options)) {
        throw std::invalid_argument(
            "set_options: the new options weaken the context (clearing OP_NO_SSLv3 or "
            "OP_NO_COMPRESSION, or setting OP_IGNORE_UNEXPECTED_EOF or "
            "OP_LEGACY_SERVER_CONNECT); use ctx.dangerous().set_options(...)");
    }
    dangerous().set_options(new_options);
}

VerifyMode Context::verify_mode() const noexcept {
    int mode = SSL_CTX_get_verify_mode(state_->ctx.get());
    if ((mode & SSL_VERIFY_PEER) == 0) {
        return VerifyMode::CERT_NONE;
    }
    return (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) != 0 ? VerifyMode::CERT_REQUIRED
                                                         : VerifyMode::CERT_OPTIONAL;
}

void Context::set_verify_mode(VerifyMode mode) {
    if (mode == VerifyMode::CERT_NONE && state_->can_be_client()) {
        throw std::invalid_argument(
            "set_verify_mode: CERT_NONE on a client context disables certificate verification; "
            "use ctx.dangerous().set_verify_mode(tls::CERT_NONE)");
    }
    apply_verify_mode(*state_, mode);
}

bool Context::check_hostname() const noexcept {
    return state_->check_hostname;
}

void Context::set_check_hostname(bool on) {
    if (!on && state_->can_be_client()) {
        throw std::invalid_argument(
            "set_check_hostname: turning host name checking off on a client context; use "
            "ctx.dangerous().set_check_hostname(false)");
    }
    if (on && verify_mode() == VerifyMode::CERT_NONE) {
        apply_verify_mode(*state_, VerifyMode::CERT_REQUIRED);
    }
    state_->check_hostname = on;
}

bool Context::hostname_checks_common_name() const noexcept {
    return state_->hostname_checks_common_name;
}

void Context::set_hostname_checks_common_name(bool on) {
    state_->hostname_checks_common_name = on;
}

VerifyFlags Context::verify_flags() const noexcept {
    return static_cast<VerifyFlags>(
        X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(state_->ctx.get())));
}

void Context::set_verify_flags(VerifyFlags flags) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(state_->ctx.get());
    unsigned long current = X509_VERIFY_PARAM_get_flags(param);
    unsigned long wanted = static_cast<unsigned long>(flags);
    X509_VERIFY_PARAM_clear_flags(param, current & ~wanted);
    X509_VERIFY_PARAM_set_flags(param, wanted & ~current);
}

TLSVersion Context::minimum_version() const noexcept {
    return from_openssl(SSL_CTX_get_min_proto_version(state_->ctx.get()),
                        TLSVersion::MINIMUM_SUPPORTED);
}

void Context::set_minimum_version(TLSVersion version) {
    if (version != TLSVersion::MAXIMUM_SUPPORTED &&
        (version == TLSVersion::MINIMUM_SUPPORTED || version < TLSVersion::TLSv1_2)) {
        require_flexible_protocol(*state_, "set_minimum_version");
        throw std::invalid_argument(
            "set_minimum_version: a floor below TLS 1.2 is insecure; use "
            "ctx.dangerous().set_minimum_version(...)");
    }
    set_version_bound(*state_, version, true);
}

TLSVersion Context::maximum_version() const noexcept {
    return from_openssl(SSL_CTX_get_max_proto_version(state_->ctx.get()),
                        TLSVersion::MAXIMUM_SUPPORTED);
}

void Context::set_maximum_version(TLSVersion version) {
    set_version_bound(*state_, version, false);
}

int Context::security_level() const noexcept {
    return SSL_CTX_get_security_level(state_->ctx.get());
}

void Context::load_cert_chain(const std::string& certfile, const std::string& keyfile,
                              std::string_view password) {
    std::string chain = detail::read_file(certfile, "load_cert_chain");
    std::string key =
        keyfile.empty() ? std::string() : detail::read_file(keyfile, "load_cert_chain");
    load_cert_chain_pem(chain, key, password);
    OPENSSL_cleanse(key.data(), key.size());
    OPENSSL_cleanse(chain.data(), chain.size());
}

namespace {

void load_chain_and_key(ContextState& s, std::string_view chain_pem, std::string_view key_pem,
                        detail::PasswordSource& password) {
    const char* op = "load_cert_chain";
    SSL_CTX* ctx = s.ctx.get();
    ossl::BioPtr chain_bio(BIO_new_mem_buf(chain_pem.data(), static_cast<int>(chain_pem.size())));
    if (!chain_bio) {
        ossl::throw_error(op, "cannot allocate a memory BIO");
    }
    ossl::X509Ptr leaf(PEM_read_bio_X509_AUX(chain_bio.get(), nullptr, nullptr, nullptr));
    if (!leaf) {
        ossl::throw_error(op, "no certificate found in the certificate chain PEM");
    }
    ossl::X509StackPtr intermediates(sk_X509_new_null());
    while (ossl::X509Ptr next{PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)}) {
        if (sk_X509_push(intermediates.get(), next.get()) == 0) {
            ossl::throw_error(op, "cannot store an intermediate certificate");
        }
        next.release();  // the stack owns it now
    }
    // Reading stops at end of input with a "no start line" error: not a failure.
    unsigned long last = ERR_peek_last_error();
    if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
    } else if (last != 0) {
        ossl::throw_error(op, "malformed certificate in the chain PEM");
    }

    std::string_view key_source = key_pem.empty() ? chain_pem : key_pem;
    ossl::BioPtr key_bio(BIO_new_mem_buf(key_source.data(), static_cast<int>(key_source.size())));
    if (!key_bio) {
        ossl::throw_error(op, "cannot allocate a memory BIO");
    }
    ossl::EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr,
                                                 &detail::PasswordSource::trampoline, &password));
    password.rethrow_if_failed();
    if (!key) {
        ossl::throw_error(op, "cannot load the private key (wrong password or not a key)");
    }
    if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
        ossl::throw_error(op, "cannot use the certificate");
    }
    // set1: the context takes its own references to the chain certificates.
    if (SSL_CTX_set1_chain(ctx, intermediates.get()) != 1) {
        ossl::throw_error(op, "cannot use the certificate chain");
    }
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
        ossl::throw_error(op, "the private key does not match the certificate");
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ossl::throw_error(op, "the private key does not match the certificate");
    }
}

}  // namespace

void Context::load_cert_chain(const std::string& certfile, const std::string& keyfile,
                              const PasswordCallback& password) {
    std::string chain = detail::read_file(certfile, "load_cert_chain");
    std::string key =
        keyfile.empty() ? std::string() : detail::read_file(keyfile, "load_cert_chain");
    detail::PasswordSource source({}, &password);
    try {
        load_chain_and_key(*state_, chain, key, source);
    } catch (...) {
        OPENSSL_cleanse(key.data(), key.size());
        throw;
    }
    OPENSSL_cleanse(key.data(), key.size());
}

void Context::load_cert_chain_pem(std::string_view chain_pem, std::string_view key_pem,
                                  std::string_view password) {
    detail::PasswordSource source(password, nullptr);
    load_chain_and_key(*state_, chain_pem, key_pem, source);
}

void Context::load_verify_locations(const std::string& cafile, const std::string& capath) {
    const char* op = "load_verify_locations";
    if (cafile.empty() && capath.empty()) {
        throw std::invalid_argument(
            "load_verify_locations: cafile, capath and cadata cannot be all omitted");
    }
    SSL_CTX* ctx = state_->ctx.get();
    if (!cafile.empty()) {
        // Checked first so a missing file is an OSError-like std::system_error, as in Python.
        (void)detail::read_file(cafile, op);
        if (SSL_CTX_load_verify_file(ctx, cafile.c_str()) != 1) {
            ossl::throw_error(op, "no certificate or CRL found in '" + cafile + "'");
        }
    }
    if (!capath.empty()) {
        struct stat st {};
        if (::stat(capath.c_str(), &st) != 0) {
            throw std::system_error(errno, std::generic_category(),
                                    std::string(op) + ": cannot open '" + capath + "'");
        }
        if (SSL_CTX_load_verify_dir(ctx, capath.c_str()) != 1) {
            ossl::throw_error(op, "cannot use directory '" + capath + "'");
        }
    }
    state_->trust_configured = true;
}

void Context::load_verify_cadata(std::string_view pem) {
    load_pem_trust(*state_, pem, "load_verify_locations");
}

void Context::load_verify_cadata(const Bytes& der) {
    const char* op = "load_verify_locations";
    X509_STORE* store = SSL_CTX_get_cert_store(state_->ctx.get());
    const unsigned char* p = der.data();
    const unsigned char* end = der.data() + der.size();
    int loaded = 0;
    while (p < end) {
        ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(end - p)));
        if (!cert) {
            ossl::throw_error(op, "malformed DER certificate in cadata");
        }
        if (X509_STORE_add_cert(store, cert.get()) != 1) {
            ossl::throw_error(op, "cannot add a certificate to the store");
        }
        ++loaded;
    }
    if (loaded == 0) {
        throw SSLError(SSLErrc::ssl, std::string(op) + ": no certificate found in cadata");
    }
    state_->trust_configured = true;
}

void Context::load_default_certs(Purpose) {
    set_default_verify_paths();
}

void Context::set_default_verify_paths() {
    // Python does not report failure here either: a machine without a CA bundle still works
    // with explicitly loaded anchors.
    SSL_CTX_set_default_verify_paths(state_->ctx.get());
    ERR_clear_error();
    state_->trust_configured = true;
}

std::vector<CertificateInfo> Context::get_ca_certs() const {
    std::vector<CertificateInfo> out;
    for_each_store_object(state_->ctx.get(), [&](X509_OBJECT* obj) {
        X509* cert = X509_OBJECT_get0_X509(obj);
        if (cert != nullptr && X509_check_ca(cert) != 0) {
            out.push_back(decode_or_empty(cert));
        }
    });
    return out;
}

std::vector<Bytes> Context::get_ca_certs_der() const {
    std::vector<Bytes> out;
    for_each_store_object(state_->ctx.get(), [&](X509_OBJECT* obj) {
        X509* cert = X509_OBJECT_get0_X509(obj);
        if (cert != nullptr && X509_check_ca(cert) != 0) {
            int len = i2d_X509(cert, nullptr);
            Bytes der(static_cast<std::size_t>(len > 0 ? len : 0));
            unsigned char* p = der.data();
            i2d_X509(cert, &p);
            out.push_back(std::move(der));
        }
    });
    return out;
}

CertStoreStats Context::cert_store_stats() const {
    CertStoreStats stats;
    for_each_store_object(state_->ctx.get(), [&](X509_OBJECT* obj) {
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

void Context::set_ciphers(std::string_view cipher_string) {
    detail::apply_ciphers(*state_, cipher_string, false);
}

void Context::set_ciphers(CipherPolicy policy) {
    set_ciphers(cipher_string(policy));
}

namespace {

std::optional<std::string> long_name(int nid) {
    if (nid == NID_undef) {
        return std::nullopt;
    }
    const char* ln = OBJ_nid2ln(nid);
    return ln != nullptr ? std::optional<std::string>(ln) : std::nullopt;
}

}  // namespace

std::vector<CipherInfo> Context::get_ciphers() const {
    // Python asks an SSL made from the context: the list then includes the TLS 1.3 suites.
    ossl::SslPtr ssl(SSL_new(state_->ctx.get()));
    if (!ssl) {
        ossl::throw_error("get_ciphers", "cannot create an SSL object");
    }
    std::vector<CipherInfo> out;
    STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl.get());
    for (int i = 0; ciphers != nullptr && i < sk_SSL_CIPHER_num(ciphers); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
        CipherInfo info;
        info.id = SSL_CIPHER_get_id(c);
        info.name = SSL_CIPHER_get_name(c);
        info.protocol = SSL_CIPHER_get_version(c);
        char buf[256];
        info.description = SSL_CIPHER_description(c, buf, sizeof buf);
        while (!info.description.empty() &&
               (info.description.back() == '\n' || info.description.back() == ' ')) {
            info.description.pop_back();
        }
        info.strength_bits = SSL_CIPHER_get_bits(c, &info.alg_bits);
        info.aead = SSL_CIPHER_is_aead(c) != 0;
        info.symmetric = long_name(SSL_CIPHER_get_cipher_nid(c));
        info.digest = long_name(SSL_CIPHER_get_digest_nid(c));
        info.kea = long_name(SSL_CIPHER_get_kx_nid(c));
        info.auth = long_name(SSL_CIPHER_get_auth_nid(c));
        out.push_back(std::move(info));
    }
    return out;
}

namespace {

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) noexcept {
    auto* state = static_cast<ContextState*>(arg);
    if (state->alpn_wire.empty()) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    unsigned char* selected = nullptr;
    // The server's order wins (SSL_select_next_proto's first list), as in Python.
    int r = SSL_select_next_proto(&selected, outlen, state->alpn_wire.data(),
                                  static_cast<unsigned int>(state->alpn_wire.size()), in, inlen);
    if (r != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void Context::set_alpn_protocols(const std::vector<std::string>& protocols) {
    std::vector<unsigned char> wire;
    for (const std::string& p : protocols) {
        if (p.empty() || p.size() > 255) {
            throw std::invalid_argument(
                "set_alpn_protocols: protocol names must be 1 to 255 bytes");
        }
        wire.push_back(static_cast<unsigned char>(p.size()));
        wire.insert(wire.end(), p.begin(), p.end());
    }
    if (wire.size() > 65535) {
        throw std::invalid_argument("set_alpn_protocols: the protocol list is too long");
    }
    // SSL_CTX_set_alpn_protos returns 0 on success (unlike most of OpenSSL).
    if (SSL_CTX_set_alpn_protos(state_->ctx.get(), wire.data(),
                                static_cast<unsigned int>(wire.size())) != 0) {
        ossl::throw_error("set_alpn_protocols", "cannot set the ALPN list");
    }
    state_->alpn_wire = std::move(wire);
    SSL_CTX_set_alpn_select_cb(state_->ctx.get(), &select_alpn, state_.get());
}

dangerous::Settings Context::dangerous() {
    return dangerous::Settings(*this);
}

void* Context::native_handle() const noexcept {
    return state_->ctx.get();
}

Context create_default_context(Purpose purpose, const std::string& cafile,
                               const std::string& capath, std::string_view cadata) {
    Context ctx(purpose == Purpose::SERVER_AUTH ? Protocol::PROTOCOL_TLS_CLIENT
                                                : Protocol::PROTOCOL_TLS_SERVER);
    if (!cafile.empty() || !capath.empty()) {
        ctx.load_verify_locations(cafile, capath);
    }
    if (!cadata.empty()) {
        ctx.load_verify_cadata(cadata);
    }
    if (cafile.empty() && capath.empty() && cadata.empty() &&
        ctx.verify_mode() != VerifyMode::CERT_NONE) {
        // As Python: only a context that verifies its peer needs the system store.
        ctx.load_default_certs(purpose);
    }
    // Python honours SSLKEYLOGFILE here (and only here): setting it is the explicit request.
    if (const char* keylog = std::getenv("SSLKEYLOGFILE"); keylog != nullptr && *keylog != '\0') {
        ctx.dangerous().set_keylog_filename(keylog);
    }
    return ctx;
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
