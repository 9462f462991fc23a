#include "idna.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace tls::detail {
namespace {

// RFC 3492 section 5 parameters.
constexpr std::uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
constexpr std::uint32_t kInitialBias = 72, kInitialN = 128;

std::vector<std::uint32_t> decode_utf8(std::string_view s) {
    std::vector<std::uint32_t> out;
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        int extra = c < 0x80           ? 0
                    : (c >> 5) == 0x6  ? 1
                    : (c >> 4) == 0xE  ? 2
                    : (c >> 3) == 0x1E ? 3
                                       : -1;
        if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0 ? 1 : 0)) {
            throw std::invalid_argument("server_hostname is not valid UTF-8");
        }
        std::uint32_t cp = extra == 0 ? c : (c & (0x3F >> extra));
        for (int k = 1; k <= extra; ++k) {
            auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
            if ((cc >> 6) != 0x2) {
                throw std::invalid_argument("server_hostname is not valid UTF-8");
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 (RFC 3629).
        static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMinimum[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            throw std::invalid_argument("server_hostname is not valid UTF-8");
        }
        out.push_back(cp);
        i += static_cast<std::size_t>(extra) + 1;
    }
    return out;
}

// The part of nameprep's case folding (RFC 3491, table B.2) that covers the Latin, Greek and
// Cyrillic alphabets; other scripts are passed through unchanged.
std::uint32_t fold(std::uint32_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) {
        return c + 0x20;
    }
    if ((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) {
        return c | 1;  // Latin Extended-A pairs: upper case at even code points
    }
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
        return (c & 1) != 0 ? c + 1 : c;  // pairs with upper case at odd code points
    }
    if (c == 0x178) {
        return 0xFF;  // Ÿ
    }
    if ((c >= 0x391 && c <= 0x3A9 && c != 0x3A2)) {
        return c + 0x20;  // Greek capitals
    }
    if (c == 0x3C2) {
        return 0x3C3;  // final sigma folds to sigma
    }
    if (c >= 0x410 && c <= 0x42F) {
        return c + 0x20;  // Cyrillic capitals
    }
    if (c >= 0x400 && c <= 0x40F) {
        return c + 0x50;
    }
    return c;
}

std::vector<std::uint32_t> fold_case(const std::vector<std::uint32_t>& in) {
    std::vector<std::uint32_t> out;
    out.reserve(in.size());
    for (std::uint32_t c : in) {
        if (c == 0xDF) {  // ß folds to "ss" in IDNA2003, as Python's codec does
            out.push_back('s');
            out.push_back('s');
        } else {
            out.push_back(fold(c));
        }
    }
    return out;
}

char digit(std::uint32_t d) {
    return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26));
}

std::uint32_t adapt(std::uint32_t delta, std::uint32_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    std::uint32_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
        delta /= kBase - kTMin;
        k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
}

std::string punycode(const std::vector<std::uint32_t>& input) {
    std::string out;
    for (std::uint32_t c : input) {
        if (c < 0x80) {
            out += static_cast<char>(c);
        }
    }
    const auto basic = static_cast<std::uint32_t>(out.size());
    std::uint32_t handled = basic;
    if (basic > 0) {
        out += '-';
    }
    std::uint32_t n = kInitialN;
    std::uint32_t delta = 0;
    std::uint32_t bias = kInitialBias;
    while (handled < input.size()) {
        std::uint32_t m = UINT32_MAX;
        for (std::uint32_t c : input) {
            if (c >= n && c < m) {
                m = c;
            }
        }
        if (m - n > (UINT32_MAX - delta) / (handled + 1)) {
            throw std::invalid_argument("server_hostname label is too long to encode");
        }
        delta += (m - n) * (handled + 1);
        n = m;
        for (std::uint32_t c : input) {
            if (c < n) {
                ++delta;
            }
            if (c == n) {
                std::uint32_t q = delta;
                for (std::uint32_t k = kBase;; k += kBase) {
                    std::uint32_t t = k <= bias ? kTMin : k >= bias + kTMax ? kTMax : k - bias;
                    if (q < t) {
                        break;
                    }
                    out += digit(t + (q - t) % (kBase - t));
                    q = (q - t) / (kBase - t);
                }
                out += digit(q);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                ++handled;
            }
        }
        ++delta;
        ++n;
    }
    return out;
}

}  // namespace

std::string to_a_label(std::string_view host) {
    if (std::all_of(host.begin(), host.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
        return std::string(host);
    }
    std::string out;
    std::size_t start = 0;
    while (start <= host.size()) {
        std::size_t dot = host.find('.', start);
        std::string_view label = host.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (start > 0) {
            out += '.';
        }
        // ASCII labels pass unchanged (IDNA2003 applies nameprep only to non-ASCII labels); a
        // non-ASCII label may fold to ASCII ("straße" to "strasse").
        const bool was_ascii = std::all_of(label.begin(), label.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x80;
        });
        std::vector<std::uint32_t> cps =
            was_ascii ? std::vector<std::uint32_t>{} : fold_case(decode_utf8(label));
        const bool folds_to_ascii =
            std::all_of(cps.begin(), cps.end(), [](std::uint32_t c) { return c < 0x80; });
        if (was_ascii) {
            out.append(label.begin(), label.end());
        } else if (folds_to_ascii) {
            for (std::uint32_t c : cps) {
                out += static_cast<char>(c);
            }
        } else {
            out += "xn--" + punycode(cps);
        }
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    return out;
}

}  // namespace tls::detail
