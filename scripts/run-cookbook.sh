#!/usr/bin/env bash
# docs/cookbook.md's recipes, each run against real peers on 127.0.0.1 (openssl s_server,
# Python's ssl, plain TCP servers that misbehave), every peer on a kernel-chosen port, bounded by
# `timeout` and stopped by PID. First checks that the page shows each recipe's file exactly.
#   scripts/run-cookbook.sh BUILD_DIR
#   scripts/run-cookbook.sh --update-docs   # copies the recipes' files into the page, then stops
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - docs/cookbook.md examples/cookbook "${1:-}" <<'PY'
# Every ```cpp block that follows a link to examples/cookbook/NAME.cpp must be that file.
import pathlib, re, sys
page, folder, update = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3] == "--update-docs"
text = page.read_text()
block = re.compile(r"(\(\.\./examples/cookbook/(\w+\.cpp)\)(?:[^\n]|\n(?!\n))*\n\n```cpp\n)(.*?)(```\n)", re.S)
files = {p.name: p.read_text() for p in folder.glob("*.cpp")}
if update:
    page.write_text(block.sub(lambda m: m.group(1) + files[m.group(2)] + m.group(4), text))
    sys.exit(0)
shown = {m.group(2): m.group(3) for m in block.finditer(text)}
bad = [n for n in files if shown.get(n) != files[n]] + [n for n in shown if n not in files]
if bad:
    sys.exit(f"docs/cookbook.md does not show these recipes as they are: {', '.join(sorted(bad))}"
             " (scripts/run-cookbook.sh --update-docs copies them in)")
print(f"cookbook: docs/cookbook.md shows all {len(files)} recipes verbatim")
PY
[[ "${1:-}" == "--update-docs" ]] && exit 0
build=$(cd "${1:-build/gcc}" && pwd)
bin="$build/examples/cookbook"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# A throw-away PKI: one CA; servers for localhost, a.test, b.test and other.test; a self-signed
# server; the client alice, whose key is encrypted with the password in password.txt.
(
  cd "$tmp"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=cookbook CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.pem 2>/dev/null
  issue() {  # issue NAME EXTENSIONS
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
      -keyout "$1.key" -out "$1.csr" 2>/dev/null
    printf '%b' "$2" >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  }
  for name in localhost a.test b.test other.test; do
    issue "$name" "subjectAltName=DNS:$name,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
  done
  issue alice "extendedKeyUsage=clientAuth\n"
  echo 'correct horse battery staple' >password.txt
  openssl pkey -in alice.key -aes256 -passout file:password.txt -out alice.enc.key
  echo 'not the password' >wrong-password.txt
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=localhost" -addext subjectAltName=DNS:localhost -keyout self.key \
    -out self.pem 2>/dev/null
)

wait_for_line() {  # wait_for_line FILE PATTERN: waits up to 10 s for PATTERN in FILE
  for _ in $(seq 200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "no '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}
s_server() {  # s_server NAME [s_server args...]: starts one, sets $port
  local name=$1
  shift
  timeout 120 openssl s_server -accept 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>&1 </dev/null &
  pids+=($!)
  wait_for_line "$tmp/$name.out" "^ACCEPT"
  port=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$name.out")
}
python_peer() {  # python_peer NAME CODE [args...]: a Python server printing "port N"; sets $port
  local name=$1 code=$2
  shift 2
  timeout 120 python3 -c "$code" "$@" >"$tmp/$name.out" 2>&1 &
  pids+=($!)
  wait_for_line "$tmp/$name.out" "^port "
  port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$tmp/$name.out")
}
expect() {  # expect NAME STATUS PATTERN COMMAND...: COMMAND exits STATUS and prints PATTERN
  local name=$1 want=$2 pattern=$3 status=0
  shift 3
  timeout 30 "$@" >"$tmp/$name.log" 2>&1 || status=$?
  if [[ $status -ne $want ]] || ! grep -q -- "$pattern" "$tmp/$name.log"; then
    echo "cookbook: $name: exit $status (want $want), output (want '$pattern'):" >&2
    cat "$tmp/$name.log" >&2
    exit 1
  fi
}

c=$tmp  # certificates
s_server www -www -cert "$c/localhost.pem" -key "$c/localhost.key"
www=$port

# verified_client
expect verified 0 "verified localhost: TLSv1.3" "$bin/cookbook_verified_client" localhost "$www" "$c/ca.pem"
grep -q "HTTP/1.0 200 ok" "$tmp/verified.log"
s_server other -www -cert "$c/other.test.pem" -key "$c/other.test.key"
expect verified-wrong-host 1 "not verified: Hostname mismatch" \
  "$bin/cookbook_verified_client" localhost "$port" "$c/ca.pem"
echo "cookbook: verified_client verified s_server and refused one with another host's certificate"

# sni_server: three Python clients, for a.test, b.test and with no name at all.
timeout 60 "$bin/cookbook_sni_server" 0 3 "a.test=$c/a.test.pem,$c/a.test.key" \
  "b.test=$c/b.test.pem,$c/b.test.key" >"$tmp/sni.out" 2>&1 &
sni_pid=$!
pids+=("$sni_pid")
wait_for_line "$tmp/sni.out" "^listening on"
sni_port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/sni.out")
timeout 30 python3 - "$sni_port" "$c/ca.pem" <<'PY'
import socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
def ask(name, verify_as):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False  # checked below, also for the connection without SNI
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                         server_hostname=name) as s:
        sans = [v for k, v in s.getpeercert()["subjectAltName"] if k == "DNS"]
        assert sans == [verify_as], (name, sans)
        return s.recv(100).decode()
assert ask("a.test", "a.test") == "served as a.test\n"
assert ask("b.test", "b.test") == "served as b.test\n"
assert ask(None, "a.test") == "served as (no name)\n"  # the default site's certificate
PY
wait "$sni_pid"
echo "cookbook: sni_server served a.test and b.test their own certificates and a client without SNI the default"

# mutual_tls_client: a Python server that requires a client certificate from the CA.
mtls_server='
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=sys.argv[3])
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0))
print("port", listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
conn.settimeout(10)
with ctx.wrap_socket(conn, server_side=True) as tls:
    cn = dict(x[0] for x in tls.getpeercert()["subject"])["commonName"]
    tls.recv(100)
    tls.sendall(f"hello, {cn}\n".encode())
    tls.unwrap()
'
python_peer mtls "$mtls_server" "$c/localhost.pem" "$c/localhost.key" "$c/ca.pem"
expect mtls 0 "hello, alice" "$bin/cookbook_mutual_tls_client" localhost "$port" "$c/ca.pem" \
  "$c/alice.pem" "$c/alice.enc.key" "$c/password.txt"
expect mtls-wrong-password 1 "TLS error: load_cert_chain: cannot load the private key" \
  "$bin/cookbook_mutual_tls_client" localhost "$port" "$c/ca.pem" "$c/alice.pem" \
  "$c/alice.enc.key" "$c/wrong-password.txt"
echo "cookbook: mutual_tls_client authenticated with an encrypted key to Python's ssl; a wrong password is an SSLError"

# resume_session: twice against the TLS 1.3 server, twice against a TLS 1.2 one.
expect resume-1 0 "resumed: no" "$bin/cookbook_resume_session" localhost "$www" "$c/ca.pem" "$tmp/s13"
expect resume-2 0 "resumed: yes" "$bin/cookbook_resume_session" localhost "$www" "$c/ca.pem" "$tmp/s13"
[[ $(stat -c %a "$tmp/s13") == 600 ]]
s_server tls12 -www -tls1_2 -cert "$c/localhost.pem" -key "$c/localhost.key"
expect resume12-1 0 "resumed: no" "$bin/cookbook_resume_session" localhost "$port" "$c/ca.pem" "$tmp/s12"
expect resume12-2 0 "resumed: yes" "$bin/cookbook_resume_session" localhost "$port" "$c/ca.pem" "$tmp/s12"
echo "garbage" >"$tmp/damaged"
expect resume-damaged 0 "resumed: no" "$bin/cookbook_resume_session" localhost "$www" "$c/ca.pem" "$tmp/damaged"
echo "cookbook: resume_session resumed from its file on the second run (TLS 1.3 and 1.2); a damaged file costs a full handshake"

# poll_client
expect poll 0 "HTTP/1.0 200 ok" "$bin/cookbook_poll_client" 127.0.0.1 "$www" "$c/ca.pem" localhost
grep -q "handshake done: TLSv1.3" "$tmp/poll.log"
expect poll-wrong-name 1 "handshake failed: .*Hostname mismatch" \
  "$bin/cookbook_poll_client" 127.0.0.1 "$www" "$c/ca.pem" other.test
echo "cookbook: poll_client fetched a page in its own poll() loop and reported a failed verification without exceptions"

# client_errors: one server per failure a client meets.
e="$bin/cookbook_client_errors"
expect errors-ok 0 "ok: TLSv1.3" "$e" localhost "$www" "$c/ca.pem"
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect errors-refused 1 "refused: " "$e" 127.0.0.1 "$free_port" "$c/ca.pem"
preload=$(find "$build" -name 'libtlsctx_no_name_resolution.so' | head -n 1)
if [[ -n "$preload" ]]; then  # a lookup that fails at once, whatever the machine's resolver
  expect errors-name 1 "name: no-such-host.invalid does not resolve" \
    env LD_PRELOAD="$preload" "$e" no-such-host.invalid 443 "$c/ca.pem"
fi
s_server untrusted -www -cert "$c/self.pem" -key "$c/self.key"
expect errors-untrusted 1 "certificate: self-signed certificate (X509 code 18)" \
  "$e" localhost "$port" "$c/ca.pem"
s_server old -www -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' -cert "$c/localhost.pem" -key "$c/localhost.key"
expect errors-version 1 "tls: .*PROTOCOL_VERSION\|tls: UNSUPPORTED_PROTOCOL" "$e" localhost "$port" "$c/ca.pem"
s_server needs-cert -www -Verify 1 -verify_return_error -CAfile "$c/ca.pem" \
  -cert "$c/localhost.pem" -key "$c/localhost.key"
expect errors-cert-required 1 "tls: TLSV13_ALERT_CERTIFICATE_REQUIRED" "$e" localhost "$port" "$c/ca.pem"
python_peer hangup 'import socket
l = socket.create_server(("127.0.0.1", 0)); print("port", l.getsockname()[1], flush=True)
c, _ = l.accept(); c.settimeout(5); c.recv(65536); c.close()'
expect errors-eof 1 "eof: " "$e" localhost "$port" "$c/ca.pem"
python_peer reset 'import socket, struct
l = socket.create_server(("127.0.0.1", 0)); print("port", l.getsockname()[1], flush=True)
c, _ = l.accept(); c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.settimeout(5); c.recv(1); c.close()'
expect errors-reset 1 "network: .*reset" "$e" localhost "$port" "$c/ca.pem"
python_peer silent 'import socket, time
l = socket.create_server(("127.0.0.1", 0)); print("port", l.getsockname()[1], flush=True)
c, _ = l.accept(); time.sleep(60)'
expect errors-timeout 1 "timeout: " "$e" localhost "$port" "$c/ca.pem"
python_peer http 'import socket
l = socket.create_server(("127.0.0.1", 0)); print("port", l.getsockname()[1], flush=True)
c, _ = l.accept(); c.recv(1000); c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4); c.close()'
expect errors-not-tls 1 "tls: \|eof: " "$e" localhost "$port" "$c/ca.pem"
echo "cookbook: client_errors told apart ok, refused, unresolvable, untrusted, old protocol, certificate required, EOF, reset, timeout and not-TLS"
