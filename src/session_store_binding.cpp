// The server side of a SessionStore: OpenSSL's external session cache callbacks, sealing, the
// deadline, and the counters. Every failure here ends as "no session" (a full handshake): the
// store can slow a handshake by at most its deadline and can never fail one.
#include "session_store_binding.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "context_state.hpp"
#include "engine.hpp"
#include "ex_data.hpp"
#include "ossl/handles.hpp"
#include "session_seal.hpp"
#include "tls/store_errors.hpp"

namespace tls::detail {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kWorkerThreads = 4;
constexpr std::size_t kMaxQueuedCalls = 256;

std::shared_ptr<SessionStoreBinding> binding_of(const SSL* ssl) noexcept {
    const Engine* engine = engine_of(ssl);
    return engine != nullptr ? engine->session_store() : nullptr;
}

// The one host name of a raw ClientHello server_name extension (RFC 6066 section 3), or empty.
std::string_view sni_of(const unsigned char* data, std::size_t length) noexcept {
    if (length < 5 || data[2] != TLSEXT_NAMETYPE_host_name) {
        return {};
    }
    const std::size_t name_length = (std::size_t{data[3]} << 8U) | data[4];
    if (name_length > length - 5) {
        return {};
    }
    return {reinterpret_cast<const char*>(data + 5), name_length};
}

bool equal_ignoring_case(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; };
               return lower(x) == lower(y);
           });
}

// Whether a raw ClientHello ALPN extension (RFC 7301) offers `protocol`.
bool offers_alpn(const unsigned char* data, std::size_t length, std::string_view protocol) {
    if (length < 2) {
        return false;
    }
    std::size_t at = 2;
    while (at < length) {
        const std::size_t n = data[at];
        if (n > length - at - 1) {
            return false;
        }
        if (std::string_view(reinterpret_cast<const char*>(data + at + 1), n) == protocol) {
            return true;
        }
        at += 1 + n;
    }
    return false;
}

// Whether this connection may resume `session`, stored for SNI name `stored_sni`: made for the
// same service (session id context), the same server name, and an ALPN protocol the client
// offers again. OpenSSL checks the id context too, but after the lookup; checking here counts
// the refusal as a rejection.
bool fits_connection(SSL* ssl, const SSL_SESSION* session, const std::string& sid_ctx,
                     std::string_view stored_sni) {
    unsigned int ctx_length = 0;
    const unsigned char* ctx = SSL_SESSION_get0_id_context(session, &ctx_length);
    if (ctx_length != sid_ctx.size() || std::memcmp(ctx, sid_ctx.data(), ctx_length) != 0) {
        return false;
    }
    // The lookup runs while OpenSSL parses the ClientHello, before it records the SNI name:
    // the raw extensions are what the client sent.
    const unsigned char* ext = nullptr;
    std::size_t ext_length = 0;
    std::string_view sni;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &ext_length) == 1) {
        sni = sni_of(ext, ext_length);
    }
    if (!equal_ignoring_case(sni, stored_sni)) {
        return false;
    }
    const unsigned char* alpn = nullptr;
    std::size_t alpn_length = 0;
    SSL_SESSION_get0_alpn_selected(session, &alpn, &alpn_length);
    if (alpn_length == 0) {
        return true;
    }
    return SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
                                     &ext_length) == 1 &&
           offers_alpn(ext, ext_length,
                       std::string_view(reinterpret_cast<const char*>(alpn), alpn_length));
}

// Runs one store call. A store written by a user may throw despite the contract: that costs the
// call (an error, so a full handshake), never the worker thread or the process.
template <typename Call>
void guarded(std::error_code& ec, Call&& call) noexcept {
    try {
        call();
    } catch (...) {
        ec = std::make_error_code(std::errc::io_error);
    }
}

// Removes `key` from the store in the background.
void forget(SessionStoreBinding& binding, Bytes key) {
    std::shared_ptr<SessionStore> store = binding.store;
    std::shared_ptr<StoreCounters> counters = binding.counters;
    const auto deadline = binding.options.deadline;
    const bool queued = binding.workers.post([store, counters, key = std::move(key), deadline] {
        std::error_code ec;
        guarded(ec, [&] { store->remove(key, deadline, ec); });
        ++(ec ? counters->errors : counters->removes);
    });
    if (!queued) {
        ++counters->timeouts;
    }
}

// What a lookup on a worker hands back to the waiting handshake.
struct PendingGet {
    std::mutex mutex;
    std::condition_variable done_signal;
    bool done = false;
    Bytes value;
    std::error_code ec;
};

enum class GetOutcome { found, missing, failed, late };

bool is_timeout(const std::error_code& ec) noexcept {
    return ec == StoreErrc::timeout || ec == std::errc::timed_out;
}

// Sorts out what a lookup brought back, and counts it.
GetOutcome settle(StoreCounters& counters, std::error_code ec, Bytes& got, Bytes& value) {
    if (is_timeout(ec)) {
        ++counters.timeouts;
        return GetOutcome::late;
    }
    if (ec) {
        ++counters.errors;
        return GetOutcome::failed;
    }
    if (got.empty()) {
        ++counters.misses;
        return GetOutcome::missing;
    }
    value = std::move(got);
    return GetOutcome::found;
}

// The lookup on the handshake's thread, for a store that keeps its deadlines; `take` also
// removes what it finds, in the same step.
GetOutcome fetch_here(SessionStoreBinding& binding, const Bytes& key, bool take, Bytes& value) {
    const auto deadline = binding.options.deadline;
    const Clock::time_point start = Clock::now();
    Bytes got;
    std::error_code ec;
    guarded(ec, [&] {
        got = take ? binding.store->take(key, deadline, ec) : binding.store->get(key, deadline, ec);
    });
    const auto took = Clock::now() - start;
    binding.counters->record_latency(std::chrono::duration_cast<std::chrono::microseconds>(took));
    if (!ec && took > deadline) {
        ec = StoreErrc::timeout;  // it promised otherwise: late is late, whatever it found
    }
    return settle(*binding.counters, ec, got, value);
}

// The lookup on a worker, waited for at most the deadline: a store that may block stalls a
// worker, never the handshake.
GetOutcome fetch_on_worker(SessionStoreBinding& binding, const Bytes& key, Bytes& value) {
    const auto deadline = binding.options.deadline;
    const Clock::time_point start = Clock::now();
    const Clock::time_point give_up = start + deadline;
    auto pending = std::make_shared<PendingGet>();
    std::shared_ptr<SessionStore> store = binding.store;
    const bool queued = binding.workers.post([pending, store, key, give_up] {
        Bytes got;
        std::error_code ec;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(give_up - Clock::now());
        if (left.count() > 0) {
            guarded(ec, [&] { got = store->get(key, left, ec); });
        } else {
            ec = StoreErrc::timeout;  // waited in the queue too long
        }
        std::lock_guard<std::mutex> lock(pending->mutex);
        pending->value = std::move(got);
        pending->ec = ec;
        pending->done = true;
        pending->done_signal.notify_all();
    });
    auto& counters = *binding.counters;
    if (!queued) {
        ++counters.timeouts;
        return GetOutcome::late;
    }
    std::unique_lock<std::mutex> lock(pending->mutex);
    const bool done = pending->done_signal.wait_until(lock, give_up, [&] { return pending->done; });
    counters.record_latency(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start));
    return settle(counters, done ? pending->ec : make_error_code(StoreErrc::timeout),
                  pending->value, value);
}

GetOutcome fetch(SessionStoreBinding& binding, const Bytes& key, bool take, Bytes& value) {
    return binding.calls_here ? fetch_here(binding, key, take, value)
                              : fetch_on_worker(binding, key, value);
}

// What is sealed: the SNI name the client sent (OpenSSL keeps it in the session only when an
// SNI callback accepted it) and the session: length (1) | name | i2d_SSL_SESSION.
Bytes session_record(SSL* ssl, SSL_SESSION* session) {
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const std::string_view name = sni != nullptr ? sni : "";
    const int der_length = i2d_SSL_SESSION(session, nullptr);
    if (der_length <= 0 || name.size() > 255) {
        return {};
    }
    Bytes record(1 + name.size() + static_cast<std::size_t>(der_length));
    record[0] = static_cast<std::uint8_t>(name.size());
    std::copy(name.begin(), name.end(), record.begin() + 1);
    unsigned char* p = record.data() + 1 + name.size();
    i2d_SSL_SESSION(session, &p);
    return record;
}

SSL_SESSION* get_session(SSL* ssl, const unsigned char* id, int length, int* copy) noexcept {
    *copy = 0;  // the returned reference is OpenSSL's
    try {
        std::shared_ptr<SessionStoreBinding> binding = binding_of(ssl);
        if (!binding || length <= 0) {
            return nullptr;
        }
        const Bytes key = binding->store_key(id, static_cast<std::size_t>(length));
        // A TLS 1.3 ticket is single use (RFC 8446 section 8.1), across the fleet: OpenSSL
        // forgets a used stateful ticket only in its own cache, which the store replaces. A
        // store that can take it atomically does so in the lookup (no second server can get
        // it meanwhile); otherwise it is removed in the background once it resumes.
        const bool single_use = SSL_version(ssl) == TLS1_3_VERSION;
        const bool take = single_use && binding->calls_here && binding->store->can_take();
        Bytes sealed;
        if (fetch(*binding, key, take, sealed) != GetOutcome::found) {
            return nullptr;
        }
        if (take) {
            ++binding->counters->removes;
        }
        auto& counters = *binding->counters;
        std::optional<Bytes> plain = open_session(binding->options.fleet_key, key, sealed);
        if (!plain) {
            ++counters.rejected;
            return nullptr;
        }
        const std::size_t sni_length = plain->empty() ? 0 : (*plain)[0];
        ossl::SessionPtr session;
        std::string stored_sni;
        if (plain->size() > 1 + sni_length) {
            stored_sni.assign(plain->begin() + 1,
                              plain->begin() + static_cast<std::ptrdiff_t>(1 + sni_length));
            const unsigned char* p = plain->data() + 1 + sni_length;
            session.reset(
                d2i_SSL_SESSION(nullptr, &p, static_cast<long>(plain->size() - 1 - sni_length)));
        }
        OPENSSL_cleanse(plain->data(), plain->size());
        unsigned int id_length = 0;
        const unsigned char* session_id =
            session ? SSL_SESSION_get_id(session.get(), &id_length) : nullptr;
        if (!session || id_length != static_cast<unsigned int>(length) ||
            std::memcmp(session_id, id, id_length) != 0 ||
            !fits_connection(ssl, session.get(), binding->options.session_id_context, stored_sni)) {
            ++counters.rejected;
            return nullptr;
        }
        ++counters.hits;
        if (take) {
            SSL_SESSION_set_ex_data(session.get(), session_slot(), taken_marker());
        } else if (single_use) {
            forget(*binding, key);
        }
        return session.release();
    } catch (...) {
        // Out of memory, or a thread that cannot start: a full handshake.
        return nullptr;
    }
}

int new_session(SSL* ssl, SSL_SESSION* session) noexcept {
    try {
        std::shared_ptr<SessionStoreBinding> binding = binding_of(ssl);
        unsigned int id_length = 0;
        const unsigned char* id = SSL_SESSION_get_id(session, &id_length);
        if (!binding || id_length == 0) {
            return 0;
        }
        Bytes der = session_record(ssl, session);
        if (der.empty()) {
            ++binding->counters->errors;
            return 0;
        }
        Bytes key = binding->store_key(id, id_length);
        Bytes sealed = seal_session(binding->options.fleet_key, key, der);
        OPENSSL_cleanse(der.data(), der.size());
        if (sealed.empty()) {
            ++binding->counters->errors;
            return 0;
        }
        std::shared_ptr<SessionStore> store = binding->store;
        std::shared_ptr<StoreCounters> counters = binding->counters;
        const auto ttl = binding->ttl;
        const auto deadline = binding->options.deadline;
        if (binding->calls_here) {
            // Stored before the ticket or the Finished that carries its id leaves: a client
            // that reconnects at once to another process of the fleet finds it there. (From
            // a worker, a lookup on the handshake's thread often outran the put.)
            std::error_code ec;
            guarded(ec, [&] { store->put(key, sealed, ttl, deadline, ec); });
            ++(ec ? counters->errors : counters->puts);
            return 0;
        }
        const bool queued = binding->workers.post(
            [store, counters, key = std::move(key), sealed = std::move(sealed), ttl, deadline] {
                std::error_code ec;
                guarded(ec, [&] { store->put(key, sealed, ttl, deadline, ec); });
                ++(ec ? counters->errors : counters->puts);
            });
        if (!queued) {
            ++binding->counters->timeouts;
        }
    } catch (...) {
        // Not stored: that client gets a full handshake next time.
    }
    return 0;  // OpenSSL keeps its reference
}

void remove_session(SSL_CTX* ctx, SSL_SESSION* session) noexcept {
    try {
        ContextState* state = state_of(ctx);
        std::shared_ptr<SessionStoreBinding> binding = state ? state->session_store : nullptr;
        unsigned int id_length = 0;
        const unsigned char* id = SSL_SESSION_get_id(session, &id_length);
        const bool taken = SSL_SESSION_get_ex_data(session, session_slot()) == taken_marker();
        if (binding && id_length != 0 && !taken) {
            forget(*binding, binding->store_key(id, id_length));
        }
    } catch (...) {
        // The entry expires with its ttl instead.
    }
}

}  // namespace

void StoreCounters::record_latency(std::chrono::microseconds latency) noexcept {
    const auto micros = static_cast<std::uint32_t>(
        std::clamp<std::chrono::microseconds::rep>(latency.count(), 0, UINT32_MAX));
    const std::uint64_t slot = recorded_.fetch_add(1, std::memory_order_relaxed);
    latencies_[slot % kWindow].store(micros, std::memory_order_relaxed);
}

SessionStoreStats StoreCounters::snapshot() const {
    SessionStoreStats s;
    s.hits = hits.load();
    s.misses = misses.load();
    s.errors = errors.load();
    s.timeouts = timeouts.load();
    s.rejected = rejected.load();
    s.puts = puts.load();
    s.removes = removes.load();
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(recorded_.load(), kWindow));
    if (n == 0) {
        return s;
    }
    std::vector<std::uint32_t> window(n);
    for (std::size_t i = 0; i < n; ++i) {
        window[i] = latencies_[i].load(std::memory_order_relaxed);
    }
    const auto percentile = [&](std::size_t per_cent) {
        const std::size_t rank = std::min(n - 1, (n * per_cent + 99) / 100 - 1);
        std::nth_element(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(rank),
                         window.end());
        return std::chrono::microseconds{window[rank]};
    };
    s.latency_p50 = percentile(50);
    s.latency_p99 = percentile(99);
    return s;
}

StoreWorkers::StoreWorkers(std::size_t threads, std::size_t max_queue)
    : queue_(std::make_shared<Queue>()), threads_(threads), max_queue_(max_queue) {}

StoreWorkers::~StoreWorkers() {
    std::lock_guard<std::mutex> lock(queue_->mutex);
    queue_->stopping = true;
    queue_->jobs.clear();
    queue_->wake.notify_all();
}

void StoreWorkers::run(const std::shared_ptr<Queue>& queue) noexcept {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock<std::mutex> lock(queue->mutex);
            queue->wake.wait(lock, [&] { return queue->stopping || !queue->jobs.empty(); });
            if (queue->stopping) {
                return;
            }
            job = std::move(queue->jobs.front());
            queue->jobs.pop_front();
        }
        try {
            job();
        } catch (...) {
            // A job's own failure is counted inside it; nothing may end a worker.
        }
    }
}

bool StoreWorkers::post(std::function<void()> job) noexcept {
    try {
        // Started on first use, so a context that never handshakes starts no threads. Detached:
        // each holds the queue, so a store call stalled past the context's life ends harmlessly
        // instead of making the context's destructor wait for it.
        std::call_once(started_, [this] {
            for (std::size_t i = 0; i < threads_; ++i) {
                try {
                    std::thread([queue = queue_] { run(queue); }).detach();
                } catch (...) {
                    start_failed_ = i == 0;
                    return;
                }
            }
        });
        if (start_failed_) {
            return false;
        }
        std::lock_guard<std::mutex> lock(queue_->mutex);
        if (queue_->jobs.size() >= max_queue_) {
            return false;
        }
        queue_->jobs.push_back(std::move(job));
        queue_->wake.notify_one();
        return true;
    } catch (...) {
        return false;
    }
}

SessionStoreBinding::SessionStoreBinding(std::shared_ptr<SessionStore> store_,
                                         SessionStoreOptions options_, std::chrono::seconds ttl_)
    : store(std::move(store_)),
      options(std::move(options_)),
      ttl(ttl_),
      calls_here(store->keeps_deadlines()),
      workers(kWorkerThreads, kMaxQueuedCalls) {}

SessionStoreBinding::~SessionStoreBinding() {
    OPENSSL_cleanse(options.fleet_key.data(), options.fleet_key.size());
}

Bytes SessionStoreBinding::store_key(const unsigned char* id, std::size_t length) const {
    Bytes key(options.key_prefix.begin(), options.key_prefix.end());
    key.insert(key.end(), id, id + length);
    return key;
}

int on_new_session(SSL* ssl, SSL_SESSION* session) noexcept {
    return SSL_is_server(ssl) != 0 ? new_session(ssl, session) : remember_new_session(ssl, session);
}

void install_session_store_callbacks(SSL_CTX* ctx, bool on) {
    // A PROTOCOL_TLS context may also connect with a client session cache, which needs the
    // client bit of the mode and the same new-session callback: both survive here.
    const long client = SSL_CTX_get_session_cache_mode(ctx) & SSL_SESS_CACHE_CLIENT;
    if (on) {
        // The store is the only cache: no first level in this process. A local cache would
        // tell the store to forget every session it evicts for its own size (the fleet still
        // wants them), and would resume a TLS 1.3 ticket another process already used up.
        SSL_CTX_set_session_cache_mode(ctx,
                                       SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL | client);
        SSL_CTX_sess_set_new_cb(ctx, on_new_session);
        SSL_CTX_sess_set_get_cb(ctx, get_session);
        SSL_CTX_sess_set_remove_cb(ctx, remove_session);
    } else {
        SSL_CTX_sess_set_new_cb(ctx, client != 0 ? on_new_session : nullptr);
        SSL_CTX_sess_set_get_cb(ctx, nullptr);
        SSL_CTX_sess_set_remove_cb(ctx, nullptr);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | client);
    }
}

}  // namespace tls::detail
