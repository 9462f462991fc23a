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

# Sans-I/O: both make their own throw-away CA and must print their success line.
timeout 20 "$ex/example_memory_pair" | grep -q "memory_pair: hello echoed over TLSv1.3"
if [[ -x "$ex/example_asio_object" ]]; then
  timeout 20 "$ex/example_asio_object" | grep -q 'asio_object: client received "hello" back'
else
  echo "examples: asio_object not built (no asio.hpp); skipped"
fi

# The epoll echo server: three Python clients at once, each echoing 192 KiB; it must then exit 0
# by itself (--max-connections 3).
timeout 30 "$ex/example_epoll_echo_server" "$tmp/cert.pem" "$tmp/key.pem" 0 \
  --max-connections 3 >"$tmp/epoll.out" &
epoll_pid=$!
for _ in $(seq 100); do
  grep -q listening "$tmp/epoll.out" 2>/dev/null && break
  sleep 0.05
done
epoll_port=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/epoll.out")
timeout 20 python3 - "$epoll_port" "$tmp/ca.pem" <<'PY'
import socket, ssl, sys, threading
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
socks = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                         server_hostname="localhost") for _ in range(3)]  # all open at once
ok = []
def echo(i, s):
    data = bytes([i]) * 16384
    got = b""
    for _ in range(12):  # one record out, then its echo back: no deadlock, no threads per socket
        s.sendall(data)
        want = len(got) + len(data)
        while len(got) < want:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    s.unwrap().close()  # close_notify both ways
    ok.append(got == data * 12)
threads = [threading.Thread(target=echo, args=(i, s)) for i, s in enumerate(socks)]
for t in threads: t.start()
for t in threads: t.join()
sys.exit(0 if ok == [True] * 3 else 1)
PY
wait "$epoll_pid"
grep -q "served 3 connections" "$tmp/epoll.out"
echo "examples: memory_pair, asio_object and epoll_echo_server (3 concurrent clients) passed"

# tls::asio::stream (built where asio.hpp and boost/beast.hpp were found): the echo server's
# self-test, then the Beast server serving the Beast client, the Asio client and curl.
if [[ -x "$ex/example_asio_echo_server" ]]; then
  timeout 20 "$ex/example_asio_echo_server" --self-test |
    grep -q "asio_echo_server: self-test: 100010 bytes echoed over TLSv1.3"
  echo "examples: asio_echo_server --self-test passed"
else
  echo "examples: asio_echo_server not built (no asio.hpp); skipped"
fi
if [[ -x "$ex/example_beast_https_server" ]]; then
  timeout 30 "$ex/example_beast_https_server" --cert "$tmp/cert.pem" --key "$tmp/key.pem" \
    --port 0 --exit-after 3 >"$tmp/beast.out" &
  beast_pid=$!
  for _ in $(seq 100); do
    grep -q listening "$tmp/beast.out" 2>/dev/null && break
    sleep 0.05
  done
  beast_port=$(sed -n '1s/.*127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/beast.out")
  timeout 20 "$ex/example_beast_https_client" localhost "$beast_port" /beast --cafile "$tmp/ca.pem" |
    grep -q "path: /beast"
  if [[ -x "$ex/example_asio_https_client" ]]; then
    timeout 20 "$ex/example_asio_https_client" localhost "$beast_port" /asio --cafile "$tmp/ca.pem" |
      grep -q "HTTP/1.0 200 OK"
  else
    curl -sS --cacert "$tmp/ca.pem" "https://localhost:$beast_port/asio" | grep -q "path: /asio"
  fi
  curl -sS --cacert "$tmp/ca.pem" "https://localhost:$beast_port/curl" | grep -q "path: /curl"
  wait "$beast_pid"
  echo "examples: beast_https_server served beast_https_client, asio_https_client and curl"
else
  echo "examples: Beast examples not built (no boost/beast.hpp); skipped"
fi
