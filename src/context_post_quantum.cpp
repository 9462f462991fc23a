// Post-quantum key exchange of a tls::Context: requiring an ML-KEM group (a tlsctx extension).
// OpenSSL 3.5's default group list already offers X25519MLKEM768 first; this makes it the only
// kind of key exchange a context accepts.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string>
#include <string_view>

#include "context_state.hpp"
#include "ossl/error.hpp"
#include "post_quantum.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/version.hpp"

namespace tls {
namespace detail {
namespace {

// The ML-KEM groups, hybrids first: a hybrid stays as strong as its classical half should ML-KEM
// fall, which is why OpenSSL and browsers lead with X25519MLKEM768. '?' makes OpenSSL skip a
// group its providers lack instead of refusing the whole list.
constexpr const char* kPostQuantumGroups =
    "?X25519MLKEM768:?SecP256r1MLKEM768:?SecP384r1MLKEM1024:?MLKEM1024:?MLKEM768";

bool names_mlkem(std::string_view group) noexcept {
    constexpr std::string_view kMlkem = "MLKEM";
    // OpenSSL's group names are case-insensitive ("X25519MLKEM768", "x25519mlkem768").
    return std::search(group.begin(), group.end(), kMlkem.begin(), kMlkem.end(),
                       [](char a, char b) {
                           return std::toupper(static_cast<unsigned char>(a)) == b;
                       }) != group.end();
}

}  // namespace

bool only_post_quantum_groups(std::string_view groups) {
    bool any = false;
    std::size_t start = 0;
    while (start <= groups.size()) {
        std::size_t end = groups.find_first_of(":/", start);
        if (end == std::string_view::npos) {
            end = groups.size();
        }
        std::string_view token = groups.substr(start, end - start);
        while (!token.empty() &&
               (token.front() == ' ' || token.front() == '?' || token.front() == '*')) {
            token.remove_prefix(1);
        }
        while (!token.empty() && token.back() == ' ') {
            token.remove_suffix(1);
        }
        // A '-' entry removes a group: it cannot let a classical one in.
        if (!token.empty() && token.front() != '-') {
            if (!names_mlkem(token)) {
                return false;
            }
            any = true;
        }
        start = end + 1;
    }
    return any;
}

void check_groups_keep_post_quantum(const ContextState& s, std::string_view groups,
                                    const char* operation) {
    if (s.require_post_quantum && !only_post_quantum_groups(groups)) {
        throw std::invalid_argument(std::string(operation) + ": '" + std::string(groups) +
                                    "' names a group that is not post-quantum, and this context "
                                    "requires post-quantum key exchange "
                                    "(set_require_post_quantum(false) first)");
    }
}

void check_version_keeps_post_quantum(const ContextState& s, int version, bool minimum,
                                      const char* operation) {
    // 0 means "no bound": fine for a maximum, but as a minimum it lets TLS 1.2 in.
    const bool below =
        minimum ? version < TLS1_3_VERSION : (version != 0 && version < TLS1_3_VERSION);
    if (s.require_post_quantum && below) {
        throw std::invalid_argument(std::string(operation) +
                                    ": post-quantum key exchange exists only in TLS 1.3, and this "
                                    "context requires it (set_require_post_quantum(false) first)");
    }
}

bool negotiated_post_quantum(SSL* ssl) noexcept {
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    const char* name = SSL_get0_group_name(ssl);
    return name != nullptr && names_mlkem(name);
#else
    static_cast<void>(ssl);
    return false;
#endif
}

}  // namespace detail

bool HAS_MLKEM() noexcept {
#if OPENSSL_VERSION_NUMBER >= 0x30500000L
    // Compiled against 3.5 is not enough: the providers loaded at run time decide (a FIPS
    // provider without ML-KEM, say). Asked once, on a throw-away context.
    static const bool has = [] {
        ossl::SslCtxPtr probe(SSL_CTX_new(TLS_method()));
        const bool ok = probe && SSL_CTX_set1_groups_list(probe.get(), "X25519MLKEM768") == 1;
        ERR_clear_error();
        return ok;
    }();
    return has;
#else
    return false;
#endif
}

bool Context::require_post_quantum() const noexcept {
    return state_->require_post_quantum;
}

void Context::set_require_post_quantum(bool on) {
    SSL_CTX* ctx = state_->ctx.get();
    if (!on) {
        if (state_->require_post_quantum) {
            // Back to the linked OpenSSL's own defaults, as on a new context. Only OpenSSL 3.5+
            // gets here (turning it on needs ML-KEM), and it knows "DEFAULT".
            if (SSL_CTX_set1_groups_list(ctx, "DEFAULT") != 1) {
                ossl::throw_error("set_require_post_quantum", "cannot restore the default groups");
            }
            state_->require_post_quantum = false;
        }
        return;
    }
    if (!HAS_MLKEM()) {
        throw NotImplementedError(
            "set_require_post_quantum: needs OpenSSL 3.5 or later with "
            "ML-KEM (linked: " +
            openssl_version() + ")");
    }
    if (SSL_CTX_get_max_proto_version(ctx) != 0 &&
        SSL_CTX_get_max_proto_version(ctx) < TLS1_3_VERSION) {
        throw std::invalid_argument(
            "set_require_post_quantum: the maximum version is below TLS 1.3, the only version "
            "with post-quantum key exchange");
    }
    if (SSL_CTX_set1_groups_list(ctx, detail::kPostQuantumGroups) != 1) {
        ossl::throw_error("set_require_post_quantum", "cannot select the ML-KEM groups");
    }
    if (SSL_CTX_get_min_proto_version(ctx) < TLS1_3_VERSION &&
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) {
        ossl::throw_error("set_require_post_quantum", "cannot raise the minimum version");
    }
    state_->require_post_quantum = true;
}

}  // namespace tls
