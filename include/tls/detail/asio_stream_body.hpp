// tlsctx — the body of tls::asio::stream and tls::boost_asio::stream, written once for both Asios.
//
// Not a header to include: tls/asio.hpp and tls/boost_asio.hpp each define, before including it,
//   TLSCTX_ASIO_NAMESPACE          the namespace inside `tls` (asio, boost_asio)
//   TLSCTX_ASIO_HAS_CANCELLATION   1 when composed operations have cancellation slots (Asio 1.19+)
// and, in `tls::TLSCTX_ASIO_NAMESPACE::detail`, `net` (the Asio namespace), `error_code`,
// `system_error`, `to_net(std::error_code)` and `is_tls(error_code)`. It has no include guard on
// purpose: a program may include both headers.
//
// How it works: the stream owns a tls::Object over two MemoryBIOs (the sans-I/O core, exactly
// what Python's SSLObject is) and moves ciphertext between them and the next layer. Every TLS
// operation is one loop: run the TLS call; flush what it produced; if it wants the peer's bytes,
// read some and run it again; else complete. One transport read and one transport write may be
// in flight at a time; an operation that needs a direction another operation holds waits on a
// gate (a timer that never expires and is cancelled on release), which is what makes one read
// and one write outstanding at once (full duplex) safe.
//
// The state lives in a shared core that every operation holds, so an operation that completes
// after the stream was destroyed finds `alive == false` and finishes with operation_aborted
// without touching the next layer or the stream.

namespace tls {
namespace TLSCTX_ASIO_NAMESPACE {

/// Asio's `ssl::stream_base`: which side of the handshake this end plays.
struct stream_base {
    enum handshake_type { client, server };
};

namespace detail {

// Ciphertext read from the next layer per call: one full record (16 KiB + header + AEAD tag)
// fits, as in Asio's own ssl engine.
constexpr std::size_t transport_chunk = 17 * 1024;
// Plaintext one write_some encrypts at most: one full record per transport write.
constexpr std::size_t max_write_plaintext = 16 * 1024;

// What one TLS call left behind: want_read / want_write / success / a failure, and a count.
struct step_result {
    std::error_code ec;
    std::size_t n = 0;
};

template <class T, class = void>
struct lowest_layer_of {
    using type = T;
    static type& get(T& t) noexcept { return t; }
};
template <class T>
struct lowest_layer_of<T, std::void_t<typename T::lowest_layer_type>> {
    using type = typename T::lowest_layer_type;
    static type& get(T& t) { return t.lowest_layer(); }
};

template <class NextLayer>
struct stream_core {
    template <class Executor>
    stream_core(const Executor& ex, const tls::Context& context)
        : ctx(context), read_gate(ex), write_gate(ex) {
        read_gate.expires_at(net::steady_timer::time_point::max());
        write_gate.expires_at(net::steady_timer::time_point::max());
    }

    NextLayer* next = nullptr;  // the stream's next layer; updated when the stream moves
    bool alive = true;          // false once the stream is destroyed
    tls::Context ctx;
    tls::WrapOptions options;
    tls::MemoryBIO incoming;  // the peer's ciphertext, for the Object
    tls::MemoryBIO outgoing;  // the Object's ciphertext, for the peer
    tls::Object object;       // made by the first handshake call
    std::vector<unsigned char> wire_out;
    bool reading = false;  // a transport read is in flight
    bool writing = false;  // a transport write is in flight
    net::steady_timer read_gate;
    net::steady_timer write_gate;

    // Makes the Object on the first handshake; WrapOptions decide verification and SNI.
    void start(stream_base::handshake_type type, std::string_view host) {
        if (object.native_handle() != nullptr) {
            return;
        }
        options.server_side = type == stream_base::server;
        if (!host.empty()) {
            options.server_hostname = std::string(host);
        }
        object = ctx.wrap_bio(incoming, outgoing, options);
    }

    // Bytes already read from the transport, given to the Object before anything else.
    template <class ConstBufferSequence>
    std::size_t prime(const ConstBufferSequence& buffers) {
        std::size_t n = 0;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
             ++it) {
            net::const_buffer b(*it);
            n += incoming.write(b.data(), b.size());
        }
        return n;
    }

    // Moves everything the Object produced into wire_out.
    void take_output() {
        wire_out.resize(outgoing.pending());
        wire_out.resize(outgoing.read(wire_out.data(), wire_out.size()));
    }

    // Room in the incoming buffer for the next transport read: the socket's bytes land where
    // the Object reads them, with no copy in between. Together with a partial record still
    // queued it stays within one chunk, so the buffer does not grow past it.
    auto read_room() {
        const std::size_t queued = incoming.pending();
        const std::size_t len = queued + 4096 < transport_chunk ? transport_chunk - queued : 4096;
        return net::buffer(incoming.prepare(len), len);
    }

    // What the transport read (or the end of it) into the Object; false for a transport
    // failure.
    bool feed(const error_code& ec, std::size_t n) {
        incoming.commit(ec ? 0 : n);
        if (ec == net::error::eof) {
            incoming.write_eof();  // the Object tells close_notify-then-EOF from truncation
            return true;
        }
        return !ec;
    }
};

// The TLS calls, one per operation kind. `complete` turns the last result into the completion
// arguments.
struct handshake_step {
    static constexpr bool has_count = false;
    template <class Core>
    step_result operator()(Core& c) const {
        step_result r;
        c.object.do_handshake(r.ec);
        return r;
    }
    std::pair<error_code, std::size_t> complete(const step_result& r) const {
        return {to_net(r.ec), 0};
    }
};

// A server handshake that starts from bytes the caller had already read.
struct buffered_handshake_step {
    static constexpr bool has_count = true;
    std::size_t primed = 0;

    template <class Core>
    step_result operator()(Core& c) const {
        return handshake_step{}(c);
    }
    std::pair<error_code, std::size_t> complete(const step_result& r) const {
        return {to_net(r.ec), r.ec ? 0 : primed};
    }
};

struct shutdown_step {
    static constexpr bool has_count = false;
    template <class Core>
    step_result operator()(Core& c) const {
        step_result r;
        c.object.unwrap(r.ec);
        return r;
    }
    std::pair<error_code, std::size_t> complete(const step_result& r) const {
        return {to_net(r.ec), 0};
    }
};

template <class MutableBufferSequence>
struct read_step {
    static constexpr bool has_count = true;
    MutableBufferSequence buffers;

    template <class Core>
    step_result operator()(Core& c) const {
        step_result r;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
             ++it) {
            net::mutable_buffer b(*it);
            if (b.size() == 0) {
                continue;
            }
            std::size_t n = c.object.read(b.data(), b.size(), r.ec);
            if (r.ec) {
                break;
            }
            r.n += n;
            // Fill the next buffer only from what is already decrypted: never wait for more.
            if (n < b.size() || c.object.pending() == 0) {
                break;
            }
        }
        if (r.n > 0) {
            r.ec.clear();  // report the bytes; a failure after them resurfaces on the next read
        }
        return r;
    }
    std::pair<error_code, std::size_t> complete(const step_result& r) const {
        if (!r.ec && r.n == 0 && net::buffer_size(buffers) > 0) {
            return {error_code(net::error::eof), 0};  // the peer's close_notify
        }
        return {to_net(r.ec), r.n};
    }
};

template <class ConstBufferSequence>
struct write_step {
    static constexpr bool has_count = true;
    ConstBufferSequence buffers;

    template <class Core>
    step_result operator()(Core& c) const {
        step_result r;
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
             ++it) {
            net::const_buffer b(*it);
            std::size_t len = std::min(b.size(), max_write_plaintext - r.n);
            if (len == 0) {
                if (r.n == max_write_plaintext) {
                    break;
                }
                continue;
            }
            std::size_t n = c.object.write(b.data(), len, r.ec);
            if (r.ec) {
                break;
            }
            r.n += n;
        }
        if (r.n > 0) {
            r.ec.clear();
        }
        return r;
    }
    std::pair<error_code, std::size_t> complete(const step_result& r) const {
        return {to_net(r.ec), r.n};
    }
};

// A TLS call that failed for good (not "wants I/O").
inline bool final_failure(const std::error_code& ec) noexcept {
    return ec && ec != tls::SSLErrc::want_read && ec != tls::SSLErrc::want_write;
}

// One asynchronous TLS operation (async_compose's implementation object).
template <class NextLayer, class Step>
class io_op {
  public:
    io_op(std::shared_ptr<stream_core<NextLayer>> core, Step step)
        : core_(std::move(core)), step_(std::move(step)) {}

    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t bytes = 0) {
        stream_core<NextLayer>& c = *core_;
        switch (resume_) {
            case resume::start:
                break;
            case resume::wrote:
                c.writing = false;
                c.write_gate.cancel();  // wakes an operation waiting to write
                if (!c.alive) {
                    return finish(self, error_code(net::error::operation_aborted), 0);
                }
                if (ec) {
                    // A TLS call that failed for good queued its alert: sending it is best
                    // effort, and the operation's error is the TLS one (Python's, too).
                    if (ran_ && final_failure(last_.ec)) {
                        flush_failed_ = true;
                        break;
                    }
                    return finish(self, ec, 0);
                }
                break;
            case resume::read:
                c.reading = false;
                c.read_gate.cancel();
                if (!c.alive) {
                    return finish(self, error_code(net::error::operation_aborted), 0);
                }
                if (!c.feed(ec, bytes)) {
                    return finish(self, ec, 0);
                }
                ran_ = false;  // new input: run the TLS call again
                break;
            case resume::waited_write:
            case resume::waited_read:
                if (!c.alive || cancelled(self)) {
                    return finish(self, error_code(net::error::operation_aborted), 0);
                }
                if (resume_ == resume::waited_read) {
                    ran_ = false;  // the other reader may have brought what we wait for
                }
                break;
            case resume::deferred:
                return finish(self, result_ec_, result_n_);
        }
        run(self);
    }

  private:
    enum class resume { start, wrote, read, waited_write, waited_read, deferred };

    template <class Self>
    void run(Self& self) {
        stream_core<NextLayer>& c = *core_;
        for (;;) {
            if (!ran_) {
                last_ = step_(c);
                ran_ = true;
            }
            if (c.outgoing.pending() > 0 && !(flush_failed_ && final_failure(last_.ec))) {
                io_started_ = true;
                if (c.writing) {
                    resume_ = resume::waited_write;
                    return c.write_gate.async_wait(std::move(self));
                }
                c.writing = true;
                c.take_output();
                resume_ = resume::wrote;
                return net::async_write(*c.next, net::buffer(c.wire_out), std::move(self));
            }
            if (last_.ec == tls::SSLErrc::want_read) {
                io_started_ = true;
                if (c.reading) {
                    resume_ = resume::waited_read;
                    return c.read_gate.async_wait(std::move(self));
                }
                c.reading = true;
                resume_ = resume::read;
                return c.next->async_read_some(c.read_room(), std::move(self));
            }
            if (last_.ec == tls::SSLErrc::want_write) {
                ran_ = false;  // everything is flushed: the call can go on
                continue;
            }
            std::tie(result_ec_, result_n_) = step_.complete(last_);
            if (io_started_) {
                return finish(self, result_ec_, result_n_);
            }
            // Finished without waiting for anything: a handler must not run inside the
            // initiating call, so post the rest. (Asio's engine reads zero bytes from the next
            // layer instead; beast::tcp_stream asserts on a second read in flight, which that
            // would be while another operation reads.)
            resume_ = resume::deferred;
            return net::post(c.next->get_executor(), std::move(self));
        }
    }

    // Handshake and shutdown complete with `void(error_code)`, reads and writes with a count.
    template <class Self>
    static void finish(Self& self, const error_code& ec, std::size_t n) {
        if constexpr (Step::has_count) {
            self.complete(ec, n);
        } else {
            (void)n;
            self.complete(ec);
        }
    }

    // Whether the operation's cancellation slot fired. composed_op answers only when the
    // handler has a slot (Asio 1.19+); otherwise nothing can cancel it but the next layer.
    template <class Self>
    static auto cancelled_state(Self& self, int) -> decltype(self.cancelled(), bool()) {
#if TLSCTX_ASIO_HAS_CANCELLATION
        return self.cancelled() != net::cancellation_type::none;
#else
        return false;
#endif
    }
    template <class Self>
    static bool cancelled_state(Self&, long) {
        return false;
    }
    template <class Self>
    static bool cancelled(Self& self) {
        return cancelled_state(self, 0);
    }

    std::shared_ptr<stream_core<NextLayer>> core_;
    Step step_;
    resume resume_ = resume::start;
    bool ran_ = false;  // last_ is the result of the TLS call for the current input
    bool io_started_ = false;
    bool flush_failed_ = false;  // the transport refused the alert of a failed TLS call  // an
                                 // asynchronous wait has happened: completing directly is fine
    step_result last_;
    error_code result_ec_;
    std::size_t result_n_ = 0;
};

}  // namespace detail

/// A TLS stream over an Asio stream (a TCP socket, beast::tcp_stream, ...): the AsyncReadStream,
/// AsyncWriteStream, SyncReadStream and SyncWriteStream of Asio, with tlsctx's engine, its
/// secure defaults (a default tls::Context verifies the chain and the host name) and its typed
/// errors. A drop-in for `asio::ssl::stream<NextLayer>`; see docs/asio.md.
///
/// Rules, as for Asio's streams: operations run on one thread at a time (an io_context run by
/// one thread, or a strand); at most one read and one write outstanding at once (full duplex);
/// handshake and shutdown exclusive. Destroying the stream completes every outstanding
/// operation with operation_aborted, none of which touches the stream again.
///
/// Errors: TLS failures are codes in tlsctx's category (`ec == tls::SSLErrc::cert_verification`),
/// with the details in last_error(); the peer's close_notify ends a read with `error::eof`, an
/// end without it with `tls::SSLErrc::eof` (Python's SSLEOFError: possible truncation); transport
/// failures are the next layer's own codes. The throwing overloads throw tlsctx's Python-shaped
/// exceptions for TLS failures and the Asio system_error for the others.
template <class NextLayer>
class stream : public stream_base {
  public:
    using next_layer_type = std::remove_reference_t<NextLayer>;
    using lowest_layer_type = typename detail::lowest_layer_of<next_layer_type>::type;
    using executor_type = typename next_layer_type::executor_type;
    using error_code = detail::error_code;

    /// Asio's order: the next layer's constructor argument (an io_context, an executor, or an
    /// existing socket moved in), then the Context (a shared handle; the stream keeps a copy).
    template <class Arg>
    stream(Arg&& arg, const tls::Context& ctx)
        : next_(std::forward<Arg>(arg)),
          core_(std::make_shared<core_type>(next_.get_executor(), ctx)) {
        core_->next = &next_;
    }

    /// Moving requires no outstanding operation; the moved-from stream may only be destroyed
    /// or assigned to.
    stream(stream&& other) noexcept : next_(std::move(other.next_)), core_(std::move(other.core_)) {
        if (core_) {
            core_->next = &next_;
        }
    }
    stream& operator=(stream&& other) noexcept {
        if (this != &other) {
            retire();
            next_ = std::move(other.next_);
            core_ = std::move(other.core_);
            if (core_) {
                core_->next = &next_;
            }
        }
        return *this;
    }
    stream(const stream&) = delete;
    stream& operator=(const stream&) = delete;
    ~stream() { retire(); }

    executor_type get_executor() noexcept { return next_.get_executor(); }
    next_layer_type& next_layer() noexcept { return next_; }
    const next_layer_type& next_layer() const noexcept { return next_; }
    lowest_layer_type& lowest_layer() {
        return detail::lowest_layer_of<next_layer_type>::get(next_);
    }

    // --- Before the handshake ---

    /// The host name a client verifies and sends as SNI (Python's `server_hostname`); the
    /// handshake's `server_hostname` argument does the same.
    void set_server_hostname(std::string host) { core_->options.server_hostname = std::move(host); }
    /// A session to resume on a client (Python's `session`); an empty one clears it.
    void set_session(const tls::Session& session) { core_->options.session = session; }

    // --- Handshake ---

    /// Runs the handshake. On a client the host name comes from `server_hostname` or
    /// set_server_hostname(). @throws std::invalid_argument from the call itself where
    /// Context::wrap_bio would (a client with check_hostname and no host name).
    void handshake(handshake_type type) { handshake(type, std::string_view()); }
    void handshake(handshake_type type, error_code& ec) { handshake(type, std::string_view(), ec); }
    void handshake(handshake_type type, std::string_view server_hostname) {
        error_code ec;
        handshake(type, server_hostname, ec);
        throw_on_error(ec);
    }
    void handshake(handshake_type type, std::string_view server_hostname, error_code& ec) {
        core_->start(type, server_hostname);
        ec = run_sync(detail::handshake_step{}).first;
    }
    /// Completion signature `void(error_code)`.
    template <class CompletionToken>
    auto async_handshake(handshake_type type, CompletionToken&& token) {
        return async_handshake(type, std::string_view(), std::forward<CompletionToken>(token));
    }
    template <class CompletionToken>
    auto async_handshake(handshake_type type, std::string_view server_hostname,
                         CompletionToken&& token) {
        core_->start(type, server_hostname);
        return async_run<void(error_code)>(detail::handshake_step{},
                                           std::forward<CompletionToken>(token));
    }

    /// Asio's buffered handshake: a server that already read the start of the connection (to
    /// tell TLS from plaintext, as Beast's detect_ssl does) hands those bytes in first. Returns,
    /// or completes with `void(error_code, std::size_t)` and, the count of them taken (all).
    template <
        class ConstBufferSequence,
        class = std::enable_if_t<detail::net::is_const_buffer_sequence<ConstBufferSequence>::value>>
    std::size_t handshake(handshake_type type, const ConstBufferSequence& buffers) {
        error_code ec;
        std::size_t n = handshake(type, buffers, ec);
        throw_on_error(ec);
        return n;
    }
    template <
        class ConstBufferSequence,
        class = std::enable_if_t<detail::net::is_const_buffer_sequence<ConstBufferSequence>::value>>
    std::size_t handshake(handshake_type type, const ConstBufferSequence& buffers, error_code& ec) {
        core_->start(type, std::string_view());
        auto [e, n] = run_sync(detail::buffered_handshake_step{core_->prime(buffers)});
        ec = e;
        return n;
    }
    template <
        class ConstBufferSequence, class CompletionToken,
        class = std::enable_if_t<detail::net::is_const_buffer_sequence<ConstBufferSequence>::value>>
    auto async_handshake(handshake_type type, const ConstBufferSequence& buffers,
                         CompletionToken&& token) {
        core_->start(type, std::string_view());
        return async_run<void(error_code, std::size_t)>(
            detail::buffered_handshake_step{core_->prime(buffers)},
            std::forward<CompletionToken>(token));
    }

    // --- Data ---

    /// Reads decrypted bytes into `buffers`; 0 bytes only for empty buffers.
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers) {
        error_code ec;
        std::size_t n = read_some(buffers, ec);
        throw_on_error(ec);
        return n;
    }
    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
        auto [e, n] = run_sync(detail::read_step<MutableBufferSequence>{buffers});
        ec = e;
        return n;
    }
    /// Completion signature `void(error_code, std::size_t)`.
    template <class MutableBufferSequence, class CompletionToken>
    auto async_read_some(const MutableBufferSequence& buffers, CompletionToken&& token) {
        return async_run<void(error_code, std::size_t)>(
            detail::read_step<MutableBufferSequence>{buffers},
            std::forward<CompletionToken>(token));
    }

    /// Encrypts and sends up to 16 KiB of `buffers` (one record); returns the count.
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers) {
        error_code ec;
        std::size_t n = write_some(buffers, ec);
        throw_on_error(ec);
        return n;
    }
    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
        auto [e, n] = run_sync(detail::write_step<ConstBufferSequence>{buffers});
        ec = e;
        return n;
    }
    /// Completion signature `void(error_code, std::size_t)`.
    template <class ConstBufferSequence, class CompletionToken>
    auto async_write_some(const ConstBufferSequence& buffers, CompletionToken&& token) {
        return async_run<void(error_code, std::size_t)>(
            detail::write_step<ConstBufferSequence>{buffers}, std::forward<CompletionToken>(token));
    }

    // --- Shutdown ---

    /// Python's `unwrap()`: sends close_notify and completes once the peer's has arrived. A
    /// peer that closes the connection instead ends it with tls::SSLErrc::eof.
    void shutdown() {
        error_code ec;
        shutdown(ec);
        throw_on_error(ec);
    }
    void shutdown(error_code& ec) { ec = run_sync(detail::shutdown_step{}).first; }
    /// Completion signature `void(error_code)`.
    template <class CompletionToken>
    auto async_shutdown(CompletionToken&& token) {
        return async_run<void(error_code)>(detail::shutdown_step{},
                                           std::forward<CompletionToken>(token));
    }

    // --- What the handshake established: tls::Connection's queries (tls/connection.hpp) ---
    // They throw std::logic_error before the first handshake call, as tls::Connection does.

    /// The tls::Object under the stream: every tls::Connection query.
    const tls::Object& connection() const noexcept { return core_->object; }
    std::optional<CertificateInfo> getpeercert() const { return connection().getpeercert(); }
    std::optional<Bytes> getpeercert_der() const { return connection().getpeercert_der(); }
    std::optional<CipherDescription> cipher() const { return connection().cipher(); }
    std::optional<std::string> version() const { return connection().version(); }
    std::optional<std::string> selected_alpn_protocol() const {
        return connection().selected_alpn_protocol();
    }
    std::optional<std::string> group() const { return connection().group(); }
    tls::Session session() const { return connection().session(); }
    bool session_reused() const noexcept { return connection().session_reused(); }
    bool server_side() const noexcept { return connection().server_side(); }
    const std::string& server_hostname() const noexcept { return connection().server_hostname(); }
    std::optional<std::string> server_name() const { return connection().server_name(); }
    bool handshake_done() const noexcept { return connection().handshake_done(); }
    std::vector<Bytes> get_verified_chain() const { return connection().get_verified_chain(); }
    std::vector<Bytes> get_unverified_chain() const { return connection().get_unverified_chain(); }
    std::optional<Bytes> get_channel_binding(std::string_view cb_type = "tls-unique") const {
        return connection().get_channel_binding(cb_type);
    }
    std::size_t pending() const noexcept { return connection().pending(); }
    /// RFC 5705 / RFC 8446 7.5 exporter (tls::Connection::export_keying_material).
    Bytes export_keying_material(std::string_view label, const std::optional<Bytes>& context,
                                 std::size_t length) const {
        return connection().export_keying_material(label, context, length);
    }
    /// KeyUpdates both ways, session tickets, transport bytes (tls::Connection::stats).
    tls::ConnectionStats stats() const noexcept { return connection().stats(); }
    /// TLS 1.3 KeyUpdate (tls::Object::update_keys): the message is queued here and goes out
    /// with the next operation's transport write (async_write_some, async_read_some, a
    /// shutdown). Call it where the stream's operations run (its executor), not while another
    /// thread runs one. @throws std::logic_error before the handshake; SSLError with reason()
    /// "WRONG_SSL_VERSION" on TLS 1.2.
    void update_keys(bool request_peer = false) { core_->object.update_keys(request_peer); }
    void update_keys(bool request_peer, error_code& ec) {
        std::error_code tls_ec;
        core_->object.update_keys(request_peer, tls_ec);
        ec = detail::to_net(tls_ec);
    }
    /// The last TLS failure, with OpenSSL's reason and the verification code.
    const ErrorInfo& last_error() const noexcept { return connection().last_error(); }
    /// The `SSL*` as `void*` (tls/native.hpp); nullptr before the first handshake call.
    void* native_handle() const noexcept { return connection().native_handle(); }

  private:
    using core_type = detail::stream_core<next_layer_type>;

    template <class Signature, class Step, class CompletionToken>
    auto async_run(Step step, CompletionToken&& token) {
        return detail::net::async_compose<CompletionToken, Signature>(
            detail::io_op<next_layer_type, Step>(core_, std::move(step)), token, next_);
    }

    // The same loop as io_op, blocking on the next layer.
    template <class Step>
    std::pair<error_code, std::size_t> run_sync(const Step& step) {
        core_type& c = *core_;
        detail::step_result r = step(c);
        for (;;) {
            if (c.outgoing.pending() > 0) {
                c.take_output();
                error_code ec;
                detail::net::write(next_, detail::net::buffer(c.wire_out), ec);
                if (ec) {
                    // The alert of a failed TLS call is best effort; its error is the TLS one.
                    return detail::final_failure(r.ec) ? step.complete(r)
                                                       : std::pair<error_code, std::size_t>{ec, 0};
                }
                continue;
            }
            if (r.ec == tls::SSLErrc::want_read) {
                error_code ec;
                std::size_t n = next_.read_some(c.read_room(), ec);
                if (!c.feed(ec, n)) {
                    return {ec, 0};
                }
            } else if (r.ec != tls::SSLErrc::want_write) {
                return step.complete(r);
            }
            r = step(c);
        }
    }

    void throw_on_error(const error_code& ec) const {
        if (!ec) {
            return;
        }
        if (detail::is_tls(ec) && core_->object.native_handle() != nullptr) {
            tls::throw_error(core_->object.last_error());
        }
        throw detail::system_error(ec);
    }

    void retire() noexcept {
        if (core_) {
            core_->alive = false;
            core_->read_gate.cancel();
            core_->write_gate.cancel();
        }
    }

    NextLayer next_;
    std::shared_ptr<core_type> core_;
};

}  // namespace TLSCTX_ASIO_NAMESPACE
}  // namespace tls
