// What dangerous.cpp, which holds every weakening path, offers the rest of src/: the refusal a
// safe setter throws (naming the spelling that skips its check) and the environment's request
// for key logging. Keeping them there keeps that file the audit.
#pragma once

#include <string_view>

#include "tls/context.hpp"

namespace tls::detail {

// Throws std::invalid_argument "<setter>: <why>; use ctx.dangerous().<setter>(<arguments>)".
[[noreturn]] void refuse_weakening(std::string_view setter, std::string_view why,
                                   std::string_view arguments = "...");

// Throws std::invalid_argument for Context(PROTOCOL_TLSv1 / _TLSv1_1), naming
// tls::dangerous::legacy_protocol_context.
[[noreturn]] void refuse_legacy_protocol();

// Python's create_default_context() and _create_unverified_context() (and only they) turn on key
// logging when SSLKEYLOGFILE names a file: setting the variable is the explicit request.
void honour_sslkeylogfile(Context& context);

}  // namespace tls::detail
