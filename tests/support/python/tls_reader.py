#!/usr/bin/env python3
"""Reads everything a TLS server sends until it closes, for the sendfile tests.

Connects to 127.0.0.1:--port (verifying "localhost" against --cafile), reads until the end of
the stream and prints one JSON object: {"version", "cipher", "length", "sha256", "end"}, where
"end" is "close_notify" or the error that ended the stream.
"""
import argparse
import hashlib
import json
import socket
import ssl

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--version", choices=sorted(VERSIONS))
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=args.cafile)
    if args.version:
        context.minimum_version = context.maximum_version = VERSIONS[args.version]
    digest = hashlib.sha256()
    length = 0
    end = "close_notify"
    with socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout) as raw:
        with context.wrap_socket(raw, server_hostname="localhost",
                                 suppress_ragged_eofs=False) as tls:
            version, cipher = tls.version(), tls.cipher()[0]
            try:
                while True:
                    data = tls.recv(65536)
                    if not data:
                        break
                    digest.update(data)
                    length += len(data)
            except (OSError, ssl.SSLError) as exc:
                end = type(exc).__name__
    print(json.dumps({"version": version, "cipher": cipher, "length": length,
                      "sha256": digest.hexdigest(), "end": end}))


if __name__ == "__main__":
    main()
