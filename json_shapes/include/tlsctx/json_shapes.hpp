// JSON views of tlsctx values for the `tlsctx` command and the tests. A decoded certificate
// becomes exactly what `json.dumps(ssl._ssl._test_decode_cert(path))` prints in Python: tuples
// are arrays, keys appear only when Python's dict has them, and dumps_like_python() reproduces
// Python's separators and ASCII escaping byte for byte.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "tls/certificate.hpp"

namespace tlsctx_tool {
namespace json_detail {

template <typename Json>
Json name_to_json(const tls::DistinguishedName& name) {
    Json out = Json::array();
    for (const tls::RelativeDistinguishedName& rdn : name) {
        Json attributes = Json::array();
        for (const tls::NameAttribute& attribute : rdn) {
            attributes.push_back(Json::array({attribute.first, attribute.second}));
        }
        out.push_back(std::move(attributes));
    }
    return out;
}

template <typename Json>
Json strings_to_json(const std::vector<std::string>& values) {
    Json out = Json::array();
    for (const std::string& value : values) {
        out.push_back(value);
    }
    return out;
}

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

}  // namespace json_detail

/// A decoded certificate in the shape of Python's getpeercert() dict, with keys in Python's
/// order. An empty CertificateInfo (an unverified peer in Python) becomes `{}`.
template <typename Json>
Json certificate_to_json_as(const tls::CertificateInfo& info) {
    Json out = Json::object();
    if (info.empty()) {
        return out;
    }
    out["subject"] = json_detail::name_to_json<Json>(info.subject);
    out["issuer"] = json_detail::name_to_json<Json>(info.issuer);
    out["version"] = info.version;
    out["serialNumber"] = info.serial_number;
    out["notBefore"] = info.not_before;
    out["notAfter"] = info.not_after;
    if (!info.subject_alt_name.empty()) {
        Json names = Json::array();
        for (const tls::GeneralName& name : info.subject_alt_name) {
            if (name.type == "DirName") {
                names.push_back(
                    Json::array({name.type, json_detail::name_to_json<Json>(name.directory_name)}));
            } else {
                names.push_back(Json::array({name.type, name.value}));
            }
        }
        out["subjectAltName"] = std::move(names);
    }
    if (!info.ocsp.empty()) {
        out["OCSP"] = json_detail::strings_to_json<Json>(info.ocsp);
    }
    if (!info.ca_issuers.empty()) {
        out["caIssuers"] = json_detail::strings_to_json<Json>(info.ca_issuers);
    }
    if (!info.crl_distribution_points.empty()) {
        out["crlDistributionPoints"] =
            json_detail::strings_to_json<Json>(info.crl_distribution_points);
    }
    return out;
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
