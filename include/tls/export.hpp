// tlsctx — symbol visibility for the public API.
// The library is built with hidden visibility; only declarations marked TLS_API are exported
// from a shared build. See docs/design.md.
#pragma once

#if defined(_WIN32)
#define TLS_API
#elif defined(__GNUC__) || defined(__clang__)
#define TLS_API __attribute__((visibility("default")))
#else
#define TLS_API
#endif
