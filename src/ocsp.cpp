// OCSP responses: tls::decode_ocsp_response (getpeercert()'s shape for a staple) and the checks
// in ocsp_check.hpp that the server and the client share.
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <array>
#include <climits>
#include <ctime>
#include <string>

#include "ocsp_check.hpp"
#include "ossl/error.hpp"
#include "tls/ocsp.hpp"

namespace tls {
namespace detail {
namespace {

// RFC 6960 section 4.2.1 spells the statuses in camelCase; OCSP_response_status_str does not.
const char* response_status_name(int status) noexcept {
    switch (status) {
        case OCSP_RESPONSE_STATUS_SUCCESSFUL:
            return "successful";
        case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST:
            return "malformedRequest";
        case OCSP_RESPONSE_STATUS_INTERNALERROR:
            return "internalError";
        case OCSP_RESPONSE_STATUS_TRYLATER:
            return "tryLater";
        case OCSP_RESPONSE_STATUS_SIGREQUIRED:
            return "sigRequired";
        case OCSP_RESPONSE_STATUS_UNAUTHORIZED:
            return "unauthorized";
        default:
            return "unknown";
    }
}

template <typename Print>
std::string printed(Print&& print) {
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        ossl::throw_error("decode_ocsp_response", "cannot allocate a memory BIO");
    }
    print(bio.get());
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string time_text(const ASN1_GENERALIZEDTIME* t) {
    // The same printer as getpeercert()'s notBefore/notAfter ("Jun  1 12:00:00 2027 GMT").
    return printed([t](BIO* bio) { ASN1_TIME_print(bio, t); });
}

std::string responder_text(const OCSP_BASICRESP* basic) {
    const ASN1_OCTET_STRING* key_hash = nullptr;
    const X509_NAME* name = nullptr;
    if (OCSP_resp_get0_id(basic, &key_hash, &name) != 1) {
        return {};
    }
    if (name != nullptr) {
        return printed([name](BIO* bio) { X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253); });
    }
    static constexpr std::array<char, 17> kHex = {"0123456789ABCDEF"};
    std::string out = "keyHash:";
    const unsigned char* p = ASN1_STRING_get0_data(key_hash);
    for (int i = 0; i < ASN1_STRING_length(key_hash); ++i) {
        out += kHex[p[i] >> 4];
        out += kHex[p[i] & 0xF];
    }
    return out;
}

bool same_certid(OCSP_CERTID* in_response, X509* leaf, X509* issuer) noexcept {
    ASN1_OBJECT* md_oid = nullptr;
    if (OCSP_id_get0_info(nullptr, &md_oid, nullptr, nullptr, in_response) != 1) {
        return false;
    }
    const EVP_MD* md = EVP_get_digestbyobj(md_oid);
    if (md == nullptr) {
        return false;
    }
    const ossl::OcspCertIdPtr ours(OCSP_cert_to_id(md, leaf, issuer));
    return ours && OCSP_id_cmp(ours.get(), in_response) == 0;
}

}  // namespace

std::shared_ptr<const OcspStaple> parse_ocsp_staple(const Bytes& der, std::string_view operation) {
    auto staple = std::make_shared<OcspStaple>();
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
        throw SSLError(SSLErrc::ssl, std::string(operation) + ": the OCSP response is too large");
    }
    const unsigned char* p = der.data();
    const unsigned char* const end = der.data() + der.size();
    staple->response.reset(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
    if (!staple->response || p != end) {
        ossl::throw_error(operation, "not a DER OCSP response");
    }
    if (OCSP_response_status(staple->response.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        staple->basic.reset(OCSP_response_get1_basic(staple->response.get()));
        if (!staple->basic) {
            ossl::throw_error(operation, "a successful OCSP response without a basic response");
        }
    }
    staple->der = der;
    return staple;
}

X509* find_issuer(STACK_OF(X509) * chain, X509* leaf) noexcept {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
        X509* candidate = sk_X509_value(chain, i);
        if (candidate != leaf && X509_check_issued(candidate, leaf) == X509_V_OK) {
            return candidate;
        }
    }
    return nullptr;
}

OCSP_SINGLERESP* find_single_response(OCSP_BASICRESP* basic, X509* leaf, X509* issuer) noexcept {
    if (basic == nullptr || leaf == nullptr || issuer == nullptr) {
        return nullptr;
    }
    for (int i = 0; i < OCSP_resp_count(basic); ++i) {
        OCSP_SINGLERESP* single = OCSP_resp_get0(basic, i);
        // OCSP_SINGLERESP_get0_id returns const, OCSP_id_cmp/get0_info want non-const: both read.
        auto* id = const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single));
        if (same_certid(id, leaf, issuer)) {
            ERR_clear_error();
            return single;
        }
    }
    ERR_clear_error();
    return nullptr;
}

const char* staple_refusal(const OcspStaple& staple, X509* leaf, X509* issuer) noexcept {
    if (!staple.basic) {
        return "the OCSP response is not successful";
    }
    OCSP_SINGLERESP* single = find_single_response(staple.basic.get(), leaf, issuer);
    if (single == nullptr) {
        return "the OCSP response is not about the certificate served";
    }
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    OCSP_single_get0_status(single, nullptr, nullptr, &this_update, &next_update);
    // The server staples by its clock: a verify time is about the certificates it receives.
    const bool current = staple_window_current(this_update, next_update, nullptr);
    return current ? nullptr : "the OCSP response has expired or is not yet valid";
}

bool staple_window_current(const ASN1_GENERALIZEDTIME* this_update,
                           const ASN1_GENERALIZEDTIME* next_update,
                           const X509_VERIFY_PARAM* param) noexcept {
    if (param == nullptr ||
        (X509_VERIFY_PARAM_get_flags(param) & X509_V_FLAG_USE_CHECK_TIME) == 0) {
        // OCSP_check_validity takes no time: it reads the clock.
        const bool current = OCSP_check_validity(const_cast<ASN1_GENERALIZEDTIME*>(this_update),
                                                 const_cast<ASN1_GENERALIZEDTIME*>(next_update),
                                                 kOcspClockSkewSeconds, -1) == 1;
        ERR_clear_error();
        return current;
    }
    // The same rules at the chosen time (RFC 6960 section 4.2.2.1). X509_cmp_time is -1 for
    // "at or before", 1 for "after", 0 for a time it cannot read.
    const std::time_t at = X509_VERIFY_PARAM_get_time(param);
    std::time_t latest = at + kOcspClockSkewSeconds;
    std::time_t earliest = at - kOcspClockSkewSeconds;
    bool current = this_update != nullptr && X509_cmp_time(this_update, &latest) == -1;
    if (current && next_update != nullptr) {
        current = X509_cmp_time(next_update, &earliest) == 1 &&
                  ASN1_TIME_compare(next_update, this_update) >= 0;
    }
    ERR_clear_error();
    return current;
}

bool requires_staple(X509* cert) noexcept {
    // TLS Feature numbers are TLS extension types; status_request is 5 (RFC 7633 section 4.2).
    constexpr long kStatusRequest = 5;
    const ossl::AsnIntegerStackPtr features(static_cast<STACK_OF(ASN1_INTEGER)*>(
        X509_get_ext_d2i(cert, NID_tlsfeature, nullptr, nullptr)));
    ERR_clear_error();
    for (int i = 0; features && i < sk_ASN1_INTEGER_num(features.get()); ++i) {
        if (ASN1_INTEGER_get(sk_ASN1_INTEGER_value(features.get(), i)) == kStatusRequest) {
            return true;
        }
    }
    return false;
}

}  // namespace detail

OcspResponseInfo decode_ocsp_response(const Bytes& der) {
    const std::shared_ptr<const detail::OcspStaple> staple =
        detail::parse_ocsp_staple(der, "decode_ocsp_response");
    OcspResponseInfo info;
    info.der = der;
    info.response_status =
        detail::response_status_name(OCSP_response_status(staple->response.get()));
    OCSP_BASICRESP* basic = staple->basic.get();
    if (basic == nullptr) {
        return info;
    }
    info.produced_at = detail::time_text(OCSP_resp_get0_produced_at(basic));
    info.responder_id = detail::responder_text(basic);
    OCSP_SINGLERESP* single = OCSP_resp_count(basic) > 0 ? OCSP_resp_get0(basic, 0) : nullptr;
    if (single == nullptr) {
        return info;
    }
    int reason = -1;
    ASN1_GENERALIZEDTIME* revoked_at = nullptr;
    ASN1_GENERALIZEDTIME* this_update = nullptr;
    ASN1_GENERALIZEDTIME* next_update = nullptr;
    const int status =
        OCSP_single_get0_status(single, &reason, &revoked_at, &this_update, &next_update);
    info.cert_status = OCSP_cert_status_str(status);
    if (revoked_at != nullptr) {
        info.revocation_time = detail::time_text(revoked_at);
    }
    if (status == V_OCSP_CERTSTATUS_REVOKED && reason >= 0) {
        info.revocation_reason = OCSP_crl_reason_str(reason);
    }
    if (this_update != nullptr) {
        info.this_update = detail::time_text(this_update);
    }
    if (next_update != nullptr) {
        info.next_update = detail::time_text(next_update);
    }
    ASN1_INTEGER* serial = nullptr;
    auto* id = const_cast<OCSP_CERTID*>(OCSP_SINGLERESP_get0_id(single));
    if (OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, id) == 1 && serial != nullptr) {
        info.serial_number = detail::printed([serial](BIO* bio) { i2a_ASN1_INTEGER(bio, serial); });
    }
    ERR_clear_error();
    return info;
}

}  // namespace tls
