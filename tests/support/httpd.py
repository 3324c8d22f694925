#!/usr/bin/python3
"""Scripted HTTP server for suqiu's HTTP client tests (stdlib only).

    httpd.py [--remove-dir] [--lifetime SECONDS] PORT_FILE

Listens on 127.0.0.1 on a free port and writes that port to PORT_FILE
(atomically: written to PORT_FILE.tmp, then renamed), so a test can start it
without guessing ports.  Every path below gives one scripted answer; the
tests in tests/unit/test_http.c name them.  Exits on SIGTERM, when its
parent process goes away (a crashed test must not leave a server behind), or
after --lifetime seconds, removing PORT_FILE (and with --remove-dir its
directory) each time.
"""

import argparse
import email.utils
import gzip
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UTF8_JSON = '{"msg":"成功","text":"恩宁路88号工地夜间施工"}'
# The GBK page holds characters whose GBK and GB18030 codes agree.
GBK_JSON = '{"subject":"反映恩宁路工地夜间施工扰民问题","station":"金花街道"}'


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, so connection reuse is testable
    server_version = "suqiu-test-httpd"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: the test output is cmocka's
        pass

    def reply(self, status, body=b"", ctype="application/json", headers=(), length=None):
        self.send_response(status)
        if ctype is not None:
            self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        route = ROUTES.get(path)
        if route is None:
            self.reply(404, b'{"error":"no such path"}')
            return
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (timeouts, body cap): that is the test.
            self.close_connection = True


def r_utf8(h):
    h.reply(200, UTF8_JSON.encode("utf-8"), "application/json; charset=utf-8")


def r_utf8_bom(h):
    h.reply(200, b"\xef\xbb\xbf" + UTF8_JSON.encode("utf-8"), "application/json;charset=UTF-8")


def r_gbk(h):
    h.reply(200, GBK_JSON.encode("gbk"), "application/json; charset=GBK")


def r_gb18030(h):
    # U+20BB7 (𠮷) is a 4-byte GB18030 sequence: 95 34 B2 35.
    h.reply(200, '{"name":"𠮷野家"}'.encode("gb18030"), 'application/json; charset="gb18030"')


def r_gbk_invalid(h):
    # 0x81 must be followed by 0x40..0xFE (not 0x7F); 0x81 0x20 is invalid.
    h.reply(200, b'{"a":"\x81\x20"}', "application/json; charset=GBK")


def r_undeclared_gbk(h):
    h.reply(200, GBK_JSON.encode("gbk"), "application/json")


def r_undeclared_utf8(h):
    h.reply(200, UTF8_JSON.encode("utf-8"), "application/json")


def r_unknown_charset(h):
    h.reply(200, b'{"a":"caf\xe9"}', "application/json; charset=iso-8859-1")


def r_error_latin1(h):
    h.reply(500, b"<html><body>Erreur interne \xe9</body></html>", "text/html;charset=ISO-8859-1")


def r_etag(h):
    etag = '"v1-abc"'
    if h.headers.get("If-None-Match") == etag:
        h.reply(304, b"", None, [("ETag", etag)])
    else:
        h.reply(200, b'{"items":[]}', "application/json", [("ETag", etag)])


def r_429_seconds(h):
    h.reply(429, b'{"error":"slow down"}', "application/json", [("Retry-After", "7")])


def r_429_date(h):
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    h.reply(429, b"{}", "application/json", [("Retry-After", when)])


def r_503_zero(h):
    h.reply(503, b"", None, [("Retry-After", "0")])


def r_503_bogus(h):
    h.reply(503, b"", None, [("Retry-After", "soon")])


def r_500(h):
    h.reply(500, b'{"code":50000}')


def r_503(h):
    h.reply(503, b"busy", "text/plain")


def r_redirect(h):
    h.reply(302, b"", None, [("Location", "/utf8")])


def r_slow(h):
    time.sleep(3)
    h.reply(200, b"{}")


def r_stall(h):
    # Headers and a little body at once, then nothing: only the low-speed
    # limit (not the total timeout) can end this quickly.
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    # Under max_body_bytes, or libcurl would refuse it at once.
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b'{"items":[' + b" " * 100)
    h.wfile.flush()
    time.sleep(6)
    h.close_connection = True


def r_big(h):
    h.reply(200, b"[" + b"0," * 50000 + b"0]")


def r_big_unsized(h):
    # No Content-Length: the cap must be enforced while bytes arrive.
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Connection", "close")
    h.end_headers()
    try:
        for _ in range(100):
            h.wfile.write(b" " * 4096)
        h.wfile.flush()
    finally:
        h.close_connection = True


def r_gzip_bomb(h):
    # 2 MB of spaces compress to about 2 KB: the cap applies to what
    # libcurl hands over after decoding, not to the bytes on the wire.
    body = gzip.compress(b" " * (2 * 1024 * 1024))
    h.reply(200, body, "application/json", [("Content-Encoding", "gzip")])


def r_gzip(h):
    h.reply(200, gzip.compress(UTF8_JSON.encode("utf-8")), "application/json; charset=utf-8",
            [("Content-Encoding", "gzip")])


def r_truncated(h):
    h.reply(200, b'{"items":[1,2,3', "application/json", length=1000)
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def r_echo(h):
    lines = ["%s: %s" % (k.lower(), v) for k, v in h.headers.items()]
    lines.append("x-client-port: %d" % h.client_address[1])
    h.reply(200, ("\n".join(lines) + "\n").encode("utf-8"), "text/plain; charset=utf-8")


ROUTES = {
    "/utf8": r_utf8,
    "/utf8-bom": r_utf8_bom,
    "/gbk": r_gbk,
    "/gb18030": r_gb18030,
    "/gbk-invalid": r_gbk_invalid,
    "/undeclared-gbk": r_undeclared_gbk,
    "/undeclared-utf8": r_undeclared_utf8,
    "/unknown-charset": r_unknown_charset,
    "/error-latin1": r_error_latin1,
    "/etag": r_etag,
    "/429-seconds": r_429_seconds,
    "/429-date": r_429_date,
    "/503-zero": r_503_zero,
    "/503-bogus": r_503_bogus,
    "/500": r_500,
    "/503": r_503,
    "/redirect": r_redirect,
    "/slow": r_slow,
    "/stall": r_stall,
    "/big": r_big,
    "/big-unsized": r_big_unsized,
    "/gzip-bomb": r_gzip_bomb,
    "/gzip": r_gzip,
    "/truncated": r_truncated,
    "/echo": r_echo,
}


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that hang up early are what several tests do on purpose.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def cleanup(args):
    try:
        os.unlink(args.port_file)
        if args.remove_dir:
            os.rmdir(os.path.dirname(os.path.abspath(args.port_file)))
    except OSError:
        pass


def watch_parent(parent, args):
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline and os.getppid() == parent:
        time.sleep(0.2)
    cleanup(args)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port_file")
    ap.add_argument("--lifetime", type=float, default=120.0,
                    help="exit after this many seconds whatever happens")
    ap.add_argument("--remove-dir", action="store_true",
                    help="on exit, also remove PORT_FILE's directory (if empty)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (cleanup(args), os._exit(0)))

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=watch_parent, args=(os.getppid(), args),
                     daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
