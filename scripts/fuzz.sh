#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS [TARGET...]]
# scripts/fuzz.sh --long RUNS [TARGET...]
# Runs the libFuzzer targets of a TLSCTX_FUZZ=ON tree (default build/asan; FUZZ_BUILD=dir picks
# another; build them first: cmake --build build/asan --target tlsctx_fuzz), all of them or the
# ones named, one after the other, with their dictionary (fuzz/<target>.dict) if they have one.
#
# SECONDS (default 20): each target for that long, on a fresh copy of its seeds
# (fuzz/corpus/<target>/). This is the CI budget. Prints one line per target:
#   fuzz <target>: <execs> execs, <cov> coverage, <features> ft, 0 crashes
#
# --long RUNS: each target for RUNS executions on a corpus that is kept between runs, outside the
# checkout (FUZZ_CORPUS, default ~/.cache/tlsctx/fuzz-corpus/<target>/, seeded from
# fuzz/corpus/<target>/), with a 60 s per-input limit instead of 10 s: a long run shares the
# machine, and a starved process is not a hang. Each run appends a line to
# FUZZ_CORPUS/<target>.runs (date, executions, seconds, coverage, features, corpus size), so a
# goal such as 10 M executions may be reached in several sittings; prints that line and the total.
#
# Either way it fails at the first crash, leak, sanitizer report or timeout, leaving the reproducer
# in build/fuzz-artifacts/ (replay it: build/asan/fuzz/<target> build/fuzz-artifacts/<file>).
# Docs: docs/security.md ("Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
long=0
if [[ ${1:-} == --long ]]; then
  long=1
  runs=${2:?"usage: scripts/fuzz.sh --long RUNS [TARGET...]"}
  shift 2
  set -- 0 "$@"
fi
seconds=${1:-20}
build=${FUZZ_BUILD:-build/asan}
artifacts=build/fuzz-artifacts
if [[ $long == 1 ]]; then
  work=${FUZZ_CORPUS:-$HOME/.cache/tlsctx/fuzz-corpus}
  budget=(-runs="$runs" -timeout=60)
else
  work=build/fuzz-corpus
  budget=(-max_total_time="$seconds" -timeout=10)
fi
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
  if [[ $long == 0 ]]; then rm -rf "${work:?}/$target"; fi
  mkdir -p "$work/$target"
  # -n: a long run's corpus keeps what it found; only missing seeds are added back.
  cp -n fuzz/corpus/"$target"/* "$work/$target"/ 2>/dev/null || true
  log="$artifacts/$target.log"
  dict=()
  if [[ -f fuzz/$target.dict ]]; then dict=("-dict=fuzz/$target.dict"); fi
  start=$(date +%s)
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/fuzz/$target" "${budget[@]}" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" "$work/$target" \
    >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz $target: FAILED - reproducer: $(ls -t "$artifacts/$target"-* 2>/dev/null | head -n 1)" >&2
    exit 1
  fi
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if [[ $long == 0 ]]; then
    echo "fuzz $target: ${execs:-?} execs, ${cov:-?} coverage, ${ft:-?} ft, 0 crashes"
    continue
  fi
  inputs=$(find "$work/$target" -maxdepth 1 -type f | wc -l)
  ledger="$work/$target.runs"
  printf '%s %s execs %s s %s cov %s ft %s inputs\n' "$(date -u +%FT%TZ)" "${execs:-0}" \
    "$elapsed" "${cov:-?}" "${ft:-?}" "$inputs" >>"$ledger"
  total=$(awk '{ n += $2 } END { print n }' "$ledger")
  echo "fuzz $target: ${execs:-?} execs in ${elapsed} s, ${cov:-?} coverage, ${ft:-?} ft," \
    "${inputs} inputs kept, 0 crashes; ${total} execs over $(wc -l <"$ledger") runs"
done
