#!/usr/bin/python3
"""List the linkage errors of one evaluated set, by category, for reading.

    EVAL_KEEP=/tmp/ev EVAL_TRACE=1 scripts/dedup_eval.sh build dev
    scripts/eval_errors.py /tmp/ev dev [--show N] [--category NAME]

Reads WORK/SET-linkage.db (the database `make eval` built), its trace
(WORK/SET-linkage.trace, every candidate pair scored) and
fixtures/eval/SET/labels.tsv, and sorts every error into one category:

  false link       a complaint joined by score a candidate of another incident
  missed, not a candidate
                   none of its true partners received before it was among the
                   candidates blocking found (a blocking miss)
  missed, below threshold
                   a true partner was scored, but below the threshold, and no
                   wrong candidate beat it
  missed, beaten   a true partner was scored, but a wrong candidate scored
                   higher (it then joined or started something else)

For each category it prints counts by the levels involved, then N examples
with both texts, the extracted features (dedup_docs) and the comparisons.
Use it on dev only: reading the holdout's errors is tuning on it
(fixtures/eval/README.md).
"""
import argparse
import collections
import json
import os
import sqlite3
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_labels(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            s, i, lab = line.rstrip("\n").split("\t")[:3]
            out[(s, i)] = lab
    return out


def load_trace(path):
    """{(source, id): [(partner key, score, comparisons)]} in scoring order."""
    out = collections.defaultdict(list)
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            a_s, a_i, b_s, b_i, score, cmp = line.rstrip("\n").split("\t")
            out[(a_s, a_i)].append(((b_s, b_i), float(score), json.loads(cmp)))
    return out


def levels(cmp):
    return " ".join("%s=%s" % (c["field"], c["level"]) for c in cmp)


def place_level(cmp):
    for c in cmp:
        if c["field"] == "place":
            return c["level"]
    return "unknown"


def main():
    ap = argparse.ArgumentParser(description="list linkage errors by category (dev only)")
    ap.add_argument("work")
    ap.add_argument("set")
    ap.add_argument("--show", type=int, default=5, help="examples per category")
    ap.add_argument("--category", help="only this category (false, blocking, below, beaten)")
    args = ap.parse_args()
    if args.set == "holdout":
        sys.exit("eval_errors: the holdout is measured, not read (fixtures/eval/README.md)")
    labels = load_labels(os.path.join(TOP, "fixtures", "eval", args.set, "labels.tsv"))
    trace = load_trace(os.path.join(args.work, args.set + "-linkage.trace"))
    db = sqlite3.connect(os.path.join(args.work, args.set + "-linkage.db"))
    db.row_factory = sqlite3.Row
    rows = db.execute(
        "SELECT c.id, c.source, c.source_id, c.received_at, c.title, c.text, c.address,"
        " c.community, c.category, c.category_raw, c.incident_id, l.method, l.matched_id,"
        " l.score, l.comparisons, d.addr_key, d.road_key, d.landmarks, d.buildings, d.folded"
        " FROM complaints c LEFT JOIN dedup_links l ON l.complaint_id = c.id"
        " LEFT JOIN dedup_docs d ON d.complaint_id = c.id ORDER BY c.id").fetchall()
    by_id = {r["id"]: r for r in rows}
    key = {r["id"]: (r["source"], r["source_id"]) for r in rows}
    first = {}   # label -> ids in linking order
    for r in rows:
        first.setdefault(labels.get(key[r["id"]]), []).append(r["id"])
    thr = None
    cfg = open(os.path.join(args.work, args.set + "-linkage.yaml"), encoding="utf-8").read()
    for line in cfg.splitlines():
        if line.strip().startswith("threshold:"):
            thr = float(line.split(":")[1])
    thr = 9.0 if thr is None else thr
    cats = collections.defaultdict(list)
    for r in rows:
        lab = labels.get(key[r["id"]])
        if r["method"] == "score" and r["matched_id"]:
            other = labels.get(key[r["matched_id"]])
            if other != lab:
                cats["false"].append((r, by_id[r["matched_id"]], json.loads(r["comparisons"] or "[]"),
                                      r["score"]))
        earlier = [i for i in first[lab] if i < r["id"]]
        if not earlier or r["method"] == "declared":
            continue
        if r["method"] == "score" and labels.get(key[r["matched_id"]]) == lab:
            continue
        scored = {p: (s, c) for p, s, c in trace.get(key[r["id"]], [])}
        partners = [(scored[key[i]][0], i, scored[key[i]][1]) for i in earlier if key[i] in scored]
        if not partners:
            cats["blocking"].append((r, by_id[earlier[-1]], [], None))
            continue
        s, i, c = max(partners)
        wrong = max((sc for p, sc, _ in trace.get(key[r["id"]], []) if labels.get(p) != lab),
                    default=-1e9)
        cats["beaten" if wrong > s and wrong >= thr else "below"].append((r, by_id[i], c, s))
    names = {"false": "false link", "blocking": "missed, not a candidate",
             "below": "missed, below threshold", "beaten": "missed, beaten by a wrong candidate"}
    for cat in ("false", "blocking", "below", "beaten"):
        if args.category and args.category != cat:
            continue
        errs = cats[cat]
        print("== %s: %d" % (names[cat], len(errs)))
        hist = collections.Counter(place_level(c) for _, _, c, _ in errs)
        print("   place levels: " + ", ".join("%s %d" % kv for kv in hist.most_common()))
        hist = collections.Counter(levels([x for x in c if x["field"] in ("text", "category")])
                                   for _, _, c, _ in errs)
        print("   text/category: " + ", ".join("%s %d" % kv for kv in hist.most_common(8)))
        for r, o, c, s in errs[:args.show]:
            print("-- C%d %s %s  vs  C%d %s %s  score %s" % (
                r["id"], labels.get(key[r["id"]]), r["category_raw"], o["id"],
                labels.get(key[o["id"]]), o["category_raw"], "%.1f" % s if s is not None else "-"))
            print("   " + levels(c))
            for x in (r, o):
                print("   [%s] addr=%s road=%s lm=%s bl=%s comm=%s" % (
                    x["source"], x["addr_key"], x["road_key"], x["landmarks"], x["buildings"],
                    x["community"]))
                print("      address: %s" % (x["address"] or ""))
                print("      text: %s%s" % ((x["title"] + " | ") if x["title"] else "",
                                            (x["text"] or "").replace("\n", " ")[:300]))
                print("      problem words: %s" % (x["folded"] or "")[:200])


if __name__ == "__main__":
    main()
