// tlsctx command — what the subcommand files share: their registration functions, the exit-code
// convention, error printing as `error: <C++ type>: <message>`, JSON views of
// connection facts and a few socket helpers. Built on the public API (include/tls) only.
//
// Exit codes: 0 success, 1 a TLS, verification or I/O failure, 2 a usage error. A subcommand's
// callback reports a non-zero status by throwing ExitStatus, or by letting an exception escape:
// main() prints it with print_exception() and maps it with exit_code_for().
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "tls/certificate.hpp"
#include "tls/ciphers.hpp"
#include "tls/constants.hpp"
#include "tls/socket.hpp"

namespace CLI {
class App;
}

namespace tlsctx_tool {

// One function per subcommand file; each adds its subcommand (with --help) to `app`.
void add_demo_command(CLI::App& app);         // demo_command.cpp
void add_connect_command(CLI::App& app);      // connect_command.cpp
void add_serve_command(CLI::App& app);        // serve_command.cpp
void add_verify_command(CLI::App& app);       // verify_command.cpp
void add_decode_cert_command(CLI::App& app);  // decode_cert_command.cpp
void add_ciphers_command(CLI::App& app);      // ciphers_command.cpp

/// Thrown by a subcommand to end the program with `code` after it has printed what it wanted.
/// Not a std::exception, so generic handlers never swallow it.
struct ExitStatus {
    int code = 0;
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// Throws CLI::ValidationError (exit 2, printed by CLI11) for a bad argument value.
[[noreturn]] void usage_error(const std::string& option, const std::string& message);

/// The C++ type of an exception as the error line names it: "tls::SSLCertVerificationError",
/// "tls::SSLError", "std::invalid_argument", and for std::system_error (and tls::gaierror) the
/// symbolic code too: "std::system_error (ECONNREFUSED)", "tls::gaierror (EAI_NONAME)".
std::string exception_type_name(const std::exception& e);
/// `<C++ type>: <message>` (plus verify_code and verify_message for SSLCertVerificationError),
/// one line without a newline: what serve logs per connection.
std::string describe_exception(const std::exception& e);
/// Prints `error: <describe_exception(e)>` as one line on `out`: the command's last words.
void print_exception(const std::exception& e, std::ostream& out);
/// The exit status for an exception: 2 for std::invalid_argument (a bad option value), else 1.
int exit_code_for(const std::exception& e);

/// Python's `SSLSocket.cipher()` as {"name", "protocol", "secret_bits"}.
nlohmann::ordered_json cipher_description_to_json(const tls::CipherDescription& cipher);
/// `value` as JSON text (`indent` < 0: one line); strings that are not UTF-8 get U+FFFD.
std::string json_dump(const nlohmann::ordered_json& value, int indent = -1);
/// `value` as the command prints JSON: one line in json.dumps style (", " and ": ", ASCII
/// escapes) by default, indented by 2 with `pretty` (--pretty).
std::string json_text(const nlohmann::ordered_json& value, bool pretty);
/// A distinguished name as one line, "commonName=localhost, organizationName=x".
std::string name_text(const tls::DistinguishedName& name);
/// An object with one key per line and each value on one line in json.dumps style: readable
/// for getpeercert() dicts, whose nested arrays would otherwise take dozens of lines. `margin`
/// is put before every line but the first.
std::string json_one_key_per_line(const nlohmann::ordered_json& value,
                                  const std::string& margin = "");

/// "host:port" or "[v6 literal]:port". Throws CLI::ValidationError for anything else.
struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};
HostPort parse_host_port(std::string_view text);
/// "host:port" with brackets around IPv6 literals.
std::string format_host_port(const std::string& host, std::uint16_t port);

/// "1.2", "1.3", "TLSv1.2", "TLSv1_3", "tls1.2", ... Throws CLI::ValidationError.
tls::TLSVersion parse_tls_version(std::string_view text, const std::string& option);
/// "a,b,c" to {"a","b","c"}; empty items are kept so set_alpn_protocols can refuse them.
std::vector<std::string> split_list(std::string_view text, char separator = ',');
/// Seconds from the command line as a Timeout; must be positive.
tls::Timeout seconds_to_timeout(double seconds, const std::string& option);

/// A connected, blocking TCP socket to host:port (each resolved address in turn), bounded by
/// `timeout`. @throws std::system_error.
int tcp_connect(const std::string& host, std::uint16_t port, tls::Timeout timeout);
/// Whether `fd` became readable within `timeout` (retries EINTR).
bool wait_readable(int fd, std::chrono::milliseconds timeout);
/// The peer of a connected socket as "host:port", or "?" when unknown.
std::string peer_address(int fd);

}  // namespace tlsctx_tool
