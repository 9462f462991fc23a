#!/usr/bin/env python3
"""One-connection TLS server built on Python's ssl module, for tlsctx interop tests.

Binds 127.0.0.1 port 0 and prints, one JSON object per line on stdout:
  {"event": "listening", "port": N}
  {"event": "result", "handshake": "ok"|"failed", ...}
The result holds what Python negotiated (version, cipher, alpn, peercert), the error when the
handshake failed (type, reason, library, verify_code, verify_message, alert), the line received
from the client and how the connection ended. After the handshake the server reads one line,
answers `--reply` plus a newline and unwraps (close_notify both ways).

Every blocking call is bounded by --timeout; the test also runs this under `timeout`.
"""
import argparse
import json
import socket
import ssl
import sys

VERIFY = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}
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


def emit(obj):
    print(json.dumps(obj), flush=True)


def read_line(tls):
    """Reads up to a newline. Returns (bytes, how the read ended)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = tls.recv(4096)
        if not chunk:
            return data, "close_notify"
        data += chunk
    return data, "line"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key")
    parser.add_argument("--cafile")
    parser.add_argument("--verify", choices=sorted(VERIFY), default="none")
    parser.add_argument("--alpn", action="append", default=[])
    parser.add_argument("--min-version", choices=sorted(VERSIONS))
    parser.add_argument("--max-version", choices=sorted(VERSIONS))
    parser.add_argument("--reply", default="pong")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.cafile:
        ctx.load_verify_locations(args.cafile)
    ctx.verify_mode = VERIFY[args.verify]
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn)
    if args.min_version:
        ctx.minimum_version = VERSIONS[args.min_version]
    if args.max_version:
        ctx.maximum_version = VERSIONS[args.max_version]

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(args.timeout)
    emit({"event": "listening", "port": listener.getsockname()[1]})

    result = {"event": "result"}
    try:
        conn, _ = listener.accept()
    except OSError as exc:
        result["handshake"] = "no connection"
        result["error"] = error_info(exc)
        emit(result)
        return 1
    listener.close()
    conn.settimeout(args.timeout)
    tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False,
                          suppress_ragged_eofs=False)
    try:
        tls.do_handshake()
    except (ssl.SSLError, OSError) as exc:
        result["handshake"] = "failed"
        result["error"] = error_info(exc)
        emit(result)
        tls.close()
        return 0

    result["handshake"] = "ok"
    result["version"] = tls.version()
    result["cipher"] = list(tls.cipher())
    result["alpn"] = tls.selected_alpn_protocol()
    result["peercert"] = tls.getpeercert()
    result["has_peercert_der"] = tls.getpeercert(binary_form=True) is not None
    try:
        line, ended = read_line(tls)
        result["received"] = line.decode("utf-8", "replace")
        result["read_end"] = ended
        if ended == "line":
            tls.sendall(args.reply.encode() + b"\n")
        tls.unwrap()
        result["shutdown"] = "clean"
    except (ssl.SSLError, OSError) as exc:
        result["io_error"] = error_info(exc)
    emit(result)
    tls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
