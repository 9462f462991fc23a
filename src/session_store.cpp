// The SessionStore interface's out-of-line anchor: its vtable and type information live in
// libtlsctx, so stores written by users and by the optional backends share them.
#include "tls/session_store.hpp"

#include <algorithm>
#include <chrono>

namespace tls {

SessionStore::~SessionStore() = default;

Bytes SessionStore::take(const Bytes& key, Deadline deadline, std::error_code& ec) {
    const auto start = std::chrono::steady_clock::now();
    Bytes value = get(key, deadline, ec);
    if (ec || value.empty()) {
        return value;
    }
    const auto left = deadline - std::chrono::duration_cast<Deadline>(
                                     std::chrono::steady_clock::now() - start);
    std::error_code removed;
    remove(key, std::max(left, Deadline{1}), removed);
    // A failed remove still hands out the value: the ticket may then be used twice, as it could
    // be with a background remove, and the entry expires with its ttl.
    return value;
}

bool SessionStore::can_take() const noexcept {
    return false;
}

bool SessionStore::keeps_deadlines() const noexcept {
    return false;  // a store must say so: the worker thread is what bounds an unknown one
}

}  // namespace tls
