#!/usr/bin/env python3
"""A sans-I/O TLS peer: Python's ssl.SSLObject over its own MemoryBIOs, pumped over a TCP socket
on 127.0.0.1 by this script (the same shape as tls::Object pumped by a C++ test).

Server role: listens on 127.0.0.1:0 and prints {"event": "listening", "port": N}; client role:
connects to --port. Either way it handshakes, exchanges one line (the client sends --send, the
server answers "python got: <line>"), then waits for the peer's close_notify (server) or sends
its own first (client), completes unwrap() and prints one {"event": "result", ...} line:
version, cipher, alpn, peer_cert (getpeercert() or null), received, closed ("close_notify",
"eof" or the error), and error/error_type when something failed. Exits 0 on success, 1 on
failure. Ends by itself: every socket operation has a timeout and SIGALRM bounds the whole run.
"""

import argparse
import json
import signal
import socket
import ssl
import sys


def emit(obj):
    print(json.dumps(obj), flush=True)


class Pump:
    """Drives one SSLObject over one socket: runs an operation, flushes what it wrote, and feeds
    it the socket's bytes (or EOF) while it wants more."""

    def __init__(self, sock, obj, incoming, outgoing):
        self.sock, self.obj, self.incoming, self.outgoing = sock, obj, incoming, outgoing

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def run(self, op, *args):
        while True:
            try:
                result = op(*args)
            except ssl.SSLWantReadError:
                self.flush()
                data = self.sock.recv(65536)
                if data:
                    self.incoming.write(data)
                else:
                    self.incoming.write_eof()
                continue
            except ssl.SSLError:
                self.flush()  # an alert explains the failure to the peer
                raise
            self.flush()
            return result

    def read_line(self):
        line = b""
        while not line.endswith(b"\n"):
            chunk = self.run(self.obj.read, 4096)
            if not chunk:
                break
            line += chunk
        return line


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["server", "client"], required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--certfile")
    parser.add_argument("--keyfile")
    parser.add_argument("--cafile")
    parser.add_argument("--server-hostname", default="localhost")
    parser.add_argument("--alpn", default="")
    parser.add_argument("--max-version", choices=["", "1.2", "1.3"], default="")
    parser.add_argument("--send", default="hello from python")
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args()
    signal.alarm(int(args.timeout) + 5)

    server = args.role == "server"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    if args.certfile:
        ctx.load_cert_chain(args.certfile, args.keyfile)
    if args.cafile:
        ctx.load_verify_locations(args.cafile)
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn.split(","))
    if args.max_version:
        ctx.maximum_version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[
            args.max_version
        ]

    if server:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(args.timeout)
        emit({"event": "listening", "port": listener.getsockname()[1]})
        sock, _ = listener.accept()
        listener.close()
    else:
        sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
    sock.settimeout(args.timeout)

    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    if server:
        obj = ctx.wrap_bio(incoming, outgoing, server_side=True)
    else:
        obj = ctx.wrap_bio(incoming, outgoing, server_hostname=args.server_hostname)
    pump = Pump(sock, obj, incoming, outgoing)

    result = {"event": "result", "role": args.role}
    status = 1
    try:
        pump.run(obj.do_handshake)
        result.update(
            version=obj.version(),
            cipher=obj.cipher()[0],
            alpn=obj.selected_alpn_protocol(),
            peer_cert=obj.getpeercert() if not server else None,
        )
        if server:
            line = pump.read_line()
            result["received"] = line.decode("latin-1")
            pump.run(obj.write, b"python got: " + line)
            # The peer closes first: read until its close_notify (read() returns b"").
            rest = pump.run(obj.read, 4096)
            result["closed"] = "close_notify" if rest == b"" else "data: %r" % rest
            pump.run(obj.unwrap)
        else:
            pump.run(obj.write, args.send.encode() + b"\n")
            result["received"] = pump.read_line().decode("latin-1")
            pump.run(obj.unwrap)
            result["closed"] = "close_notify"
        result["unwrap"] = "ok"
        status = 0
    except ssl.SSLEOFError as e:
        result.update(closed="eof", error=str(e), error_type=type(e).__name__)
    except (ssl.SSLError, OSError) as e:
        result.update(error=str(e), error_type=type(e).__name__)
        result["reason"] = getattr(e, "reason", None)
    finally:
        sock.close()
    emit(result)
    return status


if __name__ == "__main__":
    sys.exit(main())
