// Reading files and PEM into OpenSSL objects: shared by Context's loaders.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "ossl/handles.hpp"
#include "tls/cert_chain.hpp"

namespace tls::detail {

// OpenSSL decodes a certificate's extensions once, on first use, and keeps the verdict in the
// X509 for good: "invalid" too when an allocation failed while it decoded them
// (ossl_x509v3_cache_extensions; tests/faults/openssl_quirks_test.cpp reproduces it with raw
// OpenSSL calls). A trust anchor or a server certificate broken that way by one failed allocation
// in some handshake would fail every handshake after it. Decoding them here, while the
// certificate is loaded and before it is kept anywhere, turns that into an SSLError of the
// loading call. A certificate whose extensions are really malformed (a fresh copy is invalid
// too) is left, as before, for the handshake to refuse.
void decode_extensions_now(X509* cert, std::string_view operation);

// Reads a whole file. @throws std::system_error with errno, naming `operation` and the path.
std::string read_file(const std::string& path, std::string_view operation);

// Calls OpenSSL's password callback protocol without letting an exception cross OpenSSL: an
// exception from the user's callback is stashed and rethrown by rethrow_if_failed().
class PasswordSource {
  public:
    PasswordSource(std::string_view password, const PasswordCallback* callback) noexcept
        : password_(password), callback_(callback) {}
    // The pem_password_cb signature; `userdata` is a PasswordSource*.
    static int trampoline(char* buf, int size, int rwflag, void* userdata) noexcept;
    void rethrow_if_failed() const;

  private:
    std::string_view password_;
    const PasswordCallback* callback_;
    std::exception_ptr failure_;
    bool too_long_ = false;
};

}  // namespace tls::detail
