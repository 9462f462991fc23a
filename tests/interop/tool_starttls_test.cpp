// `tlsctx connect --starttls` against the real servers Debian packages for each protocol, each
// started by the test on 127.0.0.1 and stopped by PID: aiosmtpd (SMTP), Dovecot (IMAP, POP3),
// pyftpdlib (FTP), Prosody (XMPP), slapd (LDAP) and PostgreSQL; then servers that refuse, and
// one that injects plaintext after its STARTTLS answer.
#include <pwd.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/more_peers.hpp"
#include "support/peers.hpp"
#include "support/test_pki.hpp"
#include "support/tool_runner.hpp"

namespace {

using tls::test::Millis;
using tls::test::ProcessResult;
using tls::test::Subprocess;
using tls::test::TestPki;
using tls::test::more::contains;
using tls::test::more::DaemonStartup;
using tls::test::more::TempDir;
using tls::test::more::write_file;
using tls::test::tool::describe;

const std::string kTool = tls::test::more::tlsctx_tool();
// The Python peers import Debian's python3-aiosmtpd and python3-pyftpdlib: Debian's interpreter.
const std::string kDebianPython = "/usr/bin/python3";

ProcessResult connect(std::uint16_t port, const std::string& protocol,
                      std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kTool,        "connect",  "127.0.0.1:" + std::to_string(port),
                                     "--starttls", protocol,   "--servername",
                                     "localhost",  "--cafile", TestPki::get().ca_cert()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return tls::test::tool::run(argv);
}

bool running_as_root() {
    return ::geteuid() == 0;
}

// The account a daemon that drops privileges runs as: its own user when run as root, else us.
std::string unprivileged_user(const std::string& as_root) {
    if (running_as_root()) {
        return as_root;
    }
    const passwd* me = ::getpwuid(::geteuid());
    return me != nullptr ? me->pw_name : "nobody";
}

// A server from tests/support/python/starttls_server.py.
class PythonStartTlsServer {
  public:
    explicit PythonStartTlsServer(const std::string& mode)
        : process_({kDebianPython, tls::test::python_script("starttls_server.py"), mode,
                    TestPki::get().localhost().chain, TestPki::get().localhost().key},
                   Millis(60000)) {
        if (!process_.wait_for_stdout("\n", tls::test::kPeerTimeout)) {
            throw std::runtime_error("starttls_server.py " + mode + " did not start\n" +
                                     process_.describe());
        }
        port_ = static_cast<std::uint16_t>(std::stoi(process_.stdout_text().substr(10)));
    }
    std::uint16_t port() const noexcept { return port_; }

  private:
    Subprocess process_;
    std::uint16_t port_ = 0;
};

// A daemon that must be given its port (tls::test::more::start_daemon).
class Daemon {
  public:
    explicit Daemon(const DaemonStartup& startup) {
        port_ = tls::test::more::start_daemon(process_, startup, Millis(60000));
    }
    std::uint16_t port() const noexcept { return port_; }

  private:
    std::optional<Subprocess> process_;
    std::uint16_t port_ = 0;
};

// Dovecot serving one protocol ("imap" or "pop3") with STARTTLS required before login.
DaemonStartup dovecot(const TempDir& dir, const std::string& protocol) {
    DaemonStartup s;
    s.name = "dovecot";
    s.command = [&dir, protocol](std::uint16_t port) {
        const std::string conf = dir.path("dovecot-" + protocol + ".conf");
        write_file(conf, "base_dir = " + dir.path("run-" + protocol) + "\n" +
                             "state_dir = " + dir.path("state-" + protocol) + "\n" +
                             "log_path = /dev/stderr\n"
                             "protocols = " +
                             protocol + "\n" +
                             "listen = 127.0.0.1\n"
                             "ssl = required\n"
                             "ssl_cert = <" +
                             TestPki::get().localhost().chain + "\n" + "ssl_key = <" +
                             TestPki::get().localhost().key + "\n" +
                             "passdb {\n  driver = static\n  args = nopassword=y\n}\n"
                             "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=" +
                             dir.path("home") + "/%u\n}\n" +
                             "default_internal_user = " + unprivileged_user("dovecot") + "\n" +
                             "default_login_user = " + unprivileged_user("dovenull") + "\n" +
                             "service " + protocol + "-login {\n  inet_listener " + protocol +
                             " {\n    port = " + std::to_string(port) + "\n  }\n  inet_listener " +
                             protocol + "s {\n    port = 0\n  }\n}\n");
        return std::vector<std::string>{"dovecot", "-F", "-c", conf};
    };
    s.ready = [](const std::string& log, std::uint16_t) { return contains(log, "starting up"); };
    s.port_taken = [](const std::string& log, std::uint16_t) {
        return contains(log, "Address already in use");
    };
    s.failed = [](const std::string& log, std::uint16_t) {
        return contains(log, "Fatal") || contains(log, "Error in configuration");
    };
    return s;
}

DaemonStartup prosody(const TempDir& dir) {
    DaemonStartup s;
    s.name = "prosody";
    s.command = [&dir](std::uint16_t port) {
        const std::string conf = dir.path("prosody.cfg.lua");
        std::filesystem::create_directories(dir.path("prosody-data"));
        std::filesystem::create_directories(dir.path("prosody-certs"));
        write_file(conf,
                   "daemonize = false\nrun_as_root = true\n"
                   "pidfile = \"" +
                       dir.path("prosody.pid") + "\"\n" + "data_path = \"" +
                       dir.path("prosody-data") + "\"\n" + "certificates = \"" +
                       dir.path("prosody-certs") + "\"\n" +
                       "log = { { levels = { min = \"info\" }, to = \"console\" } }\n"
                       "c2s_ports = { " +
                       std::to_string(port) + " }\n" +
                       "c2s_interfaces = { \"127.0.0.1\" }\n"
                       "s2s_ports = { }\nc2s_direct_tls_ports = { }\n"
                       "http_ports = { }\nhttps_ports = { }\n"
                       "modules_enabled = { \"tls\", \"saslauth\", \"disco\" }\n"
                       "modules_disabled = { \"s2s\", \"posix\" }\n"
                       "c2s_require_encryption = true\n"
                       "authentication = \"internal_plain\"\n"
                       "VirtualHost \"localhost\"\n"
                       "    ssl = { certificate = \"" +
                       TestPki::get().localhost().chain + "\", key = \"" +
                       TestPki::get().localhost().key + "\" }\n");
        return std::vector<std::string>{"prosody", "--config", conf};
    };
    // Prosody logs to stdout ("console"); start_daemon reads stderr, so stdout is merged there.
    s.command = [inner = s.command](std::uint16_t port) {
        std::vector<std::string> argv = inner(port);
        std::string line;
        for (const std::string& arg : argv) {
            line += (line.empty() ? "" : " ") + std::string("'") + arg + "'";
        }
        return std::vector<std::string>{"sh", "-c", "exec " + line + " 1>&2"};
    };
    s.ready = [](const std::string& log, std::uint16_t port) {
        return contains(log, "Activated service 'c2s' on [127.0.0.1]:" + std::to_string(port));
    };
    s.port_taken = [](const std::string& log, std::uint16_t) {
        return contains(log, "ddress already in use");
    };
    s.failed = [](const std::string& log, std::uint16_t) {
        return contains(log, "Failed to") || contains(log, "rror in config");
    };
    return s;
}

DaemonStartup slapd(const TempDir& dir) {
    DaemonStartup s;
    s.name = "slapd";
    s.command = [&dir](std::uint16_t port) {
        const std::string conf = dir.path("slapd.conf");
        write_file(conf, "pidfile " + dir.path("slapd.pid") + "\nargsfile " +
                             dir.path("slapd.args") + "\nTLSCertificateFile " +
                             TestPki::get().localhost().chain + "\nTLSCertificateKeyFile " +
                             TestPki::get().localhost().key + "\n");
        return std::vector<std::string>{
            "slapd", "-d", "256", "-h", "ldap://127.0.0.1:" + std::to_string(port) + "/",
            "-f",    conf};
    };
    s.ready = [](const std::string& log, std::uint16_t) { return contains(log, "slapd starting"); };
    s.port_taken = [](const std::string& log, std::uint16_t) { return contains(log, "errno=98"); };
    s.failed = [](const std::string& log, std::uint16_t) {
        return contains(log, "slapd stopped") || contains(log, "could not");
    };
    return s;
}

// PostgreSQL 15 with ssl = on, in a cluster made for the test (initdb). As root it runs as the
// postgres account, which must own the data directory and the key (PostgreSQL insists).
class Postgres {
  public:
    explicit Postgres(const TempDir& dir) {
        std::filesystem::permissions(dir.path(""), std::filesystem::perms::owner_all |
                                                       std::filesystem::perms::group_exec |
                                                       std::filesystem::perms::others_exec);
        const std::string home = dir.path("pg");
        std::filesystem::create_directories(home);
        std::filesystem::copy_file(TestPki::get().localhost().chain, home + "/cert.pem");
        std::filesystem::copy_file(TestPki::get().localhost().key, home + "/key.pem");
        std::filesystem::permissions(home + "/key.pem", std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write);
        if (running_as_root()) {
            const passwd* pg = ::getpwnam("postgres");
            if (pg == nullptr) {
                throw std::runtime_error("no postgres account (install postgresql-15)");
            }
            for (const auto& entry : std::filesystem::recursive_directory_iterator(home)) {
                (void)::chown(entry.path().c_str(), pg->pw_uid, pg->pw_gid);
            }
            (void)::chown(home.c_str(), pg->pw_uid, pg->pw_gid);
        }
        ProcessResult init = tls::test::run_process(
            as_postgres({kBin + "initdb", "-D", home + "/data", "-A", "trust", "-U", "postgres"}),
            {}, Millis(60000));
        if (init.exit_code != 0) {
            throw std::runtime_error("initdb failed\n" + describe(init));
        }
        DaemonStartup s;
        s.name = "postgres";
        s.command = [home](std::uint16_t port) {
            return as_postgres({kBin + "postgres", "-D", home + "/data", "-p", std::to_string(port),
                                "-k", home, "-c", "listen_addresses=127.0.0.1", "-c", "ssl=on",
                                "-c", "ssl_cert_file=" + home + "/cert.pem", "-c",
                                "ssl_key_file=" + home + "/key.pem"});
        };
        s.ready = [](const std::string& log, std::uint16_t) {
            return contains(log, "ready to accept connections");
        };
        s.port_taken = [](const std::string& log, std::uint16_t) {
            return contains(log, "Address already in use");
        };
        s.failed = [](const std::string& log, std::uint16_t) { return contains(log, "FATAL"); };
        daemon_.emplace(s);
    }
    std::uint16_t port() const noexcept { return daemon_->port(); }

  private:
    static inline const std::string kBin = "/usr/lib/postgresql/15/bin/";
    static std::vector<std::string> as_postgres(std::vector<std::string> argv) {
        if (running_as_root()) {
            argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
        }
        return argv;
    }
    std::optional<Daemon> daemon_;
};

// The connection went through: the protocol's answer, then TLS 1.3 to the verified localhost,
// with both certificates the server sent shown.
void expect_upgraded(const ProcessResult& r, const std::string& protocol,
                     const std::string& answer_prefix) {
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("starttls").at("protocol"), protocol) << r.out;
    EXPECT_EQ(j["starttls"].at("answer").get<std::string>().rfind(answer_prefix, 0), 0u) << r.out;
    EXPECT_EQ(j.at("version"), "TLSv1.3") << r.out;
    EXPECT_EQ(j.at("verified"), true) << r.out;
    EXPECT_EQ(j.at("verified_chain_length"), 3) << r.out;
    EXPECT_EQ(j.at("peer_certificates").size(), 2u) << r.out;
}

TEST(TlsctxToolStartTls, SmtpWithAiosmtpd) {
    PythonStartTlsServer server("smtp");
    expect_upgraded(connect(server.port(), "smtp", {"--showcerts", "--json"}), "smtp", "220");
    // The everyday form, as the user types it.
    ProcessResult human = connect(server.port(), "smtp", {"--showcerts"});
    ASSERT_EQ(human.exit_code, 0) << describe(human);
    EXPECT_TRUE(contains(human.out, "starttls:    smtp: \"220")) << human.out;
    EXPECT_TRUE(contains(human.out, "#0: verified chain depth 0")) << human.out;
}

TEST(TlsctxToolStartTls, ImapAndPop3WithDovecot) {
    TempDir dir;
    Daemon imap(dovecot(dir, "imap"));
    expect_upgraded(connect(imap.port(), "imap", {"--showcerts", "--json"}), "imap", "t1 OK");
    Daemon pop3(dovecot(dir, "pop3"));
    expect_upgraded(connect(pop3.port(), "pop3", {"--showcerts", "--json"}), "pop3", "+OK");
}

TEST(TlsctxToolStartTls, ResumeRunsTheDialogueAgainOnTheSecondConnection) {
    TempDir dir;
    Daemon imap(dovecot(dir, "imap"));
    ProcessResult r = connect(imap.port(), "imap", {"--resume", "--json"});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const nlohmann::json j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("resume").at("version"), "TLSv1.3") << r.out;
}

TEST(TlsctxToolStartTls, FtpWithPyftpdlib) {
    PythonStartTlsServer server("ftp");
    expect_upgraded(connect(server.port(), "ftp", {"--showcerts", "--json"}), "ftp", "234");
}

TEST(TlsctxToolStartTls, XmppWithProsody) {
    TempDir dir;
    Daemon server(prosody(dir));
    expect_upgraded(connect(server.port(), "xmpp", {"--showcerts", "--json"}), "xmpp", "<proceed");
}

TEST(TlsctxToolStartTls, LdapWithSlapd) {
    TempDir dir;
    Daemon server(slapd(dir));
    expect_upgraded(connect(server.port(), "ldap", {"--showcerts", "--json"}), "ldap",
                    "resultCode 0");
}

TEST(TlsctxToolStartTls, PostgresWithPostgreSql) {
    TempDir dir;
    Postgres server(dir);
    expect_upgraded(connect(server.port(), "postgres", {"--showcerts", "--json"}), "postgres", "S");
}

TEST(TlsctxToolStartTls, AServerThatOffersNoTlsIsAClearError) {
    PythonStartTlsServer smtp("smtp-plain");
    ProcessResult r = connect(smtp.port(), "smtp");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err,
                         "error: std::runtime_error: starttls smtp: the server does not "
                         "offer STARTTLS"))
        << r.err;

    PythonStartTlsServer ftp("ftp-plain");
    ProcessResult f = connect(ftp.port(), "ftp");
    EXPECT_EQ(f.exit_code, 1) << describe(f);
    EXPECT_TRUE(contains(f.err, "starttls ftp: AUTH TLS was answered \"5")) << f.err;
}

TEST(TlsctxToolStartTls, PlaintextAfterTheStartTlsAnswerIsRefused) {
    PythonStartTlsServer server("smtp-inject");
    ProcessResult r = connect(server.port(), "smtp");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "more plaintext byte(s) after agreeing to start TLS")) << r.err;
}

TEST(TlsctxToolStartTls, WrongProtocolForTheServerFailsWithTheServersWords) {
    // An IMAP client at an SMTP server: the greeting is quoted, nothing hangs.
    PythonStartTlsServer server("smtp");
    ProcessResult r = connect(server.port(), "imap");
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "starttls imap: the server's greeting is not \"* OK\": \"220"))
        << r.err;
}

TEST(TlsctxToolStartTls, UnknownProtocolIsAUsageError) {
    ProcessResult r =
        tls::test::tool::run({kTool, "connect", "127.0.0.1:1", "--starttls", "gopher"});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.err, "smtp, imap, pop3, ftp, xmpp, ldap, postgres")) << r.err;
}

}  // namespace
