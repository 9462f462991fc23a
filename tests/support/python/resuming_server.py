"""A Python ssl server for several connections in a row, for client session cache tests.

Prints {"event": "listening", "port": N}, then one {"event": "connection", "reused": bool,
"version": str} per connection after sending "hello\\n" (after the TLS 1.3 tickets) and reading
until the client closes.
"""
import argparse
import json
import socket
import ssl
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    parser.add_argument("--connections", type=int, default=3)
    parser.add_argument("--num-tickets", type=int, default=2)
    parser.add_argument("--max-version", choices=["1.2", "1.3"], default="1.3")
    args = parser.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.certfile, args.keyfile)
    if args.max_version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.num_tickets = args.num_tickets
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(json.dumps({"event": "listening", "port": listener.getsockname()[1]}), flush=True)
        for _ in range(args.connections):
            raw, _ = listener.accept()
            raw.settimeout(20)
            try:
                with ctx.wrap_socket(raw, server_side=True) as conn:
                    conn.sendall(b"hello\n")
                    print(json.dumps({"event": "connection", "reused": conn.session_reused,
                                      "version": conn.version()}), flush=True)
                    try:
                        while conn.recv(4096):
                            pass
                    except (ssl.SSLError, OSError):
                        pass
            except (ssl.SSLError, OSError) as e:
                print(json.dumps({"event": "connection", "error": str(e)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
