// --sess-out / --sess-in of `tlsctx connect`: the session file `openssl s_client` reads and
// writes, so either tool can resume a session the other saved.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "tls/certificate.hpp"
#include "tlsctx/connect.hpp"

namespace tlsctx_tool {
namespace {

// PEM_write_SSL_SESSION's label. The body is base64 of the same ASN.1 that Session::to_bytes()
// returns, so the certificate PEM helpers encode it once the label is swapped.
constexpr std::string_view kSessionLabel = "SSL SESSION PARAMETERS";
constexpr std::string_view kCertificateLabel = "CERTIFICATE";

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::system_error(errno, std::generic_category(),
                                "--sess-in: cannot open '" + path + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

void save_session_file(const tls::Session& session, const std::string& path) {
    const std::string pem = replace_all(tls::DER_cert_to_PEM_cert(session.to_bytes()),
                                        kCertificateLabel, kSessionLabel);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(),
                                "--sess-out: cannot create '" + path + "'");
    }
    // An existing file keeps its mode through O_TRUNC; a secret must not stay readable by others.
    ::fchmod(fd, 0600);
    std::size_t written = 0;
    while (written < pem.size()) {
        const ssize_t n = ::write(fd, pem.data() + written, pem.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int err = errno;
            ::close(fd);
            throw std::system_error(err, std::generic_category(),
                                    "--sess-out: cannot write '" + path + "'");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) {
        throw std::system_error(errno, std::generic_category(),
                                "--sess-out: cannot write '" + path + "'");
    }
}

tls::Session load_session_file(const std::string& path) {
    const std::string text = read_file(path);
    const std::string begin = "-----BEGIN " + std::string(kSessionLabel) + "-----";
    const std::string end = "-----END " + std::string(kSessionLabel) + "-----";
    const std::size_t from = text.find(begin);
    if (from == std::string::npos) {
        // Not PEM: the ASN.1 itself (`openssl sess_id -outform DER`).
        return tls::Session::from_bytes(tls::Bytes(text.begin(), text.end()));
    }
    const std::size_t to = text.find(end, from);
    if (to == std::string::npos) {
        throw std::invalid_argument("--sess-in: '" + path + "' has no " + end + " line");
    }
    const std::string block = text.substr(from, to + end.size() - from);
    return tls::Session::from_bytes(
        tls::PEM_cert_to_DER_cert(replace_all(block, kSessionLabel, kCertificateLabel)));
}

}  // namespace tlsctx_tool
