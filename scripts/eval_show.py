#!/usr/bin/python3
"""Print the records of labelled incidents side by side, for hand checking.

    scripts/eval_show.py SETDIR [--sample N] [--seed S] [--multi] [--hardneg N] [LABEL...]

Without labels, prints a random sample of N incidents (default 20; --multi:
only incidents with two or more reports); --hardneg N prints N random
hard-negative pairs, both sides.
"""

import argparse
import collections
import datetime as dt
import glob
import json
import os
import random

CST = dt.timezone(dt.timedelta(hours=8))


def load(setdir):
    recs = {}
    for f in sorted(glob.glob(os.path.join(setdir, "hotline-*.json"))):
        for r in json.load(open(f, encoding="utf-8"))["data"]["list"]:
            c = r["caller"]
            recs[("hotline", r["orderNo"])] = dict(
                t=r["acceptTime"], where="%s | %s" % (r["community"] or "-", r["address"] or "-"),
                who="%s %s" % (c["name"], c["phone"]), head="[%s/%s] %s" % (r["channel"], r["categoryPath"], r["title"]),
                text=r["content"], extra="status=%s related=%s" % (r["status"], r["relatedOrderNo"]))
    for f in sorted(glob.glob(os.path.join(setdir, "liaison-*.json"))):
        for r in json.load(open(f, encoding="utf-8"))["messages"]:
            t = dt.datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")).astimezone(CST)
            recs[("liaison", str(r["id"]))] = dict(
                t=t.strftime("%Y-%m-%d %H:%M:%S"),
                where="%s | %s" % (r["area"]["community"] or "-", r.get("address", "(absent)") or "-"),
                who="%s %s" % (r["author"]["nickname"], r["author"]["mobile"]),
                head="[%s] %s" % (r["topic"], r["subject"]), text=r["body"], extra="state=%s" % r["state"])
    for f in sorted(glob.glob(os.path.join(setdir, "citymgmt-*.json"))):
        for r in json.load(open(f, encoding="utf-8"))["items"]:
            t = dt.datetime.fromtimestamp(r["reportedAt"] / 1000, CST)
            loc = r["location"]
            recs[("citymgmt", r["caseNo"])] = dict(
                t=t.strftime("%Y-%m-%d %H:%M:%S"),
                where="%s | %s | %s" % (r["gridCode"], r["address"],
                                        "%.5f,%.5f %s" % (loc["lng"], loc["lat"], loc["crs"]) if loc else "-"),
                who="%s %s" % (r["origin"], r["reporter"].get("phone")),
                head="[%s %s] " % (r["class"]["majorName"], r["class"]["minorName"]), text=r["description"],
                extra="stage=%s ref=%s" % (r["stage"], r["refOrderNo"]))
    labels = collections.defaultdict(list)
    with open(os.path.join(setdir, "labels.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            s, i, lab = line.rstrip("\n").split("\t")
            labels[lab].append((s, i))
    return recs, labels


def show(lab, recs, labels):
    rs = sorted(labels[lab], key=lambda k: recs[k]["t"])
    print("=== %s (%d reports)" % (lab, len(rs)))
    for k in rs:
        r = recs[k]
        print("  %s %-8s %s  %s  {%s}" % (r["t"], k[0], k[1], r["who"], r["extra"]))
        print("      @ %s" % r["where"])
        print("      %s" % r["head"])
        print("      %s" % r["text"].replace("\r\n", "⏎"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("set")
    ap.add_argument("labels", nargs="*")
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--seed", default="check")
    ap.add_argument("--multi", action="store_true")
    ap.add_argument("--hardneg", type=int, default=0)
    a = ap.parse_args()
    recs, labels = load(a.set)
    rng = random.Random(a.seed)
    if a.hardneg:
        rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(a.set, "hard_negatives.tsv"), encoding="utf-8")][1:]
        for x, y, why in rng.sample(rows, min(a.hardneg, len(rows))):
            print("##### %s" % why)
            show(x, recs, labels)
            show(y, recs, labels)
        return
    labs = a.labels or rng.sample(sorted(l for l in labels if not a.multi or len(labels[l]) > 1), a.sample)
    for lab in labs:
        show(lab, recs, labels)


if __name__ == "__main__":
    main()
