// tls::Context's session store setters (session_store_binding.cpp does the work) and the
// fleet key loader.
#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cctype>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

#include "context_state.hpp"
#include "session_seal.hpp"
#include "session_store_binding.hpp"
#include "tls/context.hpp"

namespace tls {
namespace {

constexpr std::size_t kMaxNameBytes = 32;

int hex_value(std::uint8_t c) noexcept {
    if (std::isxdigit(c) == 0) {
        return -1;
    }
    return std::isdigit(c) != 0 ? c - '0' : (std::tolower(c) - 'a' + 10);
}

}  // namespace

void Context::set_session_store(std::shared_ptr<SessionStore> store, SessionStoreOptions options) {
    detail::ContextState& state = *state_;
    if (state.protocol == Protocol::PROTOCOL_TLS_CLIENT) {
        throw std::invalid_argument("set_session_store: a client context keeps no sessions");
    }
    if (!store) {
        state.session_store.reset();
        state.session_id_context = "tlsctx";
        detail::install_session_store_callbacks(state.ctx.get(), false);
        return;
    }
    if (options.fleet_key.size() != detail::kFleetKeySize) {
        throw std::invalid_argument("set_session_store: the fleet key must be 32 bytes");
    }
    if (options.key_prefix.size() > kMaxNameBytes) {
        throw std::invalid_argument("set_session_store: key_prefix is longer than 32 bytes");
    }
    if (options.session_id_context.size() > kMaxNameBytes) {
        throw std::invalid_argument(
            "set_session_store: session_id_context is longer than 32 bytes");
    }
    if (options.deadline < std::chrono::milliseconds{1}) {
        throw std::invalid_argument("set_session_store: the deadline must be at least 1 ms");
    }
    if (options.session_id_context.empty()) {
        options.session_id_context = "tlsctx";
    }
    std::chrono::seconds ttl =
        options.ttl.value_or(std::chrono::seconds{SSL_CTX_get_timeout(state.ctx.get())});
    if (ttl < std::chrono::seconds{1}) {
        ttl = std::chrono::seconds{1};
    }
    state.session_id_context = options.session_id_context;
    state.session_store =
        std::make_shared<detail::SessionStoreBinding>(std::move(store), std::move(options), ttl);
    detail::install_session_store_callbacks(state.ctx.get(), true);
}

SessionStoreStats Context::session_store_stats() const {
    const std::shared_ptr<detail::SessionStoreBinding>& binding = state_->session_store;
    return binding ? binding->counters->snapshot() : SessionStoreStats{};
}

Bytes load_fleet_key(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::system_error(errno, std::generic_category(), "load_fleet_key: " + path);
    }
    Bytes raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // One trailing newline, as `openssl rand -hex 32 > file` writes (and editors add).
    std::size_t length = raw.size();
    if (length == detail::kFleetKeySize + 1 || length == 2 * detail::kFleetKeySize + 1) {
        if (raw[length - 1] == '\n') {
            --length;
        }
    }
    Bytes key;
    if (length == detail::kFleetKeySize) {
        key.assign(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(length));
    } else if (length == 2 * detail::kFleetKeySize) {
        for (std::size_t i = 0; i < length; i += 2) {
            const int high = hex_value(raw[i]);
            const int low = hex_value(raw[i + 1]);
            if (high < 0 || low < 0) {
                key.clear();
                break;
            }
            key.push_back(static_cast<std::uint8_t>(high * 16 + low));
        }
    }
    OPENSSL_cleanse(raw.data(), raw.size());
    if (key.size() != detail::kFleetKeySize) {
        OPENSSL_cleanse(key.data(), key.size());
        throw std::invalid_argument("load_fleet_key: " + path +
                                    " holds neither 32 bytes nor 64 hex digits");
    }
    return key;
}

}  // namespace tls
