// tlsctx fuzzing — the record-structured input of the two handshake targets (fuzz_server_object,
// fuzz_client_object) and the seed generator. Header-only; no OpenSSL.
//
// An input is one configuration byte, then frames, each delivered to the Object under test as one
// write into its incoming MemoryBIO followed by one handshake (or read) step:
//
//   frame := kind:u8 length:u16be data[length]   (a short last frame takes what is left)
//   kind % 4 == 0  a TLS record: data[0] is the content type, the rest the body; the header's
//                  length field is right
//   kind % 4 == 1  a TLS record whose header lies: data[0] content type, data[1..2] the length
//                  written into the header, the rest the body
//   kind % 4 == 2  raw bytes, as they are (several records, half a record, garbage)
//   kind % 4 == 3  the target's real flight (a real handshake's ClientHello or server flight, made
//                  at start) with its first handshake message edited: data[0] is the record size
//                  the flight is cut into (0 = as it was), then edits of that message's extension
//                  list, each  op:u8 index:u8 type:u16be len:u8 bytes[len]  (op % 4: 0 drop the
//                  extension at index, 1 replace its body, 2 insert a new one before it,
//                  3 duplicate it); every length around the list is recomputed
//
// So the mutator moves record boundaries (kinds 0/2, the record size of kind 3), lengths (kind 1)
// and extension lists (kind 3) while byte-level mutation works inside each frame.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tls::fuzz {

/// Consumes an input front to back; reads past the end give zeros / what is left.
class Reader {
  public:
    Reader(const std::uint8_t* data, std::size_t size)
        : rest_(reinterpret_cast<const char*>(data), size) {}
    explicit Reader(std::string_view data) : rest_(data) {}

    bool empty() const { return rest_.empty(); }
    std::size_t size() const { return rest_.size(); }
    std::uint8_t u8() {
        if (rest_.empty()) {
            return 0;
        }
        const auto v = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return v;
    }
    std::uint16_t u16() {
        const std::uint16_t hi = u8();
        return static_cast<std::uint16_t>((hi << 8) | u8());
    }
    std::string_view take(std::size_t n) {
        n = std::min(n, rest_.size());
        std::string_view v = rest_.substr(0, n);
        rest_.remove_prefix(n);
        return v;
    }
    std::string_view rest() { return take(rest_.size()); }

  private:
    std::string_view rest_;
};

inline void put_u8(std::string& out, unsigned v) {
    out.push_back(static_cast<char>(v & 0xff));
}
inline void put_u16(std::string& out, unsigned v) {
    put_u8(out, v >> 8);
    put_u8(out, v);
}
inline void put_u24(std::string& out, unsigned v) {
    put_u8(out, v >> 16);
    put_u16(out, v);
}

enum class FrameKind : std::uint8_t { record = 0, lying_record = 1, raw = 2, real_flight = 3 };

/// One frame in the input encoding (for the seed generator).
inline std::string frame(FrameKind kind, std::string_view data) {
    std::string out;
    put_u8(out, static_cast<unsigned>(kind));
    put_u16(out, static_cast<unsigned>(data.size()));
    out.append(data);
    return out;
}

/// A TLS record with `body`, its header's length field `length` (the real one by default).
inline std::string record(std::uint8_t content_type, std::string_view body,
                          std::optional<std::uint16_t> length = std::nullopt,
                          std::uint16_t version = 0x0303) {
    std::string out;
    put_u8(out, content_type);
    put_u16(out, version);
    put_u16(out, length ? *length : static_cast<unsigned>(body.size()));
    out.append(body);
    return out;
}

struct Record {
    std::uint8_t type = 0;
    std::uint16_t version = 0;  // a first ClientHello's says TLS 1.0 (0x0301)
    std::string body;
};

/// The records of `wire`; a cut-off last record is dropped.
inline std::vector<Record> split_records(std::string_view wire) {
    std::vector<Record> out;
    Reader r(wire);
    while (r.size() >= 5) {
        Record rec;
        rec.type = r.u8();
        rec.version = r.u16();
        const std::uint16_t len = r.u16();
        if (r.size() < len) {
            break;
        }
        rec.body = std::string(r.take(len));
        out.push_back(std::move(rec));
    }
    return out;
}

/// A handshake message (ClientHello or ServerHello) taken apart around its extension list.
struct HelloMessage {
    std::string head;  // handshake fields before the extension list (without type and length)
    std::vector<std::pair<std::uint16_t, std::string>> extensions;
    std::uint8_t type = 0;

    std::string serialize() const {
        std::string ext;
        for (const auto& [ext_type, body] : extensions) {
            put_u16(ext, ext_type);
            put_u16(ext, static_cast<unsigned>(body.size()));
            ext += body;
        }
        std::string body = head;
        put_u16(body, static_cast<unsigned>(ext.size()));
        body += ext;
        std::string msg;
        put_u8(msg, type);
        put_u24(msg, static_cast<unsigned>(body.size()));
        return msg + body;
    }
};

/// Parses a ClientHello (type 1) or ServerHello (type 2); nullopt for anything else.
inline std::optional<HelloMessage> parse_hello(std::string_view msg) {
    Reader r(msg);
    HelloMessage m;
    m.type = r.u8();
    if ((m.type != 1 && m.type != 2) || r.size() < 3) {
        return std::nullopt;
    }
    const std::size_t len = (std::size_t{r.u8()} << 16) | r.u16();
    if (r.size() < len) {
        return std::nullopt;
    }
    Reader body(r.take(len));
    const std::size_t before = body.size();
    body.take(2 + 32);     // legacy_version, random
    body.take(body.u8());  // legacy_session_id
    if (m.type == 1) {
        body.take(body.u16());  // cipher_suites
        body.take(body.u8());   // legacy_compression_methods
    } else {
        body.take(2 + 1);  // cipher_suite, compression_method
    }
    const std::size_t head_len = before - body.size();
    m.head = std::string(msg.substr(4, head_len));
    Reader ext(body.take(body.u16()));
    while (ext.size() >= 4) {
        const std::uint16_t type = ext.u16();
        m.extensions.emplace_back(type, std::string(ext.take(ext.u16())));
    }
    return m;
}

/// Applies kind-3 edits (see the top comment) to `m`'s extension list.
inline void edit_extensions(HelloMessage& m, Reader& edits) {
    while (edits.size() >= 5) {
        const std::uint8_t op = edits.u8() % 4;
        const std::uint8_t index = edits.u8();
        const std::uint16_t type = edits.u16();
        const std::string body(edits.take(edits.u8()));
        auto& ext = m.extensions;
        const std::size_t at = ext.empty() ? 0 : index % ext.size();
        if (op == 2 || ext.empty()) {
            ext.insert(ext.begin() + static_cast<std::ptrdiff_t>(at), {type, body});
        } else if (op == 0) {
            ext.erase(ext.begin() + static_cast<std::ptrdiff_t>(at));
        } else if (op == 1) {
            ext[at].second = body;
        } else if (ext.size() < 64) {
            ext.insert(ext.begin() + static_cast<std::ptrdiff_t>(at), ext[at]);
        }
    }
}

/// Handshake-layer bytes cut into records of `size` bytes each (0 = one record).
inline std::string as_records(std::string_view handshake, std::size_t size, std::uint16_t version) {
    std::string out;
    if (size == 0) {
        size = 16384;
    }
    do {
        const std::string_view part = handshake.substr(0, size);
        out += record(22, part, std::nullopt, version);
        handshake.remove_prefix(part.size());
    } while (!handshake.empty());
    return out;
}

/// The bytes of a kind-3 frame: `flight` (whole records as a real peer sent them) with its first
/// handshake message edited by `data`. When the first record does not start with a hello, the
/// flight goes out unchanged.
inline std::string real_flight(std::string_view flight, std::string_view data) {
    Reader r(data);
    const std::size_t record_size = r.u8();
    const auto records = split_records(flight);
    if (records.empty() || records.front().type != 22) {
        return std::string(flight);
    }
    // The first record holds the hello (and, in TLS 1.2, the messages after it).
    const std::string& first = records.front().body;
    if (first.size() < 4) {
        return std::string(flight);
    }
    const std::size_t hello_len = 4 + ((std::size_t{static_cast<std::uint8_t>(first[1])} << 16) |
                                       (std::size_t{static_cast<std::uint8_t>(first[2])} << 8) |
                                       static_cast<std::uint8_t>(first[3]));
    auto hello = parse_hello(std::string_view(first).substr(0, hello_len));
    if (!hello) {
        return std::string(flight);
    }
    edit_extensions(*hello, r);
    std::string handshake = hello->serialize();
    if (hello_len < first.size()) {
        handshake += first.substr(hello_len);
    }
    std::string out = as_records(handshake, record_size, records.front().version);
    for (std::size_t i = 1; i < records.size(); ++i) {
        out += record(records[i].type, records[i].body, std::nullopt, records[i].version);
    }
    return out;
}

/// The bytes frame `kind`/`data` delivers; `flight` is the target's real flight.
inline std::string frame_bytes(std::uint8_t kind, std::string_view data, std::string_view flight) {
    Reader r(data);
    switch (static_cast<FrameKind>(kind % 4)) {
        case FrameKind::record: {
            const std::uint8_t type = r.u8();
            return record(type, r.rest());
        }
        case FrameKind::lying_record: {
            const std::uint8_t type = r.u8();
            const std::uint16_t length = r.u16();
            return record(type, r.rest(), length);
        }
        case FrameKind::raw:
            return std::string(data);
        case FrameKind::real_flight:
        default:
            return real_flight(flight, data);
    }
}

}  // namespace tls::fuzz
