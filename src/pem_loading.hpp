// Reading files and PEM into OpenSSL objects: shared by Context's loaders.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "ossl/handles.hpp"
#include "tls/cert_chain.hpp"

namespace tls::detail {

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
