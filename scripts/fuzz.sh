#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS [TARGET...]]
# Runs the libFuzzer targets of a TLSCTX_FUZZ=ON tree (default build/asan; FUZZ_BUILD=dir picks
# another; build them first: cmake --build build/asan --target tlsctx_fuzz), all of them or the
# ones named, for SECONDS each (default 20), one after the other, each on a fresh copy of its
# seeds (fuzz/corpus/<target>/) and its dictionary (fuzz/<target>.dict) if it has one. Prints one
# line per target:
#   fuzz <target>: <execs> execs, <cov> coverage, <features> ft, 0 crashes
# and fails at the first crash, leak, sanitizer report or timeout, leaving the reproducer in
# build/fuzz-artifacts/ (replay it: build/asan/fuzz/<target> build/fuzz-artifacts/<file>).
# Docs: docs/security.md ("Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
build=${FUZZ_BUILD:-build/asan}
artifacts=build/fuzz-artifacts
work=build/fuzz-corpus
mkdir -p "$artifacts"

if [[ $# -gt 1 ]]; then
  targets="${*:2}"
else
  targets=$(find "$build/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x -printf '%f\n' | sort)
fi
if [[ -z "$targets" ]]; then
  echo "fuzz.sh: no fuzz targets in $build/fuzz (configure with -DTLSCTX_FUZZ=ON)" >&2
  exit 1
fi
for target in $targets; do
  rm -rf "${work:?}/$target"
  mkdir -p "$work/$target"
  cp fuzz/corpus/"$target"/* "$work/$target"/ 2>/dev/null || true
  log="$artifacts/$target.log"
  dict=()
  if [[ -f fuzz/$target.dict ]]; then dict=("-dict=fuzz/$target.dict"); fi
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" "$work/$target" \
    >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz $target: FAILED - reproducer: $(ls -t "$artifacts/$target"-* 2>/dev/null | head -n 1)" >&2
    exit 1
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  echo "fuzz $target: ${execs:-?} execs, ${cov:-?} coverage, ${ft:-?} ft, 0 crashes"
done
