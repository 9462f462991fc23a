// The NSS key log (`dangerous().set_keylog_filename`, SSLKEYLOGFILE): the logged secrets are
// proved right by decrypting the connection's own records with keys derived in this test from
// the log alone (RFC 8446 section 7 for TLS 1.3, RFC 5246 section 6.3 for TLS 1.2), on bytes
// captured between two in-memory tls::Objects.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/feature_helpers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::Bytes;
using tls::test::describe;
using tls::test::TestPki;
using tls::test::feature::client_context;
using tls::test::feature::Endpoint;
using tls::test::feature::hex;
using tls::test::feature::server_context;
using tls::test::feature::TempDir;
using tls::test::feature::unhex;

// label -> client random (hex) -> secret, from an NSS key log file.
using KeyLog = std::map<std::string, std::map<std::string, Bytes>>;

std::vector<std::string> keylog_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] != '#') {
            lines.push_back(line);
        }
    }
    return lines;
}

KeyLog parse_keylog(const std::string& path) {
    KeyLog log;
    for (const std::string& line : keylog_lines(path)) {
        std::istringstream fields(line);
        std::string label, random, secret, extra;
        fields >> label >> random >> secret;
        EXPECT_FALSE(fields >> extra) << "more than three fields: " << line;
        EXPECT_EQ(random.size(), 64u) << line;
        log[label][random] = unhex(secret);
    }
    return log;
}

Bytes to_bytes(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

// One TLS record off the wire.
struct Record {
    int type;
    Bytes header;   // the 5 header bytes (the TLS 1.3 AAD)
    Bytes payload;  // what follows the header
};

std::vector<Record> split_records(const std::vector<std::string>& chunks) {
    std::string all;
    for (const std::string& c : chunks) {
        all += c;
    }
    std::vector<Record> out;
    std::size_t at = 0;
    while (at + 5 <= all.size()) {
        auto len = static_cast<std::size_t>(static_cast<unsigned char>(all[at + 3]) << 8 |
                                            static_cast<unsigned char>(all[at + 4]));
        if (at + 5 + len > all.size()) {
            break;
        }
        out.push_back({static_cast<unsigned char>(all[at]), to_bytes(all.substr(at, 5)),
                       to_bytes(all.substr(at + 5, len))});
        at += 5 + len;
    }
    return out;
}

std::vector<Record> records_of_type(const std::vector<std::string>& chunks, int type) {
    std::vector<Record> out;
    for (Record& r : split_records(chunks)) {
        if (r.type == type) {
            out.push_back(std::move(r));
        }
    }
    return out;
}

// The random of a ClientHello / ServerHello: the first message of a side's first record.
std::string hello_random_hex(const std::vector<std::string>& chunks) {
    // record header (5) + handshake header (4) + legacy_version (2)
    return hex(to_bytes(chunks.at(0).substr(11, 32)));
}

Bytes hmac(const EVP_MD* md, const Bytes& key, const Bytes& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(), out, &len);
    return Bytes(out, out + len);
}

// RFC 8446 section 7.1 HKDF-Expand-Label with an empty context, for lengths up to one hash.
Bytes hkdf_expand_label(const EVP_MD* md, const Bytes& secret, const std::string& label,
                        std::size_t length) {
    const std::string full = "tls13 " + label;
    Bytes info{static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length & 0xFF),
               static_cast<std::uint8_t>(full.size())};
    info.insert(info.end(), full.begin(), full.end());
    info.push_back(0);  // empty context
    info.push_back(1);  // HKDF-Expand's block counter
    Bytes t1 = hmac(md, secret, info);
    t1.resize(length);
    return t1;
}

// RFC 5246 section 5 P_hash.
Bytes p_hash(const EVP_MD* md, const Bytes& secret, const Bytes& seed, std::size_t length) {
    Bytes out, a = seed;
    while (out.size() < length) {
        a = hmac(md, secret, a);
        Bytes input = a;
        input.insert(input.end(), seed.begin(), seed.end());
        Bytes block = hmac(md, secret, input);
        out.insert(out.end(), block.begin(), block.end());
    }
    out.resize(length);
    return out;
}

// AEAD decryption with a 16-byte tag at the end; std::nullopt when the tag does not verify.
std::optional<Bytes> aead_open(const EVP_CIPHER* cipher, const Bytes& key, const Bytes& nonce,
                               const Bytes& aad, const Bytes& sealed) {
    if (sealed.size() < 16) {
        return std::nullopt;
    }
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                        &EVP_CIPHER_CTX_free);
    Bytes tag(sealed.end() - 16, sealed.end());
    Bytes out(sealed.size() - 16 + 16);
    int len = 0, total = 0;
    bool ok = EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN,
                                  static_cast<int>(nonce.size()), nullptr) == 1 &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) == 1 &&
              EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(),
                                static_cast<int>(aad.size())) == 1 &&
              EVP_DecryptUpdate(ctx.get(), out.data(), &len, sealed.data(),
                                static_cast<int>(sealed.size() - 16)) == 1;
    total = len;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, 16, tag.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), out.data() + total, &len) == 1;
    if (!ok) {
        return std::nullopt;
    }
    out.resize(static_cast<std::size_t>(total + len));
    return out;
}

struct Tls13Suite {
    const EVP_CIPHER* cipher;
    const EVP_MD* md;
    std::size_t key_len;
};

Tls13Suite tls13_suite(const std::string& name) {
    if (name == "TLS_AES_128_GCM_SHA256")
        return {EVP_aes_128_gcm(), EVP_sha256(), 16};
    if (name == "TLS_AES_256_GCM_SHA384")
        return {EVP_aes_256_gcm(), EVP_sha384(), 32};
    if (name == "TLS_CHACHA20_POLY1305_SHA256")
        return {EVP_chacha20_poly1305(), EVP_sha256(), 32};
    throw std::invalid_argument("unexpected TLS 1.3 suite " + name);
}

// Decrypts a TLS 1.3 record sent with sequence number `seq` under `secret`; returns the inner
// plaintext with its content type as the last byte (padding removed).
std::optional<Bytes> tls13_open(const Tls13Suite& suite, const Bytes& secret, std::uint64_t seq,
                                const Record& record) {
    Bytes key = hkdf_expand_label(suite.md, secret, "key", suite.key_len);
    Bytes nonce = hkdf_expand_label(suite.md, secret, "iv", 12);
    for (int i = 0; i < 8; ++i) {
        nonce[11 - i] ^= static_cast<std::uint8_t>(seq >> (8 * i));
    }
    std::optional<Bytes> inner = aead_open(suite.cipher, key, nonce, record.header, record.payload);
    while (inner && !inner->empty() && inner->back() == 0) {
        inner->pop_back();
    }
    return inner;
}

class KeyLogFiles : public ::testing::Test {
  protected:
    TempDir dir;
    std::string client_log = dir.path("client.keys");
    std::string server_log = dir.path("server.keys");
};

TEST_F(KeyLogFiles, Tls13SecretsInTheLogDecryptTheConnectionsRecords) {
    tls::Context client = client_context();
    tls::Context server = server_context();
    client.dangerous().set_keylog_filename(client_log);
    server.dangerous().set_keylog_filename(server_log);
    EXPECT_EQ(client.keylog_filename(), client_log);

    Endpoint c, s;
    c.object = client.wrap_bio(c.incoming, c.outgoing, tls::WrapOptions::client("localhost"));
    s.object = server.wrap_bio(s.incoming, s.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(tls::test::feature::pump_handshake(c, s));
    const std::size_t handshake_chunks = c.sent.size();
    const std::string probe = "tlsctx key log probe 1.3";
    ASSERT_EQ(c.object.write(probe), probe.size());
    tls::test::feature::transfer(c, s);
    ASSERT_EQ(s.object.read(), probe);

    const std::string random = hello_random_hex(c.sent);
    KeyLog log = parse_keylog(client_log);
    for (const char* label :
         {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
          "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}) {
        ASSERT_EQ(log[label].count(random), 1u) << label << " missing for this ClientHello";
    }
    const Tls13Suite suite = tls13_suite(c.object.cipher()->name);

    // The client's application data: the last record it sent.
    std::vector<std::string> app_chunks(c.sent.begin() + static_cast<long>(handshake_chunks),
                                        c.sent.end());
    std::vector<Record> app = records_of_type(app_chunks, 23);
    ASSERT_EQ(app.size(), 1u);
    std::optional<Bytes> inner =
        tls13_open(suite, log["CLIENT_TRAFFIC_SECRET_0"][random], 0, app[0]);
    ASSERT_TRUE(inner.has_value()) << "CLIENT_TRAFFIC_SECRET_0 does not decrypt";
    EXPECT_EQ(inner->back(), 23);  // application_data
    inner->pop_back();
    EXPECT_EQ(std::string(inner->begin(), inner->end()), probe);
    // The other direction's secret must not open it (the check can fail).
    EXPECT_FALSE(tls13_open(suite, log["SERVER_TRAFFIC_SECRET_0"][random], 0, app[0]));

    // The client's Finished: its first encrypted record, under the handshake secret.
    std::vector<std::string> hs_chunks(c.sent.begin(),
                                       c.sent.begin() + static_cast<long>(handshake_chunks));
    std::vector<Record> client_hs = records_of_type(hs_chunks, 23);
    ASSERT_FALSE(client_hs.empty());
    inner = tls13_open(suite, log["CLIENT_HANDSHAKE_TRAFFIC_SECRET"][random], 0, client_hs[0]);
    ASSERT_TRUE(inner.has_value()) << "CLIENT_HANDSHAKE_TRAFFIC_SECRET does not decrypt";
    EXPECT_EQ(inner->back(), 22);   // handshake
    EXPECT_EQ(inner->front(), 20);  // Finished
    // The server's first encrypted record: EncryptedExtensions.
    std::vector<Record> server_hs = records_of_type(s.sent, 23);
    ASSERT_FALSE(server_hs.empty());
    inner = tls13_open(suite, log["SERVER_HANDSHAKE_TRAFFIC_SECRET"][random], 0, server_hs[0]);
    ASSERT_TRUE(inner.has_value()) << "SERVER_HANDSHAKE_TRAFFIC_SECRET does not decrypt";
    EXPECT_EQ(inner->front(), 8);  // EncryptedExtensions

    // Both ends log the same secrets for the same connection.
    std::vector<std::string> a = keylog_lines(client_log), b = keylog_lines(server_log);
    EXPECT_EQ(std::set<std::string>(a.begin(), a.end()), std::set<std::string>(b.begin(), b.end()));
}

TEST_F(KeyLogFiles, Tls12MasterSecretInTheLogDecryptsTheConnectionsRecords) {
    tls::Context client = client_context();
    client.set_maximum_version(tls::TLSVersion::TLSv1_2);
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256");
    tls::Context server = server_context();
    client.dangerous().set_keylog_filename(client_log);
    server.dangerous().set_keylog_filename(server_log);

    Endpoint c, s;
    c.object = client.wrap_bio(c.incoming, c.outgoing, tls::WrapOptions::client("localhost"));
    s.object = server.wrap_bio(s.incoming, s.outgoing, tls::WrapOptions::server());
    ASSERT_FALSE(tls::test::feature::pump_handshake(c, s));
    ASSERT_EQ(c.object.cipher()->name, "ECDHE-ECDSA-AES128-GCM-SHA256");
    const std::string probe = "tlsctx key log probe 1.2";
    ASSERT_EQ(c.object.write(probe), probe.size());
    tls::test::feature::transfer(c, s);
    ASSERT_EQ(s.object.read(), probe);

    const std::string client_random = hello_random_hex(c.sent);
    const std::string server_random = hello_random_hex(s.sent);
    KeyLog log = parse_keylog(client_log);
    ASSERT_EQ(log["CLIENT_RANDOM"].count(client_random), 1u);
    const Bytes master = log["CLIENT_RANDOM"][client_random];
    ASSERT_EQ(master.size(), 48u);

    // key_block = PRF(master, "key expansion", server_random + client_random): client key,
    // server key, client IV salt, server IV salt (AES-128-GCM: no MAC keys).
    Bytes seed = to_bytes("key expansion");
    Bytes sr = unhex(server_random), cr = unhex(client_random);
    seed.insert(seed.end(), sr.begin(), sr.end());
    seed.insert(seed.end(), cr.begin(), cr.end());
    Bytes block = p_hash(EVP_sha256(), master, seed, 40);
    Bytes client_key(block.begin(), block.begin() + 16);
    Bytes client_salt(block.begin() + 32, block.begin() + 36);

    // Encrypted client records: Finished (sequence 0), then the probe (sequence 1).
    auto open = [&](const Record& r, std::uint64_t seq) -> std::optional<Bytes> {
        Bytes nonce = client_salt;
        nonce.insert(nonce.end(), r.payload.begin(), r.payload.begin() + 8);
        Bytes sealed(r.payload.begin() + 8, r.payload.end());
        Bytes aad;
        for (int i = 7; i >= 0; --i)
            aad.push_back(static_cast<std::uint8_t>(seq >> (8 * i)));
        const std::size_t plain_len = sealed.size() - 16;
        aad.insert(aad.end(), {static_cast<std::uint8_t>(r.type), 0x03, 0x03,
                               static_cast<std::uint8_t>(plain_len >> 8),
                               static_cast<std::uint8_t>(plain_len & 0xFF)});
        return aead_open(EVP_aes_128_gcm(), client_key, nonce, aad, sealed);
    };
    std::vector<Record> records = split_records(c.sent);
    std::size_t ccs = 0;
    while (ccs < records.size() && records[ccs].type != 20)
        ++ccs;
    ASSERT_LT(ccs, records.size()) << "no ChangeCipherSpec from the client";
    ASSERT_EQ(records.size(), ccs + 3);  // ..., CCS, Finished, probe
    std::optional<Bytes> finished = open(records[ccs + 1], 0);
    ASSERT_TRUE(finished.has_value()) << "the master secret does not decrypt Finished";
    EXPECT_EQ(finished->front(), 20);
    std::optional<Bytes> data = open(records[ccs + 2], 1);
    ASSERT_TRUE(data.has_value()) << "the master secret does not decrypt the application data";
    EXPECT_EQ(std::string(data->begin(), data->end()), probe);
    // A wrong sequence number fails authentication: the check can fail.
    EXPECT_FALSE(open(records[ccs + 2], 2).has_value());

    std::vector<std::string> a = keylog_lines(client_log), b = keylog_lines(server_log);
    EXPECT_EQ(std::set<std::string>(a.begin(), a.end()), std::set<std::string>(b.begin(), b.end()));
}

TEST_F(KeyLogFiles, EmptyFilenameTurnsLoggingOff) {
    tls::Context client = client_context();
    client.dangerous().set_keylog_filename(client_log);
    client.dangerous().set_keylog_filename("");
    EXPECT_EQ(client.keylog_filename(), "");
    tls::test::TlsPair pair =
        tls::test::handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_TRUE(keylog_lines(client_log).empty());
}

TEST_F(KeyLogFiles, LogFileThatCannotBeOpenedThrowsSystemError) {
    tls::Context client = client_context();
    EXPECT_THROW(client.dangerous().set_keylog_filename(dir.path("missing-dir/keys")),
                 std::system_error);
    EXPECT_EQ(client.keylog_filename(), "");
}

TEST_F(KeyLogFiles, EveryConnectionIsAppended) {
    tls::Context client = client_context();
    client.dangerous().set_keylog_filename(client_log);
    for (int i = 0; i < 2; ++i) {
        tls::test::TlsPair pair = tls::test::handshake_pair(client, server_context(),
                                                            tls::WrapOptions::client("localhost"));
        ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    }
    EXPECT_EQ(parse_keylog(client_log)["CLIENT_TRAFFIC_SECRET_0"].size(), 2u);
}

// Sets an environment variable for one scope.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST_F(KeyLogFiles, CreateDefaultContextHonoursSslKeyLogFile) {
    ScopedEnv env("SSLKEYLOGFILE", client_log);
    tls::Context client =
        tls::create_default_context(tls::Purpose::SERVER_AUTH, TestPki::get().ca_cert());
    EXPECT_EQ(client.keylog_filename(), client_log);
    tls::test::TlsPair pair =
        tls::test::handshake_pair(client, server_context(), tls::WrapOptions::client("localhost"));
    ASSERT_FALSE(pair.client_error) << describe(pair.client_error);
    EXPECT_EQ(parse_keylog(client_log)["CLIENT_TRAFFIC_SECRET_0"].size(), 1u);

    // Python: server contexts from create_default_context too.
    EXPECT_EQ(tls::create_default_context(tls::Purpose::CLIENT_AUTH).keylog_filename(), client_log);
}

TEST_F(KeyLogFiles, UnverifiedContextHonoursSslKeyLogFileAsPythonsDoes) {
    // Python's ssl._create_unverified_context reads SSLKEYLOGFILE exactly like
    // create_default_context.
    ScopedEnv env("SSLKEYLOGFILE", client_log);
    EXPECT_EQ(tls::dangerous::create_unverified_context().keylog_filename(), client_log);
}

TEST_F(KeyLogFiles, PlainContextIgnoresSslKeyLogFile) {
    ScopedEnv env("SSLKEYLOGFILE", client_log);
    EXPECT_EQ(tls::Context().keylog_filename(), "");
    EXPECT_EQ(tls::Context(tls::PROTOCOL_TLS_CLIENT).keylog_filename(), "");
}

}  // namespace
