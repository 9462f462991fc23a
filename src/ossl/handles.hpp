// RAII owners for OpenSSL handles. This is the only file that names *_free functions: every
// *_new, *_get1_*, PEM_read_* and d2i_* result is wrapped in one of these at once. Public classes,
// which may not name OpenSSL types (tls::Session, tls::MemoryBIO), hold a unique_ptr<void, ...>
// whose deleter, defined in src/, is the one here; they take new references with up_ref().
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>

namespace tls::ossl {

template <auto Fn>
struct Deleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        Fn(p);
    }
};

// OpenSSL 3.0's SSL_CTX_free flushes the session cache through a stack it allocates
// (SSL_CTX_flush_sessions); when that allocation fails it queues a malloc failure that no caller
// ever reports (tests/faults/openssl_quirks_test.cpp). The mark keeps whatever was queued before
// and drops only that.
inline void free_ssl_ctx(SSL_CTX* ctx) noexcept {
    ERR_set_mark();
    SSL_CTX_free(ctx);
    ERR_pop_to_mark();
}
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<free_ssl_ctx>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using X509VerifyParamPtr = std::unique_ptr<X509_VERIFY_PARAM, Deleter<X509_VERIFY_PARAM_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using SessionPtr = std::unique_ptr<SSL_SESSION, Deleter<SSL_SESSION_free>>;
using EvpKdfPtr = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF_free>>;
using EvpKdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using AsnIntegerPtr = std::unique_ptr<ASN1_INTEGER, Deleter<ASN1_INTEGER_free>>;
using AsnTimePtr = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;

inline void free_x509_stack(STACK_OF(X509) * s) noexcept {
    sk_X509_pop_free(s, X509_free);
}
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<free_x509_stack>>;

inline void free_openssl_string(char* s) noexcept {
    OPENSSL_free(s);
}
using OpensslStringPtr = std::unique_ptr<char, Deleter<free_openssl_string>>;

// An int array OpenSSL allocated for the caller (SSL_client_hello_get1_extensions_present).
inline void free_openssl_ints(int* p) noexcept {
    OPENSSL_free(p);
}
using OpensslIntsPtr = std::unique_ptr<int, Deleter<free_openssl_ints>>;

// The strings of a STACK_OF(OPENSSL_CSTRING) are borrowed (get0 lists): only the stack is freed.
inline void free_cstring_stack(STACK_OF(OPENSSL_CSTRING) * s) noexcept {
    sk_OPENSSL_CSTRING_free(s);
}
using CstringStackPtr = std::unique_ptr<STACK_OF(OPENSSL_CSTRING), Deleter<free_cstring_stack>>;

/// A C stdio file (the key log, certificate files read whole). Not OpenSSL's, but freed here so
/// that this stays the one file that releases resources by hand.
struct FileCloser {
    void operator()(std::FILE* f) const noexcept {
        std::fclose(f);  // NOLINT(cppcoreguidelines-owning-memory): the owner is this unique_ptr
    }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// fopen() into its owner; empty (errno set) when the file cannot be opened.
inline FilePtr open_file(const char* path, const char* mode) noexcept {
    return FilePtr(std::fopen(path, mode));  // NOLINT(cppcoreguidelines-owning-memory): ditto
}

/// New owners sharing an existing handle (the *_up_ref functions).
inline X509Ptr up_ref(X509* x) noexcept {
    X509_up_ref(x);
    return X509Ptr(x);
}
inline X509StorePtr up_ref(X509_STORE* s) noexcept {
    X509_STORE_up_ref(s);
    return X509StorePtr(s);
}
inline EvpPkeyPtr up_ref(EVP_PKEY* k) noexcept {
    EVP_PKEY_up_ref(k);
    return EvpPkeyPtr(k);
}
inline SslCtxPtr up_ref(SSL_CTX* c) noexcept {
    SSL_CTX_up_ref(c);
    return SslCtxPtr(c);
}
inline SessionPtr up_ref(SSL_SESSION* s) noexcept {
    SSL_SESSION_up_ref(s);
    return SessionPtr(s);
}
inline BioPtr up_ref(BIO* b) noexcept {
    BIO_up_ref(b);
    return BioPtr(b);
}

// Certificate building and inspection (the test PKI in pki.cpp and tests that parse its output).
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, Deleter<X509_REVOKED_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME_free>>;
using AsnStringPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING_free>>;
using AsnOctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING_free>>;
using AsnBitStringPtr = std::unique_ptr<ASN1_BIT_STRING, Deleter<ASN1_BIT_STRING_free>>;
using AccessDescriptionPtr = std::unique_ptr<ACCESS_DESCRIPTION, Deleter<ACCESS_DESCRIPTION_free>>;
using AuthorityInfoAccessPtr =
    std::unique_ptr<AUTHORITY_INFO_ACCESS, Deleter<AUTHORITY_INFO_ACCESS_free>>;
using DistPointPtr = std::unique_ptr<DIST_POINT, Deleter<DIST_POINT_free>>;
using DistPointNamePtr = std::unique_ptr<DIST_POINT_NAME, Deleter<DIST_POINT_NAME_free>>;
using CrlDistPointsPtr = std::unique_ptr<CRL_DIST_POINTS, Deleter<CRL_DIST_POINTS_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, Deleter<BASIC_CONSTRAINTS_free>>;
using AuthorityKeyIdPtr = std::unique_ptr<AUTHORITY_KEYID, Deleter<AUTHORITY_KEYID_free>>;
using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, Deleter<EXTENDED_KEY_USAGE_free>>;
using X509SigPtr = std::unique_ptr<X509_SIG, Deleter<X509_SIG_free>>;
using Pbe2ParamPtr = std::unique_ptr<PBE2PARAM, Deleter<PBE2PARAM_free>>;

inline void free_openssl_bytes(unsigned char* p) noexcept {
    OPENSSL_free(p);
}
/// Buffers OpenSSL allocates for the caller, such as ASN1_STRING_to_UTF8 output.
using OpensslBytesPtr = std::unique_ptr<unsigned char, Deleter<free_openssl_bytes>>;

}  // namespace tls::ossl

namespace tls::ossl {

// Offline chain verification (verify.cpp).
inline void free_x509_info_stack(STACK_OF(X509_INFO) * s) noexcept {
    sk_X509_INFO_pop_free(s, X509_INFO_free);
}
/// A parsed PEM bundle (certificates, CRLs) from PEM_X509_INFO_read_bio.
using X509InfoStackPtr = std::unique_ptr<STACK_OF(X509_INFO), Deleter<free_x509_info_stack>>;
using NameConstraintsPtr = std::unique_ptr<NAME_CONSTRAINTS, Deleter<NAME_CONSTRAINTS_free>>;
inline void free_x509_crl_stack(STACK_OF(X509_CRL) * s) noexcept {
    sk_X509_CRL_pop_free(s, X509_CRL_free);
}
using X509CrlStackPtr = std::unique_ptr<STACK_OF(X509_CRL), Deleter<free_x509_crl_stack>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;

}  // namespace tls::ossl

#include <openssl/ocsp.h>

namespace tls::ossl {

// OCSP stapling (ocsp.cpp, context_ocsp.cpp).
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, Deleter<OCSP_RESPONSE_free>>;
using OcspBasicRespPtr = std::unique_ptr<OCSP_BASICRESP, Deleter<OCSP_BASICRESP_free>>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, Deleter<OCSP_CERTID_free>>;
inline void free_asn1_integer_stack(STACK_OF(ASN1_INTEGER) * s) noexcept {
    sk_ASN1_INTEGER_pop_free(s, ASN1_INTEGER_free);
}
/// A TLS Feature extension (RFC 7633) decoded: the feature numbers.
using AsnIntegerStackPtr =
    std::unique_ptr<STACK_OF(ASN1_INTEGER), Deleter<free_asn1_integer_stack>>;

}  // namespace tls::ossl
