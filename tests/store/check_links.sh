#!/bin/sh
# Usage: check_links.sh LIBTLSCTX [redis=LIB] [memcached=LIB]
# Passes when libtlsctx needs nothing of hiredis or libmemcached (no DT_NEEDED entry for them
# in a shared build, no undefined redis*/memcached_* symbol in a static one) while each backend
# library does: the optional parts add their client library, the core never does.
set -eu
uses() {  # uses FILE REGEX-OF-SONAME REGEX-OF-SYMBOL
  { readelf -d "$1" 2>/dev/null | grep NEEDED | grep -Eq "$2"; } ||
    { nm -u "$1" 2>/dev/null | grep -Eq "$3"; }
}
core=$1
shift
if uses "$core" 'hiredis|memcached' ' (redis[A-Z]|memcached_)'; then
  echo "FAIL: $core depends on a store client library" >&2
  exit 1
fi
echo "ok: $core needs neither hiredis nor libmemcached"
for pair in "$@"; do
  name=${pair%%=*}
  file=${pair#*=}
  case $name in
    redis) soname=hiredis symbol=' redis[A-Z]' ;;
    memcached) soname=memcached symbol=' memcached_' ;;
    *) echo "unknown backend $name" >&2; exit 2 ;;
  esac
  if ! uses "$file" "$soname" "$symbol"; then
    echo "FAIL: $file does not use its client library ($soname)" >&2
    exit 1
  fi
  echo "ok: $file uses $soname"
done
