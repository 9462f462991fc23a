// tlsctx tests — running the `tlsctx` command to completion, for the tests of its output.
#pragma once

#include <string>
#include <vector>

#include "support/peers.hpp"

namespace tls::test::tool {

/// Upper bound for any one run of the command; a hang ends it and shows up as timed_out.
inline constexpr Millis kLimit{20000};

/// Runs argv to completion (stdin empty) under kLimit.
inline ProcessResult run(const std::vector<std::string>& argv) {
    return run_process(argv, {}, kLimit);
}

/// How a run ended and everything it printed, for assertion messages.
inline std::string describe(const ProcessResult& r) {
    return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
           "\n--- stdout ---\n" + r.out + "\n--- stderr ---\n" + r.err;
}

}  // namespace tls::test::tool
