#!/usr/bin/env bash
# scripts/valgrind-unit.sh BUILD [--all]
# Runs BUILD/tests/tlsctx_unit_tests under valgrind memcheck, in two shards at once: every
# unit test but those tests/valgrind/excluded.txt names (with its reasons), or all of them with
# --all (about 45 minutes on 2 cores). Fails on any memcheck error or definite leak. No
# suppressions: OpenSSL's one-time allocations are freed at exit (OPENSSL_cleanup) and none has
# been needed. Prints one line:
#   valgrind: N unit tests, 0 errors, 0 definite leaks
# Docs: docs/security.md ("Valgrind memcheck").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: valgrind-unit.sh BUILD [--all]}
binary="$build/tests/tlsctx_unit_tests"
filter='*'
if [[ "${2:-}" != "--all" ]]; then
  excluded=$(grep -v '^#' tests/valgrind/excluded.txt | grep -v '^$' | paste -sd: -)
  filter="*-$excluded"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
shards=2
pids=()
for ((i = 0; i < shards; i++)); do
  GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$i \
    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --num-callers=30 \
    "$binary" --gtest_filter="$filter" >"$out/$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for ((i = 0; i < shards; i++)); do
  if ! wait "${pids[$i]}"; then
    failed=1
  fi
done
tests=0
for ((i = 0; i < shards; i++)); do
  if [[ $failed -ne 0 ]]; then
    echo "== shard $i"
    grep -E '^\[  FAILED|^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|.*definitely)' \
      -A25 "$out/$i.log" | head -200 || true
    grep -E 'ERROR SUMMARY' "$out/$i.log" || true
  fi
  n=$(sed -n 's/^\[==========\] \([0-9]*\) tests from .* ran\..*/\1/p' "$out/$i.log")
  tests=$((tests + ${n:-0}))
done
if [[ $failed -ne 0 ]]; then
  echo "valgrind: FAILED (logs above)" >&2
  exit 1
fi
echo "valgrind: $tests unit tests, 0 errors, 0 definite leaks"
