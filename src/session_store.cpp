// The SessionStore interface's out-of-line anchor: its vtable and type information live in
// libtlsctx, so stores written by users and by the optional backends share them.
#include "tls/session_store.hpp"

namespace tls {

SessionStore::~SessionStore() = default;

}  // namespace tls
