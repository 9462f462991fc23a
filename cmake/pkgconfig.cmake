# tlsctx.pc for `pkg-config --cflags --libs tlsctx`, installed to <libdir>/pkgconfig.
# A shared libtlsctx brings its own OpenSSL dependency, so OpenSSL is only Requires.private
# (used by `pkg-config --static`); a static archive needs -lssl -lcrypto on every link, so it is
# Requires there. No -std flag in Cflags: it would override a consumer's newer standard; the
# documentation asks for C++17 or later (the default of g++ 11 and later).
set(pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(TLSCTX_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  # Relative to ${pcfiledir}: `cmake --install --prefix DIR` may choose another prefix.
  file(RELATIVE_PATH up "/root/${pc_dir}" "/root")
  string(REGEX REPLACE "/$" "" up "${up}")
  set(TLSCTX_PC_PREFIX "\${pcfiledir}/${up}")
endif()
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(TLSCTX_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(TLSCTX_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
if(BUILD_SHARED_LIBS)
  set(TLSCTX_PC_REQUIRES "Requires.private")
else()
  set(TLSCTX_PC_REQUIRES "Requires")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/tlsctx.pc.in ${PROJECT_BINARY_DIR}/tlsctx.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tlsctx.pc DESTINATION ${pc_dir} COMPONENT devel)
