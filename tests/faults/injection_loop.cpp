#include "faults/injection_loop.hpp"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <typeinfo>

#include "faults/failing_allocator.hpp"
#include "tls/errors.hpp"

namespace tls::test::faults {
namespace {

// After this many broken runs the loop stops: the first ones say what is wrong.
constexpr std::size_t kMaxReportedFailures = 10;

void copy_message(RunResult& r, const char* text) noexcept {
    std::strncpy(r.what, text != nullptr ? text : "", sizeof r.what - 1);
    r.what[sizeof r.what - 1] = '\0';
}

}  // namespace

// Runs while armed, so it only copies into fixed storage.
void record_exception(RunResult& r) noexcept {
    r.ending = Ending::exception;
    try {
        throw;
    } catch (const tls::SSLCertVerificationError& e) {
        r.type = "SSLCertVerificationError";
        r.code = e.code();
        r.verify_code = e.verify_code();
        copy_message(r, e.what());
    } catch (const tls::SSLEOFError& e) {
        r.type = "SSLEOFError";
        r.code = e.code();
        copy_message(r, e.what());
    } catch (const tls::SSLSyscallError& e) {
        r.type = "SSLSyscallError";
        r.code = e.code();
        copy_message(r, e.what());
    } catch (const tls::SSLZeroReturnError& e) {
        r.type = "SSLZeroReturnError";
        r.code = e.code();
        copy_message(r, e.what());
    } catch (const tls::SSLWantReadError& e) {
        // The scenarios handle would-block themselves: one escaping means a stalled run.
        r.ending = Ending::problem;
        r.problem = "SSLWantReadError escaped the scenario";
        r.type = "SSLWantReadError";
        copy_message(r, e.what());
    } catch (const tls::SSLError& e) {
        r.type = "SSLError";
        r.code = e.code();
        copy_message(r, e.what());
    } catch (const std::bad_alloc& e) {
        r.type = "std::bad_alloc";
        copy_message(r, e.what());
    } catch (const std::system_error& e) {
        r.type = "std::system_error";
        r.code = e.code();
        copy_message(r, e.what());
    } catch (const std::exception& e) {
        r.ending = Ending::other_exception;
        r.type = typeid(e).name();
        copy_message(r, e.what());
    } catch (...) {
        r.ending = Ending::other_exception;
        r.type = "(not a std::exception)";
    }
}

namespace {

// What a crash report names: the scenario and N being run. Written by the loop, read by the
// signal handler.
const char* volatile g_label = "";
volatile std::uint64_t g_n = 0;

void write_str(const char* s) noexcept {
    const ssize_t ignored = ::write(STDERR_FILENO, s, std::strlen(s));
    static_cast<void>(ignored);
}

void report_crash(int sig) {
    if (g_label[0] == '\0') {
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    char digits[24];
    char* p = digits + sizeof digits;
    *--p = '\0';
    std::uint64_t n = g_n;
    do {
        *--p = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    write_str("\n[ faults ] signal ");
    write_str(sig == SIGSEGV ? "SIGSEGV" : sig == SIGABRT ? "SIGABRT" : "other");
    write_str(" in ");
    write_str(g_label);
    write_str(" while failing allocation N=");
    write_str(p);
    write_str(" (TLSCTX_FAULTS_N reruns just that one)\n");
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

void install_crash_report() {
    static const bool installed = [] {
        for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) {
            std::signal(sig, report_crash);
        }
        return true;
    }();
    static_cast<void>(installed);
}

struct Once {
    RunResult result;
    std::uint64_t count = 0;
    bool fired = false;
    const char* site_file = "";  // where the failed allocation was asked for
    int site_line = 0;
};

// One run of the scenario: armed to fail allocation `fail_at` (0: count only), or not armed at
// all. Everything the scenario made is destroyed inside it, still armed.
Once run_once(const Scenario& scenario, bool arm, std::uint64_t fail_at) {
    Once once;
    once.result.n = fail_at;
    if (!arm) {
        try {
            scenario(once.result);
        } catch (...) {
            record_exception(once.result);
        }
        return once;
    }
    Armed armed(fail_at);
    try {
        scenario(once.result);
    } catch (...) {
        record_exception(once.result);
    }
    once.count = armed.count();
    once.fired = armed.fired();
    once.site_file = armed.fired_file();
    once.site_line = armed.fired_line();
    return once;
}

std::string describe(const RunResult& r) {
    std::string out;
    switch (r.ending) {
        case Ending::success:
            return "success";
        case Ending::exception:
            out = r.type;
            break;
        case Ending::error_code:
            out = "error_code";
            break;
        case Ending::other_exception:
            out = std::string("other exception ") + r.type;
            break;
        case Ending::problem:
            out = std::string("problem: ") + (r.problem != nullptr ? r.problem : "?");
            break;
    }
    if (r.code) {
        out += std::string(" ") + r.code.category().name() + ":" + std::to_string(r.code.value());
        out += " (" + r.code.message() + ")";
    }
    return out;
}

std::string describe(const Outstanding& o) {
    return "OpenSSL " + std::to_string(o.openssl_blocks) + " blocks/" +
           std::to_string(o.openssl_bytes) + " bytes, operator new " +
           std::to_string(o.new_blocks) + " blocks/" + std::to_string(o.new_bytes) + " bytes";
}

// How often an unarmed run checks that the runs so far left what they share working.
constexpr std::uint64_t kHealthCheckEvery = 64;

// Frees what OpenSSL keeps per thread (the error queue's cached message buffers, the thread's
// DRBGs), so the counts compare like with like and each run starts from the same state. These
// are caches, not leaks: every thread that exits frees them the same way.
void reset_thread_state() {
    OPENSSL_thread_stop();
}

// An unarmed run after the armed ones: it must succeed, leak nothing and leave the queue empty.
// Returns what was wrong, or "".
std::string check_health(const Scenario& scenario) {
    const Outstanding before = outstanding();
    const Once once = run_once(scenario, false, 0);
    const unsigned long queued = ERR_peek_error();
    ERR_clear_error();
    reset_thread_state();
    if (once.result.ending != Ending::success) {
        return "an unarmed run after this one failed (" + describe(once.result) + ": " +
               once.result.what + "): a failed allocation damaged what the runs share";
    }
    if (queued != 0 || outstanding() != before) {
        return "an unarmed run after this one left the error queue dirty or leaked";
    }
    return {};
}

}  // namespace

void RunResult::fail(std::error_code ec, const char* message, long verify) noexcept {
    ending = Ending::error_code;
    code = ec;
    verify_code = verify;
    copy_message(*this, message);
}

void RunResult::fail_check(const char* what_was_wrong) noexcept {
    ending = Ending::problem;
    problem = what_was_wrong;
}

Summary for_every_n(const std::string& label, const Scenario& scenario) {
    install_crash_report();
    Summary summary;
    g_label = label.c_str();
    g_n = 0;

    // Warm-up: OpenSSL's one-time initialisation (providers, algorithm caches, error strings).
    const Once warm = run_once(scenario, false, 0);
    if (warm.result.ending != Ending::success) {
        ADD_FAILURE() << label << ": the warm-up run failed: " << describe(warm.result) << ": "
                      << warm.result.what;
        return summary;
    }
    EXPECT_EQ(ERR_peek_error(), 0UL) << label << ": the warm-up left the error queue dirty";
    ERR_clear_error();
    reset_thread_state();
    const Outstanding baseline = outstanding();

    const Once counted = run_once(scenario, true, 0);
    summary.k = counted.count;
    const unsigned long counted_queued = ERR_peek_error();
    ERR_clear_error();
    reset_thread_state();
    if (counted.result.ending != Ending::success || counted_queued != 0 ||
        outstanding() != baseline) {
        ADD_FAILURE() << label << ": the counting run failed: " << describe(counted.result) << ": "
                      << counted.result.what << "; before " << describe(baseline) << ", after "
                      << describe(outstanding());
        return summary;
    }

    std::uint64_t first = 1;
    std::uint64_t last = summary.k;
    if (const char* only = std::getenv("TLSCTX_FAULTS_N")) {
        first = last = std::strtoull(only, nullptr, 10);
    }
    for (std::uint64_t n = first; n <= last; ++n) {
        g_n = n;
        const Outstanding before = outstanding();
        const Once once = run_once(scenario, true, n);
        const unsigned long queued = ERR_peek_error();
        ERR_clear_error();
        reset_thread_state();
        const Outstanding after = outstanding();

        const RunResult& r = once.result;
        std::string broken;
        if (r.ending == Ending::other_exception || r.ending == Ending::problem) {
            broken = describe(r) + ": " + r.what;
        } else if (queued != 0) {
            char text[256];
            ERR_error_string_n(queued, text, sizeof text);
            broken = "the OpenSSL error queue is not empty (" + std::string(text) + ") after " +
                     describe(r);
        } else if (after != before) {
            broken = "leak after " + describe(r) + ": before " + describe(before) + ", after " +
                     describe(after);
        } else if (after.openssl_blocks != baseline.openssl_blocks ||
                   after.openssl_bytes != baseline.openssl_bytes) {
            broken =
                "OpenSSL's outstanding memory drifted from the baseline: " + describe(baseline) +
                " then " + describe(after);
        }
        if (broken.empty() && (n % kHealthCheckEvery == 0 || n == last)) {
            broken = check_health(scenario);
        }
        if (!broken.empty()) {
            ++summary.failures;
            ADD_FAILURE() << label << ", N=" << n << " (phase " << r.phase << ", failed allocation "
                          << once.site_file << ":" << once.site_line << "): " << broken;
            if (summary.failures >= kMaxReportedFailures) {
                ADD_FAILURE() << label << ": stopped after " << kMaxReportedFailures
                              << " broken runs";
                break;
            }
            continue;
        }
        if (!once.fired) {
            ++summary.not_fired;
        }
        if (std::getenv("TLSCTX_FAULTS_SITES") != nullptr) {
            std::printf("N=%llu %s:%d: %s\n", static_cast<unsigned long long>(n), once.site_file,
                        once.site_line, describe(r).c_str());
        }
        ++summary.endings[describe(r)];
        if (r.ending != Ending::success) {
            ++summary.phases[r.phase];
        }
        if (r.code == tls::SSLErrc::cert_verification) {
            ++summary.verify_codes[r.verify_code];
        }
    }
    g_n = 0;
    g_label = "";
    return summary;
}

void print_summary(const std::string& label, const Summary& s) {
    auto join = [](const auto& counts) {
        std::string out;
        for (const auto& [what, count] : counts) {
            if (!out.empty()) {
                out += ", ";
            }
            std::ostringstream key;
            key << what;
            out += key.str() + " x" + std::to_string(count);
        }
        return out.empty() ? std::string("none") : out;
    };
    std::printf(
        "[ faults ] %s: K=%llu allocations, each failed in turn; endings: %s; failed runs "
        "by phase: %s; verify codes of verification failures: %s; injection never fired "
        "x%zu; broken x%zu\n",
        label.c_str(), static_cast<unsigned long long>(s.k), join(s.endings).c_str(),
        join(s.phases).c_str(), join(s.verify_codes).c_str(), s.not_fired, s.failures);
    std::fflush(stdout);
}

}  // namespace tls::test::faults
