#!/usr/bin/env python3
"""Python's ssl doing tlsctx's benchmark scenarios 1a, 2 and 3 (issue 7, scenario 6).

Same PKI (from the C++ benchmarks' TLSCTX_BENCH_PKI directory), same settings as tlsctx's
defaults (PROTOCOL_TLS_CLIENT verifying the CA and the host name, Python 3.13's verify flags
X509_STRICT | PARTIAL_CHAIN added to 3.11's TRUSTED_FIRST), and the same connection lifecycle
as bench/harness.cpp: two MemoryBIOs shared by an SSLObject pair, the handshake, one client read
(TLS 1.3 tickets), close_notify both ways. Rates are per process CPU-second, like the C++ side.

    python_bench.py --pki DIR handshake|resume_tls13|resume_tls12 [--min-time S] [--repetitions N]
    python_bench.py --pki DIR bulk --suite TLS_AES_128_GCM_SHA256 [--min-time S] [--repetitions N]

Python has no API for TLS 1.3 suites, so `bulk --suite` pins one through an OpenSSL config file
(OPENSSL_CONF, system_default Ciphersuites) written before `ssl` is imported. Prints JSON.
"""
import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time

HOSTNAME = "bench-server.tlsctx.example"
CHUNK = 16384


def contexts(ssl, pki, key, tls12=False, cipher=None, no_ticket=False):
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with open(os.path.join(pki, key + "_ca.pem")) as f:
        client.load_verify_locations(cadata=f.read())
    client.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(os.path.join(pki, key + "_chain.pem"), os.path.join(pki, key + "_key.pem"))
    if tls12:
        client.maximum_version = ssl.TLSVersion.TLSv1_2
    if cipher:
        client.set_ciphers(cipher)
        server.set_ciphers(cipher)
    if no_ticket:
        server.options |= ssl.OP_NO_TICKET
    return client, server


def connect_once(ssl, client_ctx, server_ctx, session, take_session=False):
    c2s = ssl.MemoryBIO()
    s2c = ssl.MemoryBIO()
    c = client_ctx.wrap_bio(s2c, c2s, server_hostname=HOSTNAME, session=session)
    s = server_ctx.wrap_bio(c2s, s2c, server_side=True)
    want_read = ssl.SSLWantReadError
    client_done = server_done = False
    while not (client_done and server_done):
        if not client_done:
            try:
                c.do_handshake()
                client_done = True
            except want_read:
                pass
        if not server_done:
            try:
                s.do_handshake()
                server_done = True
            except want_read:
                pass
    try:
        c.read(256)
        raise RuntimeError("expected SSLWantReadError")
    except want_read:
        pass
    resumed = c.session_reused
    # Only when asked: CPython's session getter (and setter) round-trips the session through
    # i2d/d2i (a workaround for OpenSSL 1.1.0), which re-parses the peer certificate.
    taken = c.session if take_session else None
    client_done = server_done = False
    while not (client_done and server_done):
        if not client_done:
            try:
                c.unwrap()
                client_done = True
            except want_read:
                pass
        if not server_done:
            try:
                s.unwrap()
                server_done = True
            except want_read:
                pass
    return resumed, taken


def run_connections(ssl, args, key, resume, **kw):
    client_ctx, server_ctx = contexts(ssl, args.pki, key, **kw)
    session = None
    if resume:
        _, session = connect_once(ssl, client_ctx, server_ctx, None, take_session=True)
    for _ in range(3):  # warm-up
        connect_once(ssl, client_ctx, server_ctx, session)
    rates = []
    for _ in range(args.repetitions):
        n = 0
        start = time.process_time()
        while True:
            resumed, _ = connect_once(ssl, client_ctx, server_ctx, session)
            if resumed != resume:
                raise RuntimeError("resumption did not go as expected")
            n += 1
            elapsed = time.process_time() - start
            if elapsed >= args.min_time:
                break
        rates.append(n / elapsed)
    return {"unit": "handshakes per CPU-second", "values": rates}


def run_bulk(ssl, args):
    client_ctx, server_ctx = contexts(ssl, args.pki, "ecdsa")
    values, per_cpu = [], []
    for _ in range(args.repetitions):
        a, b = socket.socketpair()
        holder = {}

        def accept():
            holder["server"] = server_ctx.wrap_socket(b, server_side=True)

        t = threading.Thread(target=accept)
        t.start()
        cs = client_ctx.wrap_socket(a, server_hostname=HOSTNAME)
        t.join()
        ss = holder["server"]
        if cs.cipher()[0] != args.suite:
            raise RuntimeError("negotiated %s, wanted %s" % (cs.cipher()[0], args.suite))
        received = [0]

        def reader():
            buf = bytearray(CHUNK)
            while True:
                n = ss.recv_into(buf)
                if n == 0:
                    return
                received[0] += n

        r = threading.Thread(target=reader)
        r.start()
        data = b"x" * CHUNK
        sent = 0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        while True:
            cs.sendall(data)
            sent += CHUNK
            if sent % (64 * CHUNK) == 0 and time.perf_counter() - wall0 >= args.min_time:
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        cs.shutdown(socket.SHUT_WR)  # the reader sees a ragged EOF: recv_into returns 0
        r.join()
        cs.close()
        ss.close()
        values.append(sent / wall / 2**20)
        per_cpu.append(sent / cpu / 2**20)
    return {"unit": "MiB/s", "values": values, "per_cpu_values": per_cpu}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("scenario", choices=["handshake", "resume_tls13", "resume_tls12", "bulk"])
    p.add_argument("--pki", required=True, help="directory with the C++ benchmarks' PEM files")
    p.add_argument("--suite", default="TLS_AES_128_GCM_SHA256")
    p.add_argument("--min-time", type=float, default=0.3)
    p.add_argument("--repetitions", type=int, default=5)
    args = p.parse_args()

    conf = None
    if args.scenario == "bulk":
        conf = tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False)
        conf.write(
            "openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n"
            "[ssl_sect]\nsystem_default = system_default_sect\n"
            "[system_default_sect]\nCiphersuites = %s\n" % args.suite
        )
        conf.close()
        os.environ["OPENSSL_CONF"] = conf.name
    import ssl  # after OPENSSL_CONF is set

    try:
        if args.scenario == "handshake":
            out = run_connections(ssl, args, "ecdsa", False)
        elif args.scenario == "resume_tls13":
            out = run_connections(ssl, args, "ecdsa", True)
        elif args.scenario == "resume_tls12":
            out = run_connections(
                ssl, args, "rsa", True, tls12=True, cipher="ECDHE-RSA-AES128-GCM-SHA256", no_ticket=True
            )
        else:
            out = run_bulk(ssl, args)
    finally:
        if conf is not None:
            os.unlink(conf.name)
    out["scenario"] = args.scenario
    out["python"] = sys.version.split()[0]
    out["openssl"] = ssl.OPENSSL_VERSION
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
