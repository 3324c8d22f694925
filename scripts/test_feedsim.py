#!/usr/bin/python3
"""Self-test of the feed simulator: /usr/bin/python3 scripts/test_feedsim.py

Starts scripts/feedsim.py as a child process on a free port (once on a small
hand-made data set, once on the demo fixtures) and talks HTTP to it.
"""

import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
FEEDSIM = HERE / "feedsim.py"
FIXTURES = HERE.parent / "fixtures" / "sim"
sys.path.insert(0, str(HERE))
import feedsim  # noqa: E402  (for time helpers and loading the fixtures)

HOTLINE = "/hotline/openapi/v2/workorders"
LIAISON = "/liaison/api/messages"
CITYMGMT = "/citymgmt/cgapi/v1/cases"
OPEN311 = "/open311/requests.json"
DAY_MS = 24 * 3600 * 1000


# ---------------------------------------------------------------------------
# A small data set whose order and visibility the tests know by heart
# ---------------------------------------------------------------------------

def hotline_record(no, update, status="办理中", **extra):
    record = {
        "orderNo": no, "acceptTime": "2024-05-01 08:00:00", "updateTime": update,
        "channel": "电话", "orderType": "投诉", "title": "恩宁路夜间施工",
        "content": "市民来电反映:恩宁路88号工地夜间施工,噪音扰民。",
        "categoryPath": "环境保护>噪声污染>建筑施工噪声", "district": "荔湾区", "street": "金花街道",
        "community": "恩宁路社区", "address": "广州市荔湾区恩宁路88号",
        "caller": {"name": "陈先生", "phone": "13812345678", "anonymous": False},
        "status": status, "deadline": "2024-05-06 08:00:00", "handleUnit": "金花街道办事处",
        "relatedOrderNo": None, "satisfaction": None,
    }
    record.update(extra)
    return record


def liaison_record(mid, updated, state="pending", **extra):
    record = {
        "id": mid, "created_at": "2024-05-01T08:00:00+08:00", "updated_at": updated,
        "subject": f"留言{mid}", "body": "尊敬的代表:恩宁路工地晚上很吵,希望帮忙反映。",
        "topic": "环境保护", "station": "金花街道人大工委网上联络站",
        "deputy": {"id": "D017", "name": "李代表"},
        "author": {"nickname": "街坊", "mobile": "138****5678", "verified": True},
        "area": {"street": "金花街道", "community": "恩宁路社区"}, "address": "恩宁路88号",
        "state": state, "reply": None, "attachments": [],
    }
    record.update(extra)
    return record


def citymgmt_record(no, updated_ms, stage="派遣", **extra):
    record = {
        "caseNo": no, "reportedAt": updated_ms - 3600_000, "updatedAt": updated_ms,
        "origin": "巡查员上报", "refOrderNo": None,
        "class": {"type": "事件", "major": "05", "majorName": "施工管理",
                  "minor": "0502", "minorName": "夜间施工"},
        "description": "恩宁路88号工地夜间施工。", "gridCode": "440103009002012",
        "location": {"lng": 113.25192, "lat": 23.12347, "crs": "GCJ02"},
        "address": "荔湾区恩宁路88号", "stage": stage, "reporter": {"type": "inspector"},
        "deadline": None, "photos": 1,
    }
    record.update(extra)
    return record


def open311_record(sid, updated, status="open", **extra):
    record = {
        "service_request_id": sid, "status": status, "status_notes": "", "service_name": "噪声扰民",
        "service_code": "N01", "description": "恩宁路88号工地夜间施工。",
        "agency_responsible": "荔湾区城市管理和综合执法局",
        "requested_datetime": "2024-05-01T08:00:00+08:00", "updated_datetime": updated,
        "expected_datetime": None, "address": "恩宁路88号", "lat": 23.1262, "long": 113.2466,
        "media_url": None,
    }
    record.update(extra)
    return record


def cst_ms(text):
    return feedsim.parse_cst(text)


NOW = "2024-05-10T12:00:00+08:00"

HOTLINE_DATA = [
    {"versions": [
        hotline_record("H1", "2024-05-01 10:00:00", "办理中"),
        hotline_record("H1", "2024-05-03 10:00:00", "已办结"),
        hotline_record("H1", "2024-05-04 09:00:00", "已回访", satisfaction="满意"),
    ]},
    hotline_record("H3", "2024-05-01 12:00:00"),
    hotline_record("H2", "2024-05-01 12:00:00"),   # same second as H3: ordered by orderNo
    hotline_record("H4", "2024-05-02 08:00:00", extra_field="ignored"),
    hotline_record("H5", "2024-05-02 08:00:01"),
    hotline_record("H6", "2024-05-20 08:00:00"),   # after NOW: invisible
]
# At NOW, in feed order:
HOTLINE_ORDER = ["H2", "H3", "H4", "H5", "H1"]

LIAISON_DATA = [
    liaison_record(1, "2024-05-01T09:00:00+08:00"),
    liaison_record(2, "2024-05-01T02:00:00Z"),     # = 10:00 +08:00
    {"versions": [liaison_record(3, "2024-05-01T11:00:00+08:00"),
                  liaison_record(3, "2024-05-06T11:00:00+08:00", "withdrawn")]},
    liaison_record(4, "2024-05-02T09:00:00+08:00"),
    liaison_record(5, "2024-05-02T09:00:00+08:00"),
    liaison_record(6, "2024-05-03T09:00:00+08:00", subject="表情😭和全角ＡＢＣ"),
    liaison_record(7, "2024-06-01T09:00:00+08:00"),  # invisible
]
LIAISON_ORDER = [1, 2, 4, 5, 6, 3]

DAY1 = cst_ms("2024-05-01 00:00:00")
CITYMGMT_DATA = [
    citymgmt_record(f"CG{n:02d}", DAY1 + n * 3600_000) for n in range(1, 8)
] + [
    {"versions": [citymgmt_record("CG20", DAY1 + DAY_MS + 3600_000, "派遣"),
                  citymgmt_record("CG20", DAY1 + DAY_MS + 7200_000, "结案")]},
    citymgmt_record("CG30", cst_ms("2024-05-30 00:00:00")),  # invisible
]

OPEN311_DATA = [
    open311_record("101", "2024-05-01T09:00:00+08:00"),
    open311_record("102", "2024-05-01T10:00:00+08:00", status="closed"),
    open311_record("103", "2024-05-02T09:00:00+08:00"),
    {"versions": [open311_record("104", "2024-05-02T10:00:00+08:00"),
                  open311_record("104", "2024-05-03T10:00:00+08:00", status="closed")]},
    open311_record("105", "2024-06-02T09:00:00+08:00"),  # invisible
]


def write_data(directory):
    for name, data in (("hotline", HOTLINE_DATA), ("liaison", LIAISON_DATA),
                       ("citymgmt", CITYMGMT_DATA), ("open311", OPEN311_DATA)):
        with open(Path(directory) / f"{name}.json", "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)


# ---------------------------------------------------------------------------
# Talking to a simulator process
# ---------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self, charset="utf-8"):
        return json.loads(self.body.decode(charset))


class Sim:
    """A feedsim child process and a small HTTP client for it."""

    def __init__(self, *args):
        self.tmp = tempfile.TemporaryDirectory()
        port_file = Path(self.tmp.name) / "port"
        self.stderr = open(Path(self.tmp.name) / "stderr", "w+")
        self.proc = subprocess.Popen([sys.executable, str(FEEDSIM), "--port", "0",
                                      "--port-file", str(port_file), *args],
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + 10
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"feedsim did not start: {self.stderr_text()}")
            time.sleep(0.05)
        self.port = int(port_file.read_text())

    def stderr_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.stderr.close()
        self.tmp.cleanup()
        return self.proc.returncode

    # -- plain HTTP -----------------------------------------------------------
    def request(self, method, target, headers=None, body=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            reply = conn.getresponse()
            data = reply.read()
            return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data)
        finally:
            conn.close()

    def control(self, **command):
        reply = self.request("POST", "/_control", {"Content-Type": "application/json"},
                             json.dumps(command).encode())
        return reply

    def log(self):
        return self.request("GET", "/_log").json()

    # -- the four feeds --------------------------------------------------------
    def hotline_headers(self, target, key="demo", secret="demo-secret", timestamp=None, nonce=None):
        timestamp = timestamp or str(int(time.time() * 1000))
        nonce = nonce or secrets.token_hex(16)
        message = "\n".join([key, timestamp, nonce, target]).encode()
        signature = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        return {"X-App-Key": key, "X-Timestamp": timestamp, "X-Nonce": nonce,
                "X-Signature": signature}

    def hotline(self, query="updatedFrom=2024-05-01%2000:00:00&pageNo=1&pageSize=100", **sign):
        target = f"{HOTLINE}?{query}"
        return self.request("GET", target, self.hotline_headers(target, **sign))

    def liaison(self, query="limit=100", token="demo-token"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.request("GET", f"{LIAISON}?{query}", headers)

    def citymgmt(self, query=None, key="demo-key", headers=None):
        query = query or f"start={DAY1}&end={DAY1 + DAY_MS}&offset=0&limit=100"
        return self.request("GET", f"{CITYMGMT}?{query}", dict(headers or {}, **{"X-Api-Key": key}))

    def open311(self, query="page=1&page_size=100&api_key=k311"):
        return self.request("GET", f"{OPEN311}?{query}")

    def get(self, feed):
        """A default, valid request to a feed."""
        return getattr(self, feed)()

    def raw(self, target, headers, read_timeout=5.0):
        """GET over a bare socket; returns (status, headers, body, events).

        events is a list of (seconds since the request, bytes received) so tests
        can see stalls; reading stops at EOF or at the declared length."""
        lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout)
        start = time.monotonic()
        events, data = [], b""
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            while True:
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    events.append((time.monotonic() - start, None))
                    sock.settimeout(read_timeout * 4)
                    continue
                if not chunk:
                    break
                data += chunk
                events.append((time.monotonic() - start, len(chunk)))
        finally:
            sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        head_map = {k.strip().lower(): v.strip() for k, v in
                    (line.split(":", 1) for line in header_lines)}
        return int(status_line.split()[1]), head_map, body, events


class SimTestCase(unittest.TestCase):
    """Shares one simulator on the small data set; each test starts from a reset."""

    sim = None

    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.TemporaryDirectory()
        write_data(cls.data.name)
        cls.sim = Sim("--data", cls.data.name, "--now", NOW, "--liaison-charset", "utf-8",
                      "--open311-key", "k311")

    @classmethod
    def tearDownClass(cls):
        errors = [line for line in cls.sim.stderr_text().splitlines() if "internal error" in line]
        cls.sim.stop()
        cls.data.cleanup()
        if errors:
            raise AssertionError(f"feedsim reported errors: {errors}")

    def setUp(self):
        reply = self.sim.control(reset=True, now=NOW, liaison_charset="utf-8")
        self.assertEqual(reply.status, 200, reply.body)

    def fault(self, feed, kind, **params):
        reply = self.sim.control(faults=[dict(feed=feed, kind=kind, **params)])
        self.assertEqual(reply.status, 200, reply.body)


# ---------------------------------------------------------------------------
# Feeds
# ---------------------------------------------------------------------------

class HotlineTest(SimTestCase):
    def page(self, query):
        reply = self.sim.hotline(query)
        self.assertEqual(reply.status, 200)
        return reply.json()

    def test_paging_order_and_total(self):
        seen = []
        for page_no in (1, 2, 3):
            body = self.page(f"updatedFrom=2024-05-01%2000:00:00&pageNo={page_no}&pageSize=2")
            self.assertEqual(body["code"], 0)
            self.assertEqual(body["data"]["total"], 5)
            self.assertEqual((body["data"]["pageNo"], body["data"]["pageSize"]), (page_no, 2))
            seen += [r["orderNo"] for r in body["data"]["list"]]
        self.assertEqual(seen, HOTLINE_ORDER)
        body = self.page("updatedFrom=2024-05-01%2000:00:00&pageNo=4&pageSize=2")
        self.assertEqual(body["data"]["list"], [])

    def test_window_bounds(self):
        body = self.page("updatedFrom=2024-05-02%2008:00:00&updatedTo=2024-05-02%2008:00:01&pageNo=1")
        self.assertEqual([r["orderNo"] for r in body["data"]["list"]], ["H4"])
        body = self.page("updatedFrom=2024-05-01+12:00:00&pageNo=1&pageSize=200")  # '+' is a space
        self.assertEqual(body["data"]["total"], 5)

    def test_records_are_served_whole(self):
        body = self.page("updatedFrom=2024-05-02%2008:00:00&pageNo=1&pageSize=1")
        self.assertEqual(body["data"]["list"][0], HOTLINE_DATA[3])

    def test_bad_parameters_are_code_40001(self):
        for query in ("updatedFrom=2024-05-01%2000:00:00&pageNo=1&pageSize=201",
                      "pageNo=1&pageSize=10",
                      "updatedFrom=2024-05-01T00:00:00&pageNo=1",
                      "updatedFrom=2024-05-01%2000:00:00&pageNo=0"):
            reply = self.sim.hotline(query)
            self.assertEqual((reply.status, reply.json()["code"]), (200, 40001), query)

    def test_signature_rejections_are_code_40101(self):
        target = f"{HOTLINE}?updatedFrom=2024-05-01%2000:00:00&pageNo=1"
        good = self.sim.hotline_headers(target)
        cases = {
            "wrong key": dict(good, **{"X-App-Key": "other"}),
            "wrong secret": self.sim.hotline_headers(target, secret="nope"),
            "upper-case hex": dict(good, **{"X-Signature": good["X-Signature"].upper()}),
            "no signature": {k: v for k, v in good.items() if k != "X-Signature"},
            "old timestamp": self.sim.hotline_headers(target, timestamp=str(int(time.time() * 1000) - 301_000)),
            "future timestamp": self.sim.hotline_headers(target, timestamp=str(int(time.time() * 1000) + 301_000)),
            "short nonce": self.sim.hotline_headers(target, nonce="abcdef0123456"),
            "non-hex nonce": self.sim.hotline_headers(target, nonce="z" * 16),
            "signed without prefix": dict(good, **{"X-Signature": self.sim.hotline_headers(
                target.removeprefix("/hotline"), nonce=good["X-Nonce"],
                timestamp=good["X-Timestamp"])["X-Signature"]}),
        }
        for name, headers in cases.items():
            reply = self.sim.request("GET", target, headers)
            self.assertEqual((reply.status, reply.json()["code"]), (200, 40101), name)
        self.assertEqual(self.sim.request("GET", target, good).json()["code"], 0)

    def test_timestamp_within_300_seconds_is_accepted(self):
        target = f"{HOTLINE}?updatedFrom=2024-05-01%2000:00:00&pageNo=1"
        stamp = str(int(time.time() * 1000) - 250_000)
        reply = self.sim.request("GET", target, self.sim.hotline_headers(target, timestamp=stamp))
        self.assertEqual(reply.json()["code"], 0)

    def test_nonce_is_never_reused(self):
        target = f"{HOTLINE}?updatedFrom=2024-05-01%2000:00:00&pageNo=1"
        headers = self.sim.hotline_headers(target, nonce="0123456789abcdef")
        self.assertEqual(self.sim.request("GET", target, headers).json()["code"], 0)
        again = self.sim.hotline_headers(target, nonce="0123456789abcdef")
        self.assertEqual(self.sim.request("GET", target, again).json()["code"], 40101)
        self.sim.control(reset=True)
        self.assertEqual(self.sim.request("GET", target, again).json()["code"], 0)


class LiaisonTest(SimTestCase):
    def walk(self, first_query):
        ids, query, pages = [], first_query, []
        while True:
            reply = self.sim.liaison(query)
            self.assertEqual(reply.status, 200, reply.body)
            body = reply.json()
            pages.append(body)
            ids += [m["id"] for m in body["messages"]]
            if body["next_cursor"] is None:
                return ids, pages
            query = f"cursor={body['next_cursor']}&limit=2"

    def test_walk_with_since_then_cursors(self):
        ids, pages = self.walk("since=2024-05-01T00:00:00%2B08:00&limit=2")
        self.assertEqual(ids, LIAISON_ORDER)
        self.assertEqual(len(pages), 3)
        withdrawn = pages[-1]["messages"][-1]
        self.assertEqual((withdrawn["id"], withdrawn["state"]), (3, "withdrawn"))
        paths = [e["path"] for e in self.sim.log()]
        self.assertIn("since=", paths[0])
        self.assertTrue(all("cursor=" in p and "since=" not in p for p in paths[1:]))

    def test_since_is_inclusive_and_accepts_z(self):
        ids, _ = self.walk("since=2024-05-02T01:00:00Z&limit=2")   # = 09:00 +08:00
        self.assertEqual(ids, [4, 5, 6, 3])

    def test_without_since_starts_at_the_beginning(self):
        self.assertEqual([m["id"] for m in self.sim.liaison("limit=100").json()["messages"]],
                         LIAISON_ORDER)

    def test_token_is_required(self):
        for token in (None, "wrong"):
            reply = self.sim.liaison(token=token)
            self.assertEqual(reply.status, 401)
            self.assertIn("error", reply.json())

    def test_bad_cursor_and_parameters_are_400(self):
        for query in ("cursor=!!notbase64&limit=2", "cursor=bm90IGpzb24&limit=2",
                      "cursor=eyJvIjo1MH0&limit=2",
                      "since=2024-05-01T00:00:00%2B08:00&cursor=eyJvIjo1MH0",
                      "since=2024-05-01T00:00:00+08:00",  # '+' unescaped becomes a space
                      "limit=0", "limit=101", "limit=ten"):
            reply = self.sim.liaison(query)
            self.assertEqual(reply.status, 400, query)
            self.assertIsInstance(reply.json()["error"], str)

    def test_gbk_pages(self):
        self.sim.control(liaison_charset="gbk")
        reply = self.sim.liaison()
        self.assertEqual(reply.header("Content-Type"), "application/json; charset=GBK")
        with self.assertRaises(UnicodeDecodeError):
            reply.body.decode("utf-8")
        body = reply.json("gbk")
        subjects = {m["id"]: m["subject"] for m in body["messages"]}
        self.assertEqual(subjects[6], "表情😭和全角ＡＢＣ")  # the emoji travels as a \\u escape
        self.assertIn(b"\\ud83d\\ude2d", reply.body)
        self.assertIn("表情".encode("gbk"), reply.body)

    def test_alternate_and_utf8_pages(self):
        self.sim.control(liaison_charset="alternate")
        types = [self.sim.liaison().header("Content-Type") for _ in range(4)]
        self.assertEqual(types, ["application/json; charset=utf-8",
                                 "application/json; charset=GBK"] * 2)
        self.sim.control(liaison_charset="utf-8")
        reply = self.sim.liaison()
        self.assertEqual(reply.header("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(len(reply.json()["messages"]), 6)


class CityMgmtTest(SimTestCase):
    def test_window_and_paging(self):
        first = self.sim.citymgmt(f"start={DAY1}&end={DAY1 + DAY_MS}&offset=0&limit=4").json()
        second = self.sim.citymgmt(f"start={DAY1}&end={DAY1 + DAY_MS}&offset=4&limit=4").json()
        self.assertEqual((first["result"], first["total"]), ("ok", 7))
        self.assertEqual([c["caseNo"] for c in first["items"] + second["items"]],
                         [f"CG{n:02d}" for n in range(1, 8)])
        # end is exclusive, start inclusive
        edge = DAY1 + 3600_000
        body = self.sim.citymgmt(f"start={edge}&end={edge + 1}").json()
        self.assertEqual([c["caseNo"] for c in body["items"]], ["CG01"])
        body = self.sim.citymgmt(f"start={edge - 1}&end={edge}").json()
        self.assertEqual(body["items"], [])

    def test_window_too_large(self):
        reply = self.sim.citymgmt(f"start={DAY1}&end={DAY1 + DAY_MS + 1}&offset=0&limit=10")
        self.assertEqual(reply.status, 400)
        self.assertEqual(reply.json(), {"result": "error", "error": {
            "code": "WINDOW_TOO_LARGE", "message": reply.json()["error"]["message"]}})
        self.assertEqual(self.sim.citymgmt(f"start={DAY1}&end={DAY1 + DAY_MS}").status, 200)

    def test_bad_parameters(self):
        for query in (f"start={DAY1}", f"start={DAY1}&end={DAY1}", f"start=x&end={DAY1}",
                      f"start={DAY1}&end={DAY1 + 10}&limit=501", f"start={DAY1}&end={DAY1 + 10}&limit=0",
                      f"start={DAY1}&end={DAY1 + 10}&offset=-1"):
            reply = self.sim.citymgmt(query)
            self.assertEqual(reply.status, 400, query)
            self.assertEqual(reply.json()["error"]["code"], "BAD_PARAMETER", query)

    def test_bad_api_key(self):
        reply = self.sim.citymgmt(key="wrong")
        self.assertEqual(reply.status, 403)
        self.assertEqual(reply.json()["error"]["code"], "BAD_API_KEY")

    def test_etag_and_304(self):
        reply = self.sim.citymgmt()
        etag = reply.header("ETag")
        self.assertRegex(etag, r'^"[0-9a-f]{32}"$')
        self.assertEqual(etag, f'"{hashlib.sha256(reply.body).hexdigest()[:32]}"')
        again = self.sim.citymgmt(headers={"If-None-Match": etag})
        self.assertEqual((again.status, again.body, again.header("ETag")), (304, b"", etag))
        for header in (f'"other", {etag}', f"W/{etag}", "*"):
            self.assertEqual(self.sim.citymgmt(headers={"If-None-Match": header}).status, 304)
        self.assertEqual(self.sim.citymgmt(headers={"If-None-Match": '"stale"'}).status, 200)
        other = self.sim.citymgmt(f"start={DAY1}&end={DAY1 + DAY_MS}&offset=1&limit=100")
        self.assertNotEqual(other.header("ETag"), etag)
        # the page changes when a record gets a new version: the old ETag no longer matches
        self.sim.control(now="2024-05-02T01:30:00+08:00")   # CG20 between its versions
        query = f"start={DAY1 + DAY_MS}&end={DAY1 + 2 * DAY_MS}"
        old = self.sim.citymgmt(query).header("ETag")
        self.sim.control(now=NOW)
        self.assertEqual(self.sim.citymgmt(query, headers={"If-None-Match": old}).status, 200)
        entry = self.sim.log()[-1]
        self.assertEqual(entry["headers"]["If-None-Match"], old)


class Open311Test(SimTestCase):
    def test_dates_and_paging(self):
        body = self.sim.open311("page=1&page_size=3&api_key=k311").json()
        self.assertEqual([r["service_request_id"] for r in body], ["101", "102", "103"])
        body = self.sim.open311("page=2&page_size=3&api_key=k311").json()
        self.assertEqual([(r["service_request_id"], r["status"]) for r in body], [("104", "closed")])
        query = urlencode({"start_date": "2024-05-01T10:00:00+08:00",
                           "end_date": "2024-05-02T02:00:00Z", "api_key": "k311"})
        self.assertEqual([r["service_request_id"] for r in self.sim.open311(query).json()],
                         ["102", "103"])
        body = self.sim.open311("status=closed&api_key=k311").json()
        self.assertEqual([r["service_request_id"] for r in body], ["102", "104"])

    def test_errors_are_arrays(self):
        for query, status in (("api_key=wrong", 403), ("page=1", 403),
                              ("page=0&api_key=k311", 400),
                              ("start_date=yesterday&api_key=k311", 400),
                              ("start_date=2024-01-01T00:00:00Z&end_date=2024-05-01T00:00:00Z&api_key=k311", 400)):
            reply = self.sim.open311(query)
            self.assertEqual(reply.status, status, query)
            errors = reply.json()
            self.assertIsInstance(errors, list)
            self.assertEqual(set(errors[0]), {"code", "description"})


class ClockTest(SimTestCase):
    def states(self):
        body = self.sim.hotline("updatedFrom=2024-05-01%2000:00:00&pageNo=1&pageSize=200").json()
        return {r["orderNo"]: r["status"] for r in body["data"]["list"]}

    def test_versions_follow_now(self):
        self.sim.control(now="2024-05-01T11:00:00+08:00")
        self.assertEqual(self.states(), {"H1": "办理中"})
        self.sim.control(now="2024-05-03T10:00:00+08:00")   # inclusive: v2 is visible now
        self.assertEqual(self.states()["H1"], "已办结")
        self.assertNotIn("H6", self.states())
        self.sim.control(now="2024-05-20T00:00:00Z")
        self.assertEqual(self.states()["H1"], "已回访")
        self.assertIn("H6", self.states())
        self.assertEqual(self.sim.request("GET", "/_control").json()["now"], "2024-05-20T08:00:00+08:00")

    def test_real_now_shows_everything(self):
        self.sim.control(now="real")
        self.assertEqual(len(self.states()), 6)
        self.assertEqual(len(self.sim.liaison().json()["messages"]), 7)

    def test_bad_control_requests(self):
        for command in ({"now": "tomorrow"}, {"now": 5}, {"faults": {}}, {"bogus": 1},
                        {"faults": [{"feed": "nope", "kind": "http500"}]},
                        {"faults": [{"feed": "liaison", "kind": "code42901"}]},
                        {"faults": [{"feed": "hotline", "kind": "http500", "count": 0}]},
                        {"faults": [{"feed": "hotline", "kind": "slow", "seconds": "x"}]},
                        {"liaison_charset": "latin-1"}):
            reply = self.sim.control(**command)
            self.assertEqual(reply.status, 400, command)
        reply = self.sim.request("POST", "/_control", body=b"not json")
        self.assertEqual(reply.status, 400)
        # a rejected command changes nothing
        self.assertEqual(self.sim.request("GET", "/_control").json()["now"], NOW)


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------

FEEDS = ("hotline", "liaison", "citymgmt", "open311")


def records_of(feed, body):
    return {"hotline": lambda: body["data"]["list"], "liaison": lambda: body["messages"],
            "citymgmt": lambda: body["items"], "open311": lambda: body}[feed]()


ID_FIELD = {"hotline": "orderNo", "liaison": "id", "citymgmt": "caseNo", "open311": "service_request_id"}
RECEIVED_FIELD = {"hotline": "acceptTime", "liaison": "created_at", "citymgmt": "reportedAt",
                  "open311": "requested_datetime"}


def is_possible_date(feed, value):
    try:
        if feed == "citymgmt":
            return isinstance(value, int) and 0 <= value < 253402300800000  # before year 10000
        (feedsim.parse_cst if feed == "hotline" else feedsim.parse_rfc3339)(value)
        return True
    except ValueError:
        return False


class FaultTest(SimTestCase):
    def test_http_status_faults_on_every_feed(self):
        for feed in FEEDS:
            for status in (500, 502, 503, 504):
                self.fault(feed, f"http{status}")
                reply = self.sim.get(feed)
                self.assertEqual(reply.status, status, (feed, status))
                if status in (502, 504):
                    self.assertTrue(reply.header("Content-Type").startswith("text/html"))
                else:
                    reply.json()  # the feed's own error body
            self.assertEqual(self.sim.get(feed).status, 200, feed)

    def test_count_and_order(self):
        self.sim.control(faults=[{"feed": "citymgmt", "kind": "http500", "count": 2},
                                 {"feed": "citymgmt", "kind": "http503"},
                                 {"feed": "liaison", "kind": "http502"}])
        self.assertEqual([self.sim.citymgmt().status for _ in range(5)], [500, 500, 503, 200, 200])
        self.assertEqual(self.sim.liaison().status, 502)
        entries = self.sim.log()
        self.assertEqual([e["fault"] for e in entries][:4], ["http500", "http500", "http503", None])

    def test_rejected_requests_do_not_use_up_faults(self):
        self.fault("liaison", "http500")
        self.assertEqual(self.sim.liaison(token="bad").status, 401)
        self.assertEqual(self.sim.liaison().status, 500)

    def test_pending_faults_are_listed_and_reset(self):
        self.fault("hotline", "http500", count=3)
        pending = self.sim.request("GET", "/_control").json()["faults"]
        self.assertEqual([(f["feed"], f["kind"], f["count"]) for f in pending], [("hotline", "http500", 3)])
        self.sim.control(reset=True)
        self.assertEqual(self.sim.request("GET", "/_control").json()["faults"], [])
        self.assertEqual(self.sim.hotline().json()["code"], 0)

    def test_rate_limits(self):
        for feed in FEEDS:
            self.fault(feed, "http429", retry_after=7)
            reply = self.sim.get(feed)
            self.assertEqual((reply.status, reply.header("Retry-After")), (429, "7"), feed)
            self.fault(feed, "http429_date", retry_after=30)
            reply = self.sim.get(feed)
            self.assertEqual(reply.status, 429)
            when = email.utils.parsedate_to_datetime(reply.header("Retry-After")).timestamp()
            self.assertAlmostEqual(when - time.time(), 30, delta=3)
        self.fault("hotline", "code42901", retry_after=5)
        reply = self.sim.hotline()
        self.assertEqual(reply.status, 200)
        self.assertEqual((reply.json()["code"], reply.json()["data"]["retryAfter"]), (42901, 5))

    def test_hotline_business_codes(self):
        for kind, code in (("code50000", 50000), ("code40001", 40001), ("code40101", 40101)):
            self.fault("hotline", kind)
            reply = self.sim.hotline()
            self.assertEqual((reply.status, reply.json()["code"]), (200, code), kind)
        self.assertEqual(self.sim.hotline().json()["code"], 0)

    def test_auth_and_parameter_faults(self):
        cases = [("liaison", "http401", 401, lambda b: b["error"]),
                 ("liaison", "http400_cursor", 400, lambda b: "cursor" in b["error"]),
                 ("citymgmt", "http403_key", 403, lambda b: b["error"]["code"] == "BAD_API_KEY"),
                 ("citymgmt", "http400_other", 400, lambda b: b["error"]["code"] == "BAD_PARAMETER"),
                 ("open311", "http403_key", 403, lambda b: b[0]["code"] == 403),
                 ("open311", "http400_other", 400, lambda b: b[0]["code"] == 400)]
        for feed, kind, status, check in cases:
            self.fault(feed, kind)
            reply = self.sim.get(feed)
            self.assertEqual(reply.status, status, kind)
            self.assertTrue(check(reply.json()), kind)

    def test_slow(self):
        self.fault("open311", "slow", seconds=0.6)
        start = time.monotonic()
        reply = self.sim.open311()
        self.assertGreaterEqual(time.monotonic() - start, 0.55)
        self.assertEqual(len(reply.json()), 4)

    def test_stall(self):
        expected = self.sim.citymgmt().body
        self.fault("citymgmt", "stall", seconds=1.5)
        query = f"{CITYMGMT}?start={DAY1}&end={DAY1 + DAY_MS}&offset=0&limit=100"
        status, headers, body, events = self.sim.raw(query, {"X-Api-Key": "demo-key"}, read_timeout=0.5)
        self.assertEqual(status, 200)
        self.assertEqual(int(headers["content-length"]), len(expected))
        self.assertEqual(body, expected)  # it does finish, late
        stall = [at for at, size in events if size is None]
        self.assertTrue(stall, "expected the read to time out during the stall")
        self.assertGreaterEqual(events[-1][0], 1.4)

    def test_truncated(self):
        self.fault("citymgmt", "truncated")
        query = f"{CITYMGMT}?start={DAY1}&end={DAY1 + DAY_MS}&offset=0&limit=100"
        status, headers, body, _ = self.sim.raw(query, {"X-Api-Key": "demo-key"})
        self.assertEqual(status, 200)
        self.assertLess(len(body), int(headers["content-length"]))
        self.assertGreater(len(body), 0)
        self.assertEqual(self.sim.citymgmt().status, 200)

    def test_invalid_json(self):
        for feed in FEEDS:
            self.fault(feed, "invalid_json")
            reply = self.sim.get(feed)
            self.assertEqual(reply.status, 200)
            self.assertTrue(reply.header("Content-Type").startswith("application/json"))
            self.assertEqual(int(reply.header("Content-Length")), len(reply.body))
            with self.assertRaises(ValueError, msg=feed):
                reply.json()

    def test_missing_envelope(self):
        envelope = {"hotline": lambda b: "code" in b and "list" in (b.get("data") or {}),
                    "liaison": lambda b: "messages" in b, "citymgmt": lambda b: "items" in b,
                    "open311": lambda b: isinstance(b, list)}
        for feed in FEEDS:
            self.fault(feed, "missing_envelope")
            body = self.sim.get(feed).json()
            self.assertFalse(envelope[feed](body), feed)
            self.assertTrue(envelope[feed](self.sim.get(feed).json()), feed)

    def test_bad_record(self):
        for feed in FEEDS:
            good = records_of(feed, self.sim.get(feed).json())
            self.fault(feed, "bad_record")
            bad = records_of(feed, self.sim.get(feed).json())
            self.assertEqual(len(bad), len(good), feed)
            self.assertNotIn(ID_FIELD[feed], bad[0], feed)
            self.assertEqual({k: v for k, v in good[0].items() if k != ID_FIELD[feed]}, bad[0])
            field = RECEIVED_FIELD[feed]
            self.assertNotEqual(bad[1][field], good[1][field], feed)
            self.assertEqual(dict(bad[1], **{field: good[1][field]}), good[1])
            self.assertEqual(bad[2:], good[2:], feed)
            self.assertTrue(is_possible_date(feed, good[1][field]), feed)
            self.assertFalse(is_possible_date(feed, bad[1][field]), feed)

    def test_huge(self):
        for feed in FEEDS:
            self.fault(feed, "huge", bytes=3 << 20)
            reply = self.sim.get(feed)
            self.assertEqual(len(reply.body), 3 << 20, feed)
            self.assertEqual(int(reply.header("Content-Length")), 3 << 20)
            self.assertEqual(records_of(feed, reply.json()), records_of(feed, self.sim.get(feed).json()))

    def test_invalid_gbk(self):
        self.fault("liaison", "invalid_gbk")
        reply = self.sim.liaison()
        self.assertEqual(reply.header("Content-Type"), "application/json; charset=GBK")
        for charset in ("gbk", "gb18030"):
            with self.assertRaises(UnicodeDecodeError):
                reply.body.decode(charset)
        json.loads(reply.body.decode("gbk", "replace"))  # only the bytes are broken

    def test_undeclared_charset(self):
        self.fault("liaison", "undeclared_charset")
        reply = self.sim.liaison()
        self.assertEqual(reply.header("Content-Type"), "application/json")
        with self.assertRaises(UnicodeDecodeError):
            reply.body.decode("utf-8")
        self.assertEqual(len(reply.json("gbk")["messages"]), 6)

    def test_content_faults_leave_errors_alone(self):
        self.fault("liaison", "bad_record")
        reply = self.sim.liaison("cursor=%%%")
        self.assertEqual(reply.status, 400)
        self.assertEqual(self.sim.liaison().json()["messages"][0]["id"], 1)


class LogTest(SimTestCase):
    def test_log_records_requests(self):
        self.sim.hotline("updatedFrom=2024-05-01%2000:00:00&pageNo=2&pageSize=1")
        self.sim.liaison(token="bad")
        self.sim.request("GET", "/nowhere")
        entries = self.sim.log()
        self.assertEqual([(e["method"], e["status"]) for e in entries], [("GET", 200), ("GET", 401), ("GET", 404)])
        hot = entries[0]
        self.assertEqual(hot["path"], f"{HOTLINE}?updatedFrom=2024-05-01%2000:00:00&pageNo=2&pageSize=1")
        self.assertEqual(hot["feed"], "hotline")
        headers = hot["headers"]
        message = "\n".join(["demo", headers["X-Timestamp"], headers["X-Nonce"], hot["path"]]).encode()
        self.assertEqual(headers["X-Signature"],
                         hmac.new(b"demo-secret", message, hashlib.sha256).hexdigest())
        self.assertEqual(entries[1]["headers"]["Authorization"], "Bearer bad")
        self.sim.control(reset=True)
        self.assertEqual(self.sim.log(), [])


# ---------------------------------------------------------------------------
# Demo fixtures and the command line
# ---------------------------------------------------------------------------

def fixture_feeds():
    load = lambda name: (json.loads((FIXTURES / f"{name}.json").read_text("utf-8")), name)  # noqa: E731
    return {"hotline": feedsim.HotlineFeed(*load("hotline"), "k", "s"),
            "liaison": feedsim.LiaisonFeed(*load("liaison"), "t", "utf-8"),
            "citymgmt": feedsim.CityMgmtFeed(*load("citymgmt"), "k"),
            "open311": feedsim.Open311Feed(*load("open311"))}


class FixtureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.feeds = fixture_feeds()

    def latest(self, feed):
        return [versions[-1] for versions in self.feeds[feed].histories.values()]

    def test_size_and_span(self):
        total = sum(len(f.histories) for f in self.feeds.values())
        self.assertTrue(130 <= total <= 170, total)
        low = feedsim.parse_rfc3339("2024-05-01T00:00:00+08:00")
        high = feedsim.parse_rfc3339("2024-05-15T00:00:00+08:00")
        for name, feed in self.feeds.items():
            for versions in feed.histories.values():
                for version in versions:
                    self.assertTrue(low <= feed.updated_ms(version) < high, (name, version))

    def test_contract_fields(self):
        fields = {"hotline": set(HOTLINE_DATA[1]), "liaison": set(LIAISON_DATA[0]) - {"attachments", "address"},
                  "citymgmt": set(CITYMGMT_DATA[0]), "open311": set(OPEN311_DATA[0])}
        for name, feed in self.feeds.items():
            for versions in feed.histories.values():
                for version in versions:
                    self.assertLessEqual(fields[name], set(version), (name, version))

    def test_declared_links_resolve(self):
        orders = set(self.feeds["hotline"].histories)
        refs = [c["refOrderNo"] for c in self.latest("citymgmt") if c["origin"] == "12345转办"]
        related = [o["relatedOrderNo"] for o in self.latest("hotline") if o["relatedOrderNo"]]
        self.assertTrue(refs and related)
        self.assertLessEqual(set(refs) | set(related), orders)
        self.assertIn("2024050112345000123", refs)

    def test_scenarios_are_present(self):
        hotline, liaison, citymgmt = self.latest("hotline"), self.latest("liaison"), self.latest("citymgmt")
        water = [o for o in hotline + liaison
                 if "宝源花园" in o.get("content", o.get("body", "")) and "水" in o.get("content", o.get("body", ""))]
        self.assertGreaterEqual(len(water), 8)
        wages = [o for o in hotline + liaison if "恒达" in o.get("content", o.get("body", ""))]
        self.assertGreaterEqual(len(wages), 6)
        self.assertGreaterEqual(len({o.get("community") or o.get("area", {}).get("community")
                                     for o in wages}), 5)
        texts = "".join(o["content"] for o in hotline)
        for needle in ("跳楼", "煤气泄漏", "\u3000", "８８", "\u0007", "市民来电反映:"):
            self.assertIn(needle, texts)
        self.assertIn("withdrawn", {m["state"] for m in liaison})
        self.assertIn("作废", {c["stage"] for c in citymgmt})
        self.assertLessEqual({"GCJ02", "BD09", "WGS84"}, {c["location"]["crs"] for c in citymgmt if c["location"]})
        phones = {o["caller"]["phone"] for o in hotline}
        self.assertIn(None, phones)
        self.assertTrue(any(p and p.startswith("020-") for p in phones))
        self.assertTrue(any(p and p.startswith("+86 ") for p in phones))
        self.assertIn("已回访", {o["status"] for o in hotline})

    def test_night_construction_on_every_channel(self):
        for name, field in (("hotline", "content"), ("liaison", "body"),
                            ("citymgmt", "description"), ("open311", "description")):
            self.assertTrue(any("恩宁路88号" in r[field] or "恩宁路８８号" in r[field]
                                for r in self.latest(name)), name)

    def test_overdue_open_items(self):
        end = feedsim.parse_rfc3339("2024-05-14T18:00:00+08:00")
        overdue = [o for o in self.latest("hotline") if o["status"] in ("已派单", "办理中")
                   and o["deadline"] and feedsim.parse_cst(o["deadline"]) < end]
        self.assertGreaterEqual(len(overdue), 3)


class DemoWalkTest(unittest.TestCase):
    """Walks every feed of the demo fixtures to the end."""

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--now", "2024-05-15T00:00:00+08:00", "--liaison-charset", "alternate")
        cls.feeds = fixture_feeds()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_hotline(self):
        seen, page = [], 1
        while True:
            body = self.sim.hotline(f"updatedFrom=2024-05-01%2000:00:00&pageNo={page}&pageSize=25").json()
            seen += body["data"]["list"]
            if page * 25 >= body["data"]["total"]:
                break
            page += 1
        self.check("hotline", seen, lambda r: feedsim.parse_cst(r["updateTime"]))

    def test_liaison(self):
        seen, query = [], "since=2024-05-01T00:00:00%2B08:00&limit=10"
        while query:
            reply = self.sim.liaison(query)
            charset = "gbk" if reply.header("Content-Type").endswith("GBK") else "utf-8"
            body = reply.json(charset)
            seen += body["messages"]
            query = body["next_cursor"] and f"cursor={body['next_cursor']}&limit=10"
        self.check("liaison", seen, lambda r: feedsim.parse_rfc3339(r["updated_at"]))

    def test_citymgmt(self):
        seen, start = [], feedsim.parse_rfc3339("2024-05-01T00:00:00+08:00")
        for day in range(14):
            window = f"start={start + day * DAY_MS}&end={start + (day + 1) * DAY_MS}"
            offset = 0
            while True:
                body = self.sim.citymgmt(f"{window}&offset={offset}&limit=3").json()
                seen += body["items"]
                offset += 3
                if offset >= body["total"]:
                    break
        self.check("citymgmt", seen, lambda r: r["updatedAt"])

    def test_open311(self):
        seen = self.sim.open311("start_date=2024-05-01T00:00:00%2B08:00&page=1&page_size=500").json()
        self.check("open311", seen, lambda r: feedsim.parse_rfc3339(r["updated_datetime"]))

    def check(self, name, seen, updated):
        ids = [r[ID_FIELD[name]] for r in seen]
        self.assertEqual(sorted(ids, key=str), sorted(self.feeds[name].histories, key=str))
        self.assertEqual(seen, [versions[-1] for versions in sorted(
            self.feeds[name].histories.values(), key=lambda v: (updated(v[-1]), v[-1][ID_FIELD[name]]))])


class CommandLineTest(unittest.TestCase):
    def test_rebase_faults_file_and_sigterm(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump([{"feed": "open311", "kind": "http503"}], handle)
        try:
            sim = Sim("--rebase-to-now", "--faults", handle.name, "--liaison-charset", "gbk")
            try:
                self.assertEqual(sim.open311().status, 503)
                rows = sim.open311("page=1&page_size=500").json()
                newest = max(feedsim.parse_rfc3339(r["updated_datetime"]) for r in rows)
                # one reading of the clock: two could be a millisecond apart,
                # a window longer than the 24 h the feed accepts (HTTP 400)
                now_ms = int(time.time() * 1000)
                body = sim.citymgmt(f"start={now_ms - DAY_MS}&end={now_ms}"
                                    "&offset=0&limit=500").json()
                newest = max([newest] + [c["updatedAt"] for c in body["items"]])
                lag = time.time() - newest / 1000
                self.assertTrue(60 <= lag <= 900, lag)
                recent = sim.liaison("since=" + quote(feedsim.format_rfc3339(
                    int(time.time() * 1000) - DAY_MS)) + "&limit=100")
                self.assertGreater(len(recent.json("gbk")["messages"]), 0)
                self.assertIn("records shifted by", sim.stderr_text())
            finally:
                self.assertEqual(sim.stop(), 0)
        finally:
            os.unlink(handle.name)

    def test_one_log_line_per_request(self):
        sim = Sim("--now", NOW)
        try:
            sim.citymgmt()
            sim.liaison()
            lines = [l for l in sim.stderr_text().splitlines() if l.startswith("feedsim: GET")]
            self.assertEqual(len(lines), 2)
            self.assertTrue(lines[0].endswith("-> 200"))
        finally:
            self.assertEqual(sim.stop(), 0)

    def test_bad_data_exits_2(self):
        with tempfile.TemporaryDirectory() as directory:
            (Path(directory) / "hotline.json").write_text('[{"orderNo": "X", "updateTime": "soon"}]')
            result = subprocess.run([sys.executable, str(FEEDSIM), "--port", "0", "--data", directory],
                                    capture_output=True, text=True, timeout=10)
            self.assertEqual(result.returncode, 2)
            self.assertIn("hotline.json", result.stderr)


class TimeHelperTest(unittest.TestCase):
    def test_round_trips(self):
        ms = feedsim.parse_cst("2024-05-01 08:30:00")
        self.assertEqual(ms, 1714523400000)
        self.assertEqual(feedsim.format_cst(ms), "2024-05-01 08:30:00")
        self.assertEqual(feedsim.parse_rfc3339("2024-05-01T00:30:00Z"), ms)
        self.assertEqual(feedsim.parse_rfc3339("2024-05-01T08:30:00.250+08:00"), ms + 250)
        self.assertEqual(feedsim.shift_rfc3339("2024-05-01T23:30:00Z", 3600), "2024-05-02T00:30:00Z")
        self.assertEqual(feedsim.shift_rfc3339("2024-05-01T23:30:00+08:00", -60), "2024-05-01T23:29:00+08:00")
        self.assertEqual(feedsim.shift_cst("2024-05-31 23:59:59", 1), "2024-06-01 00:00:00")
        for bad in ("2024-05-01 08:30", "2024-5-1 08:30:00", "2024-02-30 10:00:00"):
            with self.assertRaises(ValueError):
                feedsim.parse_cst(bad)

    def test_cursor_is_opaque_base64(self):
        cursor = feedsim.LiaisonFeed.encode_cursor({"id": 5}, 1714523400000)
        self.assertRegex(cursor, r"^[A-Za-z0-9_-]+$")
        self.assertEqual(json.loads(base64.urlsafe_b64decode(cursor + "==")), {"u": 1714523400000, "i": 5})


if __name__ == "__main__":
    unittest.main(verbosity=2)
