// tlsctx — the umbrella header: Python's `ssl` module for C++17 over OpenSSL 3.
// Includes every public header except tls/native.hpp (which brings in OpenSSL). The test CA,
// tls/pki.hpp, is a separate target (tlsctx::pki), not part of the library. Docs:
// docs/index.md.
#pragma once

#include "tls/bytes.hpp"
#include "tls/cert_chain.hpp"
#include "tls/cert_file_watcher.hpp"
#include "tls/certificate.hpp"
#include "tls/certificate_details.hpp"
#include "tls/ciphers.hpp"
#include "tls/client_hello.hpp"
#include "tls/client_session_cache.hpp"
#include "tls/connection.hpp"
#include "tls/constants.hpp"
#include "tls/context.hpp"
#include "tls/dangerous.hpp"
#include "tls/errors.hpp"
#include "tls/memory_bio.hpp"
#include "tls/memory_session_store.hpp"
#include "tls/net.hpp"
#include "tls/object.hpp"
#include "tls/ocsp.hpp"
#include "tls/printing.hpp"
#include "tls/session.hpp"
#include "tls/session_store.hpp"
#include "tls/socket.hpp"
#include "tls/store_errors.hpp"
#include "tls/ticket_keys.hpp"
#include "tls/verify.hpp"
#include "tls/verify_callback.hpp"
#include "tls/verify_profile.hpp"
#include "tls/version.hpp"
