#include "harness.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "tls/native.hpp"
#include "tls/pki.hpp"

namespace bench {

void die(const char* what) {
    std::fprintf(stderr, "tlsctx bench: %s\n", what);
    ERR_print_errors_fp(stderr);
    std::abort();
}

// ---- PKI ---------------------------------------------------------------------------------------

namespace {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return false;
    }
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return !out.empty();
}

void write_file(const std::string& path, const std::string& text) {
    // Several bench processes may race to create the directory's files: write then rename.
    std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary);
        out << text;
    }
    std::rename(tmp.c_str(), path.c_str());
}

Pki make_pki(Key key) {
    const tls::pki::KeyType type =
        key == Key::rsa2048 ? tls::pki::KeyType::rsa2048 : tls::pki::KeyType::ec_p256;
    const char* prefix = key == Key::rsa2048                   ? "rsa"
                         : key == Key::ecdsa_p256_intermediate ? "ecdsa_intermediate"
                                                               : "ecdsa";
    const char* dir = std::getenv("TLSCTX_BENCH_PKI");
    std::string base = dir != nullptr && *dir != '\0' ? std::string(dir) + "/" + prefix : "";
    Pki p;
    if (!base.empty() && read_file(base + "_ca.pem", p.ca_pem) &&
        read_file(base + "_chain.pem", p.chain_pem) && read_file(base + "_key.pem", p.key_pem)) {
        return p;
    }
    tls::pki::CertificateAuthority ca("tlsctx bench CA", type);
    tls::pki::CertificateOptions options;
    options.dns_names = {kHostname};
    options.key_type = type;
    tls::pki::IssuedCert leaf =
        key == Key::ecdsa_p256_intermediate
            ? ca.create_child_ca("tlsctx bench intermediate", type).issue_cert(options)
            : ca.issue_cert(options);
    p = Pki{ca.cert_pem(), leaf.cert_chain_pem(), leaf.private_key_pem()};
    if (!base.empty()) {
        write_file(base + "_ca.pem", p.ca_pem);
        write_file(base + "_chain.pem", p.chain_pem);
        write_file(base + "_key.pem", p.key_pem);
    }
    return p;
}

}  // namespace

const Pki& pki(Key key) {
    static const Pki ecdsa = make_pki(Key::ecdsa_p256);
    static const Pki rsa = make_pki(Key::rsa2048);
    if (key == Key::ecdsa_p256_intermediate) {
        static const Pki with_intermediate = make_pki(key);
        return with_intermediate;
    }
    return key == Key::rsa2048 ? rsa : ecdsa;
}

Config named_config(std::string_view full_name) {
    Config c;
    std::string_view name = full_name.substr(0, full_name.find(':'));
    if (std::string_view suffix = full_name.substr(name.size()); suffix == ":clear") {
        c.error_queue = ErrorQueue::clear;
    } else if (suffix == ":peek") {
        c.error_queue = ErrorQueue::peek;
    } else if (!suffix.empty()) {
        die(("unknown suffix in " + std::string(full_name)).c_str());
    }
    if (name == "tls13_ecdsa" || name == "tls13_ticket") {
        return c;
    }
    if (name == "tls13_ecdsa_intermediate") {
        c.key = Key::ecdsa_p256_intermediate;
        return c;
    }
    if (name == "tls13_ecdsa_no_tickets") {
        c.num_tickets = 0;
        return c;
    }
    if (name == "tls13_ecdsa_auto_chain") {
        c.auto_chain = true;
        return c;
    }
    if (name == "kex_x25519") {
        c.groups = "X25519";
        return c;
    }
    if (name == "kex_x25519mlkem768") {
        c.groups = "X25519MLKEM768";
        return c;
    }
    if (name == "tls13_rsa") {
        c.key = Key::rsa2048;
        return c;
    }
    if (name == "tls12_rsa" || name == "tls12_session_id") {
        c.key = Key::rsa2048;
        c.tls12 = true;
        c.tls12_cipher = "ECDHE-RSA-AES128-GCM-SHA256";
        c.no_ticket = name == "tls12_session_id";
        return c;
    }
    if (name == "aes128gcm") {
        c.tls13_suite = "TLS_AES_128_GCM_SHA256";
        return c;
    }
    if (name == "aes256gcm") {
        c.tls13_suite = "TLS_AES_256_GCM_SHA384";
        return c;
    }
    if (name == "chacha20") {
        c.tls13_suite = "TLS_CHACHA20_POLY1305_SHA256";
        return c;
    }
    die(("unknown scenario " + std::string(name)).c_str());
}

bool has_group(const char* group) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    const bool ok = ctx != nullptr && SSL_CTX_set1_groups_list(ctx, group) == 1;
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

// ---- tlsctx side -----------------------------------------------------------------------------

tls::Context tlsctx_client_context(const Config& config) {
    tls::Context client(tls::PROTOCOL_TLS_CLIENT);
    client.load_verify_cadata(std::string_view(pki(config.key).ca_pem));
    if (config.tls12) {
        client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    }
    if (config.tls12_cipher != nullptr) {
        client.set_ciphers(config.tls12_cipher);
    }
    if (config.groups != nullptr) {
        client.set_groups(config.groups);
    }
    // tlsctx (like Python) has no setter for TLS 1.3 suites: pin them through tls::native.
    if (config.tls13_suite != nullptr &&
        SSL_CTX_set_ciphersuites(tls::native::handle(client), config.tls13_suite) != 1) {
        die("SSL_CTX_set_ciphersuites");
    }
    return client;
}

tls::Context tlsctx_server_context(const Config& config) {
    tls::Context server(tls::PROTOCOL_TLS_SERVER);
    const Pki& p = pki(config.key);
    server.load_cert_chain_pem(p.chain_pem, p.key_pem);
    if (config.tls12_cipher != nullptr) {
        server.set_ciphers(config.tls12_cipher);
    }
    if (config.no_ticket) {
        server.set_options(server.options() | tls::OP_NO_TICKET);
    }
    if (config.groups != nullptr) {
        server.set_groups(config.groups);
    }
    if (config.tls13_suite != nullptr &&
        SSL_CTX_set_ciphersuites(tls::native::handle(server), config.tls13_suite) != 1) {
        die("SSL_CTX_set_ciphersuites");
    }
    return server;
}

TlsctxEnv::TlsctxEnv(const Config& config)
    : client(tlsctx_client_context(config)), server(tlsctx_server_context(config)) {}

namespace {

// Steps both ends until each has finished `step` (handshake or unwrap); aborts on anything but
// want_read.
template <typename Step>
void tlsctx_both(tls::Object& client, tls::Object& server, Step step) {
    std::error_code ec;
    bool client_done = false;
    bool server_done = false;
    while (!client_done || !server_done) {
        for (auto [end, done] :
             {std::pair{&client, &client_done}, std::pair{&server, &server_done}}) {
            if (!*done) {
                step(*end, ec);
                *done = !ec;
                if (ec && ec != tls::SSLErrc::want_read) {
                    die(end->last_error().message.c_str());
                }
            }
        }
    }
}

}  // namespace

void tlsctx_handshake(tls::Object& client, tls::Object& server) {
    tlsctx_both(client, server, [](tls::Object& o, std::error_code& ec) { o.do_handshake(ec); });
}

void tlsctx_read_pending(tls::Object& client) {
    char buffer[256];
    std::error_code ec;
    for (;;) {
        std::size_t n = client.read(buffer, sizeof buffer, ec);
        if (ec == tls::SSLErrc::want_read) {
            return;
        }
        if (ec || n == 0) {
            die("tlsctx read: expected want_read");
        }
    }
}

void tlsctx_close(tls::Object& client, tls::Object& server) {
    tlsctx_both(client, server, [](tls::Object& o, std::error_code& ec) { o.unwrap(ec); });
}

bool TlsctxEnv::connect_once() {
    tls::MemoryBIO c2s;
    tls::MemoryBIO s2c;
    tls::Object c = client.wrap_bio(s2c, c2s, client_options);
    tls::Object s = server.wrap_bio(c2s, s2c, server_options);
    tlsctx_handshake(c, s);
    tlsctx_read_pending(c);
    const bool resumed = c.session_reused();
    tlsctx_close(c, s);
    return resumed;
}

void TlsctxEnv::capture_session() {
    tls::MemoryBIO c2s;
    tls::MemoryBIO s2c;
    tls::Object c = client.wrap_bio(s2c, c2s, client_options);
    tls::Object s = server.wrap_bio(c2s, s2c, server_options);
    tlsctx_handshake(c, s);
    tlsctx_read_pending(c);
    client_options.session = c.session();
    tlsctx_close(c, s);
    if (!client_options.session.is_resumable()) {
        die("tlsctx: no resumable session");
    }
}

// ---- raw side ----------------------------------------------------------------------------------

namespace {

// What src/defaults.cpp does, written out by hand.
SSL_CTX* raw_context(bool client, bool release_buffers) {
    SSL_CTX* ctx = SSL_CTX_new(client ? TLS_client_method() : TLS_server_method());
    if (ctx == nullptr) {
        die("SSL_CTX_new");
    }
    SSL_CTX_set_options(ctx, (SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS) | SSL_OP_NO_SSLv2 |
                                 SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE |
                                 SSL_OP_SINGLE_ECDH_USE);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(ctx,
                                "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:"
                                "!eNULL:!aDSS:!SHA1:!AESCCM") != 1) {
        die("SSL_CTX_set_cipher_list");
    }
    SSL_CTX_set_verify(ctx, client ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0,
                       nullptr);
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_TRUSTED_FIRST |
                                                             X509_V_FLAG_X509_STRICT |
                                                             X509_V_FLAG_PARTIAL_CHAIN);
    SSL_CTX_set_mode(ctx, (release_buffers ? SSL_MODE_RELEASE_BUFFERS : 0) |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    static const unsigned char kSid[] = "tlsctx";
    SSL_CTX_set_session_id_context(ctx, kSid, sizeof kSid - 1);
    return ctx;
}

}  // namespace

SSL_CTX* raw_client_context(const Config& config) {
    SSL_CTX* client = raw_context(true, config.release_buffers);
    const Pki& p = pki(config.key);
    BIO* bio = BIO_new_mem_buf(p.ca_pem.data(), static_cast<int>(p.ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (ca == nullptr || X509_STORE_add_cert(SSL_CTX_get_cert_store(client), ca) != 1) {
        die("raw: CA");
    }
    X509_free(ca);
    if (config.tls12) {
        SSL_CTX_set_max_proto_version(client, TLS1_2_VERSION);
    }
    if (config.tls12_cipher != nullptr) {
        SSL_CTX_set_cipher_list(client, config.tls12_cipher);
    }
    if (config.tls13_suite != nullptr) {
        SSL_CTX_set_ciphersuites(client, config.tls13_suite);
    }
    if (config.groups != nullptr && SSL_CTX_set1_groups_list(client, config.groups) != 1) {
        die("raw: SSL_CTX_set1_groups_list");
    }
    return client;
}

SSL_CTX* raw_server_context(const Config& config) {
    SSL_CTX* server = raw_context(false, config.release_buffers);
    const Pki& p = pki(config.key);
    BIO* bio = BIO_new_mem_buf(p.chain_pem.data(), static_cast<int>(p.chain_pem.size()));
    X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    // An explicit chain (the intermediates after the leaf, or none), as load_cert_chain sets:
    // without one the server would try to build its chain from its own store on every
    // handshake (OpenSSL's auto-chain).
    STACK_OF(X509)* chain = sk_X509_new_null();
    while (X509* intermediate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
        sk_X509_push(chain, intermediate);
    }
    ERR_clear_error();  // the end of the PEM text
    BIO_free(bio);
    bio = BIO_new_mem_buf(p.key_pem.data(), static_cast<int>(p.key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (leaf == nullptr || key == nullptr || SSL_CTX_use_certificate(server, leaf) != 1 ||
        (!config.auto_chain && SSL_CTX_set1_chain(server, chain) != 1) ||
        SSL_CTX_use_PrivateKey(server, key) != 1 || SSL_CTX_check_private_key(server) != 1) {
        die("raw: server certificate");
    }
    sk_X509_pop_free(chain, X509_free);
    X509_free(leaf);
    EVP_PKEY_free(key);
#if OPENSSL_VERSION_NUMBER >= 0x30200000L && !defined(OPENSSL_NO_COMP_ALG)
    // What load_cert_chain does where OpenSSL has RFC 8879: compress the chain once, with every
    // algorithm (OpenSSL never compresses during a handshake, so without this a raw server sends
    // the plain chain and its client skips the decompression tlsctx's client does).
    static_cast<void>(SSL_CTX_compress_certs(server, 0));
#endif
    if (config.tls12_cipher != nullptr) {
        SSL_CTX_set_cipher_list(server, config.tls12_cipher);
    }
    if (config.no_ticket) {
        SSL_CTX_set_options(server, SSL_OP_NO_TICKET);
    }
    if (config.tls13_suite != nullptr) {
        SSL_CTX_set_ciphersuites(server, config.tls13_suite);
    }
    if (config.num_tickets >= 0) {
        SSL_CTX_set_num_tickets(server, static_cast<std::size_t>(config.num_tickets));
    }
    if (config.groups != nullptr && SSL_CTX_set1_groups_list(server, config.groups) != 1) {
        die("raw: SSL_CTX_set1_groups_list");
    }
    return server;
}

RawEnv::RawEnv(const Config& config)
    : client(raw_client_context(config)),
      server(raw_server_context(config)),
      error_queue(config.error_queue) {}

RawEnv::~RawEnv() {
    SSL_SESSION_free(session);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

SSL* RawEnv::new_client() const {
    SSL* ssl = SSL_new(client);
    if (ssl == nullptr) {
        die("SSL_new");
    }
    SSL_set_connect_state(ssl);
    SSL_set_tlsext_host_name(ssl, kHostname);
    SSL_set_hostflags(ssl,
                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if (SSL_set1_host(ssl, kHostname) != 1) {
        die("SSL_set1_host");
    }
    return ssl;
}

SSL* RawEnv::new_server() const {
    SSL* ssl = SSL_new(server);
    if (ssl == nullptr) {
        die("SSL_new");
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

namespace {

// Before each SSL I/O call (diagnosis variants; untouched = what hand-written code does).
inline void before_call(ErrorQueue q) {
    if (q == ErrorQueue::clear || (q == ErrorQueue::peek && ERR_peek_error() != 0)) {
        ERR_clear_error();
    }
}

// 1 done, 0 wants to read; aborts on anything else.
int raw_result(SSL* ssl, int ret, const char* what, ErrorQueue q) {
    if (ret == 1) {
        return 1;
    }
    if (SSL_get_error(ssl, ret) == SSL_ERROR_WANT_READ) {
        if (q == ErrorQueue::clear) {
            ERR_clear_error();  // the "clear" rule also clears after want_read
        }
        return 0;
    }
    die(what);
}

}  // namespace

void raw_handshake(SSL* client, SSL* server, ErrorQueue q) {
    bool client_done = false;
    bool server_done = false;
    while (!client_done || !server_done) {
        if (!client_done) {
            before_call(q);
            client_done = raw_result(client, SSL_do_handshake(client), "client handshake", q);
        }
        if (!server_done) {
            before_call(q);
            server_done = raw_result(server, SSL_do_handshake(server), "server handshake", q);
        }
    }
}

void raw_read_pending(SSL* client, ErrorQueue q) {
    char buffer[256];
    std::size_t n = 0;
    before_call(q);
    if (SSL_read_ex(client, buffer, sizeof buffer, &n) == 1 ||
        raw_result(client, 0, "raw read: expected want_read", q) != 0) {
        die("raw read: expected want_read");
    }
}

namespace {

int raw_shutdown(SSL* ssl, ErrorQueue q) {
    before_call(q);
    int ret = SSL_shutdown(ssl);
    if (ret == 0) {
        ret = SSL_shutdown(ssl);  // reads the peer's close_notify, or wants to
    }
    return raw_result(ssl, ret, "shutdown", q);
}

}  // namespace

void raw_close(SSL* client, SSL* server, ErrorQueue q) {
    bool client_done = false;
    bool server_done = false;
    while (!client_done || !server_done) {
        if (!client_done) {
            client_done = raw_shutdown(client, q);
        }
        if (!server_done) {
            server_done = raw_shutdown(server, q);
        }
    }
}

namespace {

// The two ends over shared memory BIOs, as Context::wrap_bio sets them up.
void raw_mem_pair(const RawEnv& env, SSL*& client, SSL*& server) {
    BIO* c2s = BIO_new(BIO_s_mem());
    BIO* s2c = BIO_new(BIO_s_mem());
    if (c2s == nullptr || s2c == nullptr) {
        die("BIO_new");
    }
    BIO_set_mem_eof_return(c2s, -1);
    BIO_set_mem_eof_return(s2c, -1);
    client = env.new_client();
    server = env.new_server();
    BIO_up_ref(c2s);
    BIO_up_ref(s2c);
    SSL_set_bio(client, s2c, c2s);
    SSL_set_bio(server, c2s, s2c);
}

}  // namespace

bool RawEnv::connect_once() {
    SSL* c = nullptr;
    SSL* s = nullptr;
    raw_mem_pair(*this, c, s);
    if (session != nullptr && SSL_set_session(c, session) != 1) {
        die("SSL_set_session");
    }
    raw_handshake(c, s, error_queue);
    raw_read_pending(c, error_queue);
    const bool resumed = SSL_session_reused(c) == 1;
    raw_close(c, s, error_queue);
    SSL_free(c);
    SSL_free(s);
    return resumed;
}

void RawEnv::capture_session() {
    SSL* c = nullptr;
    SSL* s = nullptr;
    raw_mem_pair(*this, c, s);
    raw_handshake(c, s);
    raw_read_pending(c);
    SSL_SESSION_free(session);
    session = SSL_get1_session(c);
    raw_close(c, s);
    SSL_free(c);
    SSL_free(s);
    if (session == nullptr || SSL_SESSION_is_resumable(session) != 1) {
        die("raw: no resumable session");
    }
}

// ---- established memory-BIO pairs --------------------------------------------------------------

TlsctxMemPair::TlsctxMemPair(const Config& config) : env(config) {
    client = env.client.wrap_bio(s2c, c2s, env.client_options);
    server = env.server.wrap_bio(c2s, s2c, env.server_options);
    tlsctx_handshake(client, server);
    tlsctx_read_pending(client);
}

void TlsctxMemPair::transfer(const char* data, char* buffer, std::size_t len) {
    std::error_code ec;
    std::size_t n = client.write(data, len, ec);
    std::size_t m = server.read(buffer, len, ec);
    if (n != len || m != len) {
        die("tlsctx memory-BIO transfer");
    }
}

RawMemPair::RawMemPair(const Config& config) : env(config) {
    raw_mem_pair(env, client, server);
    raw_handshake(client, server);
    raw_read_pending(client);
}

RawMemPair::~RawMemPair() {
    SSL_free(client);
    SSL_free(server);
}

void RawMemPair::transfer(const char* data, char* buffer, std::size_t len) {
    std::size_t n = 0;
    std::size_t m = 0;
    before_call(env.error_queue);
    const int w = SSL_write_ex(client, data, len, &n);
    before_call(env.error_queue);
    if (w != 1 || SSL_read_ex(server, buffer, len, &m) != 1 || n != len || m != len) {
        die("raw memory-BIO transfer");
    }
}

// ---- parity --------------------------------------------------------------------------------

namespace {

std::string cipher_names(const STACK_OF(SSL_CIPHER) * ciphers) {
    std::string out;
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
        out += SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i));
        out += ':';
    }
    return out;
}

void compare_ctx(const char* which, SSL_CTX* t, SSL_CTX* r, bool raw_release_buffers) {
    auto check = [&](const char* field, auto a, auto b) {
        if (a != b) {
            std::fprintf(stderr, "parity: %s context differs in %s\n", which, field);
            die("the raw baseline is not configured like tlsctx");
        }
    };
    check("options", SSL_CTX_get_options(t), SSL_CTX_get_options(r));
    long raw_mode = SSL_CTX_get_mode(r) | (raw_release_buffers ? 0 : SSL_MODE_RELEASE_BUFFERS);
    check("mode", SSL_CTX_get_mode(t), raw_mode);
    check("verify mode", SSL_CTX_get_verify_mode(t), SSL_CTX_get_verify_mode(r));
    check("verify flags", X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(t)),
          X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(r)));
    check("min version", SSL_CTX_get_min_proto_version(t), SSL_CTX_get_min_proto_version(r));
    check("max version", SSL_CTX_get_max_proto_version(t), SSL_CTX_get_max_proto_version(r));
    check("security level", SSL_CTX_get_security_level(t), SSL_CTX_get_security_level(r));
    check("ciphers", cipher_names(SSL_CTX_get_ciphers(t)), cipher_names(SSL_CTX_get_ciphers(r)));
    check("num tickets", SSL_CTX_get_num_tickets(t), SSL_CTX_get_num_tickets(r));
    check("session cache mode", SSL_CTX_get_session_cache_mode(t),
          SSL_CTX_get_session_cache_mode(r));
}

}  // namespace

void check_parity(const TlsctxEnv& t, const RawEnv& r, bool raw_release_buffers) {
    compare_ctx("client", tls::native::handle(t.client), r.client, raw_release_buffers);
    compare_ctx("server", tls::native::handle(t.server), r.server, raw_release_buffers);
    tls::MemoryBIO a;
    tls::MemoryBIO b;
    tls::Object object = t.client.wrap_bio(a, b, t.client_options);
    SSL* ts = static_cast<SSL*>(object.native_handle());
    SSL* rs = r.new_client();
    X509_VERIFY_PARAM* tp = SSL_get0_param(ts);
    X509_VERIFY_PARAM* rp = SSL_get0_param(rs);
    const char* th = X509_VERIFY_PARAM_get0_host(tp, 0);
    const char* rh = X509_VERIFY_PARAM_get0_host(rp, 0);
    const char* tsni = SSL_get_servername(ts, TLSEXT_NAMETYPE_host_name);
    const char* rsni = SSL_get_servername(rs, TLSEXT_NAMETYPE_host_name);
    const bool same = th != nullptr && rh != nullptr && std::strcmp(th, rh) == 0 &&
                      X509_VERIFY_PARAM_get_hostflags(tp) == X509_VERIFY_PARAM_get_hostflags(rp) &&
                      X509_VERIFY_PARAM_get_flags(tp) == X509_VERIFY_PARAM_get_flags(rp) &&
                      SSL_get_verify_mode(ts) == SSL_get_verify_mode(rs) && tsni != nullptr &&
                      rsni != nullptr && std::strcmp(tsni, rsni) == 0;
    SSL_free(rs);
    if (!same) {
        die("parity: the client connections check host names differently");
    }
}

// ---- socketpairs -------------------------------------------------------------------------------

namespace {

void make_socketpair(int fds[2]) {
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        die("socketpair");
    }
}

}  // namespace

TlsctxSocketPair::TlsctxSocketPair(TlsctxEnv& env) {
    make_socketpair(fds);
    tls::WrapOptions copts = env.client_options;
    tls::WrapOptions sopts = env.server_options;
    copts.do_handshake_on_connect = false;
    sopts.do_handshake_on_connect = false;
    client = env.client.wrap_socket(fds[0], tls::FdOwnership::borrow, copts);
    server = env.server.wrap_socket(fds[1], tls::FdOwnership::borrow, sopts);
    std::thread peer([this] { server.do_handshake(); });
    client.do_handshake();
    peer.join();
}

TlsctxSocketPair::~TlsctxSocketPair() {
    client = tls::Socket();
    server = tls::Socket();
    ::close(fds[0]);
    ::close(fds[1]);
}

bool TlsctxSocketPair::client_write(const void* data, std::size_t len) {
    std::error_code ec;
    return client.write(data, len, ec) == len && !ec;
}

std::size_t TlsctxSocketPair::client_read(void* buffer, std::size_t len) {
    std::error_code ec;
    std::size_t n = client.read(buffer, len, ec);
    return ec ? 0 : n;
}

bool TlsctxSocketPair::server_write(const void* data, std::size_t len) {
    std::error_code ec;
    return server.write(data, len, ec) == len && !ec;
}

std::size_t TlsctxSocketPair::server_read(void* buffer, std::size_t len) {
    std::error_code ec;
    std::size_t n = server.read(buffer, len, ec);
    return ec ? 0 : n;
}

void TlsctxSocketPair::end_client_stream() {
    ::shutdown(fds[0], SHUT_WR);
}

RawSocketPair::RawSocketPair(RawEnv& env) {
    make_socketpair(fds);
    client = env.new_client();
    server = env.new_server();
    if (SSL_set_fd(client, fds[0]) != 1 || SSL_set_fd(server, fds[1]) != 1) {
        die("SSL_set_fd");
    }
    std::thread peer([this] {
        if (SSL_accept(server) != 1) {
            die("SSL_accept");
        }
    });
    if (SSL_connect(client) != 1) {
        die("SSL_connect");
    }
    peer.join();
}

RawSocketPair::~RawSocketPair() {
    SSL_free(client);
    SSL_free(server);
    ::close(fds[0]);
    ::close(fds[1]);
}

bool RawSocketPair::client_write(const void* data, std::size_t len) {
    std::size_t n = 0;
    return SSL_write_ex(client, data, len, &n) == 1 && n == len;
}

std::size_t RawSocketPair::client_read(void* buffer, std::size_t len) {
    std::size_t n = 0;
    return SSL_read_ex(client, buffer, len, &n) == 1 ? n : 0;
}

bool RawSocketPair::server_write(const void* data, std::size_t len) {
    std::size_t n = 0;
    return SSL_write_ex(server, data, len, &n) == 1 && n == len;
}

std::size_t RawSocketPair::server_read(void* buffer, std::size_t len) {
    std::size_t n = 0;
    return SSL_read_ex(server, buffer, len, &n) == 1 ? n : 0;
}

void RawSocketPair::end_client_stream() {
    ::shutdown(fds[0], SHUT_WR);
}

}  // namespace bench
