// Fuzz target 5: the string-valued settings of a Context: cipher strings (checked and through
// dangerous()), TLS 1.3 suites, named cipher policies, ALPN lists, groups, the ECDH curve and
// signature algorithm lists.
//
// Input: which:u8, then the string (the rest). which % 10: 0 set_ciphers, 1
// dangerous().set_ciphers, 2 set_ciphersuites, 3 cipher_policy_from_name (+ set_ciphers(policy)), 4
// set_alpn_protocols (the string split at NUL bytes), 5 set_groups, 6 set_ecdh_curve, 7
// set_server_sigalgs, 8 set_client_sigalgs, 9 set_groups with require_post_quantum on. Each setting
// that is taken is read back (get_ciphers) on a context made for this input, client or server by
// which's top bit.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tls/tls.hpp"
#include "tls_frames.hpp"

namespace {

std::vector<std::string> split_at_nul(std::string_view s) {
    std::vector<std::string> out;
    for (;;) {
        const std::size_t nul = s.find('\0');
        out.emplace_back(s.substr(0, nul));
        if (nul == std::string_view::npos) {
            return out;
        }
        s.remove_prefix(nul + 1);
    }
}

void apply(tls::Context& ctx, unsigned which, std::string_view text) {
    const std::string s(text);
    switch (which % 10) {
        case 0:
            ctx.set_ciphers(s);
            break;
        case 1:
            ctx.dangerous().set_ciphers(s);
            break;
        case 2:
            ctx.set_ciphersuites(s);
            break;
        case 3:
            if (const auto policy = tls::cipher_policy_from_name(s)) {
                (void)tls::cipher_policy_name(*policy);
                ctx.set_ciphers(*policy);
            }
            break;
        case 4:
            ctx.set_alpn_protocols(split_at_nul(s));
            break;
        case 5:
            ctx.set_groups(s);
            break;
        case 6:
            ctx.set_ecdh_curve(s);
            break;
        case 7:
            ctx.set_server_sigalgs(s);
            break;
        case 8:
            ctx.set_client_sigalgs(s);
            break;
        default:
            ctx.set_require_post_quantum(true);
            ctx.set_groups(s);
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    tls::fuzz::Reader r(data, size);
    const unsigned which = r.u8();
    tls::Context ctx((which & 0x80) != 0 ? tls::Protocol::PROTOCOL_TLS_SERVER
                                         : tls::Protocol::PROTOCOL_TLS_CLIENT);
    try {
        apply(ctx, which & 0x7f, r.rest());
        (void)ctx.get_ciphers();
    } catch (const tls::SSLError&) {
    } catch (const tls::NotImplementedError&) {
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
