#!/usr/bin/env bash
# Regenerates the checked-in seed corpora fuzz/corpus/<target>/ from a fresh test PKI and real
# in-memory handshakes. Usage: fuzz/make_corpus.sh [BUILD_DIR]  (a TLSCTX_FUZZ=ON tree;
# default build/asan). The keys are new on every run, so the seeds' bytes change each time.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/asan}
cmake --build "$build" --target tlsctx_fuzz_make_corpus
rm -rf fuzz/corpus
ASAN_OPTIONS=detect_leaks=0 "$build/fuzz/tlsctx_fuzz_make_corpus" fuzz/corpus
du -sh fuzz/corpus
