// tlsctx — tls::asio::stream: a TLS stream for standalone Asio (Debian libasio-dev), header-only
// on tls::Object. libtlsctx does not link Asio; only programs that include this header need it
// (CMake: link tlsctx::asio). Boost.Asio and Beast: tls/boost_asio.hpp. Docs: docs/asio.md.
//
//   asio::io_context io;
//   tls::Context ctx;  // verifies the chain and the host name
//   tls::asio::stream<asio::ip::tcp::socket> s(io, ctx);
//   asio::connect(s.next_layer(), resolver.resolve(host, "443"));
//   s.handshake(tls::asio::stream::client, host);  // or co_await s.async_handshake(...,
//   use_awaitable)
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <asio/async_result.hpp>
#include <asio/buffer.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/version.hpp>
#include <asio/write.hpp>

#include "tls/bytes.hpp"
#include "tls/certificate.hpp"
#include "tls/ciphers.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/memory_bio.hpp"
#include "tls/object.hpp"
#include "tls/session.hpp"

namespace tls::asio::detail {
namespace net = ::asio;
using error_code = std::error_code;
using system_error = std::system_error;
inline error_code to_net(const std::error_code& ec) noexcept {
    return ec;
}
inline bool is_tls(const error_code& ec) noexcept {
    return ec.category() == tls::ssl_category();
}
}  // namespace tls::asio::detail

#define TLSCTX_ASIO_NAMESPACE asio
#define TLSCTX_ASIO_HAS_CANCELLATION (ASIO_VERSION >= 101900)
#include "tls/detail/asio_stream_body.hpp"  // NOLINT(bugprone-suspicious-include)
#undef TLSCTX_ASIO_HAS_CANCELLATION
#undef TLSCTX_ASIO_NAMESPACE
