#!/usr/bin/env bash
# Usage: scripts/test-packages.sh BUILD_DIR   (a shared build configured with
#   -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX=/usr, already built; run as root or with sudo)
# The Debian packages end to end, as a user on Debian 12 meets them: checks that the shared
# libraries export only the public API (check-exports.sh), builds the packages with cpack,
# checks their contents and Depends, installs them with apt-get, then builds and runs the
# packaging consumer three ways: find_package(tlsctx CONFIG) and pkg-config against /usr, and
# add_subdirectory of this source tree. Removes (purges) the packages again, also when a step
# fails, so that the machine is left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$(realpath "$1")
out="$root/build/debs"
consumers="$root/build/deb-consumer"
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
if [[ "$libdir" != "lib/$multiarch" ]]; then
  echo "FAIL: $build installs to lib dir '$libdir': configure it with -DCMAKE_INSTALL_PREFIX=/usr" >&2
  exit 1
fi

fail() { echo "FAIL: $*" >&2; exit 1; }
section() { echo "-- $1 (at ${SECONDS}s)"; }

section "exports"
libs=("$build/libtlsctx.so.$version")
for backend in redis memcached; do
  if [[ -f "$build/libtlsctx_$backend.so.$version" ]]; then
    libs+=("$build/libtlsctx_$backend.so.$version")
  fi
done
scripts/check-exports.sh "${libs[@]}"

section "cpack"
rm -rf "$out" "$consumers"
cpack --config "$build/CPackConfig.cmake" -B "$out" >/dev/null
debs=()
for deb in "$out"/*.deb; do debs+=("$deb"); done
printf '%s\n' "${debs[@]##*/}"

# contains DEB REGEX...: every extended regex matches a line of `dpkg -c DEB`
contains() {
  local deb=$1 listing
  shift
  listing=$(dpkg -c "$deb")
  for re in "$@"; do
    grep -Eq "$re" <<<"$listing" || fail "${deb##*/} has no file matching $re"
  done
}
lacks() {  # lacks DEB REGEX...: no line of `dpkg -c DEB` matches
  local deb=$1 listing
  shift
  listing=$(dpkg -c "$deb")
  for re in "$@"; do
    if grep -Eq "$re" <<<"$listing"; then fail "${deb##*/} contains $re"; fi
  done
}
depends() {  # depends DEB REGEX...: the Depends field matches every regex
  local deb=$1 field
  shift
  field=$(dpkg-deb -f "$deb" Depends)
  echo "${deb##*/}: Depends: $field"
  for re in "$@"; do
    grep -Eq "$re" <<<"$field" || fail "${deb##*/} does not depend on $re"
  done
}
arch=$(dpkg --print-architecture)
runtime="$out/libtlsctx0_${version}_$arch.deb"
devel="$out/libtlsctx-dev_${version}_$arch.deb"
tools="$out/tlsctx-tools_${version}_$arch.deb"
lib="\./usr/$libdir"
contains "$runtime" "$lib/libtlsctx\.so\.0 -> libtlsctx\.so\.$version" "$lib/libtlsctx\.so\.$version$"
lacks "$runtime" "$lib/libtlsctx\.so -> " '\./usr/include/' '\.a$' 'libtlsctx_(redis|memcached)'
depends "$runtime" '(^|, )libssl3 \(>= 3'
[[ "$(dpkg-deb -f "$runtime" Section)" == libs ]] || fail "libtlsctx0 is not in section libs"
# Whole outputs into variables before grep -q: grep stops at the first match, and with pipefail
# the writer's SIGPIPE would fail the pipeline.
shlibs=$(dpkg-deb --ctrl-tarfile "$runtime" | tar -xO ./shlibs)
grep -qx "libtlsctx 0 libtlsctx0 (>= $version)" <<<"$shlibs" ||
  fail "libtlsctx0 has no shlibs entry for libtlsctx.so.0"
contains "$devel" "$lib/libtlsctx\.so -> libtlsctx\.so\.0" "$lib/libtlsctx\.a$" \
  '\./usr/include/tls/tls\.hpp$' "$lib/cmake/tlsctx/tlsctxConfig\.cmake$" \
  "$lib/cmake/tlsctx/tlsctxTargets\.cmake$" "$lib/pkgconfig/tlsctx\.pc$"
lacks "$devel" "libtlsctx\.so\.$version" 'tls/pki\.hpp' '\./usr/bin/' 'libtlsctx_(redis|memcached)'
depends "$devel" "(^|, )libtlsctx0 \(= $version\)" '(^|, )libssl-dev'
contains "$tools" '\./usr/bin/tlsctx$'
lacks "$tools" '\.so' '\./usr/include/'
depends "$tools" "(^|, )libtlsctx0 \(= $version\)" '(^|, )libssl3 '

remove() {
  local installed=()
  for deb in "${debs[@]}"; do
    local name
    name=$(dpkg-deb -f "$deb" Package)
    # Installed, or removed with its postrm (ldconfig) still registered: purge leaves no trace.
    local status
    status=$(dpkg-query -W -f='${Status}' "$name" 2>/dev/null || true)
    if grep -Eq " (installed|config-files)$" <<<"$status"; then
      installed+=("$name")
    fi
  done
  if [[ ${#installed[@]} -gt 0 ]]; then
    "${as_root[@]}" apt-get remove --purge -y -qq "${installed[@]}" >/dev/null
    echo "removed: ${installed[*]}"
  fi
}
# A run that stopped half-way may have left them installed.
remove
if [[ -e "/usr/$libdir/libtlsctx.so.0" || -e /usr/include/tls ]]; then
  fail "/usr already has a tlsctx that no package of this build owns"
fi
trap remove EXIT

section "apt-get install"
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${debs[@]}" </dev/null >/dev/null
/usr/bin/tlsctx --version
# A man page per command, from the same text as its --help.
for page in tlsctx tlsctx-connect tlsctx-serve tlsctx-verify tlsctx-decode-cert tlsctx-ciphers \
  tlsctx-demo; do
  [[ -f /usr/share/man/man1/$page.1.gz ]] || fail "tlsctx-tools has no man page $page(1)"
done
zcat /usr/share/man/man1/tlsctx-connect.1.gz | grep -q -- 'starttls' ||
  fail "tlsctx-connect(1) does not describe --starttls (not made from connect --help?)"
# The loader may name the merged /lib instead of /usr/lib.
installed_lib="libtlsctx\.so\.0 => (/usr)?/$libdir/libtlsctx\.so\.0"
grep -Eq "$installed_lib" <<<"$(ldd /usr/bin/tlsctx)" ||
  fail "/usr/bin/tlsctx does not load /usr/$libdir/libtlsctx.so.0"

section "find_package(tlsctx CONFIG) against /usr"
cmake -S tests/packaging -B "$consumers/cmake" -G Ninja >/dev/null
grep -qx "tlsctx_DIR:PATH=/usr/$libdir/cmake/tlsctx" "$consumers/cmake/CMakeCache.txt" ||
  fail "find_package found $(sed -n 's/^tlsctx_DIR:PATH=//p' "$consumers/cmake/CMakeCache.txt")"
cmake --build "$consumers/cmake" >/dev/null
grep -Eq "$installed_lib" <<<"$(ldd "$consumers/cmake/consumer")" ||
  fail "the find_package consumer is not linked to the installed libtlsctx.so.0"
"$consumers/cmake/consumer"
if grep -q libtlsctx <<<"$(ldd "$consumers/cmake/consumer_static")"; then
  fail "consumer_static (tlsctx::tlsctx_static) loads libtlsctx.so"
fi
"$consumers/cmake/consumer_static"
for backend in redis memcached; do
  if [[ -x "$consumers/cmake/consumer_$backend" ]]; then "$consumers/cmake/consumer_$backend"; fi
done

section "pkg-config --cflags --libs tlsctx against /usr"
# shellcheck disable=SC2046 # the flags are words
c++ -std=c++17 tests/packaging/consumer.cpp -o "$consumers/consumer_pc" \
  $(pkg-config --cflags --libs tlsctx)
grep -Eq "$installed_lib" <<<"$(ldd "$consumers/consumer_pc")" ||
  fail "the pkg-config consumer is not linked to the installed libtlsctx.so.0"
"$consumers/consumer_pc"

remove
trap - EXIT

section "add_subdirectory of the source tree"
# -O0: this proves the build integration, not the code (which the other stages test optimized).
cmake -S tests/packaging/subdir -B "$consumers/subdir" -G Ninja -DTLSCTX_SOURCE_DIR="$root" \
  -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS=-O0 >/dev/null
cmake --build "$consumers/subdir" -j "$(nproc)" --target consumer >/dev/null
"$consumers/subdir/consumer"
echo "debian packages: ${debs[*]##*/} (${SECONDS}s)"
