// tlsctx connect — what its files share: the report of one connection (connect_report.cpp) and
// the session file of --sess-out/--sess-in (session_file.cpp). Built on the public API only.
#pragma once

#include <optional>
#include <string>

#include "tls/session.hpp"
#include "tls/socket.hpp"
#include "tlsctx/commands.hpp"

namespace tlsctx_tool {

/// What `connect` learnt besides the connection itself.
struct ConnectFacts {
    HostPort target;
    /// False with --insecure-no-verify: nothing was verified, whatever OpenSSL built.
    bool verified = true;
    bool showcerts = false;
    std::optional<std::string> response;  ///< --send: what the server answered
    /// --resume: whether a session was offered on the second connection and whether it resumed.
    struct Resume {
        bool offered = false;
        bool resumed = false;
        std::string version;  ///< of the second connection
    };
    std::optional<Resume> resume;
    /// --starttls: the protocol and the server's answer that let TLS start.
    struct StartTls {
        std::string protocol;
        std::string answer;
    };
    std::optional<StartTls> starttls;
};

/// The human report (stdout): negotiated parameters, verification, the peer certificate and,
/// with showcerts, every certificate the peer sent.
void print_connect_human(const tls::Socket& socket, const ConnectFacts& facts);
/// The same as one JSON object (docs/command.md lists the keys); `pretty` indents it.
void print_connect_json(const tls::Socket& socket, const ConnectFacts& facts, bool pretty);

/// Writes `session` to `path` as `openssl s_client -sess_out` does (PEM "SSL SESSION
/// PARAMETERS" around the ASN.1 of SSL_SESSION), mode 0600: it holds the resumption secret.
/// @throws std::system_error when the file cannot be written.
void save_session_file(const tls::Session& session, const std::string& path);
/// Reads a file written by save_session_file or `openssl s_client -sess_out` (PEM or DER).
/// @throws std::system_error when it cannot be read; SSLError or std::invalid_argument when it
/// holds no session.
tls::Session load_session_file(const std::string& path);

}  // namespace tlsctx_tool
