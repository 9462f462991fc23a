# Debian packages of a shared build: `cpack -G DEB` in the build tree (README, "Install from
# packages"). One package per install component:
#   libtlsctx0        runtime   libtlsctx.so.0 (SONAME libtlsctx.so.0, docs/abi.md)
#   libtlsctx-dev     devel     headers, libtlsctx.a, the libtlsctx.so link, CMake config, tlsctx.pc
#   tlsctx-tools      tools     the tlsctx command and its man pages
# and, when cmake/store_backends.cmake built them, each session-store backend in a runtime and a
# -dev package of its own (libtlsctx-redis0, libtlsctx-redis-dev, libtlsctx-memcached0, ...), so
# that libtlsctx0 never brings hiredis or libmemcached with it.
# Configure with -DCMAKE_INSTALL_PREFIX=/usr so that GNUInstallDirs picks Debian's multiarch
# library directory (lib/x86_64-linux-gnu); the packages install under /usr.
if(NOT BUILD_SHARED_LIBS OR NOT TLSCTX_INSTALL_STATIC)
  # libtlsctx0 needs the shared library and libtlsctx-dev the archive: only a shared build with
  # its static companion has both.
  message(STATUS
    "Debian packages (cpack -G DEB) need -DBUILD_SHARED_LIBS=ON -DTLSCTX_INSTALL_STATIC=ON")
  return()
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tlsctx)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Python's ssl model for C++17 over OpenSSL 3")
if(NOT CPACK_PACKAGE_CONTACT)
  set(CPACK_PACKAGE_CONTACT "The tlsctx developers")
endif()
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
# Stripped like Debian's own packages; the build tree keeps the debug information.
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends from the ELF files (libssl3, libc6, libstdc++6 ...) through dpkg-shlibdeps. It finds the
# libtlsctx*.so.0 of this tree through -l; those carry no package information yet, which CPack
# tells dpkg-shlibdeps to ignore: the packages of this tree come from the component Depends below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# A shlibs file in each package with a shared library (libtlsctx0 and the backends' runtime
# packages): a later program built against libtlsctx.so.0 depends on this version or newer (the
# SONAME changes whenever the ABI breaks, docs/abi.md).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(CPACK_COMPONENTS_ALL runtime devel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libtlsctx0)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "Python's ssl model for C++17 over OpenSSL 3 (shared library)")

set(CPACK_DEBIAN_DEVEL_PACKAGE_NAME libtlsctx-dev)
set(CPACK_DEBIAN_DEVEL_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEVEL_DEPENDS runtime)
# The headers include nothing of OpenSSL, but libtlsctx.a, tlsctx.pc and tlsctxConfig.cmake
# (find_dependency(OpenSSL 3)) need its development files.
set(CPACK_DEBIAN_DEVEL_PACKAGE_DEPENDS "libssl-dev (>= 3.0.0)")
set(CPACK_COMPONENT_DEVEL_DESCRIPTION
  "Python's ssl model for C++17 over OpenSSL 3 (headers, static library, CMake and pkg-config files)")

if(TARGET tlsctx_tool)
  list(APPEND CPACK_COMPONENTS_ALL tools)
  set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME tlsctx-tools)
  set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
  set(CPACK_COMPONENT_TOOLS_DEPENDS runtime)
  set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "tlsctx command: connect, serve, verify and decode certificates with tlsctx")
endif()

foreach(backend redis memcached)
  if(TARGET tlsctx_${backend})
    string(TOUPPER ${backend} upper)
    list(APPEND CPACK_COMPONENTS_ALL ${backend} ${backend}_devel)
    set(CPACK_DEBIAN_${upper}_PACKAGE_NAME libtlsctx-${backend}0)
    set(CPACK_DEBIAN_${upper}_PACKAGE_SECTION libs)
    set(CPACK_COMPONENT_${upper}_DEPENDS runtime)
    set(CPACK_COMPONENT_${upper}_DESCRIPTION "tlsctx session store over ${backend} (shared library)")
    set(CPACK_DEBIAN_${upper}_DEVEL_PACKAGE_NAME libtlsctx-${backend}-dev)
    set(CPACK_DEBIAN_${upper}_DEVEL_PACKAGE_SECTION libdevel)
    set(CPACK_COMPONENT_${upper}_DEVEL_DEPENDS ${backend} devel)
    set(CPACK_COMPONENT_${upper}_DEVEL_DESCRIPTION
      "tlsctx session store over ${backend} (link and CMake files)")
    if(TARGET tlsctx_tool)
      # The command links the backends it was built with (serve --session-store).
      list(APPEND CPACK_COMPONENT_TOOLS_DEPENDS ${backend})
    endif()
  endif()
endforeach()
# tlsctxConfig.cmake finds the backend's client library again through pkg-config.
set(CPACK_DEBIAN_REDIS_DEVEL_PACKAGE_DEPENDS "libhiredis-dev, pkg-config")
set(CPACK_DEBIAN_MEMCACHED_DEVEL_PACKAGE_DEPENDS "libmemcached-dev, pkg-config")

include(CPack)
