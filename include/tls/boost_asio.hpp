// tlsctx — tls::boost_asio::stream: the TLS stream of tls/asio.hpp for Boost.Asio and
// Boost.Beast (Debian libboost-dev), header-only on tls::Object. A drop-in for
// `boost::asio::ssl::stream` and `boost::beast::ssl_stream`:
//
//   tls::boost_asio::stream<boost::beast::tcp_stream> s(ioc, ctx);
//   beast::get_lowest_layer(s).expires_after(30s);
//   co_await s.async_handshake(tls::boost_asio::stream_base::client, host, use_awaitable);
//   co_await http::async_write(s, request, use_awaitable);
//
// Errors are boost::system::error_codes: TLS failures in ssl_category() below, which carries
// tlsctx's values and messages; `ec == tls::SSLErrc::cert_verification` works as for
// std::error_code, and to_std() gives back the std::error_code. CMake: link tlsctx::boost_asio.
// Docs: docs/asio.md.
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

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/version.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include "tls/bytes.hpp"
#include "tls/certificate.hpp"
#include "tls/ciphers.hpp"
#include "tls/context.hpp"
#include "tls/errors.hpp"
#include "tls/memory_bio.hpp"
#include "tls/object.hpp"
#include "tls/session.hpp"

namespace tls::boost_asio {

namespace detail {
// tlsctx's category as Boost.System sees it: same name, values and messages. Boost 1.74 cannot
// hold a std::error_category in a boost::system::error_code, hence the mirror.
class ssl_category_mirror final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "tls"; }
    std::string message(int value) const override { return tls::ssl_category().message(value); }
};
}  // namespace detail

/// tlsctx's error category for boost::system::error_code.
inline const boost::system::error_category& ssl_category() noexcept {
    static const detail::ssl_category_mirror category;
    return category;
}

/// The std::error_code of a boost one: tlsctx's codes come back in tls::ssl_category() (so
/// tls::throw_error and the errno equivalences work); others through Boost's own conversion.
inline std::error_code to_std(const boost::system::error_code& ec) noexcept {
    if (ec.category() == ssl_category()) {
        return {ec.value(), tls::ssl_category()};
    }
    return static_cast<std::error_code>(ec);
}

namespace detail {
namespace net = boost::asio;
using error_code = boost::system::error_code;
using system_error = boost::system::system_error;
inline error_code to_net(const std::error_code& ec) noexcept {
    if (!ec) {
        return {};
    }
    if (ec.category() == tls::ssl_category()) {
        return {ec.value(), tls::boost_asio::ssl_category()};
    }
    if (ec.category() == std::generic_category()) {
        return {ec.value(), boost::system::generic_category()};
    }
    return {ec.value(), boost::system::system_category()};
}
inline bool is_tls(const error_code& ec) noexcept {
    return ec.category() == ssl_category();
}
}  // namespace detail

}  // namespace tls::boost_asio

namespace tls {
/// `ec == tls::SSLErrc::x` for Boost's error codes, as for std::error_code (tls/errors.hpp).
inline bool operator==(const boost::system::error_code& ec, SSLErrc e) noexcept {
    return ec.category() == boost_asio::ssl_category() && ssl_errc(boost_asio::to_std(ec)) == e;
}
inline bool operator==(SSLErrc e, const boost::system::error_code& ec) noexcept {
    return ec == e;
}
inline bool operator!=(const boost::system::error_code& ec, SSLErrc e) noexcept {
    return !(ec == e);
}
inline bool operator!=(SSLErrc e, const boost::system::error_code& ec) noexcept {
    return !(ec == e);
}
}  // namespace tls

#define TLSCTX_ASIO_NAMESPACE boost_asio
#define TLSCTX_ASIO_HAS_CANCELLATION (BOOST_ASIO_VERSION >= 101900)
#include "tls/detail/asio_stream_body.hpp"  // NOLINT(bugprone-suspicious-include)
#undef TLSCTX_ASIO_HAS_CANCELLATION
#undef TLSCTX_ASIO_NAMESPACE

#if __has_include(<boost/beast/core/role.hpp>)
#include <boost/beast/core/role.hpp>

namespace tls::boost_asio {
/// Beast's websocket::stream ends the TLS layer under it through these, found by ADL as for
/// beast::ssl_stream: after the websocket close handshake, close_notify both ways.
template <class NextLayer>
void teardown(boost::beast::role_type, stream<NextLayer>& s, boost::system::error_code& ec) {
    s.shutdown(ec);
}
template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type, stream<NextLayer>& s, TeardownHandler&& handler) {
    s.async_shutdown(std::forward<TeardownHandler>(handler));
}
}  // namespace tls::boost_asio
#endif
