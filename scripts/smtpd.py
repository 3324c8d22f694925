#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for suqiu's alert tests (aiosmtpd).

Every message accepted is stored in --maildir as NNNN.eml (the DATA bytes
exactly as received) and NNNN.json (envelope: mail_from, rcpt_tos, whether
the session was under TLS, the AUTH login).  Options make it behave like the
servers that cause trouble: AUTH required, STARTTLS offered (or required),
implicit TLS (smtps), the first N messages answered 4xx/5xx, the connection
dropped at the first N DATA commands, a slow DATA reply.

    smtpd.py --maildir DIR --port 0 --port-file FILE [options]

Only 127.0.0.1 is ever bound.  Stop it with SIGTERM (by its pid).
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, args):
        self.args = args
        self.seen = 0          # DATA commands seen, accepted or not
        self.stored = 0
        os.makedirs(args.maildir, exist_ok=True)
        self.stored = len([n for n in os.listdir(args.maildir) if n.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        n = self.seen
        if self.args.delay:
            await asyncio.sleep(self.args.delay)
        if n <= self.args.drop:
            log(f"dropping the connection at message {n}")
            server.transport.abort()
            return "421 dropped"
        if n <= self.args.fail:
            log(f"refusing message {n} with {self.args.fail_code}")
            return f"{self.args.fail_code} test refusal {n}"
        self.stored += 1
        base = os.path.join(self.args.maildir, "%04d" % self.stored)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8")
        tmp = base + ".eml.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode()
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "tls": session.ssl is not None
                   or server.transport.get_extra_info("ssl_object") is not None,
            "auth": login,
        }
        with open(base + ".json", "w") as f:
            json.dump(meta, f, ensure_ascii=False)
        os.rename(tmp, base + ".eml")
        log(f"stored message {n} as {base}.eml for {meta['rcpt_tos']}")
        return "250 OK stored"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.args.reject_rcpt:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def log(msg):
    print("smtpd: " + msg, file=sys.stderr, flush=True)


def tls_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--maildir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--auth", metavar="USER:PASSWORD", help="require AUTH with these credentials")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"), help="offer STARTTLS")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="implicit TLS (smtps)")
    p.add_argument("--fail", type=int, default=0, help="refuse the first N messages")
    p.add_argument("--fail-code", type=int, default=451)
    p.add_argument("--drop", type=int, default=0, help="drop the connection at the first N DATA")
    p.add_argument("--delay", type=float, default=0.0, help="seconds before answering DATA")
    p.add_argument("--reject-rcpt", action="append", default=[], help="answer 550 to this RCPT")
    args = p.parse_args()

    handler = Handler(args)
    starttls_ctx = tls_context(*args.starttls) if args.starttls else None
    implicit_ctx = tls_context(*args.tls) if args.tls else None

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not args.auth:
            return AuthResult(success=False, handled=False)
        user, _, password = args.auth.partition(":")
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        log(f"AUTH {mechanism} {'accepted' if ok else 'refused'}")
        # handled=False: let aiosmtpd answer 535 (handled=True would leave the
        # client waiting for a reply nobody sends).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def factory():
        return SMTP(handler, hostname="suqiu-test-smtpd", tls_context=starttls_ctx,
                    require_starttls=args.require_starttls,
                    auth_required=bool(args.auth),
                    auth_require_tls=bool(starttls_ctx) and not implicit_ctx,
                    authenticator=authenticator if args.auth else None,
                    timeout=30)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(factory, host="127.0.0.1", port=args.port, ssl=implicit_ctx))
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.rename(tmp, args.port_file)
    log(f"listening on 127.0.0.1:{port}")
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == "__main__":
    main()
