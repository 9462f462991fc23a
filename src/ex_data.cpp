#include "ex_data.hpp"

namespace tls::detail {

int engine_slot() {
    static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}

int context_slot() {
    static const int slot = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}

int session_slot() {
    static const int slot = SSL_SESSION_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}

void* taken_marker() noexcept {
    static const char marker = 0;  // only its address is used, never written through
    return const_cast<char*>(&marker);
}

}  // namespace tls::detail
