// Session resumption on the server side of a tls::Context: TLS 1.3 tickets, the TLS 1.2 session
// cache (ticket keys: context_ticket_keys.cpp).
#include <openssl/ssl.h>

#include <stdexcept>

#include "context_state.hpp"
#include "tls/context.hpp"

namespace tls {

std::size_t Context::num_tickets() const noexcept {
    return SSL_CTX_get_num_tickets(state_->ctx.get());
}

void Context::set_num_tickets(std::size_t n) {
    if (state_->protocol == Protocol::PROTOCOL_TLS_CLIENT) {
        throw std::invalid_argument("set_num_tickets: a client context sends no tickets");
    }
    SSL_CTX_set_num_tickets(state_->ctx.get(), n);
}

SessionStats Context::session_stats() const noexcept {
    SSL_CTX* c = state_->ctx.get();
    SessionStats s;
    s.number = SSL_CTX_sess_number(c);
    s.connect = SSL_CTX_sess_connect(c);
    s.connect_good = SSL_CTX_sess_connect_good(c);
    s.connect_renegotiate = SSL_CTX_sess_connect_renegotiate(c);
    s.accept = SSL_CTX_sess_accept(c);
    s.accept_good = SSL_CTX_sess_accept_good(c);
    s.accept_renegotiate = SSL_CTX_sess_accept_renegotiate(c);
    s.hits = SSL_CTX_sess_hits(c);
    s.misses = SSL_CTX_sess_misses(c);
    s.timeouts = SSL_CTX_sess_timeouts(c);
    s.cache_full = SSL_CTX_sess_cache_full(c);
    return s;
}

void Context::set_session_cache_enabled(bool on) noexcept {
    SSL_CTX_set_session_cache_mode(state_->ctx.get(),
                                   on ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
}

void Context::set_session_cache_size(long sessions) noexcept {
    SSL_CTX_sess_set_cache_size(state_->ctx.get(), sessions);
}

long Context::session_cache_size() const noexcept {
    return SSL_CTX_sess_get_cache_size(state_->ctx.get());
}

}  // namespace tls
