// The Python values behind tls/printing.hpp: getpeercert()'s dict, cipher()'s tuple and the
// get_ciphers() dicts, built as CPython's _ssl module builds them.
#include "tls/printing.hpp"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "python_value.hpp"

namespace tls {
namespace {

using detail::python::Value;

Value name_value(const DistinguishedName& name) {
    std::vector<Value> rdns;
    rdns.reserve(name.size());
    for (const RelativeDistinguishedName& rdn : name) {
        std::vector<Value> attributes;
        attributes.reserve(rdn.size());
        for (const NameAttribute& attribute : rdn) {
            attributes.push_back(
                Value::tuple({Value::str(attribute.first), Value::str(attribute.second)}));
        }
        rdns.push_back(Value::tuple(std::move(attributes)));
    }
    return Value::tuple(std::move(rdns));
}

Value strings_value(const std::vector<std::string>& strings) {
    std::vector<Value> items;
    items.reserve(strings.size());
    for (const std::string& s : strings) {
        items.push_back(Value::str(s));
    }
    return Value::tuple(std::move(items));
}

// CPython's _decode_certificate: the keys in its order, the optional ones only when present.
Value certificate_value(const CertificateInfo& cert) {
    if (cert.empty()) {
        return Value::dict();
    }
    std::vector<Value::Entry> entries;
    entries.emplace_back("subject", name_value(cert.subject));
    entries.emplace_back("issuer", name_value(cert.issuer));
    entries.emplace_back("version", Value::integer(cert.version));
    entries.emplace_back("serialNumber", Value::str(cert.serial_number));
    entries.emplace_back("notBefore", Value::str(cert.not_before));
    entries.emplace_back("notAfter", Value::str(cert.not_after));
    if (!cert.subject_alt_name.empty()) {
        std::vector<Value> names;
        names.reserve(cert.subject_alt_name.size());
        for (const GeneralName& name : cert.subject_alt_name) {
            // A DirName's value is a distinguished name, nested as subject is.
            names.push_back(Value::tuple(
                {Value::str(name.type), name.type == "DirName" ? name_value(name.directory_name)
                                                               : Value::str(name.value)}));
        }
        entries.emplace_back("subjectAltName", Value::tuple(std::move(names)));
    }
    if (!cert.ocsp.empty()) {
        entries.emplace_back("OCSP", strings_value(cert.ocsp));
    }
    if (!cert.ca_issuers.empty()) {
        entries.emplace_back("caIssuers", strings_value(cert.ca_issuers));
    }
    if (!cert.crl_distribution_points.empty()) {
        entries.emplace_back("crlDistributionPoints", strings_value(cert.crl_distribution_points));
    }
    return Value::dict(std::move(entries));
}

Value cipher_value(const CipherDescription& cipher) {
    return Value::tuple(
        {Value::str(cipher.name), Value::str(cipher.protocol), Value::integer(cipher.secret_bits)});
}

Value optional_str(const std::optional<std::string>& s) {
    return s ? Value::str(*s) : Value();
}

// CPython's cipher_to_dict: the keys in its order.
Value cipher_info_value(const CipherInfo& cipher) {
    return Value::dict({
        {"id", Value::integer(static_cast<std::int64_t>(cipher.id))},
        {"name", Value::str(cipher.name)},
        {"protocol", Value::str(cipher.protocol)},
        {"description", Value::str(cipher.description)},
        {"strength_bits", Value::integer(cipher.strength_bits)},
        {"alg_bits", Value::integer(cipher.alg_bits)},
        {"aead", Value::boolean(cipher.aead)},
        {"symmetric", optional_str(cipher.symmetric)},
        {"digest", optional_str(cipher.digest)},
        {"kea", optional_str(cipher.kea)},
        {"auth", optional_str(cipher.auth)},
    });
}

template <typename T, typename Convert>
Value list_value(const std::vector<T>& values, Convert convert) {
    std::vector<Value> items;
    items.reserve(values.size());
    for (const T& value : values) {
        items.push_back(convert(value));
    }
    return Value::list(std::move(items));
}

}  // namespace

std::string to_string(const CertificateInfo& cert) {
    return detail::python::pformat(certificate_value(cert));
}

std::string to_json(const CertificateInfo& cert) {
    return detail::python::json_dumps(certificate_value(cert));
}

std::ostream& operator<<(std::ostream& out, const CertificateInfo& cert) {
    return out << to_string(cert);
}

std::string to_string(const CipherDescription& cipher) {
    return detail::python::pformat(cipher_value(cipher));
}

std::string to_json(const CipherDescription& cipher) {
    return detail::python::json_dumps(cipher_value(cipher));
}

std::ostream& operator<<(std::ostream& out, const CipherDescription& cipher) {
    return out << to_string(cipher);
}

std::string to_string(const CipherInfo& cipher) {
    return detail::python::pformat(cipher_info_value(cipher));
}

std::string to_json(const CipherInfo& cipher) {
    return detail::python::json_dumps(cipher_info_value(cipher));
}

std::ostream& operator<<(std::ostream& out, const CipherInfo& cipher) {
    return out << to_string(cipher);
}

std::string to_string(const std::vector<CipherInfo>& ciphers) {
    return detail::python::pformat(list_value(ciphers, cipher_info_value));
}

std::string to_json(const std::vector<CipherInfo>& ciphers) {
    return detail::python::json_dumps(list_value(ciphers, cipher_info_value));
}

std::string to_string(const std::vector<CertificateInfo>& certs) {
    return detail::python::pformat(list_value(certs, certificate_value));
}

std::string to_json(const std::vector<CertificateInfo>& certs) {
    return detail::python::json_dumps(list_value(certs, certificate_value));
}

std::string to_string(const std::vector<CipherDescription>& ciphers) {
    return detail::python::pformat(list_value(ciphers, cipher_value));
}

std::string to_json(const std::vector<CipherDescription>& ciphers) {
    return detail::python::json_dumps(list_value(ciphers, cipher_value));
}

}  // namespace tls
