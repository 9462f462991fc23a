#!/usr/bin/python3
"""Plaintext-then-TLS servers from Debian's Python libraries, for `tlsctx connect --starttls`.

  starttls_server.py smtp|smtp-plain CERT KEY   aiosmtpd (python3-aiosmtpd): STARTTLS offered
                                                and required, or (smtp-plain) not offered at all
  starttls_server.py ftp|ftp-plain CERT KEY     pyftpdlib (python3-pyftpdlib): AUTH TLS, or
                                                (ftp-plain) a server without TLS
  starttls_server.py smtp-inject CERT KEY       a hand-written SMTP server that sends a line
                                                after its STARTTLS answer (command injection)

Binds 127.0.0.1 port 0, prints "listening PORT" and serves until killed. Run with Debian's
/usr/bin/python3, which has those packages.
"""
import asyncio
import socket
import ssl
import sys

mode, cert, key = sys.argv[1:4]


def smtp(with_tls):
    from aiosmtpd.handlers import Sink
    from aiosmtpd.smtp import SMTP

    context = None
    if with_tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(Sink(), hostname="localhost", tls_context=context,
                         require_starttls=with_tls),
            "127.0.0.1", 0)
        print("listening", server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


def ftp(with_tls):
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.servers import FTPServer

    handler = TLS_FTPHandler if with_tls else FTPHandler
    if with_tls:
        handler.certfile, handler.keyfile = cert, key
    handler.authorizer = DummyAuthorizer()
    server = FTPServer(("127.0.0.1", 0), handler)
    print("listening", server.socket.getsockname()[1], flush=True)
    server.serve_forever()


def smtp_inject():
    listener = socket.create_server(("127.0.0.1", 0))
    print("listening", listener.getsockname()[1], flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(10)
            reader = conn.makefile("rb")
            conn.sendall(b"220 localhost ESMTP\r\n")
            reader.readline()  # EHLO
            conn.sendall(b"250-localhost\r\n250 STARTTLS\r\n")
            reader.readline()  # STARTTLS
            conn.sendall(b"220 Ready to start TLS\r\n250 injected before the handshake\r\n")
            reader.read(1)  # until the client gives up


{"smtp": lambda: smtp(True), "smtp-plain": lambda: smtp(False), "ftp": lambda: ftp(True),
 "ftp-plain": lambda: ftp(False), "smtp-inject": smtp_inject}[mode]()
