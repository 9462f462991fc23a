#!/usr/bin/env bash
# clang-tidy with the repository's .clang-tidy over the library (src/ and src/ossl/, the store
# backends that are built, and the public headers they include). Prints every finding and exits
# nonzero when there is one.
# Usage: scripts/tidy.sh [FILE.cpp...]   (default: every library source)
# Configures build/tidy (clang++, compile_commands.json, library only); builds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-tidy >/dev/null; then
  echo "tidy.sh: clang-tidy is not installed (Debian: apt-get install clang-tidy)" >&2
  exit 2
fi
build=build/tidy
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DTLSCTX_BUILD_TESTS=OFF -DTLSCTX_BUILD_TOOLS=OFF -DTLSCTX_BUILD_EXAMPLES=OFF \
  -DTLSCTX_BUILD_BENCH=OFF >/dev/null
if [[ $# -gt 0 ]]; then
  files=("$@")
else
  files=(src/*.cpp src/ossl/*.cpp)
  # The optional store backends (src/redis, src/memcached and their shared src/store) count too
  # when their client library is installed, i.e. when the configure step compiled them.
  for f in src/redis/*.cpp src/memcached/*.cpp src/store/*.cpp; do
    if [[ -e $f ]] && grep -q "\"file\": \"[^\"]*/$f\"" "$build/compile_commands.json"; then
      files+=("$f")
    fi
  done
fi
# One clang-tidy per file, in parallel; every warning counts as an error for the exit status.
if printf '%s\0' "${files[@]}" |
  xargs -0 -n 1 -P "$(nproc)" clang-tidy -p "$build" --quiet --warnings-as-errors='*' \
    2> >(grep -v 'warnings\? generated\.$' >&2); then
  echo "tidy.sh: ${#files[@]} files, no findings"
else
  echo "tidy.sh: findings above (checks: .clang-tidy)" >&2
  exit 1
fi
