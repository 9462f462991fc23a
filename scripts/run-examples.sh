#!/usr/bin/env bash
# Runs the examples on loopback against each other: certificates from the openssl command,
# every server bounded by `timeout` so nothing outlives the run.
set -euo pipefail
build=${1:-build/gcc}
ex="$build/examples"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=example CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
  -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout key.pem -out req.pem 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext.cnf
openssl x509 -req -in req.pem -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf \
  -out cert.pem 2>/dev/null
cd - >/dev/null

run_server() {  # prints the port once the server listens
  timeout 30 "$ex/example_server" "$tmp/cert.pem" "$tmp/key.pem" 0 "$1" >"$tmp/server.out" &
  for _ in $(seq 100); do
    grep -q listening "$tmp/server.out" 2>/dev/null && break
    sleep 0.05
  done
  sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.out"
}

port=$(run_server 2)
timeout 20 "$ex/example_client" localhost "$port" "$tmp/ca.pem" | grep -q "hello over TLSv1.3"
timeout 20 "$ex/example_wrap_existing_fd" 127.0.0.1 "$port" "$tmp/ca.pem" localhost |
  grep -q "TLSv1.3: HTTP/1.0 200 OK"
wait
timeout 20 "$ex/example_mutual_tls" | grep -q "hello, alice"
echo "examples: client, wrap_existing_fd and mutual_tls ran against real servers"
