#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): install what is missing, then build
# and test with g++ (-Werror, full suite: unit, interop, tool, limbo, examples, packaging),
# with clang++ (-Werror, unit tests), clang-tidy on src/, and with AddressSanitizer + UndefinedBehaviorSanitizer
# (unit tests). Ends with one summary line per stage.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scripts/install-deps.sh test

jobs=$(nproc)
summary=()
stage() { summary+=("$1"); }

build() {  # build DIR CXX [cmake args...]
  local dir=$1 cxx=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DTLSCTX_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

echo "== g++: build and full test suite"
build build/gcc g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTLSCTX_BUILD_BENCH=ON
ctest --test-dir build/gcc -j "$jobs" --output-on-failure --timeout 300
stage "g++: full suite passed"

echo "== x509-limbo conformance through tlsctx verify"
limbo_json="$root/../shared/limbo/limbo.json"
if [[ -f "$limbo_json" ]]; then
  if ! limbo_out=$(python3 tests/limbo/run_limbo.py --tlsctx build/gcc/tools/tlsctx/tlsctx \
    --limbo "$limbo_json" 2>&1); then
    echo "$limbo_out"
    exit 1
  fi
  echo "$limbo_out"
  stage "$(grep '^limbo:' <<<"$limbo_out")"
elif [[ "${CI:-}" == "true" ]]; then
  echo "no $limbo_json: CI must run the conformance suite (shared/ beside the checkout)" >&2
  exit 1
else
  stage "limbo: NOT RUN - $limbo_json is missing (it ships in the project's shared/ folder)"
fi

echo "== examples"
scripts/run-examples.sh build/gcc
stage "examples: passed"

echo "== benchmarks, quick mode (proves they build and run; figures: bench/README.md)"
python3 bench/run.py --build build/gcc --quick
stage "bench --quick: ran"

echo "== packaging: find_package(tlsctx) from an installed tree"
rm -rf build/pkg-install build/pkg-consumer
cmake --install build/gcc --prefix build/pkg-install >/dev/null
cmake -S tests/packaging -B build/pkg-consumer -G Ninja \
  -DCMAKE_PREFIX_PATH="$root/build/pkg-install" >/dev/null
cmake --build build/pkg-consumer
build/pkg-consumer/consumer
stage "packaging: passed"

echo "== shared library (BUILD_SHARED_LIBS=ON): the demo links libtlsctx.so"
build build/shared g++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_SHARED_LIBS=ON \
  -DTLSCTX_BUILD_TESTS=OFF -DTLSCTX_BUILD_EXAMPLES=OFF
build/shared/tools/tlsctx/tlsctx demo >/dev/null
stage "shared library: demo passed"

echo "== clang++: build and unit tests"
build build/clang clang++ -DCMAKE_BUILD_TYPE=Debug
ctest --test-dir build/clang -j "$jobs" --output-on-failure -L unit --timeout 300
stage "clang++: build and unit tests passed"

echo "== clang-tidy: the library (src/) with the repository's .clang-tidy"
scripts/tidy.sh
stage "clang-tidy: src/ clean"

echo "== ASan + UBSan: unit tests"
build build/asan clang++ -DCMAKE_BUILD_TYPE=Debug -DTLSCTX_SANITIZE=ON -DTLSCTX_BUILD_TOOLS=OFF \
  -DTLSCTX_BUILD_EXAMPLES=OFF
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/asan -j "$jobs" --output-on-failure -L unit --timeout 600
stage "asan+ubsan: unit tests passed"

echo
printf '%s\n' "${summary[@]}"
