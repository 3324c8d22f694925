#!/usr/bin/python3
"""Score the early-warning detectors on the labelled scenarios (make eval-detect).

    scripts/eval_detect.py [--build build] [--linking dedup|labels] [--step 3600]
                           [--keep DIR] [--score-only DIR] SET...

For each set, fixtures/detect/SET.jsonl.gz is replayed by build/eval_detect
into a fresh database (hour by hour: store, link, detect), then judged
against SET.labels.json:

  found      an injection is found by its detector when a flag of that kind
             holds at least min(3, size) of its complaints (urgent: 1);
  time       from the first injected complaint's arrival to the moment the
             needed members were in such a flag (flag_members.added_at is the
             replay's "now" of the run that added them);
  same run   urgent items flagged by the run that stored them;
  false      flags opened after the warm-up (eval_from) none of whose members
             was injected, per 30 days of evaluated background.

Exit status 1 when a target is missed: every injection found, at most one
false flag per 30 days per detector, every urgent item in the same run.
"""
import argparse
import collections
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile

KINDS = ["cluster", "surge", "spacetime", "common_cause", "urgent"]


def run_replay(top, build, name, cfg, workdir, options):
    """Replay fixtures/detect/NAME.jsonl.gz through BUILD/eval_detect with
    configuration CFG and OPTIONS into a fresh WORKDIR/NAME.db; returns the
    database's path and eval_detect's summary line."""
    db = os.path.join(workdir, name + ".db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    data = os.path.join(top, "fixtures", "detect", name + ".jsonl.gz")
    with subprocess.Popen(["gzip", "-dc", data], stdout=subprocess.PIPE) as gz:
        out = subprocess.run([os.path.join(top, build, "eval_detect")] + options + [cfg, db],
                             stdin=gz.stdout, capture_output=True, text=True)
    if out.returncode:
        sys.exit("eval_detect %s failed: %s" % (name, out.stderr.strip()))
    return db, out.stdout.strip()


def replay(args, top, name, workdir):
    db, summary = run_replay(top, args.build, name,
                             os.path.join(top, "fixtures", "detect", "eval.yaml"), workdir,
                             ["--step", str(args.step), "--linking", args.linking])
    print("  %-13s %s" % (name, summary), flush=True)
    return db


def score(db, labels):
    con = sqlite3.connect(db)
    src = {}
    size = collections.Counter()
    for cid, sid, first_seen, inc in con.execute(
            "SELECT id, source_id, first_seen_at, incident_id FROM complaints"):
        src[sid] = (cid, first_seen, inc)
        if inc is not None:
            size[inc] += 1
    injected = {}
    for inj in labels["injections"]:
        for sid in inj["members"]:
            injected[src[sid][0]] = inj["id"]
    members = collections.defaultdict(list)
    for fid, cid, added in con.execute("SELECT flag_id, complaint_id, added_at FROM flag_members"):
        members[fid].append((cid, added))
    flags = list(con.execute("SELECT id, kind, opened_at, summary FROM flags"))
    end = con.execute("SELECT max(last_run_at) FROM detector_state").fetchone()[0] or \
        con.execute("SELECT max(first_seen_at) FROM complaints").fetchone()[0]
    con.close()

    res = {"days": max(0, (end - labels["eval_from"]) / 86400.0), "inj": [], "false": [],
           "cross": collections.Counter()}
    # Every injected complaint is an incident of its own (scripts/gen_detect.py):
    # one that linking put with any other complaint was merged wrongly, and
    # the detectors, which count incidents, see one fewer.
    res["merged"] = sum(1 for i in labels["injections"] for s in i["members"]
                        if src[s][2] is not None and size[src[s][2]] > 1)
    res["injected"] = sum(len(i["members"]) for i in labels["injections"])
    for inj in labels["injections"]:
        ids = {src[s][0] for s in inj["members"]}
        need = 1 if inj["kind"] == "urgent" else min(3, len(ids))
        best = None
        for fid, kind, opened, _ in flags:
            got = sorted(a for c, a in members[fid] if c in ids)
            if kind != inj["kind"] or len(got) < need:
                if got:
                    res["cross"][(inj["kind"], kind)] += 1
                continue
            t = got[need - 1]
            best = t if best is None else min(best, t)
        same = None
        if inj["kind"] == "urgent" and best is not None:
            same = best == src[inj["members"][0]][1]
        res["inj"].append({"id": inj["id"], "kind": inj["kind"], "found": best is not None,
                           "delay": None if best is None else best - inj["first_at"],
                           "same_run": same})
    for fid, kind, opened, summary in flags:
        if opened < labels["eval_from"]:
            continue
        if not any(c in injected for c, _ in members[fid]):
            res["false"].append((kind, summary))
    return res


def hours(s):
    return "%.1f h" % (s / 3600.0)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default="build")
    p.add_argument("--linking", default="dedup", choices=["dedup", "labels"])
    p.add_argument("--step", type=int, default=3600)
    p.add_argument("--keep", help="keep the databases in this directory")
    p.add_argument("--score-only", help="score the databases already in this directory")
    p.add_argument("--verbose", action="store_true", help="list every false flag")
    p.add_argument("sets", nargs="+")
    args = p.parse_args()
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

    # tmpfs when there is one: thousands of small commits.
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    workdir = args.score_only or args.keep or tempfile.mkdtemp(prefix="suqiu-eval-detect-", dir=base)
    os.makedirs(workdir, exist_ok=True)
    print("eval-detect: linking %s, a poll every %d s; databases in %s" %
          (args.linking, args.step, workdir))
    results = []
    try:
        for name in args.sets:
            labels = json.load(open(os.path.join(top, "fixtures", "detect", name + ".labels.json")))
            db = os.path.join(workdir, name + ".db") if args.score_only else \
                replay(args, top, name, workdir)
            results.append((name, score(db, labels)))
    finally:
        if not args.keep and not args.score_only:
            shutil.rmtree(workdir, ignore_errors=True)

    ok = True
    dev = [(n, r) for n, r in results if not n.startswith("holdout")]
    held = [(n, r) for n, r in results if n.startswith("holdout")]
    for title, group in (("development sets (the detectors were tuned on these)", dev),
                         ("held-out set (never tuned on)", held)):
        if group:
            ok = report(title, group, args.verbose) and ok
    return 0 if ok else 1


def report(title, results, verbose):
    """Print one group's table, the targets beside the figures; True when all are met."""
    days = sum(r["days"] for _, r in results)
    per30 = days / 30.0
    print("\n%s: %s" % (title, " ".join(n for n, _ in results)))
    print("background evaluated: %.0f days (after a 56-day warm-up in each set)\n" % days)
    print("%-13s %9s %7s %12s %12s %6s %10s %7s" % (
        "detector", "found", "target", "median time", "worst time", "false", "per 30 d",
        "target"))
    ok = True
    false_by_kind = collections.Counter(k for _, r in results for k, _ in r["false"])
    for kind in KINDS:
        inj = [i for _, r in results for i in r["inj"] if i["kind"] == kind]
        found = [i for i in inj if i["found"]]
        delays = [i["delay"] for i in found]
        rate = false_by_kind[kind] / per30 if days else 0.0
        met = len(found) == len(inj) and rate <= 1.0
        print("%-13s %4d / %-3d %7s %12s %12s %6d %10.2f %7s  %s" % (
            kind, len(found), len(inj), "all", hours(statistics.median(delays)) if delays else "-",
            hours(max(delays)) if delays else "-", false_by_kind[kind], rate, "<= 1",
            "met" if met else "NOT met"))
        ok = ok and met
        if kind == "urgent" and inj:
            same = sum(1 for i in inj if i["same_run"])
            print("%-13s %4d / %-3d %7s %s  %s" % (
                "  same run", same, len(inj), "all", "flagged by the run that stored them",
                "met" if same == len(inj) else "NOT met"))
            ok = ok and same == len(inj)
    total = sum(false_by_kind.values())
    print("%-13s %9s %7s %12s %12s %6d %10.2f %7s  %s" % (
        "all", "", "", "", "", total, total / per30 if days else 0.0, "(<= 1)",
        "(strict reading, all detectors together: %s)" %
        ("met" if not days or total / per30 <= 1.0 else "not met")))
    missed = [i["id"] for _, r in results for i in r["inj"] if not i["found"]]
    if missed:
        print("\nmissed: " + ", ".join(missed))
    injected = sum(r["injected"] for _, r in results)
    if injected:
        print("\ninjected complaints that linking merged into another incident (each is its own): "
              "%d of %d" % (sum(r["merged"] for _, r in results), injected))
    cross = collections.Counter()
    for _, r in results:
        cross.update(r["cross"])
    if cross:
        print("\nalso flagged injections by another detector (meant, flagged by): " +
              ", ".join("%s by %s x%d" % (a, b, n) for (a, b), n in sorted(cross.items())))
    if verbose:
        for name, r in results:
            for kind, summary in r["false"]:
                print("false  %-13s %-12s %s" % (name, kind, summary))
    print("\ntargets (every injection found, <= 1 false flag per 30 days per detector, "
          "urgent in the same run): %s" % ("met" if ok else "NOT met"))
    return ok


if __name__ == "__main__":
    sys.exit(main())
