// tlsctx connect --starttls: the plaintext part of protocols that upgrade a connection to TLS
// (openssl s_client -starttls), run on the connected socket before the handshake.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tls/socket.hpp"

namespace tlsctx_tool {

enum class StartTls { smtp, imap, pop3, ftp, xmpp, ldap, postgres };

/// "smtp", "imap", ... (the names --starttls takes), or std::nullopt.
std::optional<StartTls> starttls_from_name(std::string_view name);
std::string_view starttls_name(StartTls protocol);
/// The names, comma-separated, for --help.
std::string starttls_names();

/// Runs `protocol`'s upgrade on the connected blocking socket `fd`, each read bounded by
/// `timeout`; `host` is the name a protocol announces (XMPP's stream `to`). Returns the server's
/// answer that let TLS start ("220 2.0.0 Ready to start TLS"). Afterwards the socket holds no
/// unread plaintext: a server that sent more after its answer is refused, since those bytes
/// would otherwise be taken as coming from inside TLS (RFC 3207 section 6's injection).
/// @throws std::runtime_error when the server refuses, answers something else or closes;
/// std::system_error (timed_out or the socket's errno) when the transport fails.
std::string negotiate_starttls(int fd, StartTls protocol, const std::string& host,
                               tls::Timeout timeout);

}  // namespace tlsctx_tool
