#!/usr/bin/python3
"""The naive linking rule, computed straight from an evaluation set's files.

    scripts/eval_naive.py SETDIR [SETDIR...] [--write-pred FILE] [-v]

Two records are linked if one declares the other (hotline `relatedOrderNo`,
city-management `refOrderNo`, both naming a hotline `orderNo`), or if they
carry the same full phone number and were received at most 24 hours apart
(hotline `caller.phone` at `acceptTime`, city-management `reporter.phone` at
`reportedAt`; the liaison station only gives masked numbers, which never
count).  Phone numbers are compared on their digits (020-81234567 ==
02081234567, a leading 86 dropped).  Links are closed transitively.

Prints pairwise precision, recall, F1 and the hard-negative false-merge rate
(see eval_score.py), ending with the stable summary line
    eval: set=dev pairs_true=.. precision=.. recall=.. f1=.. hardneg_false_merge=.. method=naive
This is the cross-check for suqiu's own naive baseline in `make eval`.
"""

import argparse
import datetime as dt
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_score  # noqa: E402

CST = dt.timezone(dt.timedelta(hours=8))
WINDOW = 24 * 3600


def phone_key(p):
    if not p or "*" in p:
        return None
    d = re.sub(r"\D", "", p.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}))
    if len(d) == 13 and d.startswith("86"):
        d = d[2:]
    return d or None


def load_records(setdir):
    """[(source, source_id, unix_time, phone_key, declared_hotline_orderNo)]"""
    recs = []
    for f in sorted(glob.glob(os.path.join(setdir, "hotline-*.json"))):
        for r in json.load(open(f, encoding="utf-8"))["data"]["list"]:
            t = dt.datetime.strptime(r["acceptTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp()
            caller = r.get("caller") or {}
            recs.append(("hotline", r["orderNo"], t, phone_key(caller.get("phone")), r.get("relatedOrderNo")))
    for f in sorted(glob.glob(os.path.join(setdir, "liaison-*.json"))):
        for r in json.load(open(f, encoding="utf-8"))["messages"]:
            t = dt.datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")).timestamp()
            mobile = (r.get("author") or {}).get("mobile")
            recs.append(("liaison", str(r["id"]), t, phone_key(mobile), None))
    for f in sorted(glob.glob(os.path.join(setdir, "citymgmt-*.json"))):
        for r in json.load(open(f, encoding="utf-8"))["items"]:
            rep = r.get("reporter") or {}
            recs.append(("citymgmt", r["caseNo"], r["reportedAt"] / 1000.0, phone_key(rep.get("phone")),
                         r.get("refOrderNo")))
    return recs


def naive_clusters(recs):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        parent[find(a)] = find(b)

    keys = set()
    for src, sid, *_ in recs:
        keys.add((src, sid))
        find((src, sid))
    for src, sid, t, ph, decl in recs:
        if decl and ("hotline", decl) in keys:
            union((src, sid), ("hotline", decl))
    by_phone = {}
    for src, sid, t, ph, _ in recs:
        if ph:
            by_phone.setdefault(ph, []).append((t, src, sid))
    for rows in by_phone.values():
        rows.sort()
        # consecutive records within 24 h give the same closure as all such pairs
        for (t1, s1, i1), (t2, s2, i2) in zip(rows, rows[1:]):
            if t2 - t1 <= WINDOW:
                union((s1, i1), (s2, i2))
    return {k: "%s:%s" % find(k) for k in keys}


def main():
    ap = argparse.ArgumentParser(description="score the naive rule (declared links or same phone within 24 h)")
    ap.add_argument("sets", nargs="+", help="set directories, e.g. fixtures/eval/dev")
    ap.add_argument("--write-pred", help="write the naive clustering as PRED.tsv (one set only)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.write_pred and len(a.sets) != 1:
        sys.exit("eval_naive: --write-pred takes one set")
    for d in a.sets:
        name = os.path.basename(os.path.normpath(d))
        pred = naive_clusters(load_records(d))
        labels = eval_score.load_labels(os.path.join(d, "labels.tsv"))
        hn = eval_score.load_hardneg(os.path.join(d, "hard_negatives.tsv"))
        r = eval_score.score(pred, labels, hn)
        eval_score.report(name, r, "naive", verbose=a.verbose)
        if a.write_pred:
            with open(a.write_pred, "w", encoding="utf-8") as f:
                f.write("source\tsource_id\tpredicted_incident\n")
                for (s, i), c in sorted(pred.items()):
                    f.write("%s\t%s\t%s\n" % (s, i, c))


if __name__ == "__main__":
    main()
