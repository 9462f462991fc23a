// tls::VerifiedChainCache: the property that a cached verification reaches exactly the verdict
// of an uncached one, over every x509-limbo case under both profiles, then with the trust
// anchors changed and the clock moved past notAfter; and the cache's own bounds.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tls/tls.hpp"

namespace {

using Clock = std::chrono::system_clock;
using nlohmann::json;

const json& limbo() {
    static const json cases = [] {
        const std::string path = std::string(TLSCTX_SOURCE_DIR) + "/../shared/limbo/limbo.json";
        std::ifstream in(path);
        if (!in) {
            throw std::runtime_error("cannot open " + path +
                                     " (x509-limbo ships in the project's shared/ folder)");
        }
        return json::parse(in).at("testcases");
    }();
    return cases;
}

Clock::time_point parse_time(const std::string& rfc3339) {
    std::tm tm{};
    if (strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
        throw std::runtime_error("bad time " + rfc3339);
    }
    return Clock::from_time_t(timegm(&tm));
}

std::string joined(const json& pems) {
    std::string out;
    for (const json& pem : pems) {
        out += pem.get<std::string>();
        out += '\n';
    }
    return out;
}

// The request run_limbo.py builds for `tlsctx verify`; nullopt when a case cannot be expressed.
std::optional<tls::VerifyRequest> request_for(const json& c, tls::VerifyProfile profile) {
    const std::string kind = c.at("validation_kind").get<std::string>();
    auto present = [&c](const char* field) {
        return !c.at(field).is_null() && !c.at(field).empty();
    };
    if ((kind != "SERVER" && kind != "CLIENT") || present("signature_algorithms") ||
        present("key_usage") || present("expected_peer_names")) {
        return std::nullopt;
    }
    tls::VerifyRequest request;
    request.profile = profile;
    request.trusted_pem = {joined(c.at("trusted_certs"))};
    if (present("untrusted_intermediates")) {
        request.intermediates_pem = {joined(c.at("untrusted_intermediates"))};
    }
    request.leaf_pem = c.at("peer_certificate").get<std::string>();
    if (const json& peer = c.at("expected_peer_name"); !peer.is_null()) {
        const std::string name_kind = peer.at("kind").get<std::string>();
        if (name_kind == "DNS") {
            request.dns_name = peer.at("value").get<std::string>();
        } else if (name_kind == "IP") {
            request.ip_address = peer.at("value").get<std::string>();
        } else {
            return std::nullopt;
        }
    }
    if (!c.at("validation_time").is_null()) {
        request.at_time = parse_time(c.at("validation_time").get<std::string>());
    }
    if (kind == "CLIENT") {
        request.purpose = tls::Purpose::CLIENT_AUTH;
    }
    if (!c.at("max_chain_depth").is_null()) {
        request.max_depth = c.at("max_chain_depth").get<int>();
    }
    if (present("crls")) {
        request.crls_pem = {joined(c.at("crls"))};
    }
    return request;
}

struct Verdict {
    bool threw = false;
    tls::VerifyResult result;
};

Verdict verify(const tls::VerifyRequest& request) {
    Verdict v;
    try {
        v.result = tls::verify_certificate_chain(request);
    } catch (const std::exception&) {
        v.threw = true;
    }
    return v;
}

void expect_same(const Verdict& cached, const Verdict& uncached, const std::string& what) {
    ASSERT_EQ(cached.threw, uncached.threw) << what;
    EXPECT_EQ(cached.result.ok, uncached.result.ok) << what;
    EXPECT_EQ(cached.result.verify_code, uncached.result.verify_code) << what;
    EXPECT_EQ(cached.result.verify_message, uncached.result.verify_message) << what;
    EXPECT_EQ(cached.result.error_depth, uncached.result.error_depth) << what;
    EXPECT_EQ(cached.result.chain, uncached.result.chain) << what;
}

// The latest notBefore and the earliest notAfter of a verified chain, from its DER certificates:
// the cache answers only strictly between them.
// In seconds since the epoch: system_clock's nanoseconds end in 2262, limbo's certificates later.
struct Window {
    std::int64_t not_before = INT64_MIN;
    std::int64_t not_after = INT64_MAX;
};

Window validity_window(const std::vector<tls::Bytes>& chain) {
    Window w;
    for (const tls::Bytes& der : chain) {
        const tls::CertificateInfo info = tls::decode_certificate(
            std::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
        w.not_before = std::max(w.not_before, tls::cert_time_to_seconds(info.not_before));
        w.not_after = std::min(w.not_after, tls::cert_time_to_seconds(info.not_after));
    }
    return w;
}

class CachedEqualsUncached : public ::testing::TestWithParam<tls::VerifyProfile> {};

TEST_P(CachedEqualsUncached, OnEveryLimboCase) {
    const tls::VerifyProfile profile = GetParam();
    tls::VerifiedChainCache cache(4096);
    std::size_t expressible = 0;
    std::size_t cacheable_successes = 0;
    for (const json& c : limbo()) {
        const std::string id = c.at("id").get<std::string>();
        std::optional<tls::VerifyRequest> request = request_for(c, profile);
        if (!request) {
            continue;
        }
        ++expressible;
        const Verdict uncached = verify(*request);
        request->chain_cache = cache;
        // The first run fills the cache (a success is stored), the second may be a hit.
        expect_same(verify(*request), uncached, id + " (first)");
        const auto hits_before = cache.stats().hits;
        expect_same(verify(*request), uncached, id + " (second)");
        const bool hit = cache.stats().hits == hits_before + 1;
        const std::int64_t at = Clock::to_time_t(request->at_time.value_or(Clock::now()));
        const Window window = uncached.threw ? Window{} : validity_window(uncached.result.chain);
        if (!uncached.threw && uncached.result.ok && request->crls_pem.empty() &&
            at > window.not_before && at < window.not_after) {
            ++cacheable_successes;
            EXPECT_TRUE(hit) << id << ": a repeated success was not answered from the cache";
        } else {
            EXPECT_FALSE(hit) << id
                              << ": a failure, a CRL-checked chain or a verification at the "
                                 "edge of a validity period was answered from the cache";
        }
        if (uncached.threw || !uncached.result.ok) {
            continue;
        }
        // The trust anchors changed (one more, unrelated, anchor): the same verdict.
        tls::VerifyRequest more_trust = *request;
        more_trust.trusted_pem.push_back(c.at("trusted_certs").at(0).get<std::string>());
        more_trust.chain_cache.reset();
        const Verdict more_uncached = verify(more_trust);
        more_trust.chain_cache = cache;
        expect_same(verify(more_trust), more_uncached, id + " (more trust)");
        // Another expected name: the verdict of that name, never the cached one.
        if (!request->dns_name.empty() || !request->ip_address.empty()) {
            tls::VerifyRequest renamed = *request;
            if (!renamed.dns_name.empty()) {
                renamed.dns_name = "other-" + renamed.dns_name;
            } else {
                renamed.ip_address = "203.0.113.9";
            }
            renamed.chain_cache.reset();
            const Verdict renamed_uncached = verify(renamed);
            renamed.chain_cache = cache;
            expect_same(verify(renamed), renamed_uncached, id + " (another name)");
        }
        // The profile changed: that profile's verdict.
        tls::VerifyRequest other_profile = *request;
        other_profile.profile = profile == tls::VerifyProfile::standard
                                    ? tls::VerifyProfile::web_pki
                                    : tls::VerifyProfile::standard;
        other_profile.chain_cache.reset();
        const Verdict other_profile_uncached = verify(other_profile);
        other_profile.chain_cache = cache;
        expect_same(verify(other_profile), other_profile_uncached, id + " (other profile)");
        // No anchor at all: rejected, never a stale hit.
        tls::VerifyRequest other_trust = *request;
        other_trust.trusted_pem = {joined(json::array({c.at("peer_certificate")}))};
        other_trust.chain_cache.reset();
        const Verdict other_uncached = verify(other_trust);
        other_trust.chain_cache = cache;
        expect_same(verify(other_trust), other_uncached, id + " (other trust)");
        // The clock moved to, and past, the earliest notAfter.
        // (Only where the time fits system_clock, which ends in 2262.)
        if (window.not_after < INT64_C(9000000000)) {
            for (const std::int64_t seconds : {window.not_after, window.not_after + 1}) {
                const Clock::time_point when =
                    Clock::from_time_t(static_cast<std::time_t>(seconds));
                tls::VerifyRequest later = *request;
                later.at_time = when;
                later.chain_cache.reset();
                const Verdict later_uncached = verify(later);
                later.chain_cache = cache;
                expect_same(verify(later), later_uncached, id + " (at notAfter or past it)");
            }
        }
    }
    EXPECT_GT(expressible, 190U);
    EXPECT_GT(cacheable_successes, 50U);
}

INSTANTIATE_TEST_SUITE_P(Profiles, CachedEqualsUncached,
                         ::testing::Values(tls::VerifyProfile::standard,
                                           tls::VerifyProfile::web_pki));

TEST(VerifiedChainCache, RefusesEmptyBounds) {
    EXPECT_THROW(tls::VerifiedChainCache(0), std::invalid_argument);
    EXPECT_THROW(tls::VerifiedChainCache(1, std::chrono::seconds(0)), std::invalid_argument);
    const tls::VerifiedChainCache cache(7, std::chrono::seconds(9));
    EXPECT_EQ(cache.max_entries(), 7U);
    EXPECT_EQ(cache.max_age(), std::chrono::seconds(9));
}

TEST(VerifiedChainCache, KeepsAtMostMaxEntriesAndCopiesShareOneCache) {
    tls::VerifiedChainCache cache(2);
    const tls::VerifiedChainCache copy =
        cache;  // NOLINT(performance-unnecessary-copy-initialization)
    std::size_t filled = 0;
    for (const json& c : limbo()) {
        std::optional<tls::VerifyRequest> request = request_for(c, tls::VerifyProfile::standard);
        if (!request || !request->crls_pem.empty() || c.at("expected_result") != "SUCCESS") {
            continue;
        }
        request->chain_cache = copy;
        if (verify(*request).result.ok && ++filled == 3) {
            break;
        }
    }
    ASSERT_EQ(filled, 3U);
    EXPECT_EQ(cache.stats().entries, 2U);
    EXPECT_EQ(cache.stats().misses, 3U);
    cache.clear();
    EXPECT_EQ(copy.stats().entries, 0U);
    EXPECT_EQ(copy.stats().misses, 3U);
}

TEST(VerifiedChainCache, ContextSetterAndClear) {
    tls::Context ctx(tls::PROTOCOL_TLS_CLIENT);
    EXPECT_FALSE(ctx.verified_chain_cache().has_value());
    tls::VerifiedChainCache cache(3);
    ctx.set_verified_chain_cache(cache);
    ASSERT_TRUE(ctx.verified_chain_cache().has_value());
    EXPECT_EQ(ctx.verified_chain_cache()->max_entries(), 3U);
    ctx.clear_verified_chain_cache();
    EXPECT_FALSE(ctx.verified_chain_cache().has_value());
}

}  // namespace
