#!/usr/bin/env python3
"""A Python ssl client for the issue-6 interop tests (sessions, SNI, post-handshake auth, chains,
channel binding, key log).

Makes --connections connections in a row to 127.0.0.1:--port, each resuming the session of the
one before. Each connection: handshake; optionally read one line first (--read-first, so a
post-handshake CertificateRequest is answered); send --send plus a newline; read until the server
closes; then take the session (TLS 1.3 tickets have arrived by then). Prints one JSON object per
connection on its own line:
  {"index", "handshake": "ok"|"failed", "error", "version", "cipher", "session_reused",
   "peercert", "tls_unique", "verified_chain", "unverified_chain", "first_line", "received",
   "session": {"id", "time", "timeout", "ticket_lifetime_hint", "has_ticket"}}
Bytes are lower-case hex. Every blocking call is bounded by --timeout; the test also runs this
under `timeout`.
"""
import argparse
import json
import socket
import ssl
import sys

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def error_info(exc):
    info = {"type": type(exc).__name__}
    for attr in ("reason", "library", "verify_code"):
        value = getattr(exc, attr, None)
        if value is not None:
            info[attr] = value
    return info


def chain_hex(tls, name):
    # Python 3.13 has get_verified_chain()/get_unverified_chain(); 3.10-3.12 have them on the
    # C object only. Each entry is a certificate object (3.13) or DER bytes.
    method = getattr(tls, name, None) or getattr(getattr(tls, "_sslobj", None), name, None)
    if method is None:
        return None
    out = []
    for cert in method() or []:
        der = cert if isinstance(cert, bytes) else cert.public_bytes(ssl._ssl.ENCODING_DER)
        out.append(der.hex())
    return out


def read_line(tls):
    data = b""
    while not data.endswith(b"\n"):
        chunk = tls.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


def session_info(session):
    if session is None:
        return None
    return {"id": session.id.hex(), "time": session.time, "timeout": session.timeout,
            "ticket_lifetime_hint": session.ticket_lifetime_hint,
            "has_ticket": session.has_ticket}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-hostname", default="localhost")
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--min-version", choices=sorted(VERSIONS))
    parser.add_argument("--max-version", choices=sorted(VERSIONS))
    parser.add_argument("--post-handshake-auth", action="store_true")
    parser.add_argument("--keylog")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--read-first", action="store_true")
    parser.add_argument("--send", default="ping")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(args.cafile)
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)
    if args.min_version:
        ctx.minimum_version = VERSIONS[args.min_version]
    if args.max_version:
        ctx.maximum_version = VERSIONS[args.max_version]
    if args.post_handshake_auth:
        ctx.post_handshake_auth = True
    if args.keylog:
        ctx.keylog_filename = args.keylog

    session = None
    for index in range(args.connections):
        result = {"index": index}
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
        tls = ctx.wrap_socket(sock, server_hostname=args.server_hostname, session=session,
                              do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            result["handshake"] = "failed"
            result["error"] = error_info(exc)
            print(json.dumps(result), flush=True)
            tls.close()
            continue
        result["handshake"] = "ok"
        result["version"] = tls.version()
        result["cipher"] = tls.cipher()[0]
        result["session_reused"] = tls.session_reused
        result["peercert"] = tls.getpeercert()
        unique = tls.get_channel_binding("tls-unique")
        result["tls_unique"] = unique.hex() if unique is not None else None
        result["verified_chain"] = chain_hex(tls, "get_verified_chain")
        result["unverified_chain"] = chain_hex(tls, "get_unverified_chain")
        try:
            if args.read_first:
                result["first_line"] = read_line(tls)
            tls.sendall(args.send.encode() + b"\n")
            received = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                received += chunk
            result["received"] = received.decode("utf-8", "replace")
        except (ssl.SSLError, OSError) as exc:
            result["io_error"] = error_info(exc)
        session = tls.session
        result["session"] = session_info(session)
        print(json.dumps(result), flush=True)
        tls.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
