#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install what is missing, then build
# and test with g++ (-Werror, full suite: unit, interop, tool, allocation-failure injection,
# the concurrency suite, the soak, limbo, examples, the cookbook's recipes, packaging, and from
# the shared build the Debian packages, installed with apt-get and removed again), the API
# reference (doxygen, warnings are errors), with g++ against OpenSSL 3.5 built from Debian 13's
# source (unit, interop, allocation failures, concurrency, benchmarks), valgrind memcheck on the
# unit tests, clang-tidy on src/, ThreadSanitizer on the concurrency suite, and with clang++
# (-Werror, everything) under AddressSanitizer + UndefinedBehaviorSanitizer (the whole suite but
# the soak), then each libFuzzer target in that clang++ tree for 20 s. Ends with one summary
# line per stage, each with the minutes it took.
#
# Cold, on 2 cores, compiling is most of the run: the g++ trees build the tests, the command and
# the examples at -O0 without debug info (TLSCTX_QUICK_TEST_BUILD; the library stays -O2), the
# OpenSSL 3.5 and TSan trees build only what their stages run, and one clang++ tree serves both
# the -Werror check and ASan.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh test

jobs=$(nproc)
summary=("dependencies: installed [$((SECONDS / 60))m$((SECONDS % 60))s]")

# Every tree compiles through ccache, its cache outside the repository like OpenSSL 3.5's
# (scripts/build-openssl.sh): a run on a machine that ran this before (CI runs on the machine
# that submitted, in a fresh clone) recompiles only what changed; on a new machine the cache is
# empty and everything compiles, as before. CCACHE_BASEDIR makes paths under this checkout
# relative, so a clone elsewhere hits the same entries; without hashing the working directory,
# debug information may name the tree that filled the cache (nothing here reads it).
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/tlsctx/ccache}
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
mkdir -p "$CCACHE_DIR"
ccache --zero-stats >/dev/null
stage_start=$SECONDS
stage() {  # stage LINE: records LINE with the time since the previous stage ended
  local took=$((SECONDS - stage_start))
  summary+=("$1 [$((took / 60))m$((took % 60))s]")
  stage_start=$SECONDS
}

configure() {  # configure DIR CXX [cmake args...]
  local dir=$1 cxx=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DTLSCTX_WERROR=ON \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache "$@" >/dev/null
}
build() {  # build DIR CXX [cmake args...]: configures, then builds every target
  configure "$@"
  cmake --build "$1" -j "$jobs"
}

run_ctest() {  # run_ctest DIR [ctest args...]; prints ctest's output, sets $ctest_count
  local out
  out=$(mktemp)
  if ! ctest --test-dir "$1" -j "$jobs" --output-on-failure --timeout 300 "${@:2}" 2>&1 |
    tee "$out"; then
    rm -f "$out"
    exit 1
  fi
  ctest_count=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$out")
  rm -f "$out"
}

echo "== g++: build and full test suite (OpenSSL: Debian 12's $(openssl version | cut -d' ' -f1-2))"
build build/gcc g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTLSCTX_BUILD_BENCH=ON \
  -DTLSCTX_QUICK_TEST_BUILD=ON
# The soak makes 25,000 sequential handshakes per server here (about 80 s with both servers at
# once on 2 cores); the 100,000 of its default run by hand (docs/security.md, "Soak").
TLSCTX_SOAK_HANDSHAKES=25000 run_ctest build/gcc
# The figures the soak and the allocation-failure tests print (docs/security.md quotes them).
grep -h -E '^\[ (soak|faults) +\]' build/gcc/Testing/Temporary/LastTest.log || true
stage "g++, $(build/gcc/tools/tlsctx/tlsctx --version | sed -n 2p | cut -d' ' -f1-2): full suite passed ($ctest_count tests)"

echo "== OpenSSL 3.5 (Debian 13's source, built once into a cache outside the repository)"
ossl35=$(scripts/build-openssl.sh | tail -n 1)
configure build/openssl-3.5 g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOPENSSL_ROOT_DIR="$ossl35" \
  -DTLSCTX_BUILD_BENCH=ON -DTLSCTX_QUICK_TEST_BUILD=ON
# What this stage runs: the unit and interop suites (with the command, the epoll example and the
# name-resolution preload they start) and the benchmarks the matrix runs. The Asio and Beast
# adapters only reach OpenSSL through the library, which the unit suite covers here.
cmake --build build/openssl-3.5 -j "$jobs" --target tlsctx_unit_tests tlsctx_interop_tests \
  tlsctx_alloc_failure_tests tlsctx_concurrency_tests tlsctx_tool example_epoll_echo_server \
  tlsctx_no_name_resolution tlsctx_benchmarks
# Its own openssl first on PATH: the s_server/s_client peers the tests start are 3.5's too. And
# python3 runs on it (3.5's libssl.so.3 keeps 3.0's ABI), so the tests that compare with Python's
# ssl compare two users of the same OpenSSL; the other peers (curl, nginx, gnutls) stay as built.
peer_bin="$root/build/openssl-3.5/peer-bin"
mkdir -p "$peer_bin"
printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$ossl35/lib" "$(command -v python3)" \
  >"$peer_bin/python3"
chmod +x "$peer_bin/python3"
# Allocation failures on 3.5: every scenario and the OpenSSL checks. Left out: the harness's own
# leak-reporting checks, whose counts OpenSSL 3.5's error queue shifts (docs/security.md,
# "Allocation-failure injection").
PATH="$peer_bin:$ossl35/bin:$PATH" run_ctest build/openssl-3.5 -L 'unit|interop|faults|concurrency' \
  -E '^faults[.]InjectionLoop[.]'
stage "g++, $(build/openssl-3.5/tools/tlsctx/tlsctx --version | sed -n 2p | cut -d' ' -f1-2): unit, interop, allocation failures, concurrency passed ($ctest_count tests)"

echo "== valgrind memcheck: the unit tests (but tests/valgrind/excluded.txt's slow ones), two shards"
valgrind_line=$(scripts/valgrind-unit.sh build/gcc | tail -n 1)
echo "$valgrind_line"
stage "$valgrind_line"

echo "== x509-limbo conformance through tlsctx verify"
limbo_json="$root/../shared/limbo/limbo.json"
if [[ -f "$limbo_json" ]]; then
  for profile in standard web-pki; do
    if ! limbo_out=$(python3 tests/limbo/run_limbo.py --tlsctx build/gcc/tools/tlsctx/tlsctx \
      --limbo "$limbo_json" --profile "$profile" 2>&1); then
      echo "$limbo_out"
      exit 1
    fi
    echo "$limbo_out"
    stage "$(grep '^limbo (' <<<"$limbo_out")"
  done
elif [[ "${CI:-}" == "true" ]]; then
  echo "no $limbo_json: CI must run the conformance suite (shared/ beside the checkout)" >&2
  exit 1
else
  stage "limbo: NOT RUN - $limbo_json is missing (it ships in the project's shared/ folder)"
fi

echo "== examples, and the cookbook's recipes against real peers"
scripts/run-examples.sh build/gcc
scripts/run-cookbook.sh build/gcc
stage "examples and cookbook: passed"

echo "== API reference: doxygen, every public name documented (warnings are errors)"
rm -rf build/docs
TLSCTX_VERSION=$(sed -n 's/^project(tlsctx VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt) doxygen docs/Doxyfile
test -f build/docs/html/index.html
stage "API reference: build/docs/html, no doxygen warning"

echo "== benchmarks, quick mode, on both OpenSSLs (proves they build and run; figures: bench/README.md)"
python3 bench/run.py --build build/gcc --quick
python3 bench/matrix.py --build build/gcc --build build/openssl-3.5 --quick
build/gcc/bench/tlsctx_bench_client_cpu 2 20
stage "bench --quick: ran"

echo "== packaging: find_package(tlsctx) and pkg-config tlsctx from an installed tree"
rm -rf build/pkg-install build/pkg-consumer
cmake --install build/gcc --prefix build/pkg-install >/dev/null
cmake -S tests/packaging -B build/pkg-consumer -G Ninja \
  -DCMAKE_PREFIX_PATH="$root/build/pkg-install" >/dev/null
cmake --build build/pkg-consumer
build/pkg-consumer/consumer
for backend in redis memcached; do
  if [[ -x build/pkg-consumer/consumer_$backend ]]; then build/pkg-consumer/consumer_$backend; fi
done
# The same consumer built by hand from tlsctx.pc. The archive needs OpenSSL on the link line,
# which --static brings.
pc_consumer() {  # pc_consumer LIBDIR OUTPUT [pkg-config args...]: builds consumer.cpp
  local libdir=$1 output=$2 flags
  shift 2
  flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config "$@" --cflags --libs tlsctx)
  # shellcheck disable=SC2086 # the flags are words
  c++ -std=c++17 tests/packaging/consumer.cpp -o "$output" $flags
}
pc_consumer "$root/build/pkg-install/lib" build/pkg-consumer/consumer_pc_static --static
build/pkg-consumer/consumer_pc_static
stage "packaging: find_package and pkg-config --static consumers passed"

echo "== shared library (BUILD_SHARED_LIBS=ON): the demo links libtlsctx.so"
# Prefix /usr: the Debian packages below are made from this tree, and GNUInstallDirs then picks
# Debian's multiarch library directory.
build build/shared g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_SHARED_LIBS=ON \
  -DTLSCTX_BUILD_TESTS=OFF -DTLSCTX_BUILD_EXAMPLES=OFF -DTLSCTX_QUICK_TEST_BUILD=ON \
  -DCMAKE_INSTALL_PREFIX=/usr
shared_libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' build/shared/CMakeCache.txt)
build/shared/tools/tlsctx/tlsctx demo >/dev/null
# libtlsctx.so needs only OpenSSL; the store backends bring their client libraries themselves.
backends=()
for backend in redis memcached; do
  if [[ -f build/shared/libtlsctx_$backend.so ]]; then
    backends+=("$backend=build/shared/libtlsctx_$backend.so")
  fi
done
tests/store/check_links.sh build/shared/libtlsctx.so "${backends[@]}"
# Its tlsctx.pc: `pkg-config --cflags --libs tlsctx` alone links a program against the .so.
rm -rf build/pkg-install-shared
cmake --install build/shared --prefix build/pkg-install-shared >/dev/null
pc_consumer "$root/build/pkg-install-shared/$shared_libdir" build/pkg-consumer/consumer_pc_shared
LD_LIBRARY_PATH="$root/build/pkg-install-shared/$shared_libdir" build/pkg-consumer/consumer_pc_shared
stage "shared library: demo and pkg-config consumer passed"

echo "== Debian packages: built with cpack from build/shared, installed, used three ways"
scripts/test-packages.sh build/shared
stage "debian packages: built, installed, find_package/pkg-config/add_subdirectory consumers passed, removed"

echo "== clang-tidy: the library (src/) with the repository's .clang-tidy"
scripts/tidy.sh
stage "clang-tidy: src/ clean"

echo "== ThreadSanitizer: tests/concurrency (16 threads sharing contexts, caches, key rings)"
# Its own clang++ tree with only what the suite links: TSan cannot share a process with ASan.
configure build/tsan clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTLSCTX_SANITIZE_THREAD=ON \
  -DTLSCTX_BUILD_EXAMPLES=OFF -DTLSCTX_BUILD_TOOLS=OFF
cmake --build build/tsan -j "$jobs" --target tlsctx_concurrency_tests
# The suppressions cover accesses made inside OpenSSL only (tests/concurrency/tsan.supp says why).
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/concurrency/tsan.supp" \
  build/tsan/tests/concurrency/tlsctx_concurrency_tests
stage "tsan: concurrency suite passed, no report"

echo "== clang++ -Werror, ASan + UBSan: everything built, then the whole suite"
# Every target (library, command, all suites, examples) compiles warning-free under clang++ too;
# the sanitizers come with it, so this one tree is also the clang++ build.
# Line tables are all a sanitizer report needs (file:line in every frame) and compile ~20 % faster
# than full debug information.
# TLSCTX_FUZZ adds libFuzzer's coverage instrumentation, so the same tree serves the fuzz stage
# below (the fuzz targets themselves are built there). It costs the unit tests nothing measurable:
# the whole unit binary took 64 s of CPU instrumented against 75 s without, noise on a busy machine.
build build/asan clang++ -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-gline-tables-only \
  -DTLSCTX_SANITIZE=ON -DTLSCTX_BUILD_EXAMPLES=ON -DTLSCTX_FUZZ=ON
# The whole suite but the soak: unit, interop (the command and the examples it starts are
# instrumented too), allocation failures, concurrency, the Asio and Beast streams (where their
# lifetime rules meet the sanitizers, with Beast's Debug assertions on) and the store backends.
# Left out too: building a server context with each of its ~9,400 allocations failing in turn
# (2 minutes under ASan; the g++ stages run it on both OpenSSLs, and the connection scenarios
# here fail every allocation of a handshake, data and shutdown under ASan), and the harness's
# checks that it reports a leak, which leak on purpose.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_ctest build/asan -LE soak \
  -E 'AServerContextIsEitherFullyConfiguredOrATypedErrorForEveryN|InjectionLoop[.]Reports.*Leaked' \
  --timeout 600
stage "clang++ -Werror (all targets), asan+ubsan: the whole suite but the soak passed ($ctest_count tests)"

echo "== libFuzzer: every target in fuzz/ for 20 s from its seeds (long runs: docs/security.md)"
cmake --build build/asan -j "$jobs" --target tlsctx_fuzz
stage "fuzz: targets built"
for target in $(find build/asan/fuzz -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x -printf '%f\n' |
  sort); do
  line=$(scripts/fuzz.sh 20 "$target")
  echo "$line"
  stage "$line"
done

summary+=("ccache: $(ccache --print-stats | awk -F'\t' '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" {hits += $2} $1 == "cache_miss" {misses = $2} END {printf "%d compilations from the cache, %d compiled", hits, misses}')")
echo
printf '%s\n' "${summary[@]}"
