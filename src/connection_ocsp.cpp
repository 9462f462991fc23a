// Connection::ocsp_response(): the staple of this handshake, whichever side we are.
#include <openssl/ssl.h>

#include "engine.hpp"
#include "tls/connection.hpp"
#include "tls/ocsp.hpp"

namespace tls {

std::optional<OcspResponseInfo> Connection::ocsp_response() const {
    if (!engine_) {
        return std::nullopt;
    }
    // The same field holds what a client received and what a server's status callback set.
    const unsigned char* data = nullptr;
    const long len = SSL_get_tlsext_status_ocsp_resp(engine_->ssl(), &data);
    if (data == nullptr || len <= 0) {
        return std::nullopt;
    }
    try {
        return decode_ocsp_response(Bytes(data, data + len));
    } catch (const SSLError&) {
        // Only a failed handshake keeps a staple that does not parse: report none.
        return std::nullopt;
    }
}

}  // namespace tls
