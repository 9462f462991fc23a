#!/usr/bin/env bash
# Usage: scripts/check-exports.sh LIB.so [LIB.so ...]
# Fails when a shared tlsctx library exports more than its public API (docs/abi.md): a symbol of
# an internal namespace (tls::detail, tls::ossl, tls::store, tls::<x>::detail), of an anonymous
# namespace, of a pimpl (::Impl) or a closure, or any symbol that is not C++ (OpenSSL's
# functions, a stray extern "C" helper). The parameter and template-argument lists are left out
# of the test: a private constructor of an exported class may take an internal type, and the
# instantiations of std:: templates the library uses are exported as weak symbols whatever their
# arguments. Also fails when a library exports nothing of tls:: at all, so that the check cannot
# pass on the wrong file.
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 LIB.so [LIB.so ...]" >&2; exit 2; }

# The entity a demangled symbol names: "typeinfo for" and similar prefixes dropped, operator names
# made free of brackets, then everything nested in <>, () or {} removed.
entities() {
  sed -E -e 's/^(typeinfo name|typeinfo|vtable|VTT|construction vtable|guard variable) for //' \
    -e 's/^(non-virtual thunk|virtual thunk|covariant return thunk) to //' \
    -e 's/^TLS (init|wrapper) function for //' \
    -e 's/operator(\(\)|\[\]|<<=|>>=|<<|>>|<=>|<=|>=|->\*|->|<|>)/operator@/g' |
    awk '{
      out = ""; depth = 0
      for (i = 1; i <= length($0); i++) {
        c = substr($0, i, 1)
        if (c == "<" || c == "(" || c == "{") depth++
        else if (c == ">" || c == ")" || c == "}") { if (depth > 0) depth-- }
        else if (depth == 0) out = out c
      }
      print out
    }'
}

internal='(^|[ :])tls::(detail|ossl|store)::|(^|[ :])tls::[A-Za-z_]+::detail::'
internal+='|anonymous namespace|::Impl(::|$| )'
failed=0
for lib in "$@"; do
  symbols=$(nm -D --defined-only "$lib" | awk '{print $3}')
  not_cxx=$(grep -v '^_Z' <<<"$symbols" || true)
  demangled=$(c++filt <<<"$symbols")
  leaked=$(paste <(entities <<<"$demangled") <(printf '%s\n' "$demangled") |
    awk -F'\t' -v re="$internal" '$1 ~ re || $2 ~ /\{lambda|\{unnamed type/ {print $2}' || true)
  public=$(entities <<<"$demangled" | grep -c '^tls::' || true)
  total=$(grep -c . <<<"$symbols" || true)
  if [[ -n "$not_cxx" ]]; then
    echo "FAIL: $lib exports symbols that are not C++ (OpenSSL's or extern \"C\"):" >&2
    awk '{print "  " $0}' <<<"$not_cxx" >&2
    failed=1
  fi
  if [[ -n "$leaked" ]]; then
    echo "FAIL: $lib exports internal symbols:" >&2
    awk '{print "  " $0}' <<<"$leaked" >&2
    failed=1
  fi
  if [[ "$public" -eq 0 ]]; then
    echo "FAIL: $lib exports nothing of namespace tls" >&2
    failed=1
  fi
  if [[ -z "$not_cxx" && -z "$leaked" && "$public" -gt 0 ]]; then
    echo "ok: $lib exports $total symbols, $public of them tls:: entities, nothing internal"
  fi
done
exit "$failed"
