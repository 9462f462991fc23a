// Library-internal construction of tls::Session. Only the library makes a Session from an
// SSL_SESSION (a connection's, or one parsed from bytes); user code can copy the Sessions it is
// given but cannot wrap a pointer of its own.
#pragma once

#include <utility>

#include "ossl/handles.hpp"
#include "tls/session.hpp"

namespace tls::detail {

struct SessionAccess {
    static Session adopt(ossl::SessionPtr session) noexcept {
        Session s;
        s.session_.reset(session.release());
        return s;
    }
};

}  // namespace tls::detail
