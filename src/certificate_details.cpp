// tls::certificate_details(): fingerprints and extensions, the parts of a certificate that
// Python's getpeercert() dict leaves out but a person debugging a chain looks for first.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>
#include <string>

#include "certificate_parse.hpp"
#include "ossl/error.hpp"
#include "ossl/handles.hpp"
#include "tls/certificate_details.hpp"

namespace tls {
namespace {

constexpr std::string_view kOperation = "certificate_details";

std::string hex_pairs(const unsigned char* data, std::size_t size) {
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        std::array<char, 4> pair{};
        std::snprintf(pair.data(), pair.size(), "%02X", data[i]);
        out += (i == 0 ? "" : ":");
        out += pair.data();
    }
    return out;
}

std::string fingerprint(const X509* cert, const EVP_MD* md) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (X509_digest(cert, md, digest.data(), &size) != 1) {
        ossl::throw_error(kOperation, "cannot hash the certificate");
    }
    return hex_pairs(digest.data(), size);
}

std::string extension_name(const ASN1_OBJECT* object) {
    const int nid = OBJ_obj2nid(object);
    if (nid != NID_undef) {
        return OBJ_nid2sn(nid);
    }
    std::array<char, 128> dotted{};
    OBJ_obj2txt(dotted.data(), static_cast<int>(dotted.size()), object, 1);
    return dotted.data();
}

// X509V3_EXT_print writes multi-line values (policies, AIA) with indentation of its own; each
// line is trimmed so the value reads the same wherever it is shown.
std::string trimmed_lines(std::string_view text) {
    std::string out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(start, end - start);
        const std::size_t first = line.find_first_not_of(" \t\r");
        const std::size_t last = line.find_last_not_of(" \t\r");
        if (first != std::string_view::npos) {
            out += out.empty() ? "" : "\n";
            out += line.substr(first, last - first + 1);
        }
        start = end + 1;
    }
    return out;
}

std::string extension_value(X509_EXTENSION* extension) {
    const ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        ossl::throw_error(kOperation, "cannot allocate a memory BIO");
    }
    if (X509V3_EXT_print(bio.get(), extension, 0, 0) == 1) {
        char* data = nullptr;
        const long size = BIO_get_mem_data(bio.get(), &data);
        return trimmed_lines(std::string_view(data, size > 0 ? static_cast<std::size_t>(size) : 0));
    }
    // Unknown to OpenSSL (or malformed): the raw value, as `openssl x509 -text` dumps it.
    ossl::clear_errors();
    const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(extension);
    return hex_pairs(ASN1_STRING_get0_data(value),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

}  // namespace

CertificateDetails certificate_details(std::string_view pem_or_der) {
    const ossl::X509Ptr cert = detail::parse_certificate_text(pem_or_der);
    CertificateDetails out;
    out.sha256_fingerprint = fingerprint(cert.get(), EVP_sha256());
    out.sha1_fingerprint = fingerprint(cert.get(), EVP_sha1());
    const int count = X509_get_ext_count(cert.get());
    for (int i = 0; i < count; ++i) {
        X509_EXTENSION* extension = X509_get_ext(cert.get(), i);  // borrowed from cert
        CertificateExtension entry;
        entry.name = extension_name(X509_EXTENSION_get_object(extension));
        entry.critical = X509_EXTENSION_get_critical(extension) != 0;
        entry.value = extension_value(extension);
        out.extensions.push_back(std::move(entry));
    }
    ossl::clear_errors();
    return out;
}

}  // namespace tls
