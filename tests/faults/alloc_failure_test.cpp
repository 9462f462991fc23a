// Allocation-failure injection through a whole connection (issue 16): a client and a server
// tls::Object over MemoryBIOs do a verified handshake, send 20 KiB each way (two records) and
// shut down with close_notify, once for every allocation that makes, failing that allocation
// (OpenSSL's or operator new's). Every run must end in a typed error or a complete, checked
// success; none may crash, leak, stall or leave OpenSSL's error queue dirty.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "faults/injection_loop.hpp"
#include "support/test_pki.hpp"
#include "tls/tls.hpp"

namespace {

using tls::test::faults::RunResult;

// Two TLS records each way: OpenSSL's record limit is 16 KiB.
constexpr std::size_t kPayload = 20 * 1024;
// Far more flights than a handshake or a shutdown needs: reaching it means the run stalled.
constexpr int kMaxRounds = 16;

enum class Api { throwing, error_code };

// Odd N go through the throwing API, even N through the std::error_code overloads: both paths
// meet a failure at (almost) every allocation point, for the price of one pass. The warm-up and
// counting runs (N = 0) throw.
Api api_for(std::uint64_t n) {
    return n != 0 && n % 2 == 0 ? Api::error_code : Api::throwing;
}

struct Case {
    tls::TLSVersion version;
    const char* label;
};

// gtest (and so ctest's test names) shows a parameter through this, not as raw bytes.
void PrintTo(const Case& c, std::ostream* os) {
    *os << c.label;
}

// The contexts and payloads, made once, outside the armed runs.
struct Peers {
    tls::Context client{tls::PROTOCOL_TLS_CLIENT};
    tls::Context server{tls::PROTOCOL_TLS_SERVER};
    std::vector<unsigned char> client_data, server_data;
    // Where each side's received bytes land: allocated here so the runs allocate nothing of
    // their own.
    std::vector<unsigned char> client_received, server_received;
    tls::TLSVersion version = tls::TLSVersion::TLSv1_3;
};

std::vector<unsigned char> payload(unsigned seed) {
    std::vector<unsigned char> data(kPayload);
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<unsigned char>((i * 131 + seed) % 251);
    }
    return data;
}

void make_peers(Peers& p, tls::TLSVersion version) {
    const auto& pki = tls::test::TestPki::get();
    // An ECDSA P-256 leaf under an intermediate (the chain file holds both); key exchange with
    // OpenSSL's default groups, X25519 first.
    p.server.load_cert_chain(pki.localhost().chain, pki.localhost().key);
    p.client.load_verify_cadata(tls::test::read_file(pki.ca_cert()));
    for (tls::Context* ctx : {&p.client, &p.server}) {
        ctx->set_minimum_version(version);
        ctx->set_maximum_version(version);
    }
    p.client_data = payload(1);
    p.server_data = payload(2);
    p.client_received.assign(kPayload, 0);
    p.server_received.assign(kPayload, 0);
    p.version = version;
}

struct Endpoint {
    tls::MemoryBIO incoming, outgoing;
    tls::Object object;
};

// Moves every byte `from` has written to `to`'s incoming buffer. MemoryBIO::write may throw
// (std::bad_alloc): the run then ends there.
void transfer(Endpoint& from, Endpoint& to) {
    static unsigned char buffer[16 * 1024];
    while (std::size_t n = from.outgoing.read(buffer, sizeof buffer)) {
        to.incoming.write(buffer, n);
    }
}

enum class Step { done, want, failed };

// One call of an Object operation through the API under test: done, or want (the peer's bytes
// are needed), or failed (the error_code API's failure, recorded in `r`; the throwing API's
// failures propagate).
template <typename Throwing, typename NonThrowing>
Step call(Api api, const tls::Object& object, RunResult& r, Throwing&& throwing,
          NonThrowing&& non_throwing) {
    if (api == Api::throwing) {
        try {
            throwing();
            return Step::done;
        } catch (const tls::SSLWantReadError&) {
            return Step::want;
        } catch (const tls::SSLWantWriteError&) {
            return Step::want;
        }
    }
    std::error_code ec;
    non_throwing(ec);
    if (!ec) {
        return Step::done;
    }
    if (ec == tls::SSLErrc::want_read || ec == tls::SSLErrc::want_write) {
        return Step::want;
    }
    r.fail(ec, object.last_error().message.c_str(), object.last_error().verify_code);
    return Step::failed;
}

bool handshake(Api api, Endpoint& client, Endpoint& server, RunResult& r) {
    bool client_done = false, server_done = false;
    auto step = [&](Endpoint& e, bool& done) {
        if (done) {
            return true;
        }
        const Step s = call(
            api, e.object, r, [&] { e.object.do_handshake(); },
            [&](std::error_code& ec) { e.object.do_handshake(ec); });
        done = s == Step::done;
        return s != Step::failed;
    };
    for (int round = 0; round < kMaxRounds; ++round) {
        if (!step(client, client_done)) {
            return false;
        }
        transfer(client, server);
        if (!step(server, server_done)) {
            return false;
        }
        transfer(server, client);
        if (client_done && server_done) {
            return true;
        }
    }
    r.fail_check("the handshake stalled");
    return false;
}

// Sends `data` from `from` and reads it on `to` into `received` (exactly its size).
bool send(Api api, Endpoint& from, Endpoint& to, const std::vector<unsigned char>& data,
          std::vector<unsigned char>& received, RunResult& r) {
    std::size_t written = 0;
    if (call(
            api, from.object, r, [&] { written = from.object.write(data.data(), data.size()); },
            [&](std::error_code& ec) {
                written = from.object.write(data.data(), data.size(), ec);
            }) != Step::done) {
        if (r.ending == tls::test::faults::Ending::success) {
            r.fail_check("a write into a memory BIO asked to wait");
        }
        return false;
    }
    if (written != data.size()) {
        r.fail_check("a write reported success but wrote less than asked");
        return false;
    }
    transfer(from, to);
    std::size_t got = 0;
    for (int round = 0; round < kMaxRounds * 4 && got < received.size(); ++round) {
        std::size_t n = 0;
        const Step s = call(
            api, to.object, r,
            [&] { n = to.object.read(received.data() + got, received.size() - got); },
            [&](std::error_code& ec) {
                n = to.object.read(received.data() + got, received.size() - got, ec);
            });
        if (s == Step::failed) {
            return false;
        }
        if (s == Step::want) {
            r.fail_check("the reader wants more input although every byte was delivered");
            return false;
        }
        if (n == 0) {
            r.fail_check("the reader saw a clean close in the middle of the data");
            return false;
        }
        got += n;
    }
    if (got != received.size() || std::memcmp(received.data(), data.data(), got) != 0) {
        r.fail_check("the data received differs from the data sent");
        return false;
    }
    return true;
}

bool shutdown(Api api, Endpoint& client, Endpoint& server, RunResult& r) {
    bool client_done = false, server_done = false;
    auto step = [&](Endpoint& e, bool& done) {
        if (done) {
            return true;
        }
        const Step s = call(
            api, e.object, r, [&] { e.object.unwrap(); },
            [&](std::error_code& ec) { e.object.unwrap(ec); });
        done = s == Step::done;
        return s != Step::failed;
    };
    for (int round = 0; round < kMaxRounds; ++round) {
        if (!step(client, client_done)) {
            return false;
        }
        transfer(client, server);
        if (!step(server, server_done)) {
            return false;
        }
        transfer(server, client);
        if (client_done && server_done) {
            return true;
        }
    }
    r.fail_check("the shutdown stalled");
    return false;
}

// A success must be the real thing: the server's chain verified up to the CA, the version
// pinned, both ends agreeing. Read through OpenSSL so the check itself allocates nothing.
bool really_connected(const Peers& p, const Endpoint& client, const Endpoint& server,
                      RunResult& r) {
    auto* c = static_cast<SSL*>(client.object.native_handle());
    auto* s = static_cast<SSL*>(server.object.native_handle());
    STACK_OF(X509)* chain = SSL_get0_verified_chain(c);
    if (SSL_get_verify_result(c) != X509_V_OK || chain == nullptr || sk_X509_num(chain) != 3) {
        r.fail_check("the handshake succeeded without verifying the server's chain");
        return false;
    }
    if (SSL_version(c) != static_cast<int>(p.version) ||
        SSL_version(s) != static_cast<int>(p.version)) {
        r.fail_check("the handshake succeeded with another protocol version");
        return false;
    }
    return true;
}

void connect_exchange_close(Peers& p, RunResult& r) {
    const Api api = api_for(r.n);
    // Nothing a previous run received may pass for this run's data.
    std::fill(p.client_received.begin(), p.client_received.end(), 0);
    std::fill(p.server_received.begin(), p.server_received.end(), 0);
    r.phase = "wrap_bio";
    Endpoint client, server;
    client.object =
        p.client.wrap_bio(client.incoming, client.outgoing, tls::WrapOptions::client("localhost"));
    server.object = p.server.wrap_bio(server.incoming, server.outgoing, tls::WrapOptions::server());
    r.phase = "handshake";
    if (!handshake(api, client, server, r) || !really_connected(p, client, server, r)) {
        return;
    }
    r.phase = "client to server";
    if (!send(api, client, server, p.client_data, p.server_received, r)) {
        return;
    }
    r.phase = "server to client";
    if (!send(api, server, client, p.server_data, p.client_received, r)) {
        return;
    }
    r.phase = "shutdown";
    if (!shutdown(api, client, server, r)) {
        return;
    }
    r.phase = "destruction";
}

class AllocationFailure : public ::testing::TestWithParam<Case> {};

TEST_P(AllocationFailure, EveryFailedAllocationEndsInATypedErrorOrACheckedSuccess) {
    const Case& c = GetParam();
    Peers peers;
    make_peers(peers, c.version);
    const tls::test::faults::Summary summary = tls::test::faults::for_every_n(
        c.label, [&](RunResult& r) { connect_exchange_close(peers, r); });
    tls::test::faults::print_summary(c.label, summary);
    EXPECT_GT(summary.k, 0U);
    EXPECT_EQ(summary.failures, 0U);
    // Nobody calls write_eof(), so neither side can meet an end of input: an EOF ending would be
    // a failure misreported as truncation by the peer (the memory BIO's out-of-memory once was).
    for (const auto& [ending, count] : summary.endings) {
        EXPECT_EQ(ending.find("tls:8"), std::string::npos) << ending << " x" << count;
    }
}

INSTANTIATE_TEST_SUITE_P(Connection, AllocationFailure,
                         ::testing::Values(Case{tls::TLSVersion::TLSv1_2, "TLS 1.2"},
                                           Case{tls::TLSVersion::TLSv1_3, "TLS 1.3"}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                             return info.param.version == tls::TLSVersion::TLSv1_2 ? "Tls12"
                                                                                   : "Tls13";
                         });

}  // namespace
