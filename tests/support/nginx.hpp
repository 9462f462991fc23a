// tlsctx tests — nginx as a peer (tests/interop/nginx_test.cpp, tests/beast/): one foreground
// process (daemon off, master_process off) with everything (config, pid, logs, temp paths) in a
// private directory, under `timeout`, on a 127.0.0.1 port picked for it (nginx cannot report a
// port 0 binding); it is ready when it has logged its startup notices, which come after it
// listens. Every request gets nginx's own account of the connection ($ssl_protocol,
// $ssl_cipher, $ssl_session_reused, $ssl_client_verify, ...), one "name=value" line each.
// Header-only; builds on support/more_peers.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"

namespace tls::test::nginx {

struct NginxOptions {
    CertFiles cert = TestPki::get().localhost();
    std::string verify_client;    ///< ssl_verify_client: "" (off), "on" or "optional"
    bool session_tickets = true;  ///< ssl_session_tickets (the shared session cache is always on)
    std::vector<std::string> ticket_key_files;  ///< ssl_session_ticket_key lines, first encrypts
};

/// The page nginx serves: one "name=value" line per variable describing the connection.
inline constexpr const char* kReport =
    "protocol=$ssl_protocol\\n"
    "cipher=$ssl_cipher\\n"
    "reused=$ssl_session_reused\\n"
    "client_verify=$ssl_client_verify\\n"
    "client_dn=$ssl_client_s_dn\\n"
    "sni=$ssl_server_name\\n"
    "alpn=$ssl_alpn_protocol\\n";

inline std::string nginx_conf(const std::string& dir, std::uint16_t port, const NginxOptions& o) {
    std::ostringstream conf;
    conf << "daemon off;\n"
         << "master_process off;\n"
         << "pid " << dir << "/nginx.pid;\n"
         << "error_log stderr notice;\n"
         << "events { worker_connections 64; }\n"
         << "http {\n"
         << "    access_log off;\n"
         << "    client_body_temp_path " << dir << "/client_body;\n"
         << "    proxy_temp_path " << dir << "/proxy;\n"
         << "    fastcgi_temp_path " << dir << "/fastcgi;\n"
         << "    uwsgi_temp_path " << dir << "/uwsgi;\n"
         << "    scgi_temp_path " << dir << "/scgi;\n"
         << "    server {\n"
         << "        listen 127.0.0.1:" << port << " ssl http2;\n"
         << "        server_name localhost;\n"
         << "        ssl_certificate " << o.cert.chain << ";\n"
         << "        ssl_certificate_key " << o.cert.key << ";\n"
         << "        ssl_protocols TLSv1.2 TLSv1.3;\n"
         << "        ssl_session_cache shared:SSL:1m;\n"
         << "        ssl_session_tickets " << (o.session_tickets ? "on" : "off") << ";\n";
    for (const std::string& file : o.ticket_key_files) {
        conf << "        ssl_session_ticket_key " << file << ";\n";
    }
    if (!o.verify_client.empty()) {
        conf << "        ssl_client_certificate " << TestPki::get().ca_cert() << ";\n"
             << "        ssl_verify_client " << o.verify_client << ";\n";
    }
    conf << "        location / {\n"
         << "            default_type text/plain;\n"
         << "            add_header X-TLS-Protocol $ssl_protocol always;\n"
         << "            return 200 \"" << kReport << "\";\n"
         << "        }\n"
         << "    }\n"
         << "}\n";
    return conf.str();
}

/// nginx in the foreground, serving until the destructor kills it.
class Nginx {
  public:
    /// @throws std::runtime_error (with its log) when nginx does not start.
    explicit Nginx(const NginxOptions& options) {
        more::DaemonStartup startup;
        startup.name = "nginx";
        startup.command = [&](std::uint16_t port) {
            const std::string conf = dir_.path("nginx.conf");
            more::write_file(conf, nginx_conf(dir_.dir(), port, options));
            return std::vector<std::string>{"nginx", "-p", dir_.dir() + "/", "-c",
                                            conf,    "-e", "stderr"};
        };
        // The startup notices ("using the epoll event method", "nginx/1.22.1", "OS: ...",
        // "getrlimit(RLIMIT_NOFILE): ...") follow the listen() calls; a port taken since
        // it was picked shows as "bind() ... failed (98: Address already in use)".
        startup.ready = [](const std::string& log, std::uint16_t) {
            return more::contains(log, "getrlimit(");
        };
        startup.port_taken = [](const std::string& log, std::uint16_t) {
            return more::contains(log, "Address already in use");
        };
        startup.failed = [](const std::string& log, std::uint16_t) {
            return more::contains(log, "[emerg]");
        };
        port_ = more::start_daemon(process_, startup);
    }

    std::uint16_t port() const noexcept { return port_; }
    std::string describe() const { return process_->describe(); }

  private:
    more::TempDir dir_;
    std::optional<Subprocess> process_;
    std::uint16_t port_ = 0;
};

/// The "name=value" lines of nginx's report page.
inline std::map<std::string, std::string> report_fields(const std::string& body) {
    std::map<std::string, std::string> fields;
    std::istringstream lines(body);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t eq = line.find('=');
        if (eq != std::string::npos) {
            fields[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return fields;
}

}  // namespace tls::test::nginx
