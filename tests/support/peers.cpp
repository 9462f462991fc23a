#include "support/peers.hpp"

#include <arpa/inet.h>
#include <cxxabi.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <typeinfo>
#include <utility>

#include "tls/errors.hpp"

namespace tls::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void set_nodelay(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in loopback_any_port() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

std::uint16_t bound_port(int fd) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw_errno("getsockname");
    }
    return ntohs(addr.sin_port);
}

// `timeout` takes fractional seconds; the limit is printed with millisecond precision.
std::string seconds_arg(Millis limit) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03llds", static_cast<long long>(limit.count() / 1000),
                  static_cast<long long>(limit.count() % 1000));
    return buf;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
    std::string out;
    for (const std::string& part : parts) {
        if (!out.empty()) {
            out += separator;
        }
        out += part;
    }
    return out;
}

// The last line of `text` that parses as a JSON object (and satisfies `accept`), if any.
std::optional<nlohmann::json> last_json_line(
    const std::string& text, const std::function<bool(const nlohmann::json&)>& accept) {
    std::optional<nlohmann::json> found;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line.front() != '{') {
            continue;
        }
        nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
        if (!parsed.is_discarded() && parsed.is_object() && accept(parsed)) {
            found = std::move(parsed);
        }
    }
    return found;
}

std::string describe_result(const std::vector<std::string>& argv, const ProcessResult& r) {
    std::ostringstream out;
    out << "command: " << join(argv, " ") << "\nexit code: " << r.exit_code
        << " signal: " << r.term_signal << " timed out: " << (r.timed_out ? "yes" : "no")
        << "\n--- stdout ---\n"
        << r.out << "\n--- stderr ---\n"
        << r.err;
    return out.str();
}

std::vector<std::string> openssl_server_argv(const OpensslServerOptions& o) {
    std::vector<std::string> argv{"openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept",
                                  "1",       "-cert",    o.cert,    "-key",        o.key};
    if (!o.cert_chain.empty()) {
        argv.insert(argv.end(), {"-cert_chain", o.cert_chain});
    }
    if (!o.cafile.empty()) {
        argv.insert(argv.end(), {"-CAfile", o.cafile});
    }
    switch (o.client_auth) {
        case OpensslServerOptions::ClientAuth::optional:
            argv.insert(argv.end(), {"-verify", "1"});
            break;
        case OpensslServerOptions::ClientAuth::required:
            argv.insert(argv.end(), {"-Verify", "1"});
            break;
        default:
            break;
    }
    if (!o.alpn.empty()) {
        argv.insert(argv.end(), {"-alpn", join(o.alpn, ",")});
    }
    if (!o.version_flag.empty()) {
        argv.push_back(o.version_flag);
    }
    switch (o.mode) {
        case OpensslServerOptions::Mode::www:
            argv.emplace_back("-www");
            break;
        case OpensslServerOptions::Mode::rev:
            argv.emplace_back("-rev");
            break;
        default:
            break;
    }
    argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());
    return argv;
}

std::vector<std::string> python_server_argv(const PythonServerOptions& o) {
    std::vector<std::string> argv{"python3",  python_script("tls_server.py"),
                                  "--cert",   o.certfile,
                                  "--verify", o.verify,
                                  "--reply",  o.reply};
    if (!o.keyfile.empty()) {
        argv.insert(argv.end(), {"--key", o.keyfile});
    }
    if (!o.cafile.empty()) {
        argv.insert(argv.end(), {"--cafile", o.cafile});
    }
    for (const std::string& p : o.alpn) {
        argv.insert(argv.end(), {"--alpn", p});
    }
    if (!o.min_version.empty()) {
        argv.insert(argv.end(), {"--min-version", o.min_version});
    }
    if (!o.max_version.empty()) {
        argv.insert(argv.end(), {"--max-version", o.max_version});
    }
    return argv;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Descriptors

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        reset(other.release());
    }
    return *this;
}

int Fd::release() noexcept {
    return std::exchange(fd_, -1);
}

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = fd;
}

SocketPair loopback_pair() {
    Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener) {
        throw_errno("loopback_pair: socket");
    }
    sockaddr_in addr = loopback_any_port();
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw_errno("loopback_pair: bind");
    }
    if (::listen(listener.get(), 1) != 0) {
        throw_errno("loopback_pair: listen");
    }
    addr.sin_port = htons(bound_port(listener.get()));
    SocketPair pair;
    pair.client.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!pair.client) {
        throw_errno("loopback_pair: socket");
    }
    // On loopback a blocking connect completes as soon as the listener's backlog takes it.
    if (::connect(pair.client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw_errno("loopback_pair: connect");
    }
    int fd;
    do {
        fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        throw_errno("loopback_pair: accept");
    }
    pair.server.reset(fd);
    set_nodelay(pair.client.get());
    set_nodelay(pair.server.get());
    return pair;
}

std::uint16_t pick_loopback_port() {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw_errno("pick_loopback_port: socket");
    }
    sockaddr_in addr = loopback_any_port();
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw_errno("pick_loopback_port: bind");
    }
    return bound_port(fd.get());
}

int count_open_fds() {
    int n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

bool fd_is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

bool wait_readable(int fd, Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
        if (left.count() < 0) {
            return false;
        }
        pollfd p{fd, POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r > 0) {
            return true;
        }
        if (r == 0) {
            return false;
        }
        if (errno != EINTR) {
            throw_errno("poll");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Subprocesses

struct Subprocess::Shared {
    std::mutex mutex;
    std::condition_variable changed;
    std::string out;
    std::string err;
    bool output_done = false;  // both pipes reached EOF
    bool reaped = false;
    bool killed = false;  // by us
    int status = 0;
};

Subprocess::Subprocess(std::vector<std::string> argv, Millis limit)
    : argv_(std::move(argv)), shared_(std::make_shared<Shared>()) {
    if (argv_.empty()) {
        throw std::invalid_argument("Subprocess: empty argv");
    }
    int in[2];
    int out[2];
    int err[2];
    if (::pipe2(in, O_CLOEXEC) != 0) {
        throw_errno("Subprocess: pipe");
    }
    Fd in_read(in[0]);
    stdin_.reset(in[1]);
    if (::pipe2(out, O_CLOEXEC) != 0) {
        throw_errno("Subprocess: pipe");
    }
    stdout_.reset(out[0]);
    Fd out_write(out[1]);
    if (::pipe2(err, O_CLOEXEC) != 0) {
        throw_errno("Subprocess: pipe");
    }
    stderr_.reset(err[0]);
    Fd err_write(err[1]);

    // The child ends by itself: `timeout` sends SIGTERM to the whole group at `limit` and SIGKILL
    // two seconds later.
    std::vector<std::string> full{"timeout", "--kill-after=2", seconds_arg(limit)};
    full.insert(full.end(), argv_.begin(), argv_.end());
    std::vector<char*> cargv;
    cargv.reserve(full.size() + 1);
    for (std::string& s : full) {
        cargv.push_back(s.data());
    }
    cargv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 onto 0/1/2 clears close-on-exec there; every other descriptor of ours is
    // close-on-exec or closed below.
    posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // A process group of its own, so kill() reaches `timeout` and everything under it; default
    // signal handling and an empty mask, whatever this test process ignores or blocks.
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    int rc = ::posix_spawnp(&pid_, cargv[0], &actions, &attr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        throw std::system_error(rc, std::generic_category(), "Subprocess: spawn " + argv_[0]);
    }
    // A child that died would otherwise turn our writes to its stdin into SIGPIPE.
    static std::once_flag ignore_sigpipe;
    std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
    reader_ = std::thread([this] { collect(); });
}

Subprocess::~Subprocess() {
    kill();
    if (reader_.joinable()) {
        reader_.join();
    }
}

void Subprocess::collect() {
    char buf[8192];
    bool out_open = true;
    bool err_open = true;
    while (out_open || err_open) {
        pollfd fds[2] = {{out_open ? stdout_.get() : -1, POLLIN, 0},
                         {err_open ? stderr_.get() : -1, POLLIN, 0}};
        int r = ::poll(fds, 2, -1);  // bounded: the child dies by its `timeout` at the latest
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) {
                continue;
            }
            ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                (i == 0 ? out_open : err_open) = false;
                continue;
            }
            std::lock_guard<std::mutex> lock(shared_->mutex);
            (i == 0 ? shared_->out : shared_->err).append(buf, static_cast<std::size_t>(n));
            shared_->changed.notify_all();
        }
    }
    {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        shared_->output_done = true;
        shared_->changed.notify_all();
    }
    // Wait for the exit without reaping, so kill() can never hit a recycled process group id;
    // then reap under the lock.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 &&
           errno == EINTR) {
    }
    std::lock_guard<std::mutex> lock(shared_->mutex);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    shared_->status = status;
    shared_->reaped = true;
    shared_->changed.notify_all();
}

void Subprocess::write_stdin(std::string_view data) {
    while (!data.empty()) {
        if (!stdin_) {
            throw std::system_error(EBADF, std::generic_category(), "write_stdin: closed");
        }
        ssize_t n = ::write(stdin_.get(), data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno("write_stdin");
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void Subprocess::close_stdin() noexcept {
    stdin_.reset();
}

bool Subprocess::wait_for_output(const OutputPredicate& pred, Millis timeout) {
    std::unique_lock<std::mutex> lock(shared_->mutex);
    shared_->changed.wait_for(
        lock, timeout, [&] { return pred(shared_->out, shared_->err) || shared_->output_done; });
    return pred(shared_->out, shared_->err);
}

bool Subprocess::wait_for_stdout(std::string_view needle, Millis timeout) {
    return wait_for_output(
        [&](const std::string& out, const std::string&) {
            return out.find(needle) != std::string::npos;
        },
        timeout);
}

ProcessResult Subprocess::wait(Millis timeout) {
    {
        std::unique_lock<std::mutex> lock(shared_->mutex);
        if (!shared_->changed.wait_for(lock, timeout, [&] { return shared_->reaped; })) {
            lock.unlock();
            kill();
        }
    }
    if (reader_.joinable()) {
        reader_.join();  // bounded: the group was killed or has exited
    }
    close_stdin();
    std::lock_guard<std::mutex> lock(shared_->mutex);
    ProcessResult r;
    r.out = shared_->out;
    r.err = shared_->err;
    if (WIFEXITED(shared_->status)) {
        r.exit_code = WEXITSTATUS(shared_->status);
    } else if (WIFSIGNALED(shared_->status)) {
        r.term_signal = WTERMSIG(shared_->status);
    }
    // 124: `timeout` ended the command; 137 = 128 + SIGKILL after --kill-after.
    r.timed_out = shared_->killed || r.exit_code == 124 || r.exit_code == 137;
    return r;
}

void Subprocess::kill() noexcept {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (!shared_->reaped && pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        shared_->killed = true;
    }
}

// SIGTERM goes to the command itself, like every other signal: `timeout` would pass it on but
// also arm its --kill-after and SIGKILL a command still shutting down two seconds later (a
// server joining its threads under ASan takes that long). wait() bounds the shutdown instead.
// Only while `timeout` has not started the command yet does the signal go to `timeout`.
void Subprocess::terminate() noexcept {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (!shared_->reaped && pid_ > 0 && !signal_command(SIGTERM)) {
        ::kill(pid_, SIGTERM);
    }
}

void Subprocess::send_signal(int signal) noexcept {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    if (!shared_->reaped && pid_ > 0) {
        signal_command(signal);
    }
}

bool Subprocess::signal_command(int signal) const noexcept {
    // To the command itself: `timeout` would pass the signal on but then arm its --kill-after
    // and SIGKILL a command that handles it and goes on running.
    const std::string children =
        "/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children";
    std::ifstream in(children);
    long child = 0;
    if (in >> child && child > 0) {
        return ::kill(static_cast<pid_t>(child), signal) == 0;
    }
    return false;
}

std::string Subprocess::stdout_text() const {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    return shared_->out;
}

std::string Subprocess::stderr_text() const {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    return shared_->err;
}

std::string Subprocess::describe() const {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    return "command: " + join(argv_, " ") + "\n--- stdout ---\n" + shared_->out +
           "\n--- stderr ---\n" + shared_->err;
}

ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input,
                          Millis timeout) {
    Subprocess process(argv, timeout + Millis(1000));
    try {
        process.write_stdin(input);
    } catch (const std::system_error&) {
        // The child exited without reading its input; its result says why.
    }
    process.close_stdin();
    return process.wait(timeout);
}

// ---------------------------------------------------------------------------------------------
// openssl

OpensslServer::OpensslServer(const OpensslServerOptions& options)
    : process_(openssl_server_argv(options), options.limit) {
    constexpr std::string_view kAccept = "ACCEPT 127.0.0.1:";
    auto has_port = [&](const std::string& out, const std::string&) {
        std::size_t at = out.find(kAccept);
        return at != std::string::npos && out.find('\n', at) != std::string::npos;
    };
    if (!process_.wait_for_output(has_port, kPeerTimeout)) {
        throw std::runtime_error("openssl s_server did not start listening\n" +
                                 process_.describe());
    }
    std::string out = process_.stdout_text();
    port_ = static_cast<std::uint16_t>(std::stoul(out.substr(out.find(kAccept) + kAccept.size())));
}

ProcessResult OpensslServer::finish(Millis timeout) {
    return process_.wait(timeout);
}

std::optional<std::string> find_line_value(std::string_view text, std::string_view prefix) {
    std::size_t at = text.find(prefix);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::size_t begin = at + prefix.size();
    std::size_t end = text.find('\n', begin);
    std::string_view value =
        text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) {
        value.remove_suffix(1);
    }
    return std::string(value);
}

std::optional<std::string> find_temp_key(std::string_view s_client_output) {
    std::optional<std::string> value = find_line_value(s_client_output, "Server Temp Key: ");
    return value ? value : find_line_value(s_client_output, "Peer Temp Key: ");
}

std::string normalize_dn(std::string_view text) {
    std::string out(text);
    for (std::size_t at = out.find(" = "); at != std::string::npos; at = out.find(" = ", at)) {
        out.replace(at, 3, "=");
    }
    return out;
}

OpensslClientResult run_openssl_client(const OpensslClientOptions& o) {
    std::vector<std::string> argv{"openssl", "s_client", "-connect",
                                  "127.0.0.1:" + std::to_string(o.port)};
    if (!o.servername.empty()) {
        argv.insert(argv.end(), {"-servername", o.servername});
    }
    if (!o.cafile.empty()) {
        argv.insert(argv.end(), {"-CAfile", o.cafile, "-verify_return_error"});
        if (!o.verify_ip.empty()) {
            argv.insert(argv.end(), {"-verify_ip", o.verify_ip});
        } else if (!o.servername.empty()) {
            argv.insert(argv.end(), {"-verify_hostname", o.servername});
        }
    }
    if (!o.cert.empty()) {
        argv.insert(argv.end(), {"-cert", o.cert, "-key", o.key});
    }
    if (!o.cert_chain.empty()) {
        argv.insert(argv.end(), {"-cert_chain", o.cert_chain});
    }
    if (!o.alpn.empty()) {
        argv.insert(argv.end(), {"-alpn", join(o.alpn, ",")});
    }
    if (!o.version_flag.empty()) {
        argv.push_back(o.version_flag);
    }
    if (o.ign_eof) {
        argv.emplace_back("-ign_eof");
    }
    argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());

    OpensslClientResult result;
    result.process = run_process(argv, o.input, o.limit);
    const std::string& out = result.process.out;
    // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" ("New, (NONE), Cipher is (NONE)" when
    // the handshake failed).
    if (auto line = find_line_value(out, "New, ")) {
        std::size_t comma = line->find(", Cipher is ");
        if (comma != std::string::npos) {
            std::string protocol = line->substr(0, comma);
            std::string cipher = line->substr(comma + std::string_view(", Cipher is ").size());
            if (protocol != "(NONE)") {
                result.protocol = protocol;
            }
            if (cipher != "(NONE)") {
                result.cipher = cipher;
            }
        }
    }
    result.alpn = find_line_value(out, "ALPN protocol: ");
    if (auto code = find_line_value(out, "Verify return code: ")) {
        result.verify_code = std::stol(*code);
    }
    return result;
}

// ---------------------------------------------------------------------------------------------
// python3

std::string python_script(const std::string& name) {
    return std::string(TLSCTX_SOURCE_DIR) + "/tests/support/python/" + name;
}

PythonServer::PythonServer(const PythonServerOptions& options)
    : process_(python_server_argv(options), options.limit) {
    auto listening = [](const std::string& out, const std::string&) {
        return out.find('\n') != std::string::npos;
    };
    if (!process_.wait_for_output(listening, kPeerTimeout)) {
        throw std::runtime_error("python TLS server did not start listening\n" +
                                 process_.describe());
    }
    std::string out = process_.stdout_text();
    nlohmann::json first = nlohmann::json::parse(out.substr(0, out.find('\n')), nullptr, false);
    if (first.is_discarded() || !first.contains("port")) {
        throw std::runtime_error("python TLS server printed no port\n" + process_.describe());
    }
    port_ = first["port"].get<std::uint16_t>();
}

nlohmann::json PythonServer::result(Millis timeout) {
    ProcessResult r = process_.wait(timeout);
    auto found = last_json_line(
        r.out, [](const nlohmann::json& j) { return j.value("event", "") == "result"; });
    if (!found) {
        throw std::runtime_error("python TLS server reported no result\n" +
                                 describe_result(process_.argv(), r));
    }
    return *found;
}

nlohmann::json run_python_client(const PythonClientOptions& o) {
    std::vector<std::string> argv{"python3",
                                  python_script("tls_client.py"),
                                  "--port",
                                  std::to_string(o.port),
                                  "--server-hostname",
                                  o.server_hostname,
                                  "--cafile",
                                  o.cafile,
                                  "--send",
                                  o.send};
    if (!o.certfile.empty()) {
        argv.insert(argv.end(), {"--cert", o.certfile});
        if (!o.keyfile.empty()) {
            argv.insert(argv.end(), {"--key", o.keyfile});
        }
    }
    for (const std::string& p : o.alpn) {
        argv.insert(argv.end(), {"--alpn", p});
    }
    if (!o.min_version.empty()) {
        argv.insert(argv.end(), {"--min-version", o.min_version});
    }
    if (!o.max_version.empty()) {
        argv.insert(argv.end(), {"--max-version", o.max_version});
    }
    if (!o.check_hostname) {
        argv.emplace_back("--no-check-hostname");
    }
    if (o.read_first) {
        argv.emplace_back("--read-first");
    }
    ProcessResult r = run_process(argv, {}, o.limit);
    auto found =
        last_json_line(r.out, [](const nlohmann::json& j) { return j.contains("handshake"); });
    if (!found) {
        throw std::runtime_error("python TLS client reported no result\n" +
                                 describe_result(argv, r));
    }
    return *found;
}

nlohmann::json run_python_json(const std::string& code, const std::vector<std::string>& args,
                               Millis timeout) {
    std::vector<std::string> argv{"python3", "-c", code};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = run_process(argv, {}, timeout);
    nlohmann::json parsed = nlohmann::json::parse(r.out, nullptr, false);
    if (r.exit_code != 0 || parsed.is_discarded()) {
        throw std::runtime_error("python3 oracle failed\n" + describe_result(argv, r));
    }
    return parsed;
}

std::vector<nlohmann::json> python_decode_certs(const std::vector<std::string>& paths) {
    nlohmann::json all = run_python_json(
        "import json, ssl, sys\n"
        "print(json.dumps([ssl._ssl._test_decode_cert(p) for p in sys.argv[1:]]))",
        paths);
    return all.get<std::vector<nlohmann::json>>();
}

// ---------------------------------------------------------------------------------------------
// tlsctx peers

ServerThread::ServerThread(tls::Listener& listener, Handler handler, Millis timeout)
    : error_(std::make_shared<std::exception_ptr>()) {
    thread_ = std::thread([&listener, handler = std::move(handler), timeout, error = error_] {
        try {
            // Listener::accept() waits for a connection without limit; bound it here.
            if (!wait_readable(listener.fileno(), timeout)) {
                throw std::system_error(std::make_error_code(std::errc::timed_out),
                                        "ServerThread: no connection arrived");
            }
            tls::Socket socket = listener.accept_unhandshaken();
            socket.settimeout(timeout);
            socket.do_handshake();
            handler(socket);
        } catch (...) {
            *error = std::current_exception();
        }
    });
}

ServerThread::~ServerThread() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

ServerThread::ServerThread(ServerThread&& other) noexcept
    : thread_(std::move(other.thread_)), error_(std::move(other.error_)) {}

std::exception_ptr ServerThread::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
    return error_ ? *error_ : nullptr;
}

ServerThread run_server_in_thread(tls::Listener& listener, ServerThread::Handler handler,
                                  Millis timeout) {
    return ServerThread(listener, std::move(handler), timeout);
}

TlsPair::~TlsPair() {
    std::thread server_close([this] { server.close(); });
    client.close();
    server_close.join();
}

TlsPair handshake_pair(const tls::Context& client_context, const tls::Context& server_context,
                       tls::WrapOptions client_options, tls::WrapOptions server_options,
                       Millis timeout) {
    SocketPair fds = loopback_pair();
    client_options.do_handshake_on_connect = false;
    server_options.do_handshake_on_connect = false;
    server_options.server_side = true;
    TlsPair pair;
    int server_fd = fds.server.release();
    int client_fd = fds.client.release();
    std::thread server([&] {
        try {
            pair.server = server_context.wrap_socket(server_fd, FdOwnership::adopt, server_options);
            pair.server.settimeout(timeout);
            pair.server.do_handshake();
        } catch (...) {
            pair.server_error = std::current_exception();
        }
    });
    try {
        pair.client = client_context.wrap_socket(client_fd, FdOwnership::adopt, client_options);
        pair.client.settimeout(timeout);
        pair.client.do_handshake();
    } catch (...) {
        pair.client_error = std::current_exception();
    }
    server.join();
    return pair;
}

void rethrow(const std::exception_ptr& e) {
    if (e) {
        std::rethrow_exception(e);
    }
}

std::string describe(const std::exception_ptr& e) {
    if (!e) {
        return "none";
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        int status = 0;
        char* name = abi::__cxa_demangle(typeid(ex).name(), nullptr, nullptr, &status);
        std::string out = (status == 0 && name != nullptr) ? name : typeid(ex).name();
        // __cxa_demangle's result is malloc'd; this is the one place it is freed.
        std::free(name);  // NOLINT(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
        out += ": ";
        out += ex.what();
        if (const auto* cert = dynamic_cast<const tls::SSLCertVerificationError*>(&ex)) {
            out += " [verify_code " + std::to_string(cert->verify_code()) + "]";
        } else if (const auto* ssl = dynamic_cast<const tls::SSLError*>(&ex)) {
            out += " [reason " + ssl->reason() + "]";
        }
        return out;
    } catch (...) {
        return "non-standard exception";
    }
}

}  // namespace tls::test
