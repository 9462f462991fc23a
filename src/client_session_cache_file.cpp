// The file format of ClientSessionCache::save/load (docs/fleet.md, "Client session cache"):
// a magic, a format version, the entries, and a SHA-256 of everything before it so a truncated
// or damaged file is refused instead of half loaded. Integers are big-endian.
//
//   "TLSCTXSC"  u32 version (1)  u32 entry count
//   per entry:  u16 len + host, u16 port, u16 len + SNI, u16 count + (u8 len + protocol)...,
//               u16 count + (u32 len + Session::to_bytes())...   (newest session first)
//   32 bytes    SHA-256 of all the bytes above
//
// The checksum detects accidents, not attackers: whoever can write the file can also write a
// valid checksum, which is why save() makes it readable by its owner only.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "client_session_cache_state.hpp"
#include "ossl/error.hpp"
#include "tls/client_session_cache.hpp"
#include "tls/errors.hpp"

namespace tls {
namespace {

using detail::ClientSessionCacheState;
using Reason = ClientSessionCacheFileError::Reason;

constexpr char kMagic[8] = {'T', 'L', 'S', 'C', 'T', 'X', 'S', 'C'};
constexpr std::size_t kDigestSize = 32;
constexpr std::size_t kHeaderSize = sizeof kMagic + 4 + 4;
// Far beyond any real cache (1024 keys x 8 tickets of ~2 KB); refuses to read a huge foreign file.
constexpr std::size_t kMaxFileSize = std::size_t{256} * 1024 * 1024;

// Secrets live in these buffers: wiped before their memory is released.
struct SecretBuffer {
    Bytes data;
    SecretBuffer() = default;
    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    ~SecretBuffer() { OPENSSL_cleanse(data.data(), data.size()); }
};

std::system_error file_error(const std::string& what, const std::string& path, int err = errno) {
    return std::system_error(err, std::generic_category(), what + ": " + path);
}

void put_uint(Bytes& out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out.push_back(static_cast<unsigned char>(value >> (8 * i)));
    }
}

void put_field(Bytes& out, const std::string& s, int length_bytes) {
    put_uint(out, s.size(), length_bytes);
    out.insert(out.end(), s.begin(), s.end());
}

Bytes sha256(const unsigned char* data, std::size_t size) {
    Bytes md(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (EVP_Digest(data, size, md.data(), &len, EVP_sha256(), nullptr) != 1 || len != kDigestSize) {
        ossl::throw_error("ClientSessionCache", "SHA-256 is not available");
    }
    md.resize(len);
    return md;
}

// Reads what save() wrote; every read is bounds-checked.
class Reader {
  public:
    Reader(const Bytes& data, std::size_t end) : data_(data), end_(end) {}
    std::uint64_t uint(int bytes) {
        need(static_cast<std::size_t>(bytes));
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) {
            v = (v << 8) | data_[pos_++];
        }
        return v;
    }
    std::string string(int length_bytes) {
        const auto n = static_cast<std::size_t>(uint(length_bytes));
        need(n);
        std::string s(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                      data_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
        pos_ += n;
        return s;
    }
    Bytes bytes(int length_bytes) {
        const auto n = static_cast<std::size_t>(uint(length_bytes));
        need(n);
        Bytes b(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                data_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
        pos_ += n;
        return b;
    }
    void skip(std::size_t n) {
        need(n);
        pos_ += n;
    }
    bool done() const noexcept { return pos_ == end_; }

  private:
    void need(std::size_t n) const {
        if (n > end_ - pos_) {
            throw ClientSessionCacheFileError(Reason::corrupt,
                                              "ClientSessionCache::load: truncated entry");
        }
    }
    const Bytes& data_;
    std::size_t end_;
    std::size_t pos_ = 0;
};

struct LoadedEntry {
    ClientSessionKey key;
    std::vector<Session> sessions;  // newest first
};

std::vector<LoadedEntry> parse(const Bytes& file) {
    if (file.size() < sizeof kMagic || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
        throw ClientSessionCacheFileError(Reason::not_a_cache_file,
                                          "ClientSessionCache::load: not a session cache file");
    }
    if (file.size() < kHeaderSize + kDigestSize) {
        throw ClientSessionCacheFileError(Reason::corrupt,
                                          "ClientSessionCache::load: truncated file");
    }
    const std::size_t body = file.size() - kDigestSize;
    Reader r(file, body);
    r.skip(sizeof kMagic);
    const std::uint64_t version = r.uint(4);
    if (version != ClientSessionCache::kFileFormatVersion) {
        throw ClientSessionCacheFileError(
            Reason::unsupported_version,
            "ClientSessionCache::load: format version " + std::to_string(version) +
                " (this library reads version " +
                std::to_string(ClientSessionCache::kFileFormatVersion) + ")");
    }
    if (sha256(file.data(), body) !=
        Bytes(file.begin() + static_cast<std::ptrdiff_t>(body), file.end())) {
        throw ClientSessionCacheFileError(Reason::corrupt,
                                          "ClientSessionCache::load: checksum mismatch");
    }
    std::vector<LoadedEntry> entries;
    const std::uint64_t count = r.uint(4);
    for (std::uint64_t i = 0; i < count; ++i) {
        LoadedEntry e;
        e.key.host = r.string(2);
        e.key.port = static_cast<std::uint16_t>(r.uint(2));
        e.key.server_name = r.string(2);
        for (std::uint64_t n = r.uint(2); n > 0; --n) {
            e.key.alpn.push_back(r.string(1));
        }
        for (std::uint64_t n = r.uint(2); n > 0; --n) {
            SecretBuffer der;
            der.data = r.bytes(4);
            try {
                e.sessions.push_back(Session::from_bytes(der.data));
            } catch (const SSLError&) {
                throw ClientSessionCacheFileError(
                    Reason::corrupt,
                    "ClientSessionCache::load: malformed session in entry " + std::to_string(i));
            }
        }
        entries.push_back(std::move(e));
    }
    if (!r.done()) {
        throw ClientSessionCacheFileError(Reason::corrupt,
                                          "ClientSessionCache::load: data after the last entry");
    }
    return entries;
}

void read_file(const std::string& path, Bytes& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw file_error("ClientSessionCache::load: cannot open", path);
    }
    unsigned char buffer[16384];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            OPENSSL_cleanse(buffer, sizeof buffer);
            throw file_error("ClientSessionCache::load: cannot read", path, err);
        }
        if (n == 0) {
            break;
        }
        out.insert(out.end(), buffer, buffer + n);
        if (out.size() > kMaxFileSize) {
            ::close(fd);
            OPENSSL_cleanse(buffer, sizeof buffer);
            throw ClientSessionCacheFileError(Reason::not_a_cache_file,
                                              "ClientSessionCache::load: file too large: " + path);
        }
    }
    ::close(fd);
    OPENSSL_cleanse(buffer, sizeof buffer);
}

void write_all(int fd, const Bytes& data, const std::string& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw file_error("ClientSessionCache::save: cannot write", path);
        }
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace

void ClientSessionCache::save(const std::string& path) const {
    std::vector<LoadedEntry> snapshot;
    {
        std::lock_guard<std::mutex> lock(state_->mutex);
        const auto now = std::chrono::system_clock::now();
        for (const ClientSessionCacheState::Entry& entry : state_->lru) {
            LoadedEntry e{entry.key, {}};
            for (const Session& s : entry.sessions) {
                if (!detail::session_expired(s, now)) {
                    e.sessions.push_back(s);
                }
            }
            if (!e.sessions.empty()) {
                snapshot.push_back(std::move(e));
            }
        }
    }
    SecretBuffer out;
    out.data.insert(out.data.end(), kMagic, kMagic + sizeof kMagic);
    put_uint(out.data, kFileFormatVersion, 4);
    put_uint(out.data, snapshot.size(), 4);
    for (const LoadedEntry& e : snapshot) {
        put_field(out.data, e.key.host, 2);
        put_uint(out.data, e.key.port, 2);
        put_field(out.data, e.key.server_name, 2);
        put_uint(out.data, e.key.alpn.size(), 2);
        for (const std::string& p : e.key.alpn) {
            put_field(out.data, p, 1);
        }
        put_uint(out.data, e.sessions.size(), 2);
        for (const Session& s : e.sessions) {
            SecretBuffer der;
            der.data = s.to_bytes();
            put_uint(out.data, der.data.size(), 4);
            out.data.insert(out.data.end(), der.data.begin(), der.data.end());
        }
    }
    const Bytes digest = sha256(out.data.data(), out.data.size());
    out.data.insert(out.data.end(), digest.begin(), digest.end());

    // mkstemp creates the file with mode 0600 in the target's directory, so the rename below
    // replaces `path` in one step and never crosses a file system.
    std::string temp = path + ".XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) {
        throw file_error("ClientSessionCache::save: cannot create a temporary file for", path);
    }
    try {
        if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
            throw file_error("ClientSessionCache::save: cannot restrict the mode of", temp);
        }
        write_all(fd, out.data, temp);
        if (::fsync(fd) != 0) {
            throw file_error("ClientSessionCache::save: cannot flush", temp);
        }
    } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
    }
    // Closed exactly once, outside the handler above: a second close(2) of a descriptor number
    // another thread may already have reused would close that thread's file.
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw file_error("ClientSessionCache::save: cannot close", temp, err);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp.c_str());
        throw file_error("ClientSessionCache::save: cannot rename to", path, err);
    }
}

void ClientSessionCache::load(const std::string& path) {
    SecretBuffer file;
    read_file(path, file.data);
    std::vector<LoadedEntry> entries = parse(file.data);
    std::lock_guard<std::mutex> lock(state_->mutex);
    const auto now = std::chrono::system_clock::now();
    // Oldest first, so the file's most recently used key and newest ticket end up in front.
    for (auto e = entries.rbegin(); e != entries.rend(); ++e) {
        for (auto s = e->sessions.rbegin(); s != e->sessions.rend(); ++s) {
            state_->put_locked(e->key, *s, now);
        }
    }
}

}  // namespace tls
