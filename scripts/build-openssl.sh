#!/usr/bin/env bash
# Builds the second OpenSSL of the test matrix: OpenSSL 3.5 (LTS) from Debian 13's (trixie) source
# package, into a prefix outside the repository, and prints that prefix as its last line.
# A prefix that is already complete is reused as it is (no network, no rebuild).
#   scripts/build-openssl.sh            # prefix: ${TLSCTX_CACHE:-~/.cache/tlsctx}/openssl-3.5
# The trixie deb-src entry lives in a private apt configuration under the build directory, so the
# machine's own package sources stay Debian 12's.
set -euo pipefail
cache=${TLSCTX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tlsctx}
prefix="$cache/openssl-3.5"
if [[ -x "$prefix/bin/openssl" && -f "$prefix/.complete" ]]; then
  echo "openssl 3.5: reusing $(cat "$prefix/.complete") in $prefix" >&2
  echo "$prefix"
  exit 0
fi

work="$cache/openssl-3.5-build"
rm -rf "$work" "$prefix"
mkdir -p "$work"/apt/{lists/partial,archives/partial,sources.list.d} "$work/src"
cat >"$work/apt/sources.list" <<LIST
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
LIST
apt_private=(-o "Dir::Etc::sourcelist=$work/apt/sources.list"
             -o "Dir::Etc::sourceparts=$work/apt/sources.list.d"
             -o "Dir::State::lists=$work/apt/lists"
             -o "Dir::Cache::archives=$work/apt/archives"
             -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
             -o "APT::Sandbox::User=root")
echo "openssl 3.5: fetching the trixie source index" >&2
apt-get "${apt_private[@]}" -qq update </dev/null

# The index can name a version the mirror no longer (or not yet) serves: try each 3.5 version it
# names, newest first, until one downloads.
mapfile -t versions < <(apt-cache "${apt_private[@]}" showsrc openssl 2>/dev/null |
  sed -n 's/^Version: //p' | grep '^3\.5\.' | sort -rV | uniq)
[[ ${#versions[@]} -gt 0 ]] || { echo "openssl 3.5: trixie names no openssl 3.5 source" >&2; exit 1; }
got=""
for v in "${versions[@]}"; do
  if (cd "$work/src" && apt-get "${apt_private[@]}" -qq source --download-only "openssl=$v" \
        </dev/null >/dev/null 2>&1); then
    got=$v
    break
  fi
  echo "openssl 3.5: $v is not on the mirror, trying an older one" >&2
  rm -f "$work"/src/openssl_*
done
[[ -n "$got" ]] || { echo "openssl 3.5: none of ${versions[*]} could be downloaded" >&2; exit 1; }
echo "openssl 3.5: building Debian's $got into $prefix" >&2
(cd "$work/src" && dpkg-source --no-check -x openssl_*.dsc tree >/dev/null)

# Compression libraries for RFC 8879 certificate compression; no docs and no OpenSSL self-tests,
# which CI does not need; an rpath so its openssl binary and libssl find each other.
cd "$work/src/tree"
log="$work/build.log"
quiet() {  # runs a build step with its output in $log, shown only when it fails
  if ! "$@" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "openssl 3.5: '$*' failed (whole log: $log)" >&2
    exit 1
  fi
}
quiet ./Configure --prefix="$prefix" --openssldir="$prefix/ssl" --libdir=lib shared \
  enable-zlib enable-brotli enable-zstd no-docs no-tests "-Wl,-rpath,$prefix/lib"
quiet make -j "$(nproc)" build_sw
quiet make install_sw install_ssldirs
# The system's CA directory, so default verify paths behave as with Debian's OpenSSL.
rm -rf "$prefix/ssl/certs" && ln -s /etc/ssl/certs "$prefix/ssl/certs"
echo "$got" >"$prefix/.complete"
rm -rf "$work"
echo "openssl 3.5: $("$prefix/bin/openssl" version)" >&2
echo "$prefix"
