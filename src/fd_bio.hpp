// A socket BIO that never raises SIGPIPE: OpenSSL's own socket BIO writes with write(2), which
// kills a process whose peer has gone unless it ignores SIGPIPE, and a library must not change
// process-wide signal handling.
#pragma once

#include "ossl/handles.hpp"

namespace tls::detail {

// A BIO over a connected stream socket; it never closes `fd`.
ossl::BioPtr make_fd_bio(int fd);

}  // namespace tls::detail
