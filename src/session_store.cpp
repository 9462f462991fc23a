// The SessionStore interface's out-of-line anchor: its vtable and type information live in
// libtlsctx, so stores written by users and by the optional backends share them.
#include "tls/session_store.hpp"

namespace tls {

SessionStore::~SessionStore() = default;

bool SessionStore::keeps_deadlines() const noexcept {
    return false;  // a store must say so: the worker thread is what bounds an unknown one
}

}  // namespace tls
