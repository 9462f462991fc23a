#!/usr/bin/env python3
"""A TLS client that pipelines records after a corrupted one, for the close tests.

Handshakes with 127.0.0.1:--port over a raw socket through ssl.SSLObject (so it controls every
byte sent), then writes, in one burst and without reading: one application-data record whose
authentication tag has a flipped bit, followed by --extra valid 1000-byte records. A server must
answer the first with a fatal bad_record_mac alert. The client reads up to the server's end of
stream, then sends --extra more records (a pipelining client keeps writing what it queued), and
only then decrypts the answer. It prints one JSON object: {"outcome":
"alert"|"reset"|"data"|"ssl_error"|"timeout", "reason", "type", "send_error", "version"}.
"reset" is what a server that closes instead of half-closing and draining causes: the kernel
resets the connection, and the client's reads or writes fail with ECONNRESET/EPIPE before it ever
decrypts the alert.
"""
import argparse
import json
import socket
import ssl

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--version", choices=sorted(VERSIONS))
    parser.add_argument("--extra", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.cafile)
    if args.version:
        context.minimum_version = context.maximum_version = VERSIONS[args.version]
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(outgoing.read())
            data = sock.recv(65536)
            if not data:
                raise SystemExit("the server closed during the handshake")
            incoming.write(data)
    sock.sendall(outgoing.read())

    tls.write(b"x" * 100)
    burst = bytearray(outgoing.read())
    burst[-1] ^= 0x01  # the last byte of the record belongs to the AEAD tag
    for _ in range(args.extra):
        tls.write(b"y" * 1000)
    burst += outgoing.read()

    result = {"version": tls.version()}
    try:
        sock.sendall(bytes(burst))
    except OSError as exc:
        result["send_error"] = type(exc).__name__

    # The server's answer: everything up to its end of stream (FIN), kept for later.
    answer = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except ConnectionResetError as exc:
        result["outcome"] = "reset"
        result["type"] = type(exc).__name__
    except socket.timeout:
        result["outcome"] = "timeout"

    # A pipelining client keeps sending what it has queued, as a server that half-closed (FIN)
    # still reads; one that closed answers with a reset, and the client's write fails before
    # it ever looks at the answer.
    if "outcome" not in result:
        try:
            for _ in range(args.extra):
                tls.write(b"z" * 1000)
                sock.sendall(outgoing.read())
        except OSError as exc:
            result["outcome"] = "reset"
            result["type"] = type(exc).__name__

    if "outcome" not in result:
        incoming.write(answer)
        incoming.write_eof()
        try:
            tls.read(65536)
            result["outcome"] = "data"
        except ssl.SSLError as exc:
            alert = "ALERT" in (exc.reason or "")
            result["outcome"] = "alert" if alert else "ssl_error"
            result["reason"] = exc.reason
            result["type"] = type(exc).__name__
    sock.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
