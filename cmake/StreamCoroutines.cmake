# Whether the compiler runs Asio's C++20 coroutines with standalone Asio (TLSCTX_ASIO_COROUTINES)
# and with Boost.Asio (TLSCTX_BOOST_ASIO_COROUTINES): clang 14 does not enable co_await for
# Asio 1.22 / Boost 1.74. The coroutine examples (and the tests that run them) are built only
# where these hold; the library and its adapters stay C++17. Results are cached.
include_guard(GLOBAL)
include(CheckCXXSourceCompiles)
# try_compile follows CMAKE_CXX_STANDARD (17 for the project): raise it for the checks only.
set(tlsctx_saved_standard ${CMAKE_CXX_STANDARD})
set(CMAKE_CXX_STANDARD 20)
if(TARGET tlsctx::asio)
  set(CMAKE_REQUIRED_INCLUDES ${TLSCTX_ASIO_INCLUDE_DIR})
  check_cxx_source_compiles([[
#include <asio.hpp>
asio::awaitable<void> f() { co_return; }
int main() { asio::io_context io; asio::co_spawn(io, f(), asio::detached); io.run(); }
]] TLSCTX_ASIO_COROUTINES)
endif()
find_path(TLSCTX_BOOST_BEAST_INCLUDE_DIR boost/beast.hpp)
if(TARGET tlsctx::boost_asio AND TLSCTX_BOOST_BEAST_INCLUDE_DIR)
  set(CMAKE_REQUIRED_INCLUDES ${TLSCTX_BOOST_BEAST_INCLUDE_DIR})
  # <utility> first: Boost 1.74's awaitable.hpp uses std::exchange without including it.
  check_cxx_source_compiles([[
#include <utility>
#include <boost/asio.hpp>
boost::asio::awaitable<void> f() { co_return; }
int main() { boost::asio::io_context io; boost::asio::co_spawn(io, f(), boost::asio::detached); io.run(); }
]] TLSCTX_BOOST_ASIO_COROUTINES)
endif()
set(CMAKE_CXX_STANDARD ${tlsctx_saved_standard})
unset(CMAKE_REQUIRED_INCLUDES)
