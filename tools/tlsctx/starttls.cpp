// The plaintext dialogues of --starttls, each as its RFC has it: SMTP (RFC 3207), IMAP and POP3
// (RFC 2595), FTP (RFC 4217), XMPP (RFC 6120 section 5), LDAP (RFC 4511 section 4.14) and
// PostgreSQL's SSLRequest (its protocol documentation, "SSL Session Encryption").
#include "tlsctx/starttls.hpp"

#include <sys/socket.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "tlsctx/commands.hpp"

namespace tlsctx_tool {
namespace {

constexpr std::array<std::string_view, 7> kNames = {"smtp", "imap", "pop3",    "ftp",
                                                    "xmpp", "ldap", "postgres"};
constexpr std::size_t kMaxAnswer = 64 * 1024;  // no greeting or feature list is this long

// One plaintext conversation on a blocking socket: what was read and not yet consumed stays in
// buffer_, so a line-oriented protocol never reads past an answer it has not parsed yet.
class Conversation {
  public:
    Conversation(int fd, StartTls protocol, tls::Timeout timeout)
        : fd_(fd), name_(starttls_name(protocol)), timeout_(timeout) {}

    void send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw std::system_error(errno, std::generic_category(),
                                        "starttls " + std::string(name_) + ": send");
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // The next line without its CR LF (or LF).
    std::string line() {
        for (;;) {
            const std::size_t end = buffer_.find('\n');
            if (end != std::string::npos) {
                std::string out = buffer_.substr(0, end);
                buffer_.erase(0, end + 1);
                if (!out.empty() && out.back() == '\r') {
                    out.pop_back();
                }
                return out;
            }
            fill("a line");
        }
    }

    // Exactly `n` bytes.
    std::string bytes(std::size_t n) {
        while (buffer_.size() < n) {
            fill(std::to_string(n) + " bytes");
        }
        std::string out = buffer_.substr(0, n);
        buffer_.erase(0, n);
        return out;
    }

    // Everything up to and including the first `marker`.
    std::string through(std::string_view marker, std::string_view what) {
        for (;;) {
            const std::size_t at = buffer_.find(marker);
            if (at != std::string::npos) {
                std::string out = buffer_.substr(0, at + marker.size());
                buffer_.erase(0, at + marker.size());
                return out;
            }
            fill(std::string(what));
        }
    }

    // After the answer that starts TLS nothing may be left: bytes sent before our ClientHello
    // would be read as the first TLS records of the server.
    void expect_nothing_more() const {
        if (!buffer_.empty()) {
            fail("the server sent " + std::to_string(buffer_.size()) +
                 " more plaintext byte(s) after agreeing to start TLS; refusing them (a "
                 "STARTTLS command injection would look like this)");
        }
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("starttls " + std::string(name_) + ": " + what);
    }

  private:
    void fill(const std::string& wanted) {
        if (buffer_.size() > kMaxAnswer) {
            fail("the server's answer is longer than 64 KiB");
        }
        if (timeout_ && !wait_readable(fd_, *timeout_)) {
            throw std::system_error(std::make_error_code(std::errc::timed_out),
                                    "starttls " + std::string(name_) + ": waiting for " + wanted);
        }
        std::array<char, 4096> chunk{};
        ssize_t n = 0;
        do {
            n = ::recv(fd_, chunk.data(), chunk.size(), 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            throw std::system_error(errno, std::generic_category(),
                                    "starttls " + std::string(name_) + ": recv");
        }
        if (n == 0) {
            fail("the server closed the connection while we waited for " + wanted +
                 (buffer_.empty() ? "" : " (it had sent: \"" + printable(buffer_) + "\")"));
        }
        buffer_.append(chunk.data(), static_cast<std::size_t>(n));
    }

    static std::string printable(const std::string& text) {
        std::string out;
        for (char c : text.substr(0, 200)) {
            out += std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '.';
        }
        return out;
    }

    int fd_;
    std::string_view name_;
    tls::Timeout timeout_;
    std::string buffer_;
};

// SMTP and FTP replies: "250-first", "250-more", "250 last" (RFC 5321 4.2.1, RFC 959 4.2).
// FTP's continuation lines may be any text; the reply ends at the line "<code> ".
struct Reply {
    int code = 0;
    std::vector<std::string> lines;
    std::string last() const { return lines.empty() ? std::string() : lines.back(); }
};

Reply read_reply(Conversation& c) {
    Reply reply;
    std::string first = c.line();
    if (first.size() < 3 || std::isdigit(static_cast<unsigned char>(first[0])) == 0 ||
        std::isdigit(static_cast<unsigned char>(first[1])) == 0 ||
        std::isdigit(static_cast<unsigned char>(first[2])) == 0) {
        c.fail("expected a numbered reply, got \"" + first + "\"");
    }
    reply.code = std::stoi(first.substr(0, 3));
    const std::string code = first.substr(0, 3);
    reply.lines.push_back(first);
    if (first.size() > 3 && first[3] == '-') {
        for (;;) {
            std::string line = c.line();
            reply.lines.push_back(line);
            if (line == code || line.rfind(code + " ", 0) == 0) {
                break;
            }
        }
    }
    return reply;
}

bool contains_word(const std::vector<std::string>& lines, std::string_view word) {
    for (const std::string& line : lines) {
        std::string upper;
        for (char c : line) {
            upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        if (upper.find(word) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string smtp(Conversation& c) {
    const Reply greeting = read_reply(c);
    if (greeting.code != 220) {
        c.fail("the server's greeting is not 220: \"" + greeting.last() + "\"");
    }
    c.send("EHLO tlsctx.invalid\r\n");
    const Reply ehlo = read_reply(c);
    if (ehlo.code != 250) {
        c.fail("EHLO was answered \"" + ehlo.last() + "\"");
    }
    if (!contains_word(ehlo.lines, "STARTTLS")) {
        c.fail("the server does not offer STARTTLS (its EHLO answer lists no STARTTLS)");
    }
    c.send("STARTTLS\r\n");
    const Reply go = read_reply(c);
    if (go.code != 220) {
        c.fail("STARTTLS was answered \"" + go.last() + "\"");
    }
    return go.last();
}

std::string imap(Conversation& c) {
    const std::string greeting = c.line();
    if (greeting.rfind("* OK", 0) != 0) {
        c.fail("the server's greeting is not \"* OK\": \"" + greeting + "\"");
    }
    c.send("t1 STARTTLS\r\n");
    for (;;) {
        const std::string line = c.line();
        if (line.rfind("t1 ", 0) != 0) {
            continue;  // untagged data (CAPABILITY, alerts) before the tagged answer
        }
        if (line.rfind("t1 OK", 0) != 0) {
            c.fail("STARTTLS was answered \"" + line + "\"");
        }
        return line;
    }
}

std::string pop3(Conversation& c) {
    const std::string greeting = c.line();
    if (greeting.rfind("+OK", 0) != 0) {
        c.fail("the server's greeting is not \"+OK\": \"" + greeting + "\"");
    }
    c.send("STLS\r\n");
    const std::string answer = c.line();
    if (answer.rfind("+OK", 0) != 0) {
        c.fail("STLS was answered \"" + answer + "\"");
    }
    return answer;
}

std::string ftp(Conversation& c) {
    const Reply greeting = read_reply(c);
    if (greeting.code != 220) {
        c.fail("the server's greeting is not 220: \"" + greeting.last() + "\"");
    }
    c.send("AUTH TLS\r\n");
    const Reply go = read_reply(c);
    if (go.code != 234) {
        c.fail("AUTH TLS was answered \"" + go.last() + "\"");
    }
    return go.last();
}

std::string xmpp(Conversation& c, const std::string& host) {
    c.send("<?xml version='1.0'?><stream:stream to='" + host +
           "' version='1.0' xmlns='jabber:client' "
           "xmlns:stream='http://etherx.jabber.org/streams'>");
    std::string features = c.through("<stream:features", "the stream features");
    // The features element ends with "</stream:features>" or is empty ("<stream:features/>").
    const std::string rest = c.through(">", "the stream features");
    features += rest;
    if (rest.size() < 2 || rest[rest.size() - 2] != '/') {
        features += c.through("</stream:features>", "the end of the stream features");
    }
    if (features.find("<starttls") == std::string::npos) {
        c.fail("the server does not offer STARTTLS (its stream features have no <starttls/>)");
    }
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const std::string answer = c.through(">", "the answer to <starttls/>");
    const std::size_t open = answer.rfind('<');
    const std::string element = open == std::string::npos ? answer : answer.substr(open);
    if (element.rfind("<proceed", 0) != 0) {
        c.fail("<starttls/> was answered \"" + element + "\"");
    }
    if (element.size() < 2 || element[element.size() - 2] != '/') {
        c.through("</proceed>", "the end of <proceed>");
    }
    return element;
}

// Reads one BER element (tag, length, contents) from `data` at `at`; false when it does not fit.
struct Ber {
    unsigned char tag = 0;
    std::string contents;
};
bool read_ber(const std::string& data, std::size_t& at, Ber& out) {
    if (at + 2 > data.size()) {
        return false;
    }
    out.tag = static_cast<unsigned char>(data[at]);
    std::size_t length = static_cast<unsigned char>(data[at + 1]);
    std::size_t header = 2;
    if (length & 0x80U) {
        const std::size_t count = length & 0x7fU;
        if (count == 0 || count > 3 || at + 2 + count > data.size()) {
            return false;
        }
        length = 0;
        for (std::size_t i = 0; i < count; ++i) {
            length = (length << 8U) | static_cast<unsigned char>(data[at + 2 + i]);
        }
        header += count;
    }
    if (at + header + length > data.size()) {
        return false;
    }
    out.contents = data.substr(at + header, length);
    at += header + length;
    return true;
}

std::string ldap(Conversation& c) {
    // LDAPMessage { messageID 1, extendedReq [APPLICATION 23] { requestName [0]
    // "1.3.6.1.4.1.1466.20037" } } (RFC 4511 4.12 and 4.14.1).
    constexpr std::string_view kOid = "1.3.6.1.4.1.1466.20037";
    std::string request = "\x30\x1d\x02\x01\x01\x77\x18\x80\x16";
    request += kOid;
    c.send(request);
    // The response's outer SEQUENCE: its tag and length first, then its contents.
    std::string head = c.bytes(2);
    std::size_t length = static_cast<unsigned char>(head[1]);
    if (static_cast<unsigned char>(head[0]) != 0x30) {
        c.fail("the answer is not an LDAP message");
    }
    if (length & 0x80U) {
        const std::size_t count = length & 0x7fU;
        if (count == 0 || count > 3) {
            c.fail("the answer's length is malformed");
        }
        const std::string extra = c.bytes(count);
        head += extra;
        length = 0;
        for (char byte : extra) {
            length = (length << 8U) | static_cast<unsigned char>(byte);
        }
    }
    if (length > kMaxAnswer) {
        c.fail("the answer is longer than 64 KiB");
    }
    const std::string message = head + c.bytes(length);
    std::size_t at = 0;
    Ber outer;
    Ber id;
    Ber op;
    std::size_t inner = 0;
    if (!read_ber(message, at, outer) || !read_ber(outer.contents, inner, id) ||
        !read_ber(outer.contents, inner, op) || op.tag != 0x78) {
        c.fail("the answer is not an LDAP ExtendedResponse");
    }
    std::size_t field = 0;
    Ber result;
    Ber matched;
    Ber diagnostic;
    if (!read_ber(op.contents, field, result) || result.tag != 0x0a || result.contents.empty() ||
        !read_ber(op.contents, field, matched) || !read_ber(op.contents, field, diagnostic)) {
        c.fail("the ExtendedResponse is malformed");
    }
    int code = 0;
    for (char byte : result.contents) {
        code = (code << 8) | static_cast<unsigned char>(byte);
    }
    if (code != 0) {
        c.fail("StartTLS was answered with resultCode " + std::to_string(code) +
               (diagnostic.contents.empty() ? "" : " (\"" + diagnostic.contents + "\")"));
    }
    return "resultCode 0 (success)";
}

std::string postgres(Conversation& c) {
    // SSLRequest: length 8, then the code 80877103 (1234 << 16 | 5679), both big-endian.
    c.send(std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8));
    const std::string answer = c.bytes(1);
    if (answer == "N") {
        c.fail("the server does not accept TLS (answered 'N': ssl is off)");
    }
    if (answer != "S") {
        c.fail("the server answered the SSLRequest with '" + answer +
               "' (an error message, or not PostgreSQL)");
    }
    return "S";
}

}  // namespace

std::optional<StartTls> starttls_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name) {
            return static_cast<StartTls>(i);
        }
    }
    return std::nullopt;
}

std::string_view starttls_name(StartTls protocol) {
    return kNames.at(static_cast<std::size_t>(protocol));
}

std::string starttls_names() {
    std::string out;
    for (std::string_view name : kNames) {
        out += (out.empty() ? "" : ", ") + std::string(name);
    }
    return out;
}

std::string negotiate_starttls(int fd, StartTls protocol, const std::string& host,
                               tls::Timeout timeout) {
    Conversation c(fd, protocol, timeout);
    std::string answer;
    switch (protocol) {
        case StartTls::smtp:
            answer = smtp(c);
            break;
        case StartTls::imap:
            answer = imap(c);
            break;
        case StartTls::pop3:
            answer = pop3(c);
            break;
        case StartTls::ftp:
            answer = ftp(c);
            break;
        case StartTls::xmpp:
            answer = xmpp(c, host);
            break;
        case StartTls::ldap:
            answer = ldap(c);
            break;
        case StartTls::postgres:
            answer = postgres(c);
            break;
    }
    c.expect_nothing_more();
    return answer;
}

}  // namespace tlsctx_tool
