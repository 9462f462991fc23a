#!/usr/bin/env bash
# Installs the Debian 12 packages tlsctx needs, and only those that are missing.
#   scripts/install-deps.sh build   # compiler, CMake, OpenSSL, CLI11, nlohmann-json (the demo)
#   scripts/install-deps.sh test    # + GoogleTest, clang with its sanitizer and libFuzzer
#                                   #   runtimes, clang-tidy, the interop peers, what building
#                                   #   OpenSSL 3.5 takes (the test suite); libasio-dev and
#                                   #   libboost-dev bring the Asio and Beast examples and tests;
#                                   #   what cpack needs for the Debian packages; doxygen and
#                                   #   help2man; SMTP, IMAP, POP3, FTP, XMPP, LDAP and
#                                   #   PostgreSQL servers for --starttls
set -euo pipefail

build_packages=(g++ cmake ninja-build pkg-config libssl-dev openssl libcli11-dev nlohmann-json3-dev)
test_packages=(ccache clang clang-tidy libclang-rt-14-dev libgtest-dev python3 curl gnutls-bin nginx-light stunnel4 libasio-dev libboost-dev
               libbenchmark-dev ca-certificates util-linux iproute2 procps tshark valgrind
               python3-matplotlib
               # issue 15: the session stores tests run against, and their client libraries
               redis-server memcached libhiredis-dev libmemcached-dev
               # scripts/build-openssl.sh: OpenSSL 3.5 from source, with its certificate compressors
               dpkg-dev make perl zlib1g-dev libbrotli-dev libzstd-dev
               # scripts/test-packages.sh: cpack's DEB generator runs dpkg-shlibdeps (dpkg-dev)
               # and file; nm, readelf and c++filt come with g++ (binutils)
               file binutils
               # the API reference (docs/Doxyfile), warnings as errors; the command's man pages
               doxygen help2man
               # tlsctx connect --starttls against the servers Debian packages for each protocol
               python3-aiosmtpd python3-pyftpdlib python3-openssl dovecot-imapd dovecot-pop3d
               prosody slapd postgresql-15)

wanted=("${build_packages[@]}")
if [[ "${1:-build}" == "test" ]]; then
  wanted+=("${test_packages[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  as_root=(sudo)
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
