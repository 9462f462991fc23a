# The optional session-store backends (docs/fleet.md, "Redis and memcached"): tlsctx::redis over
# libhiredis and tlsctx::memcached over libmemcached. Each is a library of its own, built only
# when pkg-config finds its client library, so libtlsctx itself links only OpenSSL. Installed
# with their own export files; tlsctxConfig.cmake loads those that were installed.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(TLSCTX_HIREDIS QUIET IMPORTED_TARGET hiredis)
  pkg_check_modules(TLSCTX_LIBMEMCACHED QUIET IMPORTED_TARGET libmemcached)
endif()

# tlsctx_store_backend(<name> <pkg-config target>): the library tlsctx_<name> (tlsctx::<name>)
# from src/<name>/*.cpp and the helpers both backends share (src/store/).
function(tlsctx_store_backend name dependency)
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(tlsctx_${name} ${sources} ${PROJECT_SOURCE_DIR}/src/store/url.cpp)
  add_library(tlsctx::${name} ALIAS tlsctx_${name})
  target_include_directories(tlsctx_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(tlsctx_${name} PUBLIC tlsctx::tlsctx
    PRIVATE ${dependency} Threads::Threads $<BUILD_INTERFACE:tlsctx_warnings>)
  set_target_properties(tlsctx_${name} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION 0
    POSITION_INDEPENDENT_CODE ON EXPORT_NAME ${name})
  string(TOUPPER ${name} upper)
  string(SUBSTRING ${upper} 0 1 first)
  string(SUBSTRING ${name} 1 -1 others)
  # Components <name> (the shared library) and <name>_devel, packaged apart from libtlsctx0
  # (cmake/packaging.cmake) so that the core package never pulls in a store client library.
  install(TARGETS tlsctx_${name} EXPORT tlsctx${first}${others}Targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${name}_devel
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${name} NAMELINK_COMPONENT ${name}_devel)
  install(EXPORT tlsctx${first}${others}Targets NAMESPACE tlsctx::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tlsctx COMPONENT ${name}_devel)
endfunction()

if(TLSCTX_HIREDIS_FOUND)
  tlsctx_store_backend(redis PkgConfig::TLSCTX_HIREDIS)
else()
  message(STATUS "hiredis not found (pkg-config hiredis): tlsctx::redis is not built")
endif()
if(TLSCTX_LIBMEMCACHED_FOUND)
  tlsctx_store_backend(memcached PkgConfig::TLSCTX_LIBMEMCACHED)
else()
  message(STATUS "libmemcached not found (pkg-config libmemcached): tlsctx::memcached is not built")
endif()
