#!/usr/bin/python3
"""Fit record-linkage weights on a labelled set.

    EVAL_KEEP=/tmp/ev EVAL_TRACE=1 scripts/dedup_eval.sh build dev
    scripts/dedup_fit.py /tmp/ev/dev-linkage.trace fixtures/eval/dev/labels.tsv

The trace (SUQIU_DEDUP_TRACE) holds one line per candidate pair suqiu
scored: source, source_id of both, score, comparisons JSON.  A pair is a
match when both records carry the same label.

--method mu (Fellegi-Sunter): for each comparison level l of a field,
    m(l) = P(level l | match),  u(l) = P(level l | non-match)
over the scored pairs, with add-one smoothing; the weight is log2(m/u).
This takes the fields as independent given the match status.

--method lr (the default): a logistic regression of match on the level
indicators; its coefficients, in log2, are the weights.  They are still
log-likelihood-ratio contributions per level that add up, but fitted
jointly, so evidence that comes together (a shared place name raises the
text similarity too) is not counted twice.  The m and u shares are printed
beside each weight either way.

A field unknown on either side is no evidence (weight 0), as in suqiu.
Levels seen in fewer than --min-pairs pairs keep their default weight.  Prints the weights as `dedup:` YAML lines, then how a
threshold would split the traced pairs (a guide: the incremental clustering
decides differently, so check thresholds with `make eval EVAL_SETS=dev`).

Fit on dev only; measure holdout without refitting.
"""
import argparse
import collections
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eval_score  # noqa: E402

# Fields whose levels run from most to least alike in dedup_levels.h order.
ORDERED = ("text", "time")


def load_levels():
    """[(field, level, default)] in internal/dedup_levels.h order."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    text = open(os.path.join(top, "internal", "dedup_levels.h"), encoding="utf-8").read()
    return re.findall(r'X\(\w+,\s*"(\w+)",\s*"(\w+)",\s*"(-?[0-9.]+)"', text)


def solve(a, b):
    """Solve a x = b (a small dense system) by Gaussian elimination."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        if abs(m[c][c]) < 1e-12:
            continue
        for r in range(n):
            if r != c and m[r][c]:
                f = m[r][c] / m[c][c]
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / m[i][i] if abs(m[i][i]) > 1e-12 else 0.0 for i in range(n)]


def logistic(pairs, names, l2):
    """Coefficients (natural log odds) of a logistic regression of match on
    the level indicators, with an intercept last; Newton's method, L2."""
    k = len(names) + 1
    index = {n: i for i, n in enumerate(names)}
    rows = [([index[l] for l in levels if l in index] + [k - 1], 1.0 if match else 0.0)
            for match, _, levels in pairs]
    beta = [0.0] * k
    for _ in range(30):
        grad = [-l2 * b for b in beta]
        grad[-1] += l2 * beta[-1]          # the intercept is not shrunk
        hess = [[0.0] * k for _ in range(k)]
        for i in range(k - 1):
            hess[i][i] = l2
        for active, y in rows:
            z = sum(beta[i] for i in active)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            w = p * (1 - p)
            for i in active:
                grad[i] += y - p
                for j in active:
                    hess[i][j] += w
        step = solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def main():
    ap = argparse.ArgumentParser(description="fit dedup weights (log2 m/u) on a labelled trace")
    ap.add_argument("trace")
    ap.add_argument("labels")
    ap.add_argument("--round", type=float, default=0.5, help="round weights to this step")
    ap.add_argument("--cap", type=float, default=10.0, help="largest absolute weight")
    ap.add_argument("--method", choices=("lr", "mu"), default="lr",
                    help="lr: logistic regression on the levels (accounts for fields that "
                    "agree together); mu: Fellegi-Sunter log2(m/u) per level, fields taken "
                    "as independent")
    ap.add_argument("--l2", type=float, default=1.0, help="lr: L2 penalty")
    ap.add_argument("--min-pairs", type=int, default=10,
                    help="levels seen in fewer scored pairs keep their default weight")
    a = ap.parse_args()
    labels = eval_score.load_labels(a.labels)
    seen = set()
    pairs = []
    for line in open(a.trace, encoding="utf-8"):
        s1, i1, s2, i2, score, comps = line.rstrip("\n").split("\t")
        key = tuple(sorted([(s1, i1), (s2, i2)]))
        if key in seen or (s1, i1) not in labels or (s2, i2) not in labels:
            continue
        seen.add(key)
        match = labels[(s1, i1)] == labels[(s2, i2)]
        levels = {(c["field"], c["level"]) for c in json.loads(comps)}
        pairs.append((match, float(score), levels))
    nm = sum(1 for p in pairs if p[0])
    nu = len(pairs) - nm
    if not nm or not nu:
        sys.exit("dedup_fit: need both matching and non-matching pairs in the trace")
    count = {True: collections.Counter(), False: collections.Counter()}
    for match, _, levels in pairs:
        count[match].update(levels)
    levels_all = load_levels()
    print("# fitted on %d scored pairs: %d matches, %d non-matches" % (len(pairs), nm, nu))
    if a.method == "lr":
        names = [(f, l) for f, l, d in levels_all
                 if count[True][(f, l)] + count[False][(f, l)] >= a.min_pairs]
        beta = logistic(pairs, names, a.l2)
        coef = {n: b / math.log(2) for n, b in zip(names, beta)}
        print("# logistic regression, intercept %.2f (log2 odds of a match for a pair "
              "with no known field)" % (beta[-1] / math.log(2)))
    weights = []
    for field, level, default in levels_all:
        per_field = sum(1 for f, _, _ in levels_all if f == field)
        cm, cu = count[True][(field, level)], count[False][(field, level)]
        m = (cm + 1) / (nm + per_field)
        u = (cu + 1) / (nu + per_field)
        if cm + cu < a.min_pairs:
            # too few pairs say anything: keep the default (a prior)
            w, note = float(default), "default: only %d pairs" % (cm + cu)
        elif a.method == "lr":
            w = max(-a.cap, min(a.cap, coef[(field, level)]))
            w, note = round(w / a.round) * a.round, "m %.3f u %.3f" % (m, u)
        else:
            w = max(-a.cap, min(a.cap, math.log2(m / u)))
            w, note = round(w / a.round) * a.round, "m %.3f u %.3f" % (m, u)
        weights.append([field, level, w, note, cm, cu])
    # Ordered fields (more similar first): a less similar level never
    # weighs more than a more similar one; sparse levels would say so.
    for field in ORDERED:
        rows = [r for r in weights if r[0] == field]
        for upper, lower in zip(rows, rows[1:]):
            if lower[2] <= upper[2]:
                continue
            if lower[3].startswith("default"):      # no data below: lower the prior
                lower[2] = upper[2]
                lower[3] += "; lowered to the level above"
            else:
                upper[2] = lower[2]
                upper[3] += "; raised to the level below"
    for field, level, w, note, cm, cu in weights:
        print("weight_%s_%s: %.1f    # %s (%d/%d)" % (field, level, w, note, cm, cu))
    print("# traced pairs above each threshold (current weights):")
    for t in range(0, 21, 2):
        tp = sum(1 for p in pairs if p[0] and p[1] >= t)
        fp = sum(1 for p in pairs if not p[0] and p[1] >= t)
        print("#   %3d: %5d matches (%.3f of them), %5d non-matches" % (t, tp, tp / nm, fp))


if __name__ == "__main__":
    main()
