// Python's str rules on UTF-8 text: repr(), json.dumps' ensure_ascii escaping, len(), and the
// splitting pprint does before it wraps a long str.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "python_unicode_table.hpp"
#include "python_value.hpp"

namespace tls::detail::python {
namespace {

using CodePoints = std::u32string;

// Python never holds bytes that are not UTF-8 in a str; tlsctx's strings come from OpenSSL and
// could. Each such byte becomes U+DC80..U+DCFF, as Python's surrogateescape decodes it, so that
// repr() shows it (as '\udcXX') instead of dropping it.
constexpr char32_t kEscapeBase = 0xDC00;

bool is_continuation(unsigned char byte) noexcept {
    return (byte & 0xC0U) == 0x80U;
}

// The length and the smallest code point of a well-formed sequence led by `lead`; 0 when `lead`
// cannot start one (RFC 3629 section 4: no overlong forms, no surrogates, nothing past U+10FFFF).
int sequence_length(unsigned char lead) noexcept {
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        return 2;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        return 4;
    }
    return 0;
}

CodePoints decode(std::string_view utf8) {
    CodePoints out;
    out.reserve(utf8.size());
    std::size_t i = 0;
    while (i < utf8.size()) {
        const auto lead = static_cast<unsigned char>(utf8[i]);
        const int n = sequence_length(lead);
        bool ok = n > 0 && i + static_cast<std::size_t>(n) <= utf8.size();
        char32_t cp = n == 1   ? lead
                      : n == 2 ? (lead & 0x1FU)
                      : n == 3 ? (lead & 0x0FU)
                               : (lead & 0x07U);
        for (int k = 1; ok && k < n; ++k) {
            const auto byte = static_cast<unsigned char>(utf8[i + static_cast<std::size_t>(k)]);
            ok = is_continuation(byte);
            cp = (cp << 6U) | (byte & 0x3FU);
        }
        const char32_t smallest = n == 2 ? 0x80 : n == 3 ? 0x800 : n == 4 ? 0x10000 : 0;
        ok = ok && cp >= smallest && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        if (ok) {
            out.push_back(cp);
            i += static_cast<std::size_t>(n);
        } else {
            out.push_back(kEscapeBase + lead);
            ++i;
        }
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp >= kEscapeBase + 0x80 && cp <= kEscapeBase + 0xFF) {
        out += static_cast<char>(cp - kEscapeBase);  // back to the byte it stood for
    } else if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0U | (cp >> 6U));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0U | (cp >> 12U));
        out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    } else {
        out += static_cast<char>(0xF0U | (cp >> 18U));
        out += static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU));
        out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    }
}

std::string encode(CodePoints::const_iterator first, CodePoints::const_iterator last) {
    std::string out;
    for (; first != last; ++first) {
        append_utf8(out, *first);
    }
    return out;
}

bool is_printable(char32_t cp) noexcept {
    const auto* end = std::end(kNotPrintable);
    const auto* it = std::upper_bound(
        std::begin(kNotPrintable), end, cp,
        [](char32_t value, const CodePointRange& range) { return value < range.first; });
    return it == std::begin(kNotPrintable) || cp > std::prev(it)->last;
}

// str.isspace(), which is also what \s matches in a str pattern.
bool is_space(char32_t cp) noexcept {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// The line boundaries of str.splitlines() ("\r\n" is one boundary, handled by the caller).
bool is_line_break(char32_t cp) noexcept {
    return (cp >= 0x0A && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1E) || cp == 0x85 || cp == 0x2028 ||
           cp == 0x2029;
}

void append_hex(std::string& out, std::uint32_t value, int digits) {
    constexpr std::string_view kHex = "0123456789abcdef";  // Python writes lower case
    for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
        out += kHex[(value >> static_cast<unsigned>(shift)) & 0xFU];
    }
}

}  // namespace

std::string repr_str(std::string_view utf8) {
    const CodePoints text = decode(utf8);
    const bool has_single = text.find(U'\'') != CodePoints::npos;
    const bool has_double = text.find(U'"') != CodePoints::npos;
    const char32_t quote = has_single && !has_double ? U'"' : U'\'';
    std::string out(1, static_cast<char>(quote));
    for (const char32_t cp : text) {
        if (cp == quote || cp == U'\\') {
            out += '\\';
            out += static_cast<char>(cp);
        } else if (cp == U'\t') {
            out += "\\t";
        } else if (cp == U'\n') {
            out += "\\n";
        } else if (cp == U'\r') {
            out += "\\r";
        } else if ((cp >= 0x20 && cp < 0x7F) || is_printable(cp)) {
            append_utf8(out, cp);
        } else if (cp <= 0xFF) {  // C0 controls, DEL and the non-printable part of Latin-1
            out += "\\x";
            append_hex(out, cp, 2);
        } else if (cp <= 0xFFFF) {
            out += "\\u";
            append_hex(out, cp, 4);
        } else {
            out += "\\U";
            append_hex(out, cp, 8);
        }
    }
    out += static_cast<char>(quote);
    return out;
}

std::string json_str(std::string_view utf8) {
    std::string out = "\"";
    for (const char32_t cp : decode(utf8)) {
        switch (cp) {
            case U'"':
                out += "\\\"";
                break;
            case U'\\':
                out += "\\\\";
                break;
            case U'\n':
                out += "\\n";
                break;
            case U'\r':
                out += "\\r";
                break;
            case U'\t':
                out += "\\t";
                break;
            case U'\b':
                out += "\\b";
                break;
            case U'\f':
                out += "\\f";
                break;
            default:
                if (cp >= 0x20 && cp < 0x7F) {
                    out += static_cast<char>(cp);
                } else if (cp < 0x10000) {
                    out += "\\u";
                    append_hex(out, cp, 4);
                } else {
                    // Outside the BMP, ensure_ascii writes the UTF-16 surrogate pair.
                    const char32_t v = cp - 0x10000;
                    out += "\\u";
                    append_hex(out, 0xD800 + (v >> 10U), 4);
                    out += "\\u";
                    append_hex(out, 0xDC00 + (v & 0x3FFU), 4);
                }
                break;
        }
    }
    out += '"';
    return out;
}

std::size_t length(std::string_view utf8) noexcept {
    // Every string measured here is repr() output, which is well-formed UTF-8.
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return !is_continuation(static_cast<unsigned char>(c));
    }));
}

std::vector<std::string> split_lines(std::string_view utf8) {
    const CodePoints text = decode(utf8);
    std::vector<std::string> lines;
    auto start = text.begin();
    for (auto it = text.begin(); it != text.end(); ++it) {
        if (!is_line_break(*it)) {
            continue;
        }
        if (*it == U'\r' && std::next(it) != text.end() && *std::next(it) == U'\n') {
            ++it;
        }
        lines.push_back(encode(start, std::next(it)));
        start = std::next(it);
    }
    if (start != text.end()) {
        lines.push_back(encode(start, text.end()));
    }
    return lines;
}

std::vector<std::string> split_words(std::string_view utf8) {
    const CodePoints text = decode(utf8);
    std::vector<std::string> words;
    auto it = text.begin();
    while (it != text.end()) {
        const auto start = it;
        it = std::find_if(it, text.end(), is_space);
        it = std::find_if_not(it, text.end(), is_space);
        words.push_back(encode(start, it));
    }
    return words;
}

}  // namespace tls::detail::python
