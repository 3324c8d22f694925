#!/usr/bin/python3
"""feedsim: a local simulator of the complaint feeds that suqiu polls.

One ThreadingHTTPServer on 127.0.0.1 serves four feeds under path prefixes:

    /hotline/openapi/v2/workorders   12345 hotline        (feeds/hotline12345.md)
    /liaison/api/messages            deputy liaison       (feeds/deputy_liaison.md)
    /citymgmt/cgapi/v1/cases         city management      (feeds/city_mgmt.md)
    /open311/requests.json           Open311 GeoReport v2 (with a paging extension)

and two endpoints for tests and demos:

    POST /_control   move the simulated clock, queue faults, reset
    GET  /_log       the requests seen, as JSON

Python 3 standard library only. See scripts/feedsim.md.
"""

import argparse
import base64
import codecs
import collections
import copy
import dataclasses
import datetime as dt
import email.utils
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "fixtures" / "sim"

# ---------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------

UTC = dt.timezone.utc
CST = dt.timezone(dt.timedelta(hours=8))
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = dt.timedelta(milliseconds=1)

CST_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
CST_FORMAT = "%Y-%m-%d %H:%M:%S"
RFC3339_RE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def real_now_ms():
    return time.time_ns() // 1_000_000


def to_ms(moment):
    return (moment - EPOCH) // ONE_MS


def from_ms(ms, tz=CST):
    return (EPOCH + ms * ONE_MS).astimezone(tz)


def parse_cst(text):
    """'yyyy-MM-dd HH:mm:ss' in China Standard Time -> Unix ms."""
    if not isinstance(text, str) or not CST_RE.match(text):
        raise ValueError(f"not 'yyyy-MM-dd HH:mm:ss': {text!r}")
    return to_ms(dt.datetime.strptime(text, CST_FORMAT).replace(tzinfo=CST))


def format_cst(ms):
    return from_ms(ms).strftime(CST_FORMAT)


def parse_rfc3339(text):
    """RFC 3339 date-time (offset required) -> Unix ms."""
    match = RFC3339_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    date, clock, fraction, offset = match.groups()
    offset = "+00:00" if offset in ("Z", "z") else offset
    fraction = (fraction or ".0")[:7].ljust(7, "0")  # microseconds
    return to_ms(dt.datetime.fromisoformat(f"{date}T{clock}{fraction}{offset}"))


def format_rfc3339(ms, tz=CST):
    text = from_ms(ms, tz).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def shift_cst(text, seconds):
    return format_cst(parse_cst(text) + seconds * 1000) if text else text


def shift_rfc3339(text, seconds):
    """Move an RFC 3339 time, keeping its offset and its way of writing it."""
    if not text:
        return text
    match = RFC3339_RE.match(text)
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    date, clock, fraction, offset = match.groups()
    zone = "+00:00" if offset in ("Z", "z") else offset
    moment = dt.datetime.fromisoformat(f"{date}T{clock}{zone}")
    moved = moment + dt.timedelta(seconds=seconds)
    return moved.strftime("%Y-%m-%dT%H:%M:%S") + (fraction or "") + offset


def shift_ms(value, seconds):
    return value + seconds * 1000 if isinstance(value, int) else value


# ---------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------

def _json_escape(error):
    """Codec error handler: write characters GBK lacks as JSON \\u escapes.

    Safe because json.dumps writes only ASCII outside strings, so every
    character a codec can fail on is inside a JSON string."""
    escaped = []
    for char in error.object[error.start:error.end]:
        code = ord(char)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
        else:
            escaped.append("\\u%04x" % code)
    return "".join(escaped), error.end


codecs.register_error("feedsim-json-escape", _json_escape)

CHARSET_LABELS = {"utf-8": "utf-8", "gbk": "GBK"}


def to_json(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def encode_text(text, charset):
    return text.encode(charset, "feedsim-json-escape")


def json_content_type(charset):
    return f"application/json; charset={CHARSET_LABELS[charset]}"


# ---------------------------------------------------------------------------
# Requests, replies, faults
# ---------------------------------------------------------------------------

class ParamError(ValueError):
    """A request parameter the feed rejects."""


class DataError(ValueError):
    """A data file the simulator cannot load."""


@dataclasses.dataclass
class Request:
    method: str
    target: str      # the raw request target, exactly as received
    path: str
    query: dict
    headers: object  # email.message.Message, case-insensitive

    @classmethod
    def parse(cls, method, target, headers):
        parts = urlsplit(target)
        query = {name: values[0] for name, values in
                 parse_qs(parts.query, keep_blank_values=True).items()}
        return cls(method, target, parts.path, query, headers)

    def param(self, name):
        return self.query.get(name)

    def header(self, name):
        return self.headers.get(name)


@dataclasses.dataclass
class Filler:
    """`size` bytes of `byte`, generated while sending (for huge bodies)."""
    size: int
    byte: bytes = b" "


@dataclasses.dataclass
class Reply:
    status: int
    payload: object = None            # JSON value, serialised by render()
    charset: str = "utf-8"
    content_type: str = None
    headers: list = dataclasses.field(default_factory=list)
    pieces: list = None               # bytes and Filler, set by render()

    def render(self):
        if self.pieces is None:
            self.pieces = [] if self.payload is None else [
                encode_text(to_json(self.payload), self.charset)]
        if self.content_type is None and self.payload is not None:
            self.content_type = json_content_type(self.charset)
        return self

    def length(self):
        return sum(p.size if isinstance(p, Filler) else len(p) for p in self.render().pieces)

    def chunks(self, chunk_size=1 << 16):
        for piece in self.render().pieces:
            if isinstance(piece, Filler):
                left = piece.size
                while left > 0:
                    step = min(left, chunk_size)
                    yield piece.byte * step
                    left -= step
            elif piece:
                yield piece

    def header(self, name):
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def gateway_page(status):
    """What a reverse proxy in front of a feed sends when the backend fails."""
    reason = {502: "Bad Gateway", 504: "Gateway Time-out"}[status]
    html = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n")
    return Reply(status, content_type="text/html", pieces=[html.encode("ascii")])


# Fault kinds every feed accepts; feeds add their own (Feed.fault_kinds).
COMMON_FAULTS = frozenset({
    "http500", "http502", "http503", "http504", "http429", "http429_date",
    "slow", "stall", "truncated", "invalid_json", "missing_envelope", "bad_record", "huge",
})
# Faults that change how the answer is sent, whatever the answer is.
TRANSPORT_FAULTS = frozenset({"slow", "stall", "truncated"})
# Faults that alter a successful page (the request is otherwise served normally).
CONTENT_FAULTS = frozenset({"invalid_json", "missing_envelope", "bad_record", "huge",
                            "invalid_gbk", "undeclared_charset"})
FAULT_DEFAULTS = {"count": 1, "retry_after": 2, "seconds": 2.0, "bytes": 16 << 20}


@dataclasses.dataclass
class Fault:
    feed: str
    kind: str
    count: int = 1
    retry_after: int = 2      # http429, http429_date, code42901
    seconds: float = 2.0      # slow, stall
    bytes: int = 16 << 20     # huge

    @classmethod
    def from_spec(cls, spec, feeds):
        if not isinstance(spec, dict):
            raise ValueError(f"a fault must be an object: {spec!r}")
        unknown = set(spec) - {"feed", "kind", *FAULT_DEFAULTS}
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        feed = feeds.get(spec.get("feed"))
        if feed is None:
            raise ValueError(f"unknown feed {spec.get('feed')!r}; feeds: {sorted(feeds)}")
        kind = spec.get("kind")
        if not isinstance(kind, str) or kind not in COMMON_FAULTS | feed.fault_kinds:
            raise ValueError(f"fault kind {kind!r} does not apply to feed {feed.name}")
        values = {key: spec.get(key, default) for key, default in FAULT_DEFAULTS.items()}
        for key, value in values.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"fault {key} must be a non-negative number")
        if values["count"] < 1:
            raise ValueError("fault count must be at least 1")
        return cls(feed.name, kind, int(values["count"]), int(values["retry_after"]),
                   float(values["seconds"]), int(values["bytes"]))


class FaultQueue:
    """Faults waiting for the next requests of each feed, in order."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queues = collections.defaultdict(collections.deque)

    def add(self, faults):
        with self._lock:
            for fault in faults:
                self._queues[fault.feed].append([fault, fault.count])

    def take(self, feed):
        with self._lock:
            queue = self._queues[feed]
            if not queue:
                return None
            entry = queue[0]
            entry[1] -= 1
            if entry[1] == 0:
                queue.popleft()
            return entry[0]

    def clear(self):
        with self._lock:
            self._queues.clear()

    def pending(self):
        with self._lock:
            return [dict(dataclasses.asdict(fault), count=left)
                    for queue in self._queues.values() for fault, left in queue]


class RequestLog:
    def __init__(self, limit=10000):
        self._lock = threading.Lock()
        self._entries = collections.deque(maxlen=limit)

    def add(self, entry):
        with self._lock:
            self._entries.append(entry)

    def snapshot(self):
        with self._lock:
            return list(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


class Clock:
    """The simulated now: the real clock, or an instant fixed by --now or /_control."""

    def __init__(self, value="real"):
        self._lock = threading.Lock()
        self._fixed_ms = None
        self.set(value)

    @staticmethod
    def parse(value):
        """'real' -> None; an RFC 3339 time -> Unix ms; anything else -> ValueError."""
        return None if value == "real" else parse_rfc3339(value)

    def set(self, value):
        fixed = self.parse(value)
        with self._lock:
            self._fixed_ms = fixed

    def now_ms(self):
        with self._lock:
            fixed = self._fixed_ms
        return real_now_ms() if fixed is None else fixed

    def describe(self):
        with self._lock:
            fixed = self._fixed_ms
        return "real" if fixed is None else format_rfc3339(fixed)


# ---------------------------------------------------------------------------
# Parameter helpers
# ---------------------------------------------------------------------------

INT_RE = re.compile(r"^-?\d{1,18}$")


def int_param(req, name, default=None, low=None, high=None):
    text = req.param(name)
    if text is None or text == "":
        if default is None:
            raise ParamError(f"{name} is required")
        return default
    if not INT_RE.match(text):
        raise ParamError(f"{name} must be an integer")
    value = int(text)
    if high is not None and not low <= value <= high:
        raise ParamError(f"{name} must be in {low}..{high}")
    if low is not None and value < low:
        raise ParamError(f"{name} must be at least {low}")
    return value


def time_param(req, name, parse, required=False):
    text = req.param(name)
    if text is None or text == "":
        if required:
            raise ParamError(f"{name} is required")
        return None
    try:
        return parse(text)
    except ValueError as exc:
        raise ParamError(f"{name}: {exc}") from None


# ---------------------------------------------------------------------------
# Feeds
# ---------------------------------------------------------------------------

class Feed:
    """One simulated feed: its records, its authentication, its pages, its errors."""

    name = prefix = endpoint = id_field = received_field = ""
    fault_kinds = frozenset()

    def __init__(self, entries, source="<memory>"):
        self.histories = self._load(entries, source)
        self._lock = threading.Lock()

    # -- records ----------------------------------------------------------
    def updated_ms(self, record):
        raise NotImplementedError

    def shift_record(self, record, seconds):
        raise NotImplementedError

    def _load(self, entries, source):
        """{id: [version, ...]} from a list of records or {"versions": [...]}."""
        if not isinstance(entries, list):
            raise DataError(f"{source}: expected a JSON list of records")
        histories = {}
        for index, entry in enumerate(entries):
            where = f"{source}: entry {index}"
            versions = entry["versions"] if (isinstance(entry, dict) and set(entry) == {"versions"}) \
                else [entry]
            if not isinstance(versions, list) or not versions:
                raise DataError(f"{where}: versions must be a non-empty list")
            record_id = self._check_versions(versions, where)
            if record_id in histories:
                raise DataError(f"{where}: duplicate {self.id_field} {record_id!r}")
            histories[record_id] = versions
        return histories

    def _check_versions(self, versions, where):
        ids, last = set(), None
        for version in versions:
            if not isinstance(version, dict) or version.get(self.id_field) is None:
                raise DataError(f"{where}: a record without {self.id_field}")
            ids.add(version[self.id_field])
            try:
                updated = self.updated_ms(version)
            except (KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{where}: bad update time: {exc}") from None
            if last is not None and updated <= last:
                raise DataError(f"{where}: versions must have increasing update times")
            last = updated
        if len(ids) != 1:
            raise DataError(f"{where}: versions carry different ids {sorted(map(str, ids))}")
        return ids.pop()

    def newest_update_ms(self):
        return max((self.updated_ms(v[-1]) for v in self.histories.values()), default=None)

    def shift(self, seconds):
        for versions in self.histories.values():
            for version in versions:
                self.shift_record(version, seconds)

    def visible(self, now_ms):
        """The current version of each record at now_ms, by update time then id."""
        current = []
        for versions in self.histories.values():
            seen = [v for v in versions if self.updated_ms(v) <= now_ms]
            if seen:
                current.append(seen[-1])
        current.sort(key=lambda r: (self.updated_ms(r), r[self.id_field]))
        return current

    # -- HTTP ---------------------------------------------------------------
    def reset(self):
        """Forget per-client state (nonces, counters)."""

    def authenticate(self, req):
        """None if the request may proceed, else the rejection Reply."""
        return None

    def handle(self, req, now_ms):
        raise NotImplementedError

    def http_error(self, status, message, code=None):
        """An error answer in this feed's own error format."""
        raise NotImplementedError

    def finalize(self, req, reply):
        """Last look at the reply before it is sent (ETag, 304)."""
        return reply

    # -- faults ---------------------------------------------------------------
    def fault_reply(self, fault):
        """The answer for an error fault, instead of the page."""
        kind = fault.kind
        if kind in ("http502", "http504"):
            return gateway_page(int(kind[4:]))
        if kind in ("http500", "http503"):
            return self.http_error(int(kind[4:]), "simulated server fault")
        if kind == "http429":
            reply = self.http_error(429, "too many requests")
            reply.headers.append(("Retry-After", str(fault.retry_after)))
            return reply
        if kind == "http429_date":
            reply = self.http_error(429, "too many requests")
            when = email.utils.formatdate(time.time() + fault.retry_after, usegmt=True)
            reply.headers.append(("Retry-After", when))
            return reply
        raise AssertionError(f"no error answer for fault {kind}")

    def is_error_fault(self, kind):
        return kind not in TRANSPORT_FAULTS | CONTENT_FAULTS

    def damage(self, fault, reply):
        """Apply a content fault to a successful page."""
        if fault.kind == "bad_record":
            records = self.page_records(reply.payload)
            if records:
                records[0] = {k: v for k, v in records[0].items() if k != self.id_field}
            if len(records) > 1:
                records[1] = dict(records[1], **{self.received_field: self.impossible_date()})
        elif fault.kind == "missing_envelope":
            reply.payload = self.without_envelope(reply.payload)
        elif fault.kind == "invalid_json":
            text = to_json(reply.payload)
            reply.pieces = [encode_text(text[:len(text) // 2], reply.charset)]
        elif fault.kind == "huge":
            pad_reply(reply, fault.bytes)
        return reply

    def page_records(self, payload):
        """The list of records inside a success payload (a private copy)."""
        raise NotImplementedError

    def without_envelope(self, payload):
        raise NotImplementedError

    def impossible_date(self):
        raise NotImplementedError


MARK = "\u0000feedsim-mark\u0000"


def split_at_field(payload, field, charset):
    """Encode payload with an extra string field; return the bytes before and
    after that field's (empty) value, so something can be spliced in."""
    data = encode_text(to_json(dict(payload, **{field: MARK})), charset)
    head, tail = data.split(encode_text(json.dumps(MARK), charset)[1:-1])
    return head, tail


def pad_reply(reply, size):
    """Grow a JSON reply to `size` bytes and keep it valid JSON.

    An object envelope gets a long extra string field; an array envelope
    gets whitespace after its opening bracket."""
    if isinstance(reply.payload, dict):
        head, tail = split_at_field(reply.payload, "padding", reply.charset)
        reply.pieces = [head, Filler(max(0, size - len(head) - len(tail)), b"x"), tail]
    else:
        data = encode_text(to_json(reply.payload), reply.charset)
        reply.pieces = [data[:1], Filler(max(0, size - len(data)), b" "), data[1:]]


class HotlineFeed(Feed):
    """12345 hotline work orders: signed requests, business codes in HTTP 200."""

    name, prefix, endpoint = "hotline", "/hotline", "/openapi/v2/workorders"
    id_field, received_field = "orderNo", "acceptTime"
    fault_kinds = frozenset({"code42901", "code50000", "code40001", "code40101"})
    MAX_PAGE_SIZE = 200
    MAX_SKEW_MS = 300_000
    NONCE_RE = re.compile(r"^[0-9a-fA-F]{16,}$")

    def __init__(self, entries, source, app_key, app_secret):
        super().__init__(entries, source)
        self.app_key, self.app_secret = app_key, app_secret
        self.nonces = set()

    def updated_ms(self, record):
        return parse_cst(record["updateTime"])

    def shift_record(self, record, seconds):
        for field in ("acceptTime", "updateTime", "deadline"):
            record[field] = shift_cst(record.get(field), seconds)

    def reset(self):
        with self._lock:
            self.nonces.clear()

    def sign(self, timestamp, nonce, target):
        message = "\n".join([self.app_key, timestamp, nonce, target]).encode()
        return hmac.new(self.app_secret.encode(), message, hashlib.sha256).hexdigest()

    def answer(self, code, msg, data=None):
        return Reply(200, {"code": code, "msg": msg, "data": data})

    def authenticate(self, req):
        timestamp = req.header("X-Timestamp") or ""
        nonce = req.header("X-Nonce") or ""
        if req.header("X-App-Key") != self.app_key:
            return self.answer(40101, "AppKey无效")
        if not timestamp.isdigit() or abs(real_now_ms() - int(timestamp)) > self.MAX_SKEW_MS:
            return self.answer(40101, "时间戳无效或已过期")
        if not self.NONCE_RE.match(nonce):
            return self.answer(40101, "Nonce格式错误")
        expected = self.sign(timestamp, nonce, req.target)
        if not hmac.compare_digest(expected, req.header("X-Signature") or ""):
            return self.answer(40101, "签名错误")
        with self._lock:
            if nonce in self.nonces:
                return self.answer(40101, "Nonce已使用")
            self.nonces.add(nonce)
        return None

    def handle(self, req, now_ms):
        try:
            since = time_param(req, "updatedFrom", parse_cst, required=True)
            until = time_param(req, "updatedTo", parse_cst)
            page_no = int_param(req, "pageNo", 1, 1)
            page_size = int_param(req, "pageSize", 20, 1, self.MAX_PAGE_SIZE)
        except ParamError as exc:
            return self.answer(40001, f"参数错误:{exc}")
        records = [r for r in self.visible(now_ms)
                   if since <= self.updated_ms(r) and (until is None or self.updated_ms(r) < until)]
        first = (page_no - 1) * page_size
        return self.answer(0, "成功", {"total": len(records), "pageNo": page_no,
                                      "pageSize": page_size,
                                      "list": records[first:first + page_size]})

    def http_error(self, status, message, code=None):
        if code is None:
            code = 42901 if status == 429 else 40001 if status < 500 else 50000
        return Reply(status, {"code": code, "msg": message, "data": None})

    def fault_reply(self, fault):
        if fault.kind == "code42901":
            return self.answer(42901, "请求过于频繁,请稍后再试", {"retryAfter": fault.retry_after})
        if fault.kind == "code50000":
            return self.answer(50000, "系统内部错误")
        if fault.kind == "code40001":
            return self.answer(40001, "参数错误")
        if fault.kind == "code40101":
            return self.answer(40101, "签名错误")
        return super().fault_reply(fault)

    def page_records(self, payload):
        return payload["data"]["list"]

    def without_envelope(self, payload):
        return {"success": True, "message": "成功", "records": payload["data"]["list"]}

    def impossible_date(self):
        return "2024-02-30 25:61:00"


class LiaisonFeed(Feed):
    """Deputy liaison station messages: bearer token, cursor paging, maybe GBK."""

    name, prefix, endpoint = "liaison", "/liaison", "/api/messages"
    id_field, received_field = "id", "created_at"
    fault_kinds = frozenset({"http401", "http400_cursor", "invalid_gbk", "undeclared_charset"})
    CHARSET_MODES = ("utf-8", "gbk", "alternate")
    MAX_LIMIT = 100
    CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")

    def __init__(self, entries, source, token, charset_mode):
        super().__init__(entries, source)
        self.token = token
        self.charset_mode = charset_mode
        self.pages_served = 0

    def updated_ms(self, record):
        return parse_rfc3339(record["updated_at"])

    def shift_record(self, record, seconds):
        for field in ("created_at", "updated_at"):
            record[field] = shift_rfc3339(record.get(field), seconds)
        if isinstance(record.get("reply"), dict):
            record["reply"]["at"] = shift_rfc3339(record["reply"].get("at"), seconds)

    def reset(self):
        with self._lock:
            self.pages_served = 0

    def set_charset_mode(self, mode):
        if mode not in self.CHARSET_MODES:
            raise ValueError(f"liaison charset must be one of {', '.join(self.CHARSET_MODES)}")
        self.charset_mode = mode

    def next_charset(self):
        with self._lock:
            self.pages_served += 1
            count = self.pages_served
        if self.charset_mode == "alternate":
            return "gbk" if count % 2 == 0 else "utf-8"
        return self.charset_mode

    @staticmethod
    def encode_cursor(record, updated_ms):
        raw = to_json({"u": updated_ms, "i": record["id"]}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode_cursor(self, text):
        try:
            if not self.CURSOR_RE.match(text):
                raise ValueError("bad characters")
            key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if not (isinstance(key, dict) and isinstance(key.get("u"), int)
                    and isinstance(key.get("i"), int)):
                raise ValueError("bad content")
            return key["u"], key["i"]
        except ValueError:  # includes binascii.Error and JSON errors
            raise ParamError("invalid cursor") from None

    def authenticate(self, req):
        if req.header("Authorization") != f"Bearer {self.token}":
            reply = self.http_error(401, "invalid or missing token")
            reply.headers.append(("WWW-Authenticate", 'Bearer realm="liaison"'))
            return reply
        return None

    def handle(self, req, now_ms):
        try:
            limit = int_param(req, "limit", 20, 1, self.MAX_LIMIT)
            since = time_param(req, "since", parse_rfc3339)
            cursor = req.param("cursor")
            if cursor is not None and since is not None:
                raise ParamError("since and cursor must not be combined")
            after = self.decode_cursor(cursor) if cursor is not None else None
        except ParamError as exc:
            return self.http_error(400, str(exc))
        records = self.visible(now_ms)
        if after is not None:
            rest = [r for r in records if (self.updated_ms(r), r["id"]) > after]
        else:
            rest = [r for r in records if since is None or self.updated_ms(r) >= since]
        page = rest[:limit]
        next_cursor = None
        if len(rest) > limit:
            next_cursor = self.encode_cursor(page[-1], self.updated_ms(page[-1]))
        return Reply(200, {"messages": page, "next_cursor": next_cursor},
                     charset=self.next_charset())

    def http_error(self, status, message, code=None):
        return Reply(status, {"error": message})

    def fault_reply(self, fault):
        if fault.kind == "http401":
            return self.http_error(401, "token expired")
        if fault.kind == "http400_cursor":
            return self.http_error(400, "invalid cursor")
        return super().fault_reply(fault)

    def damage(self, fault, reply):
        if fault.kind == "invalid_gbk":
            # Well-formed JSON, but two bytes that are no GBK (nor GB18030) character.
            head, tail = split_at_field(reply.payload, "notice", "gbk")
            reply.pieces = [head, "系统公告".encode("gbk") + b"\xff\xff", tail]
            reply.content_type = json_content_type("gbk")
            return reply
        if fault.kind == "undeclared_charset":
            data = encode_text(to_json(reply.payload), "gbk")
            if is_utf8(data):  # no Chinese on this page: add some
                reply.payload = dict(reply.payload, notice="本站系统维护通知")
                data = encode_text(to_json(reply.payload), "gbk")
            reply.pieces = [data]
            reply.content_type = "application/json"
            return reply
        return super().damage(fault, reply)

    def page_records(self, payload):
        return payload["messages"]

    def without_envelope(self, payload):
        return {"data": payload["messages"], "next": payload["next_cursor"]}

    def impossible_date(self):
        return "2024-13-45T99:00:00+08:00"


def is_utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


class CityMgmtFeed(Feed):
    """City-management cases: API key, 24 h windows in Unix ms, ETag and 304."""

    name, prefix, endpoint = "citymgmt", "/citymgmt", "/cgapi/v1/cases"
    id_field, received_field = "caseNo", "reportedAt"
    fault_kinds = frozenset({"http403_key", "http400_other"})
    MAX_WINDOW_MS = 24 * 3600 * 1000
    MAX_LIMIT = 500
    ERROR_CODES = {400: "BAD_PARAMETER", 403: "BAD_API_KEY", 404: "NOT_FOUND",
                   405: "METHOD_NOT_ALLOWED", 429: "RATE_LIMITED", 500: "INTERNAL_ERROR",
                   503: "SERVICE_UNAVAILABLE"}

    def __init__(self, entries, source, api_key):
        super().__init__(entries, source)
        self.api_key = api_key

    def updated_ms(self, record):
        value = record["updatedAt"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"updatedAt must be Unix ms: {value!r}")
        return value

    def shift_record(self, record, seconds):
        for field in ("reportedAt", "updatedAt", "deadline"):
            record[field] = shift_ms(record.get(field), seconds)

    def authenticate(self, req):
        if req.header("X-Api-Key") != self.api_key:
            return self.http_error(403, "API Key无效", "BAD_API_KEY")
        return None

    def handle(self, req, now_ms):
        try:
            start = int_param(req, "start")
            end = int_param(req, "end")
            offset = int_param(req, "offset", 0, 0)
            limit = int_param(req, "limit", 100, 1, self.MAX_LIMIT)
            if end <= start:
                raise ParamError("end must be after start")
        except ParamError as exc:
            return self.http_error(400, str(exc), "BAD_PARAMETER")
        if end - start > self.MAX_WINDOW_MS:
            return self.http_error(400, "查询时间窗口不能超过24小时", "WINDOW_TOO_LARGE")
        records = [r for r in self.visible(now_ms) if start <= self.updated_ms(r) < end]
        return Reply(200, {"result": "ok", "total": len(records),
                           "items": records[offset:offset + limit]})

    def http_error(self, status, message, code=None):
        code = code or self.ERROR_CODES.get(status, "ERROR")
        return Reply(status, {"result": "error", "error": {"code": code, "message": message}})

    def fault_reply(self, fault):
        if fault.kind == "http403_key":
            return self.http_error(403, "API Key无效", "BAD_API_KEY")
        if fault.kind == "http400_other":
            return self.http_error(400, "参数校验失败", "BAD_PARAMETER")
        return super().fault_reply(fault)

    def finalize(self, req, reply):
        if reply.status != 200:
            return reply
        digest = hashlib.sha256()
        for chunk in reply.chunks():
            digest.update(chunk)
        etag = f'"{digest.hexdigest()[:32]}"'
        reply.headers.append(("ETag", etag))
        if etag_matches(req.header("If-None-Match"), etag):
            return Reply(304, headers=[("ETag", etag)], pieces=[])
        return reply

    def page_records(self, payload):
        return payload["items"]

    def without_envelope(self, payload):
        return {"result": "ok", "total": payload["total"], "rows": payload["items"]}

    def impossible_date(self):
        return 253402300800000  # 10000-01-01T00:00:00Z


def etag_matches(header, etag):
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag for t in tags)


class Open311Feed(Feed):
    """Open311 GeoReport v2 GET requests.json, with page/page_size paging."""

    name, prefix, endpoint = "open311", "/open311", "/requests.json"
    id_field, received_field = "service_request_id", "requested_datetime"
    fault_kinds = frozenset({"http403_key", "http400_other"})
    MAX_SPAN_MS = 90 * 24 * 3600 * 1000
    MAX_PAGE_SIZE = 500

    def __init__(self, entries, source, api_key=None):
        super().__init__(entries, source)
        self.api_key = api_key

    def updated_ms(self, record):
        return parse_rfc3339(record["updated_datetime"])

    def shift_record(self, record, seconds):
        for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
            record[field] = shift_rfc3339(record.get(field), seconds)

    def authenticate(self, req):
        if self.api_key and req.param("api_key") != self.api_key:
            return self.http_error(403, "Invalid api_key")
        return None

    def handle(self, req, now_ms):
        try:
            start = time_param(req, "start_date", parse_rfc3339)
            end = time_param(req, "end_date", parse_rfc3339)
            page = int_param(req, "page", 1, 1)
            page_size = int_param(req, "page_size", 100, 1, self.MAX_PAGE_SIZE)
            status = req.param("status")
            if status not in (None, "", "open", "closed"):
                raise ParamError("status must be open or closed")
            if start is not None and end is not None and not 0 <= end - start <= self.MAX_SPAN_MS:
                raise ParamError("start_date to end_date must not be negative or span over 90 days")
        except ParamError as exc:
            return self.http_error(400, str(exc))
        codes = set(filter(None, (req.param("service_code") or "").split(",")))
        records = [r for r in self.visible(now_ms)
                   if (start is None or start <= self.updated_ms(r))
                   and (end is None or self.updated_ms(r) < end)
                   and (not status or r.get("status") == status)
                   and (not codes or r.get("service_code") in codes)]
        first = (page - 1) * page_size
        return Reply(200, records[first:first + page_size])

    def http_error(self, status, message, code=None):
        return Reply(status, [{"code": status, "description": message}])

    def fault_reply(self, fault):
        if fault.kind == "http403_key":
            return self.http_error(403, "Invalid api_key")
        if fault.kind == "http400_other":
            return self.http_error(400, "Invalid request parameter")
        return super().fault_reply(fault)

    def page_records(self, payload):
        return payload

    def without_envelope(self, payload):
        return {"service_requests": payload}

    def impossible_date(self):
        return "2024-02-30T25:61:00+08:00"


# ---------------------------------------------------------------------------
# The simulator: routing, control, log
# ---------------------------------------------------------------------------

class Simulator:
    def __init__(self, feeds, clock):
        self.feeds = {feed.name: feed for feed in feeds}
        self.clock = clock
        self.faults = FaultQueue()
        self.log = RequestLog()

    def rebase_to_now(self, margin_seconds=300):
        """Shift all records so the newest update lands margin_seconds before real now."""
        newest = max(filter(None, (f.newest_update_ms() for f in self.feeds.values())),
                     default=None)
        if newest is None:
            return 0
        seconds = (real_now_ms() - margin_seconds * 1000 - newest) // 1000
        for feed in self.feeds.values():
            feed.shift(seconds)
        return seconds

    def feed_for(self, path):
        return next((f for f in self.feeds.values() if path == f.prefix + f.endpoint), None)

    def route(self, req, body):
        """(reply, fault kind applied or None, feed name or None)."""
        if req.path == "/_control":
            return self.control(req, body), None, None
        if req.path == "/_log" and req.method == "GET":
            return Reply(200, self.log.snapshot()), None, None
        feed = self.feed_for(req.path)
        if feed is None:
            return Reply(404, {"error": f"no such path: {req.path}"}), None, None
        if req.method != "GET":
            return feed.http_error(405, "method not allowed"), None, feed.name
        reply, fault = self.serve(feed, req)
        return reply, fault, feed.name

    def serve(self, feed, req):
        """Authentication first, then the next queued fault, then the page."""
        denied = feed.authenticate(req)
        if denied is not None:
            return denied.render(), None
        fault = self.faults.take(feed.name)
        if fault is not None and feed.is_error_fault(fault.kind):
            return feed.fault_reply(fault).render(), fault
        reply = feed.handle(req, self.clock.now_ms())
        if fault is not None and fault.kind in CONTENT_FAULTS and reply.status == 200:
            reply.payload = copy.deepcopy(reply.payload)
            reply = feed.damage(fault, reply)
        return feed.finalize(req, reply.render()).render(), fault

    # -- control ------------------------------------------------------------
    def control(self, req, body):
        if req.method == "GET":
            return Reply(200, self.state())
        if req.method != "POST":
            return Reply(405, {"error": "use GET or POST"})
        try:
            command = json.loads(body or b"{}")
            if not isinstance(command, dict):
                raise ValueError("the body must be a JSON object")
            self.apply(command)
        except ValueError as exc:
            return Reply(400, {"error": str(exc)})
        return Reply(200, self.state())

    def apply(self, command):
        """Check the whole command, then reset, set now and charset, queue faults."""
        unknown = set(command) - {"reset", "now", "faults", "liaison_charset"}
        if unknown:
            raise ValueError(f"unknown control keys: {sorted(unknown)}")
        specs = command.get("faults", [])
        if not isinstance(specs, list):
            raise ValueError("faults must be a list")
        faults = [Fault.from_spec(spec, self.feeds) for spec in specs]
        if "now" in command:
            Clock.parse(command["now"])
        charset = command.get("liaison_charset")
        if charset is not None and charset not in LiaisonFeed.CHARSET_MODES:
            raise ValueError(f"liaison_charset must be one of {LiaisonFeed.CHARSET_MODES}")
        if command.get("reset"):
            self.faults.clear()
            self.log.clear()
            for feed in self.feeds.values():
                feed.reset()
        if "now" in command:
            self.clock.set(command["now"])
        if charset is not None and "liaison" in self.feeds:
            self.feeds["liaison"].set_charset_mode(charset)
        self.faults.add(faults)

    def state(self):
        liaison = self.feeds.get("liaison")
        return {"now": self.clock.describe(),
                "liaison_charset": liaison.charset_mode if liaison else None,
                "faults": self.faults.pending(),
                "feeds": {name: f.prefix + f.endpoint for name, f in self.feeds.items()}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "feedsim/1"

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def dispatch(self):
        sim = self.server.sim
        body = self.read_body()
        req = Request.parse(self.command, self.path, self.headers)
        try:
            reply, fault, feed = sim.route(req, body)
        except Exception as exc:  # a simulator bug: say so rather than drop the connection
            self.log_error("internal error: %r", exc)
            reply, fault, feed = Reply(500, {"error": f"feedsim bug: {exc!r}"}).render(), None, None
        # Log before sending, so a client that has its answer finds it in /_log.
        if req.path not in ("/_control", "/_log"):
            sim.log.add({
                "time": format_rfc3339(real_now_ms()),
                "method": req.method,
                "path": req.target,
                "feed": feed,
                "headers": dict(self.headers.items()),
                "status": reply.status,
                "fault": fault.kind if fault else None,
            })
        sys.stderr.write(f"feedsim: {req.method} {req.target} -> {reply.status}"
                         f"{' fault=' + fault.kind if fault else ''}\n")
        self.send(reply, fault)

    def read_body(self):
        length = self.headers.get("Content-Length")
        if length and length.isdigit():
            return self.rfile.read(int(length))
        return b""

    def send(self, reply, fault):
        kind = fault.kind if fault else None
        if kind == "slow":
            time.sleep(fault.seconds)
        length = reply.length()
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            if reply.status != 304:
                self.send_header("Content-Type", reply.content_type or "application/json")
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if self.command == "HEAD" or reply.status == 304:
                return
            if kind == "truncated":
                self.write_bytes(reply, length // 2)
                self.close_connection = True
                return
            if kind == "stall":
                sent = self.write_bytes(reply, length // 2)
                self.wfile.flush()
                time.sleep(fault.seconds)
                self.write_bytes(reply, length, skip=sent)
                return
            self.write_bytes(reply, length)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def write_bytes(self, reply, limit, skip=0):
        """Send the body's bytes from `skip` up to `limit`; return the position reached."""
        position = 0
        for chunk in reply.chunks():
            end = position + len(chunk)
            start_in_chunk = max(0, skip - position)
            stop_in_chunk = min(len(chunk), limit - position)
            if stop_in_chunk > start_in_chunk:
                self.wfile.write(chunk[start_in_chunk:stop_in_chunk])
            position = end
            if position >= limit:
                break
        self.wfile.flush()
        return min(position, limit)

    def log_request(self, code="-", size="-"):
        pass  # dispatch() logs one line per request

    def log_message(self, format, *args):
        sys.stderr.write("feedsim: " + (format % args) + "\n")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description="Simulate suqiu's complaint feeds on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8311, help="port; 0 picks a free one")
    parser.add_argument("--port-file", help="write the chosen port here once listening")
    parser.add_argument("--data", default=str(DEFAULT_DATA_DIR),
                        help="directory with hotline.json, liaison.json, citymgmt.json, open311.json")
    parser.add_argument("--now", default="real",
                        help="simulated now: RFC 3339 time, or 'real' (default)")
    parser.add_argument("--rebase-to-now", action="store_true",
                        help="shift all records so the newest update is a few minutes ago")
    parser.add_argument("--faults", help="JSON file: a list of faults to queue at start")
    parser.add_argument("--hotline-key", default="demo")
    parser.add_argument("--hotline-secret", default="demo-secret")
    parser.add_argument("--liaison-token", default="demo-token")
    parser.add_argument("--citymgmt-key", default="demo-key")
    parser.add_argument("--open311-key", default=None,
                        help="require this api_key on Open311 requests (default: none needed)")
    parser.add_argument("--liaison-charset", default="alternate", choices=LiaisonFeed.CHARSET_MODES)
    return parser.parse_args(argv)


def read_json(path, missing=None):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        if missing is not None:
            return missing
        raise DataError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: {exc}") from None


def load_feeds(args):
    data = Path(args.data)
    if not data.is_dir():
        raise DataError(f"{data}: not a directory")

    def entries(name):
        path = data / f"{name}.json"
        if not path.exists():
            sys.stderr.write(f"feedsim: {path} missing; the {name} feed is empty\n")
        return read_json(path, missing=[]), str(path)

    return [
        HotlineFeed(*entries("hotline"), args.hotline_key, args.hotline_secret),
        LiaisonFeed(*entries("liaison"), args.liaison_token, args.liaison_charset),
        CityMgmtFeed(*entries("citymgmt"), args.citymgmt_key),
        Open311Feed(*entries("open311"), args.open311_key),
    ]


def build_simulator(args):
    sim = Simulator(load_feeds(args), Clock(args.now))
    if args.rebase_to_now:
        seconds = sim.rebase_to_now()
        sys.stderr.write(f"feedsim: records shifted by {seconds} s\n")
    if args.faults:
        specs = read_json(args.faults)
        specs = specs.get("faults", []) if isinstance(specs, dict) else specs
        try:
            sim.faults.add([Fault.from_spec(spec, sim.feeds) for spec in specs])
        except (TypeError, ValueError) as exc:
            raise DataError(f"{args.faults}: {exc}") from None
    return sim


def write_port_file(path, port):
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(f"{port}\n")
    os.replace(temporary, path)


def main(argv=None):
    args = parse_args(argv)
    try:
        sim = build_simulator(args)
    except (DataError, ValueError) as exc:
        sys.stderr.write(f"feedsim: {exc}\n")
        return 2
    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    except OSError as exc:
        sys.stderr.write(f"feedsim: cannot listen on 127.0.0.1:{args.port}: {exc}\n")
        return 1
    server.daemon_threads = True
    server.sim = sim
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write(f"feedsim: listening on http://127.0.0.1:{port} (now={sim.clock.describe()})\n")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    sys.stderr.write("feedsim: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
