// The concurrency suite's harness (harness.hpp): the PKI, the two transports, one whole
// connection driven from a single thread, and the thread runner.
#include "concurrency/harness.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string_view>
#include <thread>
#include <utility>

#include "support/feature_helpers.hpp"

namespace tls::test::concurrency {
namespace {

pki::CertificateOptions leaf_options(std::vector<std::string> dns_names,
                                     std::vector<std::string> ips = {}) {
    pki::CertificateOptions options;
    options.common_name =
        dns_names.empty() ? std::string("tlsctx concurrency client") : dns_names.front();
    options.dns_names = std::move(dns_names);
    options.ip_addresses = std::move(ips);
    return options;
}

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        throw_errno("fcntl O_NONBLOCK");
    }
}

// What one end's last call came to.
enum class Step { done, want_read, want_write, failed };

Step step_of(const std::error_code& ec) {
    if (!ec) {
        return Step::done;
    }
    if (ec == SSLErrc::want_read) {
        return Step::want_read;
    }
    if (ec == SSLErrc::want_write) {
        return Step::want_write;
    }
    return Step::failed;
}

bool settled(Step s) {
    return s == Step::done || s == Step::failed;
}

// Two Objects whose MemoryBIOs this thread connects by moving bytes.
struct MemoryLink {
    MemoryBIO client_in, client_out, server_in, server_out;
    Object client, server;

    // Moves what each end wrote to the other; false when nothing moved (a stall).
    bool carry(Step /*client*/, Step /*server*/) {
        bool moved = false;
        if (client_out.pending() > 0) {
            server_in.write(client_out.read());
            moved = true;
        }
        if (server_out.pending() > 0) {
            client_in.write(server_out.read());
            moved = true;
        }
        return moved;
    }
    // A failed end's peer reads end of stream after what was sent (its alert, if any).
    void end_failed(bool client_side) {
        carry(Step::failed, Step::failed);
        (client_side ? server_in : client_in).write_eof();
    }
};

// Two non-blocking Sockets over one TCP connection on 127.0.0.1 (borrowing the descriptors).
struct SocketLink {
    Loopback::Pair fds;
    Socket client, server;

    // Waits until an end that wants I/O can make progress; false after 10 s without any.
    bool carry(Step client_step, Step server_step) {
        pollfd polls[2];
        nfds_t n = 0;
        auto want = [&](int fd, Step step) {
            if (step == Step::want_read || step == Step::want_write) {
                polls[n].fd = fd;
                polls[n].events = step == Step::want_read ? POLLIN : POLLOUT;
                polls[n].revents = 0;
                ++n;
            }
        };
        want(fds.client.get(), client_step);
        want(fds.server.get(), server_step);
        if (n == 0) {
            return true;
        }
        int ready = 0;
        do {
            ready = ::poll(polls, n, static_cast<int>(kPeerTimeout.count()));
        } while (ready < 0 && errno == EINTR);
        return ready > 0;
    }
    // The failed end's peer reads end of stream after the alert.
    void end_failed(bool client_side) {
        ::shutdown((client_side ? fds.client : fds.server).get(), SHUT_WR);
    }
};

std::string side_error(const char* step, const char* side, const Connection& end) {
    return std::string(step) + " " + side + ": " + end.last_error().message;
}

// Runs the two operations, each on its own end, until both are done or one failed; returns
// the first failure ("" when both are done).
template <typename Link, typename ClientOp, typename ServerOp>
std::string drive(Link& link, const char* step, ClientOp&& client_op, ServerOp&& server_op) {
    Step c = Step::want_read;
    Step s = Step::want_read;
    std::string error;
    for (;;) {
        // An end that settles this round may have sent its peer a last flight or an alert,
        // which the peer must be given a turn to read.
        bool settled_now = false;
        if (!settled(c)) {
            c = client_op();
            settled_now = settled(c);
            if (c == Step::failed) {
                error = error.empty() ? side_error(step, "client", link.client) : error;
                link.end_failed(true);
            }
        }
        if (!settled(s)) {
            s = server_op();
            settled_now = settled_now || settled(s);
            if (s == Step::failed) {
                error = error.empty() ? side_error(step, "server", link.server) : error;
                link.end_failed(false);
            }
        }
        if (settled(c) && settled(s)) {
            return error;
        }
        if (!link.carry(c, s) && !settled_now) {
            return error.empty() ? std::string(step) + ": stalled" : error;
        }
    }
}

// The read loop of the exchange: appends what `end` can read now; done once `want` bytes are in.
template <typename End>
Step read_into(End& end, std::string& got, std::size_t want) {
    char buf[256];
    while (got.size() < want) {
        std::error_code ec;
        const std::size_t n = end.read(buf, sizeof buf, ec);
        if (ec) {
            return step_of(ec);
        }
        if (n == 0) {
            return Step::failed;  // closed before the message was complete
        }
        got.append(buf, n);
    }
    return Step::done;
}

template <typename End>
Step write_once(End& end, std::string_view data, bool& sent) {
    if (sent) {
        return Step::done;
    }
    std::error_code ec;
    const std::size_t n = end.write(data.data(), data.size(), ec);
    if (ec) {
        return step_of(ec);
    }
    sent = n == data.size();
    return sent ? Step::done : Step::failed;
}

std::error_code unwrap(Object& end) {
    std::error_code ec;
    end.unwrap(ec);
    return ec;
}
std::error_code unwrap(Socket& end) {
    std::error_code ec;
    static_cast<void>(end.unwrap(ec));  // the descriptor stays with the link, which borrowed it
    return ec;
}

template <typename Link>
Outcome run_link(Link& link) {
    Outcome out;
    out.error = drive(
        link, "handshake",
        [&] {
            std::error_code ec;
            link.client.do_handshake(ec);
            return step_of(ec);
        },
        [&] {
            std::error_code ec;
            link.server.do_handshake(ec);
            return step_of(ec);
        });
    if (!out.ok()) {
        out.client_code = link.client.last_error().code;
        out.client_reason = link.client.last_error().reason;
        out.server_code = link.server.last_error().code;
        return out;
    }
    out.server_chain = link.client.get_unverified_chain();
    out.server_leaf = link.client.getpeercert_der().value_or(Bytes{});
    out.client_chain = link.server.get_unverified_chain();
    out.client_reused = link.client.session_reused();
    out.server_reused = link.server.session_reused();
    out.version = link.client.version().value_or("");
    out.alpn = link.client.selected_alpn_protocol();
    out.staple = link.client.ocsp_response();

    // A little data each way: the client's read also takes in TLS 1.3 tickets.
    const std::string ping = "ping from a thread of the concurrency suite";
    std::string client_got, server_got;
    bool client_sent = false, server_sent = false;
    out.error = drive(
        link, "exchange",
        [&] {
            const Step w = write_once(link.client, ping, client_sent);
            return w != Step::done ? w : read_into(link.client, client_got, ping.size());
        },
        [&] {
            const Step r = read_into(link.server, server_got, ping.size());
            return r != Step::done ? r : write_once(link.server, server_got, server_sent);
        });
    if (out.ok() && (server_got != ping || client_got != ping)) {
        out.error = "exchange: the data came back changed";
    }
    if (!out.ok()) {
        return out;
    }
    out.session = link.client.session();
    out.error = drive(
        link, "unwrap", [&] { return step_of(unwrap(link.client)); },
        [&] { return step_of(unwrap(link.server)); });
    return out;
}

}  // namespace

Pki::Pki()
    : root("tlsctx concurrency root"),
      intermediate_a(root.create_child_ca("tlsctx concurrency intermediate A")),
      intermediate_b(root.create_child_ca("tlsctx concurrency intermediate B")),
      localhost_a(intermediate_a.issue_cert(leaf_options({"localhost"}, {"127.0.0.1"}))),
      localhost_b(intermediate_b.issue_cert(leaf_options({"localhost"}, {"127.0.0.1"}))),
      client_1(intermediate_a.issue_cert(leaf_options({}))),
      client_2(intermediate_a.issue_cert(leaf_options({}))),
      ocsp_good_1(intermediate_a.make_ocsp_response(
          localhost_a.cert_pem(), pki::OcspCertStatus::good, std::chrono::hours(-1))),
      ocsp_good_2(intermediate_a.make_ocsp_response(
          localhost_a.cert_pem(), pki::OcspCertStatus::good, std::chrono::hours(-2))) {
    for (int i = 0; i < kThreads; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "host%02d.example.test", i);
        sni_names.emplace_back(name);
        sni_leaves.push_back(intermediate_a.issue_cert(leaf_options({name})));
    }
}

const Pki& Pki::get() {
    static const Pki pki;
    return pki;
}

std::vector<Bytes> Pki::chain_der(const pki::IssuedCert& leaf) {
    return feature::der_certificates(leaf.cert_chain_pem());
}

Context server_context(const pki::IssuedCert& leaf) {
    Context context(PROTOCOL_TLS_SERVER);
    context.load_cert_chain_pem(leaf.cert_chain_pem(), leaf.private_key_pem());
    return context;
}

Context client_context() {
    Context context(PROTOCOL_TLS_CLIENT);
    context.load_verify_cadata(std::string_view(Pki::get().root.cert_pem()));
    return context;
}

Loopback::Loopback() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (!listener_) {
        throw_errno("Loopback: socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_.get(), kThreads) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        throw_errno("Loopback: bind/listen");
    }
    port_ = ntohs(addr.sin_port);
}

Loopback::Pair Loopback::pair() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    Pair pair;
    pair.client.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!pair.client) {
        throw_errno("Loopback: socket");
    }
    {
        // Only this thread connects meanwhile, so the connection accepted is this one. On
        // loopback a blocking connect completes as soon as the backlog takes it.
        std::lock_guard<std::mutex> lock(mutex_);
        if (::connect(pair.client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw_errno("Loopback: connect");
        }
        int fd = -1;
        do {
            fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        } while (fd < 0 && errno == EINTR);
        if (fd < 0) {
            throw_errno("Loopback: accept");
        }
        pair.server.reset(fd);
    }
    const int one = 1;
    for (const Fd* fd : {&pair.client, &pair.server}) {
        ::setsockopt(fd->get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        set_nonblocking(fd->get());
    }
    return pair;
}

Outcome run_connection(const Context& client, const Context& server, const Connect& how,
                       Loopback& loopback) {
    try {
        WrapOptions client_options = WrapOptions::client(how.server_hostname);
        client_options.session = how.session;
        client_options.do_handshake_on_connect = false;
        WrapOptions server_options = WrapOptions::server();
        server_options.do_handshake_on_connect = false;
        if (how.transport == Transport::memory) {
            client_options.session_cache_port = how.memory_port;
            MemoryLink link;
            link.client = client.wrap_bio(link.client_in, link.client_out, client_options);
            link.server = server.wrap_bio(link.server_in, link.server_out, server_options);
            return run_link(link);
        }
        SocketLink link;
        link.fds = loopback.pair();
        link.client =
            client.wrap_socket(link.fds.client.get(), FdOwnership::borrow, client_options);
        link.server =
            server.wrap_socket(link.fds.server.get(), FdOwnership::borrow, server_options);
        return run_link(link);
    } catch (const std::exception& e) {
        Outcome out;
        out.error = std::string("connection: ") + e.what();
        return out;
    }
}

void Failures::add(std::string what) {
    std::lock_guard<std::mutex> lock(mutex_);
    list_.push_back(std::move(what));
}

std::vector<std::string> Failures::list() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return list_;
}

std::size_t Failures::count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return list_.size();
}

void Progress::add() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++done_;
    changed_.notify_all();
}

void Progress::finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    changed_.notify_all();
}

bool Progress::wait_for(std::size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return finished_ || done_ >= count; });
    return !finished_;
}

std::size_t Progress::done() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
}

void run_threads(const std::function<void(int thread)>& body, Failures& failures,
                 Progress& progress, const std::function<void()>& helper) {
    std::mutex gate_mutex;
    std::condition_variable gate;
    bool open = false;
    auto guarded = [&](const std::function<void()>& fn, const std::string& who) {
        try {
            fn();
        } catch (const std::exception& e) {
            failures.add(who + " threw: " + e.what());
        } catch (...) {
            failures.add(who + " threw something that is not a std::exception");
        }
    };
    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t) {
        workers.emplace_back([&, t] {
            {
                std::unique_lock<std::mutex> lock(gate_mutex);
                gate.wait(lock, [&] { return open; });
            }
            guarded([&] { body(t); }, "thread " + std::to_string(t));
        });
    }
    std::thread helper_thread;
    if (helper) {
        helper_thread = std::thread([&] { guarded(helper, "the helper thread"); });
    }
    {
        std::lock_guard<std::mutex> lock(gate_mutex);
        open = true;
    }
    gate.notify_all();
    for (std::thread& t : workers) {
        t.join();
    }
    progress.finish();
    if (helper_thread.joinable()) {
        helper_thread.join();
    }
}

std::size_t every_n_connections(Progress& progress, std::size_t every,
                                const std::function<void(std::size_t step)>& action) {
    std::size_t step = 0;
    while (progress.wait_for((step + 1) * every)) {
        action(step);
        ++step;
    }
    return step;
}

void print_figures(const std::string& line) {
    std::printf("[ figures  ] %s\n", line.c_str());
    std::fflush(stdout);
}

}  // namespace tls::test::concurrency
