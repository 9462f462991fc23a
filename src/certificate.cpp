#include "tls/certificate.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "certificate_decode.hpp"
#include "certificate_parse.hpp"
#include "ossl/error.hpp"
#include "ossl/handles.hpp"

namespace tls {
namespace {

constexpr std::string_view kOperation = "decode_certificate";

// CPython reads each printed field back with BIO_gets into a 2048-byte buffer, passing one byte
// less than its size, and keeps only the first line. Reading the same way keeps odd output
// identical: i2a_ASN1_INTEGER breaks serial numbers longer than 35 bytes with "\\\n", and Python
// then shows the first 35 bytes followed by that backslash and newline.
constexpr int kPythonBufferSize = 2048;

ossl::BioPtr new_memory_bio() {
    ossl::BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) {
        ossl::throw_error(kOperation, "cannot allocate a memory BIO");
    }
    return bio;
}

// Python ignores the return value of the print functions and shows whatever they wrote.
template <typename Print>
std::string print_first_line(Print&& print) {
    ossl::BioPtr bio = new_memory_bio();
    print(bio.get());
    std::array<char, kPythonBufferSize> buf{};
    const int len = BIO_gets(bio.get(), buf.data(), kPythonBufferSize - 1);
    if (len < 0) {
        ossl::throw_error(kOperation, "cannot read back a printed certificate field");
    }
    return std::string(buf.data(), static_cast<std::size_t>(len));
}

// no_name = 0: OpenSSL's long name when it knows the OID, the dotted form otherwise.
std::string object_text(const ASN1_OBJECT* obj) {
    std::array<char, 256> small{};
    const int len = OBJ_obj2txt(small.data(), static_cast<int>(small.size()), obj, 0);
    if (len < 0) {
        ossl::throw_error(kOperation, "cannot print an object identifier");
    }
    if (static_cast<std::size_t>(len) < small.size()) {
        return std::string(small.data(), static_cast<std::size_t>(len));
    }
    std::string text(static_cast<std::size_t>(len) + 1, '\0');
    OBJ_obj2txt(text.data(), len + 1, obj, 0);
    text.resize(static_cast<std::size_t>(len));
    return text;
}

std::string utf8_text(const ASN1_STRING* value) {
    unsigned char* raw = nullptr;
    const int len = ASN1_STRING_to_UTF8(&raw, value);
    const ossl::OpensslBytesPtr owned(raw);
    if (len < 0) {
        ossl::throw_error(kOperation, "cannot convert a name attribute to UTF-8");
    }
    if (len == 0) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<std::size_t>(len));
}

// IA5String contents as stored. Python copies them byte for byte too (CVE-2013-4238: printing
// through GENERAL_NAME_print would cut names at an embedded NUL).
std::string raw_text(const ASN1_STRING* value) {
    const int len = ASN1_STRING_length(value);
    if (len <= 0) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       static_cast<std::size_t>(len));
}

// Attributes that share an X509_NAME_ENTRY_set() number form one multi-valued RDN; Python
// returns one tuple per RDN, in certificate order.
DistinguishedName decode_name(const X509_NAME* name) {
    DistinguishedName out;
    int current_set = -1;
    const int count = X509_NAME_entry_count(name);
    for (int i = 0; i < count; ++i) {
        const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
        const int set = X509_NAME_ENTRY_set(entry);
        if (out.empty() || set != current_set) {
            out.emplace_back();
        }
        current_set = set;
        out.back().emplace_back(object_text(X509_NAME_ENTRY_get_object(entry)),
                                utf8_text(X509_NAME_ENTRY_get_data(entry)));
    }
    return out;
}

// Python formats addresses itself: OpenSSL 3.0 changed its IPv6 output, and Python wants the
// same text on every version, so IPv6 is eight upper-case groups without "::" compression.
std::string ip_address_text(const ASN1_OCTET_STRING* ip) {
    const unsigned char* p = ASN1_STRING_get0_data(ip);
    const int len = ASN1_STRING_length(ip);
    if (len == 4) {
        return std::to_string(p[0]) + '.' + std::to_string(p[1]) + '.' + std::to_string(p[2]) +
               '.' + std::to_string(p[3]);
    }
    if (len == 16) {
        std::string out;
        for (std::ptrdiff_t i = 0; i < 8; ++i) {
            std::array<char, 8> group{};
            const auto value = static_cast<unsigned>(p[2 * i] << 8 | p[2 * i + 1]);
            std::snprintf(group.data(), group.size(), "%X", value);
            if (i != 0) {
                out += ':';
            }
            out += group.data();
        }
        return out;
    }
    return "<invalid>";
}

std::string registered_id_text(const ASN1_OBJECT* rid) {
    std::array<char, kPythonBufferSize> buf{};
    const int len = i2t_ASN1_OBJECT(buf.data(), kPythonBufferSize - 1, rid);
    if (len < 0) {
        ossl::throw_error(kOperation, "cannot print a registered ID");
    }
    if (len >= kPythonBufferSize) {
        return "<INVALID>";
    }
    return std::string(buf.data(), static_cast<std::size_t>(len));
}

// otherName, X400Name and EdiPartyName: Python splits OpenSSL's "type:value" text at the first
// colon, which yields e.g. ("othername", "<unsupported>") or ("othername", "UPN:user@host").
GeneralName printed_general_name(GENERAL_NAME* gn) {
    std::string line = print_first_line([gn](BIO* bio) { GENERAL_NAME_print(bio, gn); });
    // Python searches with strchr, so a colon after an embedded NUL does not count.
    const std::size_t searchable = std::strlen(line.c_str());
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon >= searchable) {
        throw std::invalid_argument(std::string(kOperation) + ": invalid general name value '" +
                                    line.substr(0, 200) + "'");
    }
    return GeneralName{line.substr(0, colon), line.substr(colon + 1), {}};
}

// A certificate without the extension (or with one OpenSSL cannot parse) has no
// subjectAltName key in Python's dict.
std::vector<GeneralName> decode_subject_alt_name(const X509* cert) {
    std::vector<GeneralName> out;
    const ossl::GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) {
        return out;
    }
    const int count = sk_GENERAL_NAME_num(names.get());
    for (int i = 0; i < count; ++i) {
        GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        switch (gn->type) {
            case GEN_DIRNAME:
                out.push_back(GeneralName{"DirName", {}, decode_name(gn->d.directoryName)});
                break;
            case GEN_EMAIL:
                out.push_back(GeneralName{"email", raw_text(gn->d.rfc822Name), {}});
                break;
            case GEN_DNS:
                out.push_back(GeneralName{"DNS", raw_text(gn->d.dNSName), {}});
                break;
            case GEN_URI:
                out.push_back(GeneralName{"URI", raw_text(gn->d.uniformResourceIdentifier), {}});
                break;
            case GEN_RID:
                out.push_back(GeneralName{"Registered ID", registered_id_text(gn->d.rid), {}});
                break;
            case GEN_IPADD:
                out.push_back(GeneralName{"IP Address", ip_address_text(gn->d.iPAddress), {}});
                break;
            default:
                out.push_back(printed_general_name(gn));
                break;
        }
    }
    return out;
}

// Only URI locations for the wanted access method, as Python collects them.
std::vector<std::string> decode_access_uris(const X509* cert, int method) {
    std::vector<std::string> out;
    const ossl::AuthorityInfoAccessPtr info(static_cast<AUTHORITY_INFO_ACCESS*>(
        X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr)));
    if (!info) {
        return out;
    }
    const int count = sk_ACCESS_DESCRIPTION_num(info.get());
    for (int i = 0; i < count; ++i) {
        const ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(info.get(), i);
        if (OBJ_obj2nid(ad->method) != method || ad->location->type != GEN_URI) {
            continue;
        }
        out.push_back(raw_text(ad->location->d.uniformResourceIdentifier));
    }
    return out;
}

std::vector<std::string> decode_crl_distribution_points(const X509* cert) {
    std::vector<std::string> out;
    const ossl::CrlDistPointsPtr points(static_cast<CRL_DIST_POINTS*>(
        X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr)));
    if (!points) {
        return out;
    }
    const int count = sk_DIST_POINT_num(points.get());
    for (int i = 0; i < count; ++i) {
        const DIST_POINT* dp = sk_DIST_POINT_value(points.get(), i);
        // A point may carry only reasons/cRLIssuer (CVE-2019-5010). A nameRelativeToCRLIssuer
        // holds no URIs; Python only ever reports URIs from a fullName.
        if (dp->distpoint == nullptr || dp->distpoint->type != 0) {
            continue;
        }
        const GENERAL_NAMES* names = dp->distpoint->name.fullname;
        const int name_count = sk_GENERAL_NAME_num(names);
        for (int j = 0; j < name_count; ++j) {
            const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, j);
            if (gn->type == GEN_URI) {
                out.push_back(raw_text(gn->d.uniformResourceIdentifier));
            }
        }
    }
    return out;
}

CertificateInfo decode_fields(const X509* cert) {
    CertificateInfo info;
    info.subject = decode_name(X509_get_subject_name(cert));
    info.issuer = decode_name(X509_get_issuer_name(cert));
    info.version = static_cast<int>(X509_get_version(cert)) + 1;
    info.serial_number =
        print_first_line([cert](BIO* bio) { i2a_ASN1_INTEGER(bio, X509_get0_serialNumber(cert)); });
    info.not_before =
        print_first_line([cert](BIO* bio) { ASN1_TIME_print(bio, X509_get0_notBefore(cert)); });
    info.not_after =
        print_first_line([cert](BIO* bio) { ASN1_TIME_print(bio, X509_get0_notAfter(cert)); });
    info.subject_alt_name = decode_subject_alt_name(cert);
    info.ocsp = decode_access_uris(cert, NID_ad_OCSP);
    info.ca_issuers = decode_access_uris(cert, NID_ad_ca_issuers);
    info.crl_distribution_points = decode_crl_distribution_points(cert);
    return info;
}

ossl::X509Ptr parse_der(std::string_view data) {
    if (data.size() > static_cast<std::size_t>(LONG_MAX)) {
        return nullptr;
    }
    const auto* begin = reinterpret_cast<const unsigned char*>(data.data());
    const unsigned char* p = begin;
    ossl::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
    // Bytes after the certificate mean the input is something else that merely starts like one.
    if (cert && p != begin + data.size()) {
        cert.reset();
    }
    return cert;
}

// A CERTIFICATE block with a Proc-Type: ENCRYPTED header would make OpenSSL's default callback
// prompt for a passphrase on the terminal; a library must never do that.
int refuse_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
    return 0;
}

ossl::X509Ptr parse_pem(std::string_view data) {
    if (data.size() > static_cast<std::size_t>(INT_MAX)) {
        return nullptr;
    }
    const ossl::BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    if (!bio) {
        return nullptr;
    }
    // Like Python's _test_decode_cert: the first CERTIFICATE block, skipping text and other blocks.
    return ossl::X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, refuse_passphrase, nullptr));
}

ossl::X509Ptr parse_certificate(std::string_view data) {
    // DER is a SEQUENCE (0x30). PEM is text that may start with explanatory lines, but DER bytes
    // could by chance contain "-----BEGIN", so DER-looking input is tried as DER first.
    const bool looks_der = !data.empty() && static_cast<unsigned char>(data[0]) == 0x30;
    const bool has_pem = data.find("-----BEGIN") != std::string_view::npos;
    if (looks_der || !has_pem) {
        if (ossl::X509Ptr cert = parse_der(data)) {
            ossl::clear_errors();
            return cert;
        }
        if (has_pem) {
            ossl::clear_errors();
        }
    }
    if (has_pem) {
        if (ossl::X509Ptr cert = parse_pem(data)) {
            ossl::clear_errors();
            return cert;
        }
    }
    ossl::throw_error(kOperation, "neither a PEM nor a DER certificate");
}

std::string read_whole_file(const std::string& path) {
    const ossl::FilePtr file = ossl::open_file(path.c_str(), "rb");
    if (!file) {
        const int err = errno;
        throw std::system_error(err, std::generic_category(),
                                "decode_certificate_file: cannot open '" + path + "'");
    }
    std::string data;
    std::array<char, 16384> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), file.get())) > 0) {
        data.append(buf.data(), n);
    }
    if (std::ferror(file.get()) != 0) {
        const int err = errno;
        throw std::system_error(err, std::generic_category(),
                                "decode_certificate_file: cannot read '" + path + "'");
    }
    return data;
}

// Python applies str.strip() and re's \s to decoded text, so the Unicode spaces count as well
// as ASCII ones. Returns the byte length of the whitespace character at `pos`, or 0.
std::size_t space_at(std::string_view s, std::size_t pos) {
    if (pos >= s.size()) {
        return 0;
    }
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]); };
    const unsigned char b0 = byte(0);
    if ((b0 >= 0x09 && b0 <= 0x0d) || (b0 >= 0x1c && b0 <= 0x20)) {
        return 1;
    }
    // Every other Python space (U+0085 ... U+3000) is a 2- or 3-byte UTF-8 sequence.
    if (b0 >= 0xc2 && b0 <= 0xdf && pos + 1 < s.size()) {
        const unsigned cp = (b0 & 0x1fu) << 6 | (byte(1) & 0x3fu);
        const bool valid = (byte(1) & 0xc0) == 0x80;
        return valid && (cp == 0x85 || cp == 0xa0) ? 2 : 0;
    }
    if (b0 >= 0xe0 && b0 <= 0xef && pos + 2 < s.size()) {
        if ((byte(1) & 0xc0) != 0x80 || (byte(2) & 0xc0) != 0x80) {
            return 0;
        }
        const unsigned cp = (b0 & 0x0fu) << 12 | (byte(1) & 0x3fu) << 6 | (byte(2) & 0x3fu);
        const bool space = cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
                           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
        return space ? 3 : 0;
    }
    return 0;
}

// The byte length of the whitespace character that ends just before `end`, or 0.
std::size_t space_before(std::string_view s, std::size_t end) {
    for (std::size_t len = 1; len <= 3 && len <= end; ++len) {
        if (space_at(s, end - len) == len) {
            return len;
        }
    }
    return 0;
}

int base64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// base64.decodebytes (binascii.a2b_base64, non-strict): characters outside the alphabet are
// skipped, decoding stops at the padding that completes a quantum, and a dangling partial
// quantum is an error (binascii.Error, a ValueError).
Bytes python_b64decode(std::string_view text) {
    Bytes out;
    out.reserve(text.size() / 4 * 3 + 3);
    int quad_pos = 0;
    unsigned left = 0;
    int pads = 0;
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '=') {
            if (quad_pos >= 2 && quad_pos + ++pads >= 4) {
                return out;
            }
            continue;
        }
        const int v = base64_value(c);
        if (v < 0) {
            continue;
        }
        pads = 0;
        const auto bits = static_cast<unsigned>(v);
        switch (quad_pos) {
            case 0:
                left = bits;
                quad_pos = 1;
                break;
            case 1:
                out.push_back(static_cast<std::uint8_t>((left << 2 | bits >> 4) & 0xffu));
                left = bits & 0x0fu;
                quad_pos = 2;
                break;
            case 2:
                out.push_back(static_cast<std::uint8_t>((left << 4 | bits >> 2) & 0xffu));
                left = bits & 0x03u;
                quad_pos = 3;
                break;
            default:
                out.push_back(static_cast<std::uint8_t>((left << 6 | bits) & 0xffu));
                left = 0;
                quad_pos = 0;
                break;
        }
    }
    if (quad_pos == 1) {
        throw std::invalid_argument(
            "PEM_cert_to_DER_cert: invalid base64: one character more than a multiple of 4");
    }
    if (quad_pos != 0) {
        throw std::invalid_argument("PEM_cert_to_DER_cert: invalid base64: incorrect padding");
    }
    return out;
}

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto x = static_cast<unsigned char>(a[i]);
        const auto y = static_cast<unsigned char>(b[i]);
        const auto lower = [](unsigned char c) {
            return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
        };
        if (lower(x) != lower(y)) {
            return false;
        }
    }
    return true;
}

// Days from 1970-01-01 to the given proleptic Gregorian date (month 1-12, any day count, as
// calendar.timegm adds the day of month without checking it against the month's length).
std::int64_t days_since_epoch(std::int64_t year, int month, std::int64_t day) {
    // Count years from March so the leap day is the last day of the counted year.
    const std::int64_t y = month <= 2 ? year - 1 : year;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t year_of_era = y - era * 400;
    const std::int64_t shifted_month = month > 2 ? month - 3 : month + 9;
    const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    const std::int64_t day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    constexpr std::int64_t kDaysFromEra0ToEpoch = 719468;
    return era * 146097 + day_of_era - kDaysFromEra0ToEpoch;
}

// Python validates with time.strptime(" %d %H:%M:%S %Y GMT"), whose regular expression accepts
// one or more (Unicode) spaces for each space, one- or two-digit fields with per-field ranges
// (seconds up to 61), exactly four year digits and "GMT" in any case, and nothing after it.
class CertTimeParser {
  public:
    explicit CertTimeParser(std::string_view text) : text_(text) {}

    std::int64_t parse() {
        static constexpr std::array<std::string_view, 12> kMonths = {
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        int month = 0;
        for (std::size_t m = 0; m < kMonths.size() && text_.size() >= 3; ++m) {
            if (equals_ignoring_ascii_case(text_.substr(0, 3), kMonths[m])) {
                month = static_cast<int>(m) + 1;
            }
        }
        if (month == 0) {
            fail();
        }
        pos_ = 3;
        spaces();
        const int day = field(1, 31);
        spaces();
        const int hour = field(0, 23);
        literal(":");
        const int minute = field(0, 59);
        literal(":");
        const int second = field(0, 61);
        spaces();
        const int year = year_field();
        spaces();
        literal("GMT");
        if (pos_ != text_.size()) {
            fail();
        }
        const std::int64_t days = days_since_epoch(year, month, 1) + day - 1;
        return ((days * 24 + hour) * 60 + minute) * 60 + second;
    }

  private:
    [[noreturn]] void fail() const {
        throw std::invalid_argument("cert_time_to_seconds: time data '" + std::string(text_) +
                                    "' does not match format \"%b %d %H:%M:%S %Y GMT\"");
    }

    void spaces() {
        const std::size_t start = pos_;
        while (const std::size_t n = space_at(text_, pos_)) {
            pos_ += n;
        }
        if (pos_ == start) {
            fail();
        }
    }

    void literal(std::string_view expected) {
        if (!equals_ignoring_ascii_case(text_.substr(pos_, expected.size()), expected)) {
            fail();
        }
        pos_ += expected.size();
    }

    std::size_t digit_run() const {
        std::size_t end = pos_;
        while (end < text_.size() && text_[end] >= '0' && text_[end] <= '9') {
            ++end;
        }
        return end - pos_;
    }

    int take_number(std::size_t len) {
        int value = 0;
        for (std::size_t i = 0; i < len; ++i) {
            value = value * 10 + (text_[pos_ + i] - '0');
        }
        pos_ += len;
        return value;
    }

    // Every field is followed by a non-digit, so the regex's choice is the whole digit run, of
    // one or two digits ("05" and "5" alike) within the field's range.
    int field(int min, int max) {
        const std::size_t len = digit_run();
        if (len == 0 || len > 2) {
            fail();
        }
        const int value = take_number(len);
        if (value < min || value > max) {
            fail();
        }
        return value;
    }

    // Year 0 passes the regex but not datetime.date(), which strptime builds next.
    int year_field() {
        if (digit_run() != 4) {
            fail();
        }
        const int year = take_number(4);
        if (year == 0) {
            fail();
        }
        return year;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

namespace detail {

ossl::X509Ptr parse_certificate_text(std::string_view pem_or_der) {
    return parse_certificate(pem_or_der);
}

CertificateInfo decode_x509(const X509* cert) {
    try {
        CertificateInfo info = decode_fields(cert);
        // X509_get_ext_d2i queues errors for an extension it cannot parse; Python treats that
        // extension as absent and so do we, without leaving the errors behind.
        ossl::clear_errors();
        return info;
    } catch (...) {
        ossl::clear_errors();
        throw;
    }
}

}  // namespace detail

CertificateInfo decode_certificate(std::string_view pem_or_der) {
    const ossl::X509Ptr cert = parse_certificate(pem_or_der);
    return detail::decode_x509(cert.get());
}

CertificateInfo decode_certificate_file(const std::string& path) {
    return decode_certificate(read_whole_file(path));
}

std::string DER_cert_to_PEM_cert(const Bytes& der) {
    // 48 input bytes are exactly one 64-column line of base64.
    constexpr std::size_t kBytesPerLine = 48;
    std::string pem(PEM_HEADER);
    pem += '\n';
    for (std::size_t i = 0; i < der.size(); i += kBytesPerLine) {
        const std::size_t n = std::min(kBytesPerLine, der.size() - i);
        std::array<unsigned char, 65> line{};
        const int len = EVP_EncodeBlock(line.data(), der.data() + i, static_cast<int>(n));
        pem.append(reinterpret_cast<const char*>(line.data()), static_cast<std::size_t>(len));
        pem += '\n';
    }
    pem += PEM_FOOTER;
    pem += '\n';
    return pem;
}

Bytes PEM_cert_to_DER_cert(std::string_view pem) {
    // Python checks the header on the raw text but the footer after strip(), so leading
    // whitespace is an error and trailing whitespace is not.
    if (pem.substr(0, PEM_HEADER.size()) != PEM_HEADER) {
        throw std::invalid_argument("PEM_cert_to_DER_cert: invalid PEM encoding; must start with " +
                                    std::string(PEM_HEADER));
    }
    std::size_t end = pem.size();
    while (const std::size_t n = space_before(pem, end)) {
        end -= n;
    }
    const std::string_view stripped = pem.substr(0, end);
    if (stripped.size() < PEM_FOOTER.size() ||
        stripped.substr(stripped.size() - PEM_FOOTER.size()) != PEM_FOOTER) {
        throw std::invalid_argument("PEM_cert_to_DER_cert: invalid PEM encoding; must end with " +
                                    std::string(PEM_FOOTER));
    }
    // Header and footer may overlap in their dashes; Python's slice is then empty.
    const std::size_t body_end = stripped.size() - PEM_FOOTER.size();
    const std::string_view body =
        body_end > PEM_HEADER.size()
            ? stripped.substr(PEM_HEADER.size(), body_end - PEM_HEADER.size())
            : std::string_view();
    // Python encodes the body to ASCII before decoding it.
    if (std::any_of(body.begin(), body.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        throw std::invalid_argument("PEM_cert_to_DER_cert: non-ASCII character in the PEM body");
    }
    return python_b64decode(body);
}

std::int64_t cert_time_to_seconds(std::string_view cert_time) {
    return CertTimeParser(cert_time).parse();
}

}  // namespace tls
