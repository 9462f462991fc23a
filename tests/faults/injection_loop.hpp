// tlsctx fault tests — runs a scenario once for every allocation it makes, failing that one
// allocation (failing_allocator.hpp), and checks each run's ending: a typed error or a complete
// success, no leak, an empty OpenSSL error queue. Scenarios record how they ended in a RunResult
// without allocating, because they run armed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <system_error>

namespace tls::test::faults {

/// How one run ended.
enum class Ending {
    success,          ///< everything the scenario does worked and was checked
    exception,        ///< a typed exception: tls::SSLError family, std::system_error, bad_alloc
    error_code,       ///< a non-zero std::error_code from a non-throwing call
    other_exception,  ///< any other exception: a test failure
    problem,          ///< the scenario found something wrong (stall, wrong data): a failure
};

/// Filled by a scenario (and by the loop for exceptions) without allocating.
struct RunResult {
    std::uint64_t n = 0;  ///< the allocation this run fails (0: a run that fails none)
    Ending ending = Ending::success;
    const char* type = "";   ///< the exception's type, a static string
    std::error_code code;    ///< the exception's or the call's code
    const char* phase = "";  ///< where it ended, a static string the scenario sets as it goes
    const char* problem = nullptr;  ///< for Ending::problem: what was wrong
    long verify_code = 0;           ///< for certificate verification failures: X509_V_ERR_*
    char what[200] = {};            ///< the start of what() / last_error().message

    /// Records a failed non-throwing call.
    void fail(std::error_code ec, const char* message, long verify = 0) noexcept;
    /// Records a check that failed.
    void fail_check(const char* what_was_wrong) noexcept;
};

/// Records the exception in flight (call from a catch block): typed ones as Ending::exception,
/// any other as Ending::other_exception. Allocates nothing.
void record_exception(RunResult& r) noexcept;

/// A scenario: does its work; throws, or records in the RunResult, how it ended.
using Scenario = std::function<void(RunResult&)>;

/// What every-N found, for the `[ faults ]` line.
struct Summary {
    std::uint64_t k = 0;                         ///< allocations in the scenario
    std::map<std::string, std::size_t> endings;  ///< "SSLError tls:1" -> count, "success" -> ...
    std::map<std::string, std::size_t> phases;   ///< where the failed runs ended
    std::map<long, std::size_t> verify_codes;    ///< X509_V_ERR_* of verification failures
    std::size_t not_fired = 0;  ///< runs whose N-th allocation never came (a shorter path)
    std::size_t failures = 0;   ///< runs that broke a rule (each also an ADD_FAILURE)
};

/// Warms up (one unarmed run), takes the baseline, counts K (one armed run without failure),
/// then fails allocation N for every N in 1..K. Every 64th N, and after the last, an unarmed run
/// must succeed: a failure must not have damaged what the runs share (contexts, caches). Adds a
/// gtest failure for every run that breaks the rules (stops after a few) and returns the
/// tallies. `label` names the scenario in reports. TLSCTX_FAULTS_N=<n> in the environment runs
/// only that N, TLSCTX_FAULTS_SITES=1 prints each N's failed allocation site and ending.
Summary for_every_n(const std::string& label, const Scenario& scenario);

/// "[ faults ] <label>: K=..., endings ..., phases ..." on stdout.
void print_summary(const std::string& label, const Summary& summary);

}  // namespace tls::test::faults
