#!/usr/bin/python3
"""Score a predicted clustering against a labelled evaluation set.

    scripts/eval_score.py PRED.tsv LABELS.tsv HARDNEG.tsv [--set NAME] [--method NAME]

PRED.tsv has lines `source<TAB>source_id<TAB>predicted_incident` (a header
line whose first field is `source` is skipped; so are blank lines and lines
starting with #).  Records of LABELS.tsv missing from PRED.tsv count as
singletons; predicted records not in LABELS.tsv are ignored (and counted).

Pairwise figures: a pair of records is a true pair if both carry the same
label, a predicted pair if both are in one predicted cluster.
precision = TP / predicted pairs (1.0 if nothing was merged), recall = TP /
true pairs, F1 their harmonic mean.  A hard-negative pair (incident A,
incident B) is falsely merged if any record of A and any record of B share a
predicted cluster; the false-merge rate is the share of such pairs.

The last line printed is stable and meant for scripts:
    eval: set=dev pairs_true=N precision=P recall=R f1=F hardneg_false_merge=X [method=M]
"""

import argparse
import collections
import os
import sys


def read_tsv(path, ncols):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < ncols:
                sys.exit("%s:%d: expected %d tab-separated fields" % (path, n, ncols))
            if n == 1 and cols[0] in ("source", "incident_a"):
                continue
            rows.append(cols)
    return rows


def load_labels(path):
    """{(source, source_id): incident}"""
    return {(s, i): lab for s, i, lab, *_ in read_tsv(path, 3)}


load_pred = load_labels


def load_hardneg(path):
    return [(a, b) for a, b, *_ in read_tsv(path, 2)]


def c2(n):
    return n * (n - 1) // 2


def score(pred, labels, hardneg):
    """pred, labels: {(source, source_id): cluster}; hardneg: [(incident_a, incident_b)]."""
    # records missing from pred are singletons of their own
    p = {k: pred.get(k, ("__single__",) + k) for k in labels}
    true_sizes = collections.Counter(labels.values())
    pred_sizes = collections.Counter(p.values())
    cells = collections.Counter((labels[k], p[k]) for k in labels)
    tp = sum(c2(n) for n in cells.values())
    t = sum(c2(n) for n in true_sizes.values())
    pp = sum(c2(n) for n in pred_sizes.values())
    precision = tp / pp if pp else 1.0
    recall = tp / t if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    clusters_of = collections.defaultdict(set)
    for k, lab in labels.items():
        clusters_of[lab].add(p[k])
    merged = [(a, b) for a, b in hardneg if clusters_of[a] & clusters_of[b]]
    missing_hn = [(a, b) for a, b in hardneg if a not in clusters_of or b not in clusters_of]
    return {
        "records": len(labels),
        "records_unpredicted": sum(1 for k in labels if k not in pred),
        "records_unknown": sum(1 for k in pred if k not in labels),
        "pairs_true": t, "pairs_pred": pp, "pairs_tp": tp,
        "precision": precision, "recall": recall, "f1": f1,
        "hardneg_pairs": len(hardneg), "hardneg_merged": len(merged),
        "hardneg_false_merge": len(merged) / len(hardneg) if hardneg else 0.0,
        "hardneg_missing": len(missing_hn),
        "merged_pairs": merged,
    }


def summary_line(setname, r, method=None):
    s = ("eval: set=%s pairs_true=%d precision=%.4f recall=%.4f f1=%.4f hardneg_false_merge=%.4f"
         % (setname, r["pairs_true"], r["precision"], r["recall"], r["f1"], r["hardneg_false_merge"]))
    return s + (" method=%s" % method if method else "")


def report(setname, r, method=None, out=sys.stdout, verbose=False):
    print("set %s%s: %d records, %d true pairs, %d predicted pairs, %d correct"
          % (setname, " (%s)" % method if method else "", r["records"], r["pairs_true"],
             r["pairs_pred"], r["pairs_tp"]), file=out)
    print("  pairwise precision %.4f  recall %.4f  F1 %.4f"
          % (r["precision"], r["recall"], r["f1"]), file=out)
    print("  hard negatives falsely merged: %d of %d (%.4f)"
          % (r["hardneg_merged"], r["hardneg_pairs"], r["hardneg_false_merge"]), file=out)
    if r["records_unpredicted"] or r["records_unknown"] or r["hardneg_missing"]:
        print("  note: %d labelled records not in the prediction (scored as singletons), "
              "%d predicted records not labelled, %d hard-negative pairs name unknown incidents"
              % (r["records_unpredicted"], r["records_unknown"], r["hardneg_missing"]), file=out)
    if verbose:
        for a, b in r["merged_pairs"]:
            print("  merged hard negative: %s %s" % (a, b), file=out)
    print(summary_line(setname, r, method), file=out)


def main():
    ap = argparse.ArgumentParser(description="score a predicted clustering (pairwise P/R/F1, hard negatives)")
    ap.add_argument("pred")
    ap.add_argument("labels")
    ap.add_argument("hardneg")
    ap.add_argument("--set", help="set name for the summary (default: the labels file's directory name)")
    ap.add_argument("--method", help="method name appended to the summary line")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the merged hard-negative pairs")
    a = ap.parse_args()
    setname = a.set or os.path.basename(os.path.dirname(os.path.abspath(a.labels)))
    r = score(load_pred(a.pred), load_labels(a.labels), load_hardneg(a.hardneg))
    report(setname, r, a.method, verbose=a.verbose)


if __name__ == "__main__":
    main()
