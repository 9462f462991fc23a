// Links against an installed tlsctx and checks that its defaults are the secure ones.
#include <tls/tls.hpp>

#include <iostream>

// The throw-away CA (tls::pki, target tlsctx::pki) is test code: the package must not ship it.
#if __has_include(<tls/pki.hpp>)
#error "the installed tlsctx package contains tls/pki.hpp"
#endif

int main() {
    tls::Context ctx;
    const bool secure = ctx.verify_mode() == tls::CERT_REQUIRED && ctx.check_hostname() &&
                        ctx.minimum_version() == tls::TLSVersion::TLSv1_2;
    // The printing functions are exported too (the Python comparison is in the unit tests).
    const tls::CipherDescription cipher{"TLS_AES_256_GCM_SHA384", "TLSv1.3", 256};
    const bool prints = tls::to_json(cipher) == R"(["TLS_AES_256_GCM_SHA384", "TLSv1.3", 256])";
    std::cout << "tlsctx consumer: " << tls::openssl_version()
              << (secure ? ", secure defaults" : ", INSECURE defaults") << ", " << cipher << "\n";
    return secure && prints ? 0 : 1;
}
