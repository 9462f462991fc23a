// nlohmann::json views of tlsctx values for the `tlsctx` command and the tests. The library
// itself writes a decoded certificate as `json.dumps(ssl._ssl._test_decode_cert(path))` does
// (tls::to_json in tls/printing.hpp); these parse that text, so the command and the tests can
// embed or compare it. dumps_like_python() writes any nlohmann value with Python's separators and
// ASCII escaping, for the command's own JSON objects.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "tls/certificate.hpp"
#include "tls/printing.hpp"

namespace tlsctx_tool {
namespace json_detail {

template <typename Json>
void dump_like_python(const Json& j, std::string& out) {
    // Python has already refused invalid UTF-8 while building its dict; the tool should still
    // print something for such a certificate rather than throw.
    constexpr auto kOnInvalidUtf8 = Json::error_handler_t::replace;
    if (j.is_object()) {
        out += '{';
        bool first = true;
        for (auto it = j.begin(); it != j.end(); ++it) {
            out += first ? "" : ", ";
            first = false;
            out += Json(it.key()).dump(-1, ' ', true, kOnInvalidUtf8);
            out += ": ";
            dump_like_python(it.value(), out);
        }
        out += '}';
    } else if (j.is_array()) {
        out += '[';
        bool first = true;
        for (const Json& element : j) {
            out += first ? "" : ", ";
            first = false;
            dump_like_python(element, out);
        }
        out += ']';
    } else {
        // With ensure_ascii, nlohmann escapes strings as json.dumps does: \uXXXX in lower-case
        // hex with surrogate pairs, the short escapes for \b \f \n \r \t, and DEL escaped.
        out += j.dump(-1, ' ', true, kOnInvalidUtf8);
    }
}

// tls::to_json writes a byte that is not UTF-8 as Python does, a lone surrogate "\udcXX",
// which nlohmann refuses to parse; such a byte becomes U+FFFD here instead.
inline std::string without_lone_surrogates(std::string json) {
    for (std::size_t i = 0; i + 1 < json.size(); i += 2) {
        i = json.find('\\', i);  // every backslash in JSON text starts a two-character escape
        if (i == std::string::npos) {
            break;
        }
        // "\ud8..\udc00"-"\udb..\udfff" is a character outside the BMP, not a lone surrogate.
        const bool after_high_surrogate =
            i >= 6 && json.compare(i - 6, 3, "\\ud") == 0 &&
            std::string_view("89ab").find(json[i - 3]) != std::string_view::npos;
        if (json.compare(i, 4, "\\udc") == 0 && !after_high_surrogate) {
            json.replace(i, 6, "\\ufffd");
        }
    }
    return json;
}

}  // namespace json_detail

/// A decoded certificate in the shape of Python's getpeercert() dict, with keys in Python's
/// order. An empty CertificateInfo (an unverified peer in Python) becomes `{}`.
template <typename Json>
Json certificate_to_json_as(const tls::CertificateInfo& info) {
    return Json::parse(json_detail::without_lone_surrogates(tls::to_json(info)));
}

/// The certificate as JSON for comparing and processing (object keys sorted, as nlohmann::json
/// keeps them).
inline nlohmann::json certificate_to_json(const tls::CertificateInfo& info) {
    return certificate_to_json_as<nlohmann::json>(info);
}

/// The certificate as JSON with keys in Python's dict order, for printing.
inline nlohmann::ordered_json certificate_to_ordered_json(const tls::CertificateInfo& info) {
    return certificate_to_json_as<nlohmann::ordered_json>(info);
}

/// Text identical to Python's `json.dumps(value)` with default arguments (", " and ": "
/// separators, ensure_ascii) for JSON made of objects, arrays, strings, integers, booleans and
/// null. Pass an ordered_json to keep Python's key order.
template <typename Json>
std::string dumps_like_python(const Json& value) {
    std::string out;
    json_detail::dump_like_python(value, out);
    return out;
}

}  // namespace tlsctx_tool
