#!/usr/bin/env python3
"""One-shot TLS client built on Python's ssl module, for tlsctx interop tests.

Connects to 127.0.0.1:--port, handshakes (verifying --server-hostname against --cafile), sends
`--send` plus a newline, reads until the server closes, and prints one JSON object on stdout:
{"handshake": "ok"|"failed", "version", "cipher", "alpn", "peercert", "error", "received",
"read_end", "io_error"}, shaped like tls_server.py's result.

Every blocking call is bounded by --timeout; the test also runs this under `timeout`.
"""
import argparse
import json
import socket
import ssl
import sys

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def error_info(exc):
    info = {"type": type(exc).__name__, "message": str(exc)}
    for attr in ("reason", "library", "verify_code", "verify_message", "errno"):
        value = getattr(exc, attr, None)
        if value is not None:
            info[attr] = value
    reason = info.get("reason") or ""
    if "ALERT" in reason:
        info["alert"] = reason
    return info


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-hostname", default="localhost")
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--alpn", action="append", default=[])
    parser.add_argument("--min-version", choices=sorted(VERSIONS))
    parser.add_argument("--max-version", choices=sorted(VERSIONS))
    parser.add_argument("--no-check-hostname", action="store_true")
    parser.add_argument("--send", default="ping")
    parser.add_argument("--read-first", action="store_true",
                        help="read once before sending (to see an alert the server sends "
                             "right after the handshake)")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(args.cafile)
    if args.no_check_hostname:
        ctx.check_hostname = False
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn)
    if args.min_version:
        ctx.minimum_version = VERSIONS[args.min_version]
    if args.max_version:
        ctx.maximum_version = VERSIONS[args.max_version]

    result = {}
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
    tls = ctx.wrap_socket(sock, server_hostname=args.server_hostname,
                          do_handshake_on_connect=False, suppress_ragged_eofs=False)
    try:
        tls.do_handshake()
    except (ssl.SSLError, OSError) as exc:
        result["handshake"] = "failed"
        result["error"] = error_info(exc)
        print(json.dumps(result), flush=True)
        tls.close()
        return 0

    result["handshake"] = "ok"
    result["version"] = tls.version()
    result["cipher"] = list(tls.cipher())
    result["alpn"] = tls.selected_alpn_protocol()
    result["peercert"] = tls.getpeercert()
    received = b""
    try:
        if args.read_first:
            received += tls.recv(4096)
        tls.sendall(args.send.encode() + b"\n")
        while True:
            chunk = tls.recv(4096)
            if not chunk:
                result["read_end"] = "close_notify"
                break
            received += chunk
        tls.unwrap()
        result["shutdown"] = "clean"
    except (ssl.SSLError, OSError) as exc:
        result["io_error"] = error_info(exc)
    result["received"] = received.decode("utf-8", "replace")
    print(json.dumps(result), flush=True)
    tls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
