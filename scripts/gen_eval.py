#!/usr/bin/python3
"""Generate the labelled deduplication evaluation sets for suqiu.

    scripts/gen_eval.py [--out fixtures/eval] [--seed 20240501] [--set dev|holdout|val]

Writes fixtures/eval/dev/, holdout/ and val/, each with feed pages in
the three contracts' response formats (hotline-NNN.json, liaison-NNN.json,
citymgmt-NNN.json), labels.tsv, hard_negatives.tsv and stats.json.

The two sets are built from disjoint banks (scripts/eval_banks/dev.py and
holdout.py: scenarios, phrases, sentence templates, place names, house-number
ranges, personal names); check_disjoint() refuses to run if they overlap.
val is dev's scenarios and templates with other names, house numbers and
operator phrases (scripts/eval_banks/val.py): a check, while developing on
dev, that the matcher does not lean on dev's vocabulary.
Only the mechanics are shared: the fictional geography (docs/GEOGRAPHY.md),
the feed formats and the contract's operator boilerplate, the ways an address
is written (Chinese numerals, 號, full-width digits, landmark only, ...), and
the coordinate datums.  Python 3 standard library only; deterministic for a
given seed.
"""

import argparse
import base64
import calendar
import collections
import datetime as dt
import importlib.util
import json
import math
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------
# Shared fictional geography (docs/GEOGRAPHY.md) and feed constants
# ---------------------------------------------------------------------------
DISTRICT, DISTRICT_CODE, STREET, STREET_CODE = "荔湾区", "440103", "金花街道", "009"
COMMUNITIES = [
    # name, alias, grid_prefix, (lon, lat) WGS84, roads
    ("西华路社区", "西华社区", "440103009001", (113.2440, 23.1293), ("西华路", "西华二巷")),
    ("恩宁路社区", "恩宁社区", "440103009002", (113.2470, 23.1260), ("恩宁路", "龙津中路")),
    ("多宝路社区", "多宝社区", "440103009003", (113.2420, 23.1240), ("多宝路", "宝源路")),
    ("宝华路社区", "宝华社区", "440103009004", (113.2490, 23.1230), ("宝华路", "十五甫正街")),
    ("龙津西路社区", "龙津西社区", "440103009005", (113.2400, 23.1275), ("龙津西路", "蓬莱路")),
    ("华贵路社区", "华贵社区", "440103009006", (113.2510, 23.1280), ("华贵路", "上九路")),
    ("逢源路社区", "逢源社区", "440103009007", (113.2380, 23.1250), ("逢源路", "逢源北街")),
    ("昌华社区", "昌华街社区", "440103009008", (113.2455, 23.1215), ("昌华大街", "耀华大街")),
]
# The contract's own boilerplate and greeting (feed format, shared by both sets).
H_BOILER = ["市民来电反映{c}", "来电人反映，", "来电人称"]
L_BOILER = ["尊敬的代表{c}"]
STATION = "金花街道人大工委网上联络站"

CST = dt.timezone(dt.timedelta(hours=8))
T_START = int(dt.datetime(2024, 5, 1, 0, 0, tzinfo=CST).timestamp())
T_END = int(dt.datetime(2024, 6, 30, 23, 59, 59, tzinfo=CST).timestamp())
H, D = 3600, 86400
T_LAST = T_END - 4 * D          # last report; later instants are updates and deadlines

TARGET_MULTI, TARGET_SINGLE = 175, 340
HN_PLAN = {"same_road_other_building": 17, "same_place_other_problem": 17,
           "same_place_other_week": 15}

# ---------------------------------------------------------------------------
# Coordinates: WGS-84 -> GCJ-02 (the published forward transform) -> BD-09
# ---------------------------------------------------------------------------
_A, _EE = 6378245.0, 0.00669342162296594323


def _tlat(x, y):
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _tlon(x, y):
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon, lat):
    dlat = _tlat(lon - 105.0, lat - 35.0)
    dlon = _tlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (_A / sq * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon, lat):
    xp = math.pi * 3000.0 / 180.0
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * xp)
    th = math.atan2(lat, lon) + 0.000003 * math.cos(lon * xp)
    return z * math.cos(th) + 0.0065, z * math.sin(th) + 0.006


M_PER_DEG_LAT = 110574.0


def offset(pos, dx, dy):
    lon, lat = pos
    return (lon + dx / (111320.0 * math.cos(math.radians(lat))), lat + dy / M_PER_DEG_LAT)


def metres(a, b):
    dx = (b[0] - a[0]) * 111320.0 * math.cos(math.radians(a[1]))
    dy = (b[1] - a[1]) * M_PER_DEG_LAT
    return dx, dy


# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------
CN_DIG = "零一二三四五六七八九"


def cn_num(n):
    """88 -> 八十八, 105 -> 一百零五, 12 -> 十二, 230 -> 二百三十."""
    if n < 10:
        return CN_DIG[n]
    if n < 20:
        return "十" + (CN_DIG[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIG[n // 10] + "十" + (CN_DIG[n % 10] if n % 10 else "")
    h, r = divmod(n, 100)
    s = CN_DIG[h] + "百"
    if r == 0:
        return s
    if r < 10:
        return s + "零" + CN_DIG[r]
    return s + (CN_DIG[r // 10] + "十" + (CN_DIG[r % 10] if r % 10 else ""))


def fullwidth_digits(s):
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in s)


def fill(tpl, ctx):
    def rep(m):
        v = ctx[m.group(1)]
        return v() if callable(v) else str(v)
    s = re.sub(r"\{(\w+)\}", rep, tpl)
    return re.sub(r"(附近|旁边|门口|对面)(附近|旁边)", r"\1", s)


def cst(ts):
    return dt.datetime.fromtimestamp(ts, CST)


def fmt_hotline(ts):
    return cst(ts).strftime("%Y-%m-%d %H:%M:%S")


def fmt_rfc3339(ts, utc=False):
    if utc:
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return cst(ts).strftime("%Y-%m-%dT%H:%M:%S+08:00")


# ---------------------------------------------------------------------------
# Banks
# ---------------------------------------------------------------------------
def load_bank(name):
    path = os.path.join(HERE, "eval_banks", name + ".py")
    spec = importlib.util.spec_from_file_location("evalbank_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


BANK_LISTS = ["ESTATES", "SITES", "EATERIES", "SHOPS", "SCHOOLS", "CLINICS", "STREET_LANDMARKS",
              "SURNAMES", "NICK_A", "NICK_B", "H_OPEN_PHONE", "H_OPEN_NET", "H_CALLER",
              "H_REPEAT", "H_CROSS", "H_CLOSE", "H_RECUR", "L_GREET", "L_INTRO", "L_HISTORY",
              "L_PLEA", "L_FILLER", "L_LONG", "L_RECAP", "L_RECUR", "L_REPLY", "C_SUFFIX", "C_FORWARD", "C_VIDEO"]
SC_TEXT = ["problems", "details", "impacts", "asks", "terse", "htitle", "lsubject", "landmarks"]


def bank_strings(b):
    """Every phrase, template and name of a bank, for the disjointness check."""
    out = set()
    for k in BANK_LISTS:
        out.update(getattr(b, k))
    out.update(b.COMPANIES[0])
    out.update(d[1] for d in b.DEPUTIES)
    for sc in b.SCENARIOS:
        out.add("scenario:" + sc["key"])
        for k in SC_TEXT:
            out.update(sc.get(k) or [])
    return out


def bank_facts(b):
    out = set()
    for sc in b.SCENARIOS:
        for groups in sc["facts"].values():
            for g in groups:
                out.update(x for x in g if len(x) > 1)
    return out


# Label prefixes; val is dev's templates with other names (eval_banks/val.py).
LABEL_PREFIX = {"dev": "dev", "holdout": "ho", "val": "val"}


def check_names_disjoint(val, ho):
    """val shares dev's templates on purpose, but none of the holdout's names."""
    names = lambda b: set(sum((list(getattr(b, k)) for k in BANK_LISTS[:7]), [])) | set(b.COMPANIES[0])
    both = names(val) & names(ho)
    if both:
        sys.exit("gen_eval: val and holdout banks share names: " + ", ".join(sorted(both)))
    lo1, hi1 = val.NUMBERS
    lo2, hi2 = ho.NUMBERS
    if not (hi1 < lo2 or hi2 < lo1):
        sys.exit("gen_eval: val and holdout house-number ranges overlap")


def check_disjoint(dev, ho):
    both = bank_strings(dev) & bank_strings(ho)
    if both:
        sys.exit("gen_eval: dev and holdout banks overlap: " + ", ".join(sorted(both)))
    shared_facts = bank_facts(dev) & bank_facts(ho)
    lo1, hi1 = dev.NUMBERS
    lo2, hi2 = ho.NUMBERS
    if not (hi1 < lo2 or hi2 < lo1):
        sys.exit("gen_eval: dev and holdout house-number ranges overlap")
    return shared_facts


# ---------------------------------------------------------------------------
# The world: roads, places, people
# ---------------------------------------------------------------------------
class Road:
    def __init__(self, name, ci, k):
        self.name, self.ci = name, ci
        center = COMMUNITIES[ci][3]
        # each road passes near its community's centre; the second one crosses the first
        self.anchor = offset(center, (-40 if k == 0 else 35), (25 if k == 0 else -30))
        self.angle = math.radians((12 + 9 * ci) if k == 0 else (100 + 7 * ci))

    def pos(self, num):
        d = (num - 130) * 1.5
        side = 11.0 if num % 2 else -11.0
        dx = d * math.cos(self.angle) - side * math.sin(self.angle)
        dy = d * math.sin(self.angle) + side * math.cos(self.angle)
        return offset(self.anchor, dx, dy)


ROADS = {}
for _ci, _c in enumerate(COMMUNITIES):
    for _k, _r in enumerate(_c[4]):
        ROADS[_r] = Road(_r, _ci, _k)


# words in a place name that tie it to a road: the road's own name without
# 路/街/巷, and its community's short name
ROAD_KEYS = {}
for _r, _o in ROADS.items():
    _c = COMMUNITIES[_o.ci]
    _ks = {_c[1][:2], re.sub(r"(路|大街|正街|中路|西路|北街|二巷|街)$", "", _r)}
    ROAD_KEYS[_r] = sorted(k for k in _ks if len(k) >= 2)


def grid_code(ci, pos):
    dx, dy = metres(COMMUNITIES[ci][3], pos)
    ix = min(5, max(0, int((dx + 300) // 100)))
    iy = min(5, max(0, int((dy + 300) // 100)))
    return COMMUNITIES[ci][2] + "%03d" % (iy * 6 + ix + 1)


class Place:
    """One physical spot an incident is about."""

    def __init__(self, pid, kind, road, num, name=None, bldg=None, landmark=None, pos=None,
                 estate=None, named=True):
        self.pid, self.kind, self.road, self.num = pid, kind, road, num
        self.name, self.bldg, self.landmark, self.estate = name, bldg, landmark, estate
        self.named = named
        self.ci = ROADS[road].ci
        self.pos = pos or ROADS[road].pos(num)
        self.company = None

    @property
    def community(self):
        return COMMUNITIES[self.ci][0]


class World:
    def __init__(self, bank, rng):
        self.b, self.rng = bank, rng
        self.entities = {}      # name -> (road, num) for estates, shops, schools, ...
        self.places = {}
        self.used_companies = set()
        self.by_road_kind = collections.defaultdict(set)

    def rand_addr(self, road=None):
        lo, hi = self.b.NUMBERS
        road = road or self.rng.choice(sorted(ROADS))
        return road, self.rng.randint(lo, hi)

    def entity(self, name, road=None):
        """A named place keeps one address; a name that mentions a road or
        community (多宝小区, 西华路第二小学) is put on that community's roads."""
        if name not in self.entities:
            if road is None:
                fits = sorted(r for r, obj in ROADS.items()
                              if any(k in name for k in ROAD_KEYS[r]))
                if fits:
                    road = self.rng.choice(fits)
            self.entities[name] = self.rand_addr(road)
        return self.entities[name]

    def spaced(self, road, kind, num, gap=25):
        """Unnamed spots on one road stay apart, so that two of them are never
        'the same dark stretch' or 'the same building site' to a reader."""
        return all(abs(self.places[q].num - num) >= gap for q in self.by_road_kind[(road, kind)])

    def _mk(self, pid, **kw):
        if pid not in self.places:
            self.places[pid] = Place(pid, **kw)
            p = self.places[pid]
            self.by_road_kind[(p.road, p.kind)].add(pid)
        return self.places[pid]

    def names_for(self, sc):
        pool = {"estate": self.b.ESTATES, "eatery": self.b.EATERIES, "shop": self.b.SHOPS,
                "school": self.b.SCHOOLS, "clinic": self.b.CLINICS, "site": self.b.SITES}[sc["kind"]]
        ok = sc.get("names_ok")
        return [n for n in pool if not ok or any(w in n for w in ok)]

    def place(self, sc, road=None, other_than=None, same_estate=None):
        """A place for scenario sc; on `road` if given, never `other_than`."""
        rng, kind = self.rng, sc["kind"]
        for _ in range(200):
            if kind == "estate":
                if same_estate:
                    est = same_estate
                else:
                    cands = [e for e in self.b.ESTATES if road is None or self.entities.get(e, (road,))[0] == road]
                    est = rng.choice(cands) if cands else rng.choice(self.b.ESTATES)
                r, n = self.entity(est, road)
                if road and r != road:
                    continue
                bldg = rng.randint(1, 12)
                dx, dy = ((bldg * 37) % 60) - 30, ((bldg * 53) % 50) - 25
                p = self._mk("E:%s:%d" % (est, bldg), kind=kind, road=r, num=n, name=est, bldg=bldg,
                             estate=est, pos=offset(ROADS[r].pos(n), dx, dy))
            elif kind == "street":
                lms = sc.get("landmarks") or self.b.STREET_LANDMARKS
                if rng.random() < 0.3:
                    lms = self.b.STREET_LANDMARKS
                lm = rng.choice(lms)
                r = road or rng.choice(sorted(ROADS))
                pid = "S:%s:%s" % (r, lm)
                if pid in self.places:
                    p = self.places[pid]
                else:
                    _, n = self.rand_addr(r)
                    if not self.spaced(r, kind, n):
                        continue
                    p = self._mk(pid, kind=kind, road=r, num=n, name=r + lm, landmark=lm)
            elif kind == "site":
                free = [s for s in self.b.SITES if s not in self.entities]
                if free and rng.random() < 0.45:
                    nm = rng.choice(free)
                    r, n = self.entity(nm, road)
                    p = self._mk("X:" + nm, kind=kind, road=r, num=n, name=nm)
                else:
                    r, n = self.rand_addr(road)
                    if "X:%s:%d" % (r, n) not in self.places and not self.spaced(r, kind, n, 15):
                        continue
                    p = self._mk("X:%s:%d" % (r, n), kind=kind, road=r, num=n,
                                 name="%s%d号工地" % (r, n), named=False)
            else:   # eatery, shop, school, clinic: named entities with a fixed address
                names = self.names_for(sc)
                if road:
                    names = [x for x in names if self.entities.get(x, (road,))[0] == road]
                if not names:
                    return None
                nm = rng.choice(names)
                r, n = self.entity(nm, road)
                p = self._mk("N:" + nm, kind=kind, road=r, num=n, name=nm)
            if road and p.road != road:
                continue
            if other_than is not None and (p.pid == other_than.pid or abs(p.num - other_than.num) < 15
                                           and p.estate is None):
                continue
            return p
        return None


# ---------------------------------------------------------------------------
# Address renderings
# ---------------------------------------------------------------------------
def at_forms(p):
    """(text, level, has_name): level 2 = names the exact place, 1 = the estate or a
    landmark only, 0 = the road only."""
    r, n, cn = p.road, p.num, cn_num(p.num)
    f = []
    if p.kind == "estate":
        e, b = p.estate, p.bldg
        f += [("%s%d栋" % (e, b), 2, 1), ("%s%s栋" % (e, cn_num(b)), 2, 1), ("%s%d号楼" % (e, b), 2, 1),
              ("%s%d号%s%d栋" % (r, n, e, b), 2, 1), ("荔湾区%s%d號%s%d座" % (r, n, e, b), 2, 1),
              ("%s%d座" % (e, b), 2, 1), ("%s%s号%s" % (r, cn, e), 1, 1), (e if e.endswith("小区") else e + "小区", 1, 1),
              ("%s%d号" % (r, n), 1, 0), ("%s那个小区" % r, 0, 0)]
    elif p.kind == "site":
        f += [("%s%d号" % (r, n), 2, 0), ("%s%s号" % (r, cn), 2, 0), ("荔湾区%s%d號" % (r, n), 2, 0),
              ("%s%d号旁边" % (r, n), 2, 0), ("%s%s号附近" % (r, cn), 2, 0), (r, 0, 0), ("%s上" % r, 0, 0)]
        if p.named:
            f += [(p.name, 2, 1), ("%s%s" % (r, p.name), 2, 1)]
    elif p.kind == "street":
        lm = p.landmark
        f += [("%s%d号门口" % (r, n), 2, 0), ("%s%d号附近" % (r, n), 2, 0), (r + lm, 2, 1),
              ("%s%s附近" % (r, lm), 2, 1), ("%s%s号对面" % (r, cn), 2, 0), ("荔湾区%s%d號旁" % (r, n), 2, 0),
              (lm, 1, 1), (r, 0, 0), ("%s那一段" % r, 0, 0)]
    else:   # eatery, shop, school, clinic
        nm = p.name
        f += [("%s%d号%s" % (r, n, nm), 2, 1), (nm, 2, 1), ("%s的%s" % (r, nm), 2, 1),
              ("%s%d号" % (r, n), 2, 0), ("%s%s号" % (r, cn), 2, 0), ("%s（%s）" % (nm, r), 2, 1),
              (r, 0, 0)]
        if p.kind in ("eatery", "shop"):
            f += [("%s一家店" % r, 0, 0)]
    return f


def formal_addr(p, prefix="荔湾区"):
    base = "%s%s%d号" % (prefix, p.road, p.num)
    if p.kind == "estate":
        return base + "%s%d栋" % (p.estate, p.bldg)
    if p.kind in ("eatery", "shop", "school", "clinic"):
        return base + p.name
    if p.kind == "site" and p.named:
        return base + p.name
    return base


# ---------------------------------------------------------------------------
# Incidents and reports
# ---------------------------------------------------------------------------
class Person:
    def __init__(self, w, rng):
        self.surname = rng.choice(w.b.SURNAMES)
        self.female = rng.random() < 0.5
        self.name = self.surname + ("女士" if self.female else "先生")
        if rng.random() < 0.08:
            self.phone = "020-%d%07d" % (rng.choice([8, 3]), rng.randint(0, 9999999))
        else:
            self.phone = rng.choice(MOBILE_PREFIX) + "%08d" % rng.randint(0, 99999999)
        while self.phone in w.phones:
            self.phone = rng.choice(MOBILE_PREFIX) + "%08d" % rng.randint(0, 99999999)
        w.phones.add(self.phone)
        self.anonymous = rng.random() < 0.05
        self.nick = (rng.choice(w.b.NICK_A) + rng.choice(w.b.NICK_B)) if rng.random() < 0.8 else \
            "用户%04d" % rng.randint(0, 9999)
        self.verified = rng.random() < 0.7
        self.liaison_mobile = (rng.random() < 0.9) and not self.phone.startswith("020")

    @property
    def masked(self):
        return self.phone[:3] + "****" + self.phone[-4:]


MOBILE_PREFIX = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                 "152", "155", "156", "158", "159", "166", "176", "177", "180", "181", "185",
                 "186", "187", "188", "189", "198", "199"]


class Report:
    def __init__(self, inc, channel, person, t, sub=None):
        self.inc, self.channel, self.person, self.t = inc, channel, person, t
        self.sub = sub              # citymgmt: inspector/public/video/forward
        self.repeat = False         # a later report by the same person
        self.ref = None             # the hotline Report this one declares
        self.related = None         # hotline relatedOrderNo target
        self.source_id = None
        self.record = None


class Incident:
    def __init__(self, label, sc, place, t0, fx, n):
        self.label, self.sc, self.place, self.t0, self.fx, self.n = label, sc, place, t0, fx, n
        self.reports = []
        self.recur = False          # the later incident of a same-place-other-week pair
        self.closed_before = None   # everything about it is closed before this instant
        self.min_level = 0
        self.hn = []
        self.span_max = min(sc.get("span_h", 120), 120) * H

    @property
    def t_last(self):
        return max(r.t for r in self.reports) if self.reports else self.t0


def size_draw(rng):
    return rng.choices([2, 3, 4, 5, 6], [40, 25, 15, 10, 10])[0]


class SetBuilder:
    def __init__(self, setname, bank, seed):
        self.name, self.b = setname, bank
        self.rng = random.Random("%s/%s" % (seed, setname))
        self.w = World(bank, self.rng)
        self.w.phones = set()
        self.incidents = []
        self.hn_pairs = []
        weights = [sc.get("weight", 1.0) for sc in bank.SCENARIOS]
        self.sc_weights = weights
        self.by_kind = collections.defaultdict(list)
        for sc in bank.SCENARIOS:
            self.by_kind[sc["kind"]].append(sc)

    # -- incident planning ------------------------------------------------
    def pick_sc(self, pred=lambda sc: True):
        scs = [sc for sc in self.b.SCENARIOS if pred(sc)]
        ws = [sc.get("weight", 1.0) for sc in scs]
        return self.rng.choices(scs, ws)[0]

    def rand_t0(self, lo=T_START, hi=None):
        hi = hi or int(dt.datetime(2024, 6, 20, 23, 0, tzinfo=CST).timestamp())
        return self.rng.randint(lo, hi)

    def facts(self, sc, avoid=None):
        fx = {}
        for k, groups in sc["facts"].items():
            choices = list(range(len(groups)))
            if avoid and k in avoid and len(choices) > 1 and self.rng.random() < 0.8:
                choices.remove(avoid[k])
            fx[k] = self.rng.choice(choices)
        for a, b in sc.get("link", []):
            fx[b] = fx[a]
        return fx

    def conflict(self, sc, place, t0, ignore=()):
        for inc in self.incidents:
            if inc in ignore:
                continue
            if inc.place.pid == place.pid and inc.sc["key"] == sc["key"]:
                # a one-off problem (a wage dispute, a rooftop shed) does not come back
                if abs(inc.t0 - t0) < 21 * D or not sc.get("recur_ok", True):
                    return True
        return False

    def company_for(self, place):
        """Each site's contractor gets a name of its own (one word per company)."""
        if place.company is None:
            pre, suf = self.b.COMPANIES
            free = [x for x in pre if x not in self.w.used_companies]
            word = self.rng.choice(free or pre)
            self.w.used_companies.add(word)
            place.company = "广州市" * (self.rng.random() < 0.6) + word + self.rng.choice(suf)
        return place.company

    def new_incident(self, sc, place, t0, n, fx=None):
        if any("{company}" in t for k in SC_TEXT for t in (sc.get(k) or [])):
            self.company_for(place)
        label = "%s-%04d" % (LABEL_PREFIX[self.name], len(self.incidents) + 1)
        inc = Incident(label, sc, place, t0, fx or self.facts(sc), n)
        self.incidents.append(inc)
        return inc

    def hn_size(self):
        return size_draw(self.rng) if self.rng.random() < 0.6 else 1

    def plan_hard_negatives(self):
        rng = self.rng
        for kind, count in HN_PLAN.items():
            made = 0
            while made < count:
                if kind == "same_road_other_building":
                    sc = self.pick_sc(lambda s: s["kind"] in ("estate", "street", "site", "eatery", "shop"))
                    a = self.w.place(sc)
                    if a is None:
                        continue
                    same_est = a.estate if (a.kind == "estate" and rng.random() < 0.5) else None
                    b = self.w.place(sc, road=a.road, other_than=a, same_estate=same_est)
                    if b is None or b.pid == a.pid:
                        continue
                    t0 = self.rand_t0()
                    tb = min(max(T_START, t0 + rng.randint(-40 * H, 40 * H)), t0 + 40 * H)
                    if self.conflict(sc, a, t0) or self.conflict(sc, b, tb):
                        continue
                    ia = self.new_incident(sc, a, t0, self.hn_size())
                    ib = self.new_incident(sc, b, max(T_START, tb), self.hn_size(),
                                           fx=self.facts(sc, avoid=ia.fx))
                    why = "%s: %s vs %s, both %s" % (kind, formal_addr(a, ""), formal_addr(b, ""), sc["path"])
                elif kind == "same_place_other_problem":
                    kinds = [k for k, v in self.by_kind.items() if len(v) >= 2]
                    k = rng.choice(sorted(kinds))
                    s1, s2 = rng.sample(self.by_kind[k], 2)
                    if s1["path"] == s2["path"]:
                        continue
                    a = self.w.place(s1)
                    if a is None:
                        continue
                    ok2 = s2.get("names_ok")
                    if ok2 and a.kind in ("eatery", "shop") and not any(x in a.name for x in ok2):
                        continue
                    t0 = self.rand_t0()
                    tb = max(T_START, t0 + rng.randint(-30 * H, 30 * H))
                    if self.conflict(s1, a, t0) or self.conflict(s2, a, tb):
                        continue
                    ia = self.new_incident(s1, a, t0, self.hn_size())
                    ib = self.new_incident(s2, a, tb, self.hn_size())
                    if rng.random() < 0.4:
                        ia.shared_person = ib.shared_person = Person(self.w, rng)
                    why = "%s: %s, %s vs %s" % (kind, formal_addr(a, ""), s1["path"], s2["path"])
                else:
                    sc = self.pick_sc(lambda s: s.get("recur_ok", True))
                    a = self.w.place(sc)
                    if a is None:
                        continue
                    t0 = self.rand_t0(hi=int(dt.datetime(2024, 6, 5, tzinfo=CST).timestamp()))
                    tb = t0 + rng.randint(10 * D, 18 * D)
                    if self.conflict(sc, a, t0) or self.conflict(sc, a, tb):
                        continue
                    ia = self.new_incident(sc, a, t0, self.hn_size())
                    ia.span_max = min(ia.span_max, 72 * H)
                    ib = self.new_incident(sc, a, tb, self.hn_size(), fx=self.facts(sc, avoid=ia.fx))
                    ib.recur = True
                    ia.closed_before = tb - rng.randint(2 * D, 5 * D)
                    if rng.random() < 0.4:
                        ia.shared_person = ib.shared_person = Person(self.w, rng)
                    why = "%s: %s, %s, %s vs %s" % (kind, formal_addr(a, ""), sc["path"],
                                                    cst(t0).strftime("%m-%d"), cst(tb).strftime("%m-%d"))
                ia.hn.append(ib)
                ib.hn.append(ia)
                self.hn_pairs.append((ia, ib, why))
                made += 1

    def plan_rest(self):
        rng = self.rng
        n_multi = sum(1 for i in self.incidents if i.n >= 2)
        n_single = sum(1 for i in self.incidents if i.n == 1)
        todo = ["m"] * max(0, TARGET_MULTI - n_multi) + ["s"] * max(0, TARGET_SINGLE - n_single)
        rng.shuffle(todo)
        for what in todo:
            while True:
                sc = self.pick_sc()
                existing = [p for p in self.w.places.values() if p.kind == sc["kind"]]
                ok = sc.get("names_ok")
                if ok:
                    existing = [p for p in existing if any(x in p.name for x in ok)]
                if existing and rng.random() < 0.2:
                    place = rng.choice(sorted(existing, key=lambda p: p.pid))
                else:
                    place = self.w.place(sc)
                if place is None:
                    continue
                t0 = self.rand_t0()
                if not self.conflict(sc, place, t0):
                    break
            self.new_incident(sc, place, t0, size_draw(rng) if what == "m" else 1)

    # -- reports: who, where, when -------------------------------------------
    def channel_draw(self, sc, single=False):
        rng = self.rng
        if sc["cm"]:
            ch = rng.choices(["hotline", "liaison", "citymgmt"], [55, 20, 25] if single else [45, 25, 30])[0]
        else:
            ch = rng.choices(["hotline", "liaison"], [70, 30] if single else [65, 35])[0]
        sub = None
        if ch == "citymgmt":
            if sc.get("video"):
                sub = rng.choices(["inspector", "public", "video"], [45, 40, 15])[0]
            else:
                sub = rng.choices(["inspector", "public"], [55, 45])[0]
        return ch, sub

    def offsets(self, inc, k):
        rng, out = self.rng, [0]
        for _ in range(k - 1):
            r = rng.random()
            if r < 0.25:
                o = rng.randint(5 * 60, 3 * H)
            elif r < 0.65:
                o = rng.randint(3 * H, 30 * H)
            else:
                o = rng.randint(30 * H, 120 * H)
            if o > inc.span_max:
                o = rng.randint(5 * 60, inc.span_max)
            out.append(o)
        return sorted(out)

    def fix_hour(self, inc, rep):
        """Move a report to a plausible hour for its channel and scenario."""
        rng, t = self.rng, rep.t
        h = cst(t).hour
        if inc.sc.get("day") and not 8 <= h < 22:
            # facts are worded relative to the day ("今天早上", "昨天下午")
            t = t - (t + 8 * H) % D + (D if h >= 22 else 0) + rng.randint(8 * H, 21 * H)
        elif rep.channel == "citymgmt" and rep.sub in ("inspector",):
            if inc.sc.get("night") and rng.random() < 0.5:
                if not (h >= 21 or h < 1):
                    t = t - (t + 8 * H) % D + rng.randint(21 * H, 24 * H - 60)
            elif not 8 <= h < 18:
                t = t - (t + 8 * H) % D + rng.randint(8 * H, 18 * H)
        elif rep.channel == "citymgmt" and rep.sub == "video":
            if inc.sc.get("night") and not (h >= 20 or h < 1):
                t = t - (t + 8 * H) % D + rng.randint(20 * H, 24 * H - 60)
            elif not inc.sc.get("night") and not 7 <= h < 21:
                t = t - (t + 8 * H) % D + rng.randint(7 * H, 21 * H)
        elif rep.channel == "hotline":
            if h < 7 and not inc.sc.get("night"):
                t = t - (t + 8 * H) % D + rng.randint(7 * H, 11 * H)
        elif h < 6 and not inc.sc.get("night") and rng.random() < 0.7:
            t += 6 * H
        rep.t = max(T_START, min(t, T_LAST))

    def plan_reports(self, inc):
        rng, sc, n = self.rng, inc.sc, inc.n
        slots = []
        shared = getattr(inc, "shared_person", None)
        if n == 1:
            ch, sub = self.channel_draw(sc, single=True)
            if shared and (ch == "citymgmt" or rng.random() < 0.5):
                ch, sub = ("citymgmt", "public") if (sc["cm"] and rng.random() < 0.3) else ("hotline", None)
            slots.append([ch, shared if shared else Person(self.w, rng), sub, False])
        else:
            i = 0
            if rng.random() < 0.4:
                rp = shared or Person(self.w, rng)
                k = 2 if n <= 3 else rng.choice([2, 2, 3])
                mode = rng.random()
                for j in range(k):
                    ch, sub = "hotline", None
                    if j > 0 and mode > 0.7:
                        if sc["cm"] and mode > 0.87:
                            ch, sub = "citymgmt", "public"
                        else:
                            ch = "liaison"
                    slots.append([ch, rp, sub, j > 0])
                i = k
            elif shared:
                slots.append(["hotline", shared, None, False])
                i = 1
            for _ in range(i, n):
                ch, sub = self.channel_draw(sc)
                slots.append([ch, Person(self.w, rng), sub, False])
            # make sure a multi-report incident is not one voice only by accident
            rng.shuffle(slots)
        offs = self.offsets(inc, len(slots))
        # a repeat caller's first call comes first among their calls
        reps = []
        for (ch, person, sub, rep), o in zip(slots, offs):
            reps.append(Report(inc, ch, person, inc.t0 + o, sub))
        by_person = collections.defaultdict(list)
        for r in reps:
            self.fix_hour(inc, r)
            by_person[id(r.person)].append(r)
        for rs in by_person.values():
            rs.sort(key=lambda r: r.t)
            for a, b in zip(rs, rs[1:]):
                if b.t - a.t < 90 * 60:
                    b.t = a.t + rng.randint(90 * 60, 20 * H)
                    self.fix_hour(inc, b)
                b.repeat = True
        # declared links: 12345转办 cases and the hotline's own 重复件 mark
        hot = sorted([r for r in reps if r.channel == "hotline"], key=lambda r: r.t)
        if sc["cm"] and hot and n >= 2 and rng.random() < 0.3:
            src = rng.choice(hot)
            ft = src.t + rng.randint(40 * 60, 20 * H)
            if not 8 <= cst(ft).hour < 20:     # forwarded in office hours
                ft = ft - (ft + 8 * H) % D + (D if cst(ft).hour >= 20 else 0) + rng.randint(8 * H, 12 * H)
            f = Report(inc, "citymgmt", src.person, ft, "forward")
            f.ref = src
            if len(reps) < 6 and len(reps) > 1:
                reps.append(f)
            else:
                others = [r for r in reps if r.channel != "hotline"]
                if others:
                    reps.remove(rng.choice(others))
                    reps.append(f)
                elif len(reps) < 6:
                    reps.append(f)
        if len(hot) >= 2:
            first = hot[0]
            for r in hot[1:]:
                p = 0.35 if r.person is first.person else 0.06
                if rng.random() < p:
                    r.related = first
        for r in reps:
            r.t = max(T_START, min(r.t, T_LAST))
        inc.reports = sorted(reps, key=lambda r: r.t)

    # -- rendering ------------------------------------------------------------
    def least_used(self, inc, key, items):
        used = inc.used.setdefault(key, collections.Counter())
        m = min(used[x] for x in items)
        pick = self.rng.choice([x for x in items if used[x] == m])
        used[pick] += 1
        return pick

    def ctx(self, inc, rep, tpl, formal=False):
        sc, p = inc.sc, inc.place
        late = cst(rep.t).date() != cst(inc.t0).date()       # "今天", "昨晚" no longer fit
        ctx = {"name": p.name, "road": p.road, "num": p.num, "community": self.comm_name(p, rep),
               "company": p.company or ""}
        for k, groups in sc["facts"].items():
            g = groups[inc.fx[k]]
            if late and k in sc.get("late", {}):
                g = sc["late"][k][inc.fx[k]]
            ctx[k] = (lambda k=k, g=g: self.least_used(inc, "fact:" + k, g))
        ctx["obj"] = lambda: self.least_used(inc, "obj", sc["obj"])
        ctx["at"] = lambda: self.at_text(inc, rep, has_name_slot="{name}" in tpl, formal=formal)
        ctx["atn"] = lambda: self.at_text(inc, rep, has_name_slot=True, formal=formal)
        return ctx

    def comm_name(self, p, rep):
        c = COMMUNITIES[p.ci]
        return c[1] if self.rng.random() < 0.15 else c[0]

    def at_text(self, inc, rep, has_name_slot=False, formal=False):
        forms = [f for f in at_forms(inc.place) if f[1] >= inc.min_level]
        if has_name_slot:
            forms = [f for f in forms if not f[2]] or forms
        if formal:
            forms = [f for f in forms if f[1] == 2 and "那" not in f[0]] or forms
        else:
            # vague mentions are realistic but rarer than precise ones
            w = [f for f in forms if f[1] == 2]
            if w and self.rng.random() < 0.7:
                forms = w
        txt = self.least_used(inc, "at", [f[0] for f in forms])
        return txt

    def pick(self, inc, key, items):
        return self.least_used(inc, key, items)

    def render_problem(self, inc, rep, formal=False):
        rep.slots, rep.tpls = set(), set()
        return self.render(inc, "problem", rep, inc.sc["problems"], formal)

    def render(self, inc, key, rep, items, formal=False):
        """Fill a template, preferring ones whose facts this report has not
        mentioned yet (no "味道很冲……味道很冲")."""
        used = getattr(rep, "slots", set())
        done = rep.__dict__.setdefault("tpls", set())
        facts = inc.sc["facts"]
        fresh = [t for t in items if t not in done and not (set(re.findall(r"\{(\w+)\}", t)) & used & set(facts))]
        fresh = fresh or [t for t in items if t not in done]
        tpl = self.pick(inc, key, fresh or items)
        done.add(tpl)
        rep.slots = used | set(re.findall(r"\{(\w+)\}", tpl))
        return fill(tpl, self.ctx(inc, rep, tpl, formal))

    def hotline_text(self, inc, rep):
        rng, b, sc = self.rng, self.b, inc.sc
        colon = rng.choice([":", "："])
        if rep.hchannel == "电话":
            opener = rng.choice([x.replace("{c}", colon) for x in H_BOILER] * 2 + b.H_OPEN_PHONE)
        else:
            opener = rng.choice(b.H_OPEN_NET + [H_BOILER[1]])
        clauses = [self.render_problem(inc, rep)]
        for _ in range(rng.choice([0, 1, 1, 2])):
            clauses.append(self.render(inc, "detail", rep, sc["details"]))
        if len(clauses) > 1 and front_ok(clauses[-1]) and rng.random() < 0.45:
            clauses.insert(0, clauses.pop())
        if rng.random() < 0.6:
            clauses.append(self.render(inc, "impact", rep, sc["impacts"]))
        resident = sc["topic"] != "劳动就业"
        text = opener + (rng.choice(b.H_CALLER) if resident and rng.random() < 0.25 and "来电人" not in opener else "")
        text += "，".join(dedupe(clauses)) + "。"
        if inc.recur and not rep.repeat and rng.random() < 0.35:
            text += rng.choice(b.H_RECUR)
        if rep.repeat and rng.random() < 0.75:
            text += rng.choice(b.H_REPEAT)
        if any(r.channel == "liaison" for r in inc.reports) and rng.random() < 0.1:
            text += rng.choice(b.H_CROSS)
        if rng.random() < 0.4:
            text += self.render(inc, "ask", rep, sc["asks"]) + "。"
        else:
            text += rng.choice(b.H_CLOSE)
        return self.noise(text)

    def liaison_text(self, inc, rep):
        rng, b, sc = self.rng, self.b, inc.sc
        long = rng.random() < 0.2
        parts = []
        if rng.random() < 0.7:
            g = rng.choice([x.replace("{c}", rng.choice([":", "："])) for x in L_BOILER] * 2 + b.L_GREET)
            parts.append(g.replace("{deputy}", rep.deputy[1] if rep.deputy else "代表"))
        intro = rng.choice(b.L_INTRO).replace("{community}", self.comm_name(inc.place, rep)) \
            if rng.random() < 0.6 and sc["topic"] != "劳动就业" else ""
        sent = [self.render_problem(inc, rep)]
        nd = rng.choice([1, 2, 3]) if long else rng.choice([0, 1, 1, 2])
        for _ in range(nd):
            sent.append(self.render(inc, "detail", rep, sc["details"]))
        sent = dedupe(sent)
        body = intro + "，".join(sent) + rng.choice(["。", "！", "。"])
        ends = ["。", "！", "，真的很无奈。"]
        rng.shuffle(ends)
        for e in ends[:2 if long else rng.choice([0, 1, 1])]:
            body += self.render(inc, "impact", rep, sc["impacts"]) + e
        if inc.recur and rng.random() < 0.4:
            body += rng.choice(b.L_RECUR)
        if rng.random() < (0.6 if long else 0.2):
            body += rng.choice(b.L_HISTORY)
        if long:
            extra = rng.sample(b.L_FILLER, 2) + rng.sample(b.L_LONG, rng.randint(2, 4))
            rng.shuffle(extra)
            body += "".join(extra)
            if rng.random() < 0.5:
                body += "\r\n"
            # a long letter says it again in other words
            body += rng.choice(b.L_RECAP) + self.render(inc, "problem", rep, sc["problems"]) + "。"
        if rng.random() < 0.6:
            body += self.render(inc, "ask", rep, sc["asks"]) + "，"
            body += rng.choice(b.L_PLEA)
        else:
            body += rng.choice(b.L_PLEA)
        parts.append(body)
        return self.noise("".join(parts))

    def citymgmt_text(self, inc, rep):
        rng, b, sc = self.rng, self.b, inc.sc
        if rep.sub == "forward":
            return self.noise(rng.choice(b.C_FORWARD) + "市民反映" + self.render_problem(inc, rep) + "。")
        if rep.sub == "public" and rng.random() < 0.5:
            s = self.render_problem(inc, rep)
            if rng.random() < 0.4:
                s += "，" + self.render(inc, "impact", rep, sc["impacts"])
            return self.noise(s + "。")
        terse = [t for t in sc["terse"] if rep.sub == "inspector" or "巡查" not in t] or sc["terse"]
        tpl = self.pick(inc, "terse", terse)
        s = fill(tpl, self.ctx(inc, rep, tpl, formal=True))
        if rep.sub == "video":
            s = rng.choice(b.C_VIDEO) + s
        elif rng.random() < 0.4:
            s += rng.choice(b.C_SUFFIX)
        return self.noise(s)

    def noise(self, s):
        r = self.rng.random()
        if r < 0.06:
            s = fullwidth_digits(s)
        elif r < 0.11:
            for sep in ("：", ":", "，", "。"):
                i = s.find(sep)
                if 0 <= i < len(s) - 1:
                    s = s[:i + 1] + "\u3000" + s[i + 1:]
                    break
        return s

    # -- records -----------------------------------------------------------------
    def updated(self, inc, t, lo=H // 2):
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            d = rng.randint(lo, 6 * H)
        elif r < 0.7:
            d = rng.randint(6 * H, 3 * D)
        else:
            d = rng.randint(3 * D, 12 * D)
        u = min(t + d, T_END)
        if inc.closed_before:
            u = min(max(t + lo, inc.closed_before - rng.randint(H, D)), u)
        return max(u, t + 60)

    def hotline_record(self, inc, rep):
        rng, sc, p, per = self.rng, inc.sc, inc.place, rep.person
        u = self.updated(inc, rep.t)
        el = u - rep.t
        if inc.closed_before:
            status = rng.choice(["已办结", "已回访"])
        elif el < H:
            status = rng.choice(["待派单", "已派单"])
        elif el < D:
            status = rng.choice(["已派单", "办理中", "办理中"])
        elif el < 3 * D:
            status = rng.choice(["办理中", "已办结"])
        else:
            status = rng.choices(["已办结", "已回访", "已退回"], [55, 40, 5])[0]
        ot = rng.choice(sc["order"])
        dl = {"投诉": 5, "举报": 5, "求助": 3, "咨询": 2, "建议": 10}[ot]
        comm = rng.random()
        community = COMMUNITIES[p.ci][0] if comm < 0.72 else (COMMUNITIES[p.ci][1] if comm < 0.82 else "")
        a = rng.random()
        if a < 0.15:
            address = ""
        elif a < 0.6:
            address = formal_addr(p, rng.choice(["广州市荔湾区", "荔湾区", ""]))
        else:
            address = self.at_text(inc, rep)
        title = "" if rng.random() < 0.1 else self.render(inc, "htitle", rep, sc["htitle"])
        anon = per.anonymous
        return {
            "orderNo": rep.source_id,
            "acceptTime": fmt_hotline(rep.t),
            "updateTime": fmt_hotline(u),
            "channel": rep.hchannel,
            "orderType": ot,
            "title": title,
            "content": self.hotline_text(inc, rep),
            "categoryPath": sc["path"],
            "district": DISTRICT,
            "street": STREET,
            "community": community,
            "address": address,
            "caller": {"name": "匿名" if anon else per.name, "phone": None if anon else per.phone,
                       "anonymous": anon},
            "status": status,
            "deadline": fmt_hotline(min(rep.t + dl * D, T_END)),
            "handleUnit": None if status == "待派单" else (sc["handle"] if rng.random() < 0.75 else "金花街道办事处"),
            "relatedOrderNo": rep.related.source_id if rep.related else None,
            "satisfaction": rng.choices(["满意", "基本满意", "不满意"], [50, 30, 20])[0] if status == "已回访" else None,
        }, u

    def liaison_record(self, inc, rep):
        rng, sc, p, per = self.rng, inc.sc, inc.place, rep.person
        u = self.updated(inc, rep.t, lo=10 * 60)
        el = u - rep.t
        if inc.closed_before:
            state = rng.choice(["replied", "closed"])
        elif rng.random() < 0.03:
            state = "withdrawn"
        elif el < 6 * H:
            state = rng.choice(["pending", "forwarded"])
        elif el < 2 * D:
            state = rng.choice(["forwarded", "forwarded", "replied"])
        else:
            state = rng.choice(["replied", "closed"])
        reply = None
        if state in ("replied", "closed"):
            reply = {"at": fmt_rfc3339(u), "text": rng.choice(self.b.L_REPLY).replace("{unit}", sc["handle"])}
        c = rng.random()
        community = COMMUNITIES[p.ci][0] if c < 0.68 else (COMMUNITIES[p.ci][1] if c < 0.8 else None)
        utc = rng.random() < 0.1
        rec = {
            "id": rep.source_id,
            "created_at": fmt_rfc3339(rep.t, utc),
            "updated_at": fmt_rfc3339(u, utc),
            "subject": self.render(inc, "lsubject", rep, sc["lsubject"]),
            "body": self.liaison_text(inc, rep),
            "topic": sc["topic"],
            "station": STATION,
            "deputy": {"id": rep.deputy[0], "name": rep.deputy[1]} if rep.deputy else None,
            "author": {"nickname": per.nick, "mobile": per.masked if per.liaison_mobile else None,
                       "verified": per.verified},
            "area": {"street": STREET, "community": community},
        }
        a = rng.random()
        if a < 0.2:
            pass                                # address absent
        elif a < 0.35:
            rec["address"] = None
        elif a < 0.5:
            rec["address"] = "%s%d号" % (p.road, p.num)
        else:
            rec["address"] = self.at_text(inc, rep)
        rec["state"] = state
        rec["reply"] = reply
        x = rng.random()
        if x < 0.4:
            rec["attachments"] = [{"type": "image", "url": "https://liaison.example.gov.cn/att/%d-%d.jpg"
                                   % (rep.source_id, i + 1)} for i in range(rng.randint(1, 3))]
        elif x < 0.6:
            rec["attachments"] = []
        return rec, u

    def citymgmt_record(self, inc, rep):
        rng, sc, p, per = self.rng, inc.sc, inc.place, rep.person
        u = self.updated(inc, rep.t)
        el = u - rep.t
        cmr = [r for r in inc.reports if r.channel == "citymgmt"]
        if inc.closed_before:
            stage = "结案"
        elif rep is not cmr[0] and rng.random() < 0.3:
            stage = "作废"          # the platform voids later duplicates of an open case
        elif el < 2 * H:
            stage = rng.choice(["上报", "立案"])
        elif el < D:
            stage = rng.choice(["立案", "派遣", "派遣"])
        elif el < 3 * D:
            stage = rng.choice(["派遣", "处置", "核查"])
        else:
            stage = rng.choice(["核查", "结案", "结案"])
        typ, major, mname, minor, miname = sc["cm"]
        # position: where the inspector stood, the caller's phone, or the camera
        jit = {"inspector": 6, "public": 15, "video": 25, "forward": 20}[rep.sub]
        pos = offset(p.pos, rng.gauss(0, jit), rng.gauss(0, jit))
        crs = "BD09" if rep.sub == "video" else rng.choices(["GCJ02", "BD09", "WGS84"], [88, 6, 6])[0]
        if crs == "WGS84":
            lon, lat = pos
        else:
            lon, lat = wgs84_to_gcj02(*pos)
            if crs == "BD09":
                lon, lat = gcj02_to_bd09(lon, lat)
        location = {"lng": round(lon, 6), "lat": round(lat, 6), "crs": crs}
        if rep.sub != "video" and rng.random() < 0.05:
            location = None
        a = rng.random()
        if a < 0.7:
            address = formal_addr(p, rng.choice(["荔湾区", ""]))
        else:
            address = self.at_text(inc, rep, formal=True)
        origin = {"inspector": "巡查员上报", "public": "公众举报", "video": "视频智能发现",
                  "forward": "12345转办"}[rep.sub]
        if rep.sub in ("public", "forward"):
            phone = per.phone if (rng.random() < (0.7 if rep.sub == "public" else 0.4)
                                  and not per.anonymous) else None
            if phone and phone.startswith("020") and rng.random() < 0.5:
                phone = phone.replace("-", "")
            reporter = {"type": "public", "phone": phone}
        else:
            reporter = {"type": "inspector", "phone": None}
        return {
            "caseNo": rep.source_id,
            "reportedAt": rep.t * 1000,
            "updatedAt": u * 1000,
            "origin": origin,
            "refOrderNo": rep.ref.source_id if rep.ref else None,
            "class": {"type": typ, "major": major, "majorName": mname, "minor": minor, "minorName": miname},
            "description": self.citymgmt_text(inc, rep),
            "gridCode": grid_code(p.ci, pos),
            "location": location,
            "address": address,
            "stage": stage,
            "reporter": reporter,
            "deadline": None if stage in ("上报", "作废") else min(rep.t + rng.choice([24, 48, 72]) * H, T_END) * 1000,
            "photos": rng.randint(1, 4) if rep.sub == "inspector" else rng.randint(0, 3),
        }, u

    def assign_ids(self, reps):
        rng = self.rng
        base = {"dev": (100000, 98000, 1), "holdout": (600000, 231000, 5001),
                "val": (800000, 412000, 7001)}[self.name]
        seq = base[0]
        for r in sorted([r for r in reps if r.channel == "hotline"], key=lambda r: r.t):
            seq += rng.randint(3, 60)
            r.source_id = cst(r.t).strftime("%Y%m%d") + "12345" + "%06d" % seq
        lid = base[1]
        for r in sorted([r for r in reps if r.channel == "liaison"], key=lambda r: r.t):
            lid += rng.randint(1, 9)
            r.source_id = lid
        day_seq = collections.Counter()
        for r in sorted([r for r in reps if r.channel == "citymgmt"], key=lambda r: r.t):
            d = cst(r.t).strftime("%Y%m%d")
            day_seq[d] += rng.randint(1, 4)
            r.source_id = "CG%s%s%04d" % (DISTRICT_CODE, d, base[2] + day_seq[d])

    def min_levels(self):
        """A report may leave out the house number or building only if no other
        incident could then be confused with it (so that a human labeller can tell)."""
        for inc in self.incidents:
            lvl = 0
            for o in self.incidents:
                if o is inc or abs(o.t0 - inc.t0) > 12 * D:
                    continue
                same_road = o.place.road == inc.place.road
                if o.sc["path"] == inc.sc["path"] and same_road:
                    if inc.place.estate and o.place.estate == inc.place.estate:
                        lvl = 2
                    elif inc.place.kind in ("street", "site") or o.place.pid != inc.place.pid:
                        lvl = max(lvl, 2 if inc.place.kind in ("street", "site") else 1)
                if o.place.pid == inc.place.pid and o.sc["key"] != inc.sc["key"]:
                    lvl = max(lvl, 1)
            if inc.hn:
                lvl = max(lvl, 1 if inc.place.kind != "street" else 2)
            inc.min_level = lvl

    def build(self):
        self.plan_hard_negatives()
        self.plan_rest()
        self.incidents.sort(key=lambda i: i.t0)
        # the same problem at the same place again: the earlier incident was closed
        # before the later one began, or they would be one incident
        seen = {}
        for inc in self.incidents:
            key = (inc.place.pid, inc.sc["key"])
            if key in seen:
                prev = seen[key]
                cb = inc.t0 - self.rng.randint(1 * D, 4 * D)
                prev.closed_before = min(prev.closed_before or cb, cb)
                inc.recur = True
            seen[key] = inc
        for k, inc in enumerate(self.incidents):
            inc.label = "%s-%04d" % (LABEL_PREFIX[self.name], k + 1)
            inc.used = {}
        for inc in self.incidents:
            self.plan_reports(inc)
        self.min_levels()
        reps = [r for inc in self.incidents for r in inc.reports]
        self.assign_ids(reps)
        for r in reps:
            if r.channel == "hotline":
                r.hchannel = self.rng.choices(["电话", "微信", "APP", "网站", "短信"], [75, 10, 7, 5, 3])[0]
            if r.channel == "liaison":
                r.deputy = self.rng.choice(self.b.DEPUTIES) if self.rng.random() < 0.8 else None
        out = {"hotline": [], "liaison": [], "citymgmt": []}
        for r in sorted(reps, key=lambda r: r.t):
            fn = {"hotline": self.hotline_record, "liaison": self.liaison_record,
                  "citymgmt": self.citymgmt_record}[r.channel]
            rec, u = fn(r.inc, r)
            r.record, r.updated = rec, u
            out[r.channel].append(r)
        self.reps = reps
        return out


FRONT_BAD = ("有", "也", "一般", "主要", "大概", "时间", "共计", "堆了", "停了", "黑了", "每人", "伸出",
             "以", "收费", "已经搞了", "下午", "晚上只", "味道")


def front_ok(clause):
    """May this detail clause open a summary ("晚上还有泥头车进进出出，恩宁路……")?"""
    return len(clause) >= 7 and not clause.startswith(FRONT_BAD) and "也" not in clause[:4]


def dedupe(xs):
    seen, out = set(), []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------
def dump(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def cursor(offset_):
    return base64.urlsafe_b64encode(json.dumps({"o": offset_}, separators=(",", ":")).encode()).decode().rstrip("=")


def write_set(sb, out, d):
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if re.match(r"(hotline|liaison|citymgmt)-\d+\.json$|labels\.tsv$|hard_negatives\.tsv$|stats\.json$", f):
            os.remove(os.path.join(d, f))
    per = 100
    hot = sorted(out["hotline"], key=lambda r: (r.updated, r.source_id))
    for i in range(0, len(hot), per):
        dump(os.path.join(d, "hotline-%03d.json" % (i // per + 1)),
             {"code": 0, "msg": "成功", "data": {"total": len(hot), "pageNo": i // per + 1, "pageSize": per,
                                                 "list": [r.record for r in hot[i:i + per]]}})
    lia = sorted(out["liaison"], key=lambda r: (r.updated, r.source_id))
    for i in range(0, len(lia), per):
        nxt = cursor(i + per) if i + per < len(lia) else None
        dump(os.path.join(d, "liaison-%03d.json" % (i // per + 1)),
             {"messages": [r.record for r in lia[i:i + per]], "next_cursor": nxt})
    cm = sorted(out["citymgmt"], key=lambda r: (r.updated, r.source_id))
    for i in range(0, len(cm), per):
        dump(os.path.join(d, "citymgmt-%03d.json" % (i // per + 1)),
             {"result": "ok", "total": len(cm), "items": [r.record for r in cm[i:i + per]]})
    with open(os.path.join(d, "labels.tsv"), "w", encoding="utf-8") as f:
        f.write("source\tsource_id\tincident\n")
        for src, rs in (("hotline", hot), ("liaison", lia), ("citymgmt", cm)):
            for r in sorted(rs, key=lambda r: str(r.source_id)):
                f.write("%s\t%s\t%s\n" % (src, r.source_id, r.inc.label))
    pairs = hard_negative_pairs(sb)
    with open(os.path.join(d, "hard_negatives.tsv"), "w", encoding="utf-8") as f:
        f.write("incident_a\tincident_b\twhy\n")
        for a, b, why in pairs:
            f.write("%s\t%s\t%s\n" % (a, b, why))
    st = stats(sb, out, pairs)
    with open(os.path.join(d, "stats.json"), "w", encoding="utf-8") as f:
        json.dump(st, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    return st


def hard_negative_pairs(sb):
    """The planned pairs, plus every other pair of incidents that meets one of
    the three definitions by chance (listed as `found`)."""
    seen, out = set(), []
    for a, b, why in sb.hn_pairs:
        key = tuple(sorted((a.label, b.label)))
        seen.add(key)
        out.append((key[0], key[1], why))
    incs = sb.incidents
    for i, a in enumerate(incs):
        for b in incs[i + 1:]:
            key = (a.label, b.label)
            if key in seen:
                continue
            gap = abs(a.t0 - b.t0)
            pa, pb = a.place, b.place
            why = None
            if pa.pid == pb.pid and a.sc["key"] == b.sc["key"] and 7 * D <= gap <= 30 * D:
                why = "same_place_other_week (found): %s, %s" % (formal_addr(pa, ""), a.sc["path"])
            elif pa.pid == pb.pid and a.sc["path"] != b.sc["path"] and gap <= 72 * H:
                why = "same_place_other_problem (found): %s, %s vs %s" % (
                    formal_addr(pa, ""), a.sc["path"], b.sc["path"])
            elif (pa.pid != pb.pid and pa.road == pb.road and a.sc["path"] == b.sc["path"]
                  and gap <= 72 * H):
                why = "same_road_other_building (found): %s vs %s, both %s" % (
                    formal_addr(pa, ""), formal_addr(pb, ""), a.sc["path"])
            if why:
                seen.add(key)
                out.append((key[0], key[1], why))
    return out


def stats(sb, out, pairs):
    incs = sb.incidents
    sizes = collections.Counter(len(i.reports) for i in incs)
    multi = [i for i in incs if len(i.reports) >= 2]
    chans = lambda i: {r.channel for r in i.reports}
    true_pairs = sum(len(i.reports) * (len(i.reports) - 1) // 2 for i in incs)
    # pairs a declared link (transitively) already covers
    declared_pairs = 0
    for i in multi:
        parent = {id(r): id(r) for r in i.reports}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for r in i.reports:
            for t in (r.ref, r.related):
                if t is not None:
                    parent[find(id(r))] = find(id(t))
        comp = collections.Counter(find(id(r)) for r in i.reports)
        declared_pairs += sum(c * (c - 1) // 2 for c in comp.values())
    repeaters = sum(1 for i in multi if any(r.repeat for r in i.reports))
    kinds = collections.Counter(w.split(":")[0] for _, _, w in pairs)
    return {
        "records": {k: len(v) for k, v in out.items()},
        "records_total": sum(len(v) for v in out.values()),
        "incidents": len(incs),
        "incidents_multi": len(multi),
        "singletons": sizes[1],
        "incident_sizes": {str(k): sizes[k] for k in sorted(sizes)},
        "multi_cross_channel": sum(1 for i in multi if len(chans(i)) > 1),
        "multi_all_three_channels": sum(1 for i in multi if len(chans(i)) == 3),
        "multi_with_repeat_caller": repeaters,
        "forwarded_12345": sum(1 for r in sb.reps if r.sub == "forward"),
        "related_order_no": sum(1 for r in sb.reps if r.related is not None),
        "pairs_true": true_pairs,
        "pairs_declared": declared_pairs,
        "hard_negative_pairs": len(pairs),
        "hard_negative_planned": len(sb.hn_pairs),
        "hard_negative_kinds": dict(sorted(kinds.items())),
        "scenarios": len(sb.b.SCENARIOS),
    }


# ---------------------------------------------------------------------------
# Self-check of the written files against the feed contracts
# ---------------------------------------------------------------------------
HOT_FIELDS = ["orderNo", "acceptTime", "updateTime", "channel", "orderType", "title", "content",
              "categoryPath", "district", "street", "community", "address", "caller", "status",
              "deadline", "handleUnit", "relatedOrderNo", "satisfaction"]
LIA_FIELDS = ["id", "created_at", "updated_at", "subject", "body", "topic", "station", "deputy",
              "author", "area", "state", "reply"]
CM_FIELDS = ["caseNo", "reportedAt", "updatedAt", "origin", "refOrderNo", "class", "description",
             "gridCode", "location", "address", "stage", "reporter", "deadline", "photos"]
TOPICS = {"城市建设", "环境保护", "社会保障", "劳动就业", "教育", "医疗卫生", "交通出行", "物业管理", "其他"}


def validate(d):
    """Every record complete, in May-June 2024 CST, ids unique, links resolvable,
    pages at most 100 records, labels covering exactly the records."""
    errs = []
    lo, hi = T_START, T_END

    def t_ok(ts, what):
        if not lo <= ts <= hi:
            errs.append("%s out of May-June 2024: %s" % (what, ts))

    def hot_t(s):
        return int(dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp())

    def rfc_t(s):
        return int(dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())

    ids = {"hotline": [], "liaison": [], "citymgmt": []}
    refs = []
    for f in sorted(os.listdir(d)):
        m = re.match(r"(hotline|liaison|citymgmt)-(\d{3})\.json$", f)
        if not m:
            continue
        page = json.load(open(os.path.join(d, f), encoding="utf-8"))
        src = m.group(1)
        if src == "hotline":
            assert page["code"] == 0 and page["msg"] == "成功", f
            data = page["data"]
            assert data["pageNo"] == int(m.group(2)) and data["pageSize"] == 100, f
            recs = data["list"]
            for r in recs:
                miss = [k for k in HOT_FIELDS if k not in r]
                if miss:
                    errs.append("%s %s lacks %s" % (f, r.get("orderNo"), miss))
                t_ok(hot_t(r["acceptTime"]), r["orderNo"])
                t_ok(hot_t(r["updateTime"]), r["orderNo"])
                if r["deadline"]:
                    t_ok(hot_t(r["deadline"]), r["orderNo"] + " deadline")
                if hot_t(r["updateTime"]) < hot_t(r["acceptTime"]):
                    errs.append("%s updated before accepted" % r["orderNo"])
                if not re.match(r"^\d{8}12345\d{6}$", r["orderNo"]):
                    errs.append("bad orderNo " + r["orderNo"])
                ids[src].append(r["orderNo"])
                if r["relatedOrderNo"]:
                    refs.append(r["relatedOrderNo"])
            keys = [(r["updateTime"], r["orderNo"]) for r in recs]
        elif src == "liaison":
            assert set(page) == {"messages", "next_cursor"}, f
            recs = page["messages"]
            for r in recs:
                miss = [k for k in LIA_FIELDS if k not in r]
                if miss:
                    errs.append("%s %s lacks %s" % (f, r.get("id"), miss))
                t_ok(rfc_t(r["created_at"]), r["id"])
                t_ok(rfc_t(r["updated_at"]), r["id"])
                if r["topic"] not in TOPICS:
                    errs.append("%s topic %s" % (r["id"], r["topic"]))
                m2 = r["author"]["mobile"]
                if m2 is not None and not re.match(r"^1\d{2}\*{4}\d{4}$", m2):
                    errs.append("%s mobile not masked" % r["id"])
                ids[src].append(r["id"])
            keys = [rfc_t(r["updated_at"]) for r in recs]
        else:
            assert page["result"] == "ok", f
            recs = page["items"]
            for r in recs:
                miss = [k for k in CM_FIELDS if k not in r]
                if miss:
                    errs.append("%s %s lacks %s" % (f, r.get("caseNo"), miss))
                t_ok(r["reportedAt"] // 1000, r["caseNo"])
                t_ok(r["updatedAt"] // 1000, r["caseNo"])
                if r["deadline"]:
                    t_ok(r["deadline"] // 1000, r["caseNo"] + " deadline")
                if not re.match(r"^440103009\d{6}$", r["gridCode"]):
                    errs.append("%s grid %s" % (r["caseNo"], r["gridCode"]))
                if (r["origin"] == "12345转办") != bool(r["refOrderNo"]):
                    errs.append("%s origin/refOrderNo mismatch" % r["caseNo"])
                if r["refOrderNo"]:
                    refs.append(r["refOrderNo"])
                ids[src].append(r["caseNo"])
            keys = [(r["updatedAt"], r["caseNo"]) for r in recs]
        if len(recs) > 100:
            errs.append("%s has %d records" % (f, len(recs)))
        if keys != sorted(keys):
            errs.append("%s not ordered by update time" % f)
    for src, xs in ids.items():
        if len(xs) != len(set(xs)):
            errs.append("duplicate %s ids" % src)
    hot = set(ids["hotline"])
    errs += ["dangling link " + x for x in refs if x not in hot]
    lab = set()
    with open(os.path.join(d, "labels.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            s, i, _ = line.rstrip("\n").split("\t")
            lab.add((s, i))
    have = {(s, str(i)) for s, xs in ids.items() for i in xs}
    if lab != have:
        errs.append("labels.tsv does not match the records (%d vs %d)" % (len(lab), len(have)))
    incs = {line.split("\t")[2].strip() for line in open(os.path.join(d, "labels.tsv"), encoding="utf-8")}
    with open(os.path.join(d, "hard_negatives.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            a, b, _ = line.split("\t")
            if a not in incs or b not in incs or a == b:
                errs.append("hard negative %s %s" % (a, b))
    if errs:
        sys.exit("gen_eval: %s: %d problems:\n  " % (d, len(errs)) + "\n  ".join(errs[:30]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "fixtures", "eval"))
    ap.add_argument("--seed", default="20240501")
    ap.add_argument("--set", choices=["dev", "holdout", "val"], action="append")
    args = ap.parse_args()
    banks = {"dev": load_bank("dev"), "holdout": load_bank("holdout"), "val": load_bank("val")}
    shared = check_disjoint(banks["dev"], banks["holdout"])
    check_names_disjoint(banks["val"], banks["holdout"])
    if shared:
        print("gen_eval: note: %d fact words occur in both banks (e.g. %s)"
              % (len(shared), "、".join(sorted(shared)[:5])), file=sys.stderr)
    for name in args.set or ["dev", "holdout", "val"]:
        sb = SetBuilder(name, banks[name], args.seed)
        out = sb.build()
        st = write_set(sb, out, os.path.join(args.out, name))
        validate(os.path.join(args.out, name))
        print("%s: %s" % (name, json.dumps(st, ensure_ascii=False, sort_keys=True)))


if __name__ == "__main__":
    main()
