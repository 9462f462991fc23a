#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run `tlsctx demo`
# (a self-contained verified TLS handshake on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
cmake -S . -B build/demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DTLSCTX_BUILD_TESTS=OFF \
  -DTLSCTX_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/demo --target tlsctx_tool
exec build/demo/tools/tlsctx/tlsctx demo
