#!/usr/bin/env bash
# make eval: measure record linkage on the labelled sets.
#
#   scripts/dedup_eval.sh BUILD [SET...]        (default sets: dev holdout)
#
# For each set in fixtures/eval/SET and each mode (linkage, naive), import
# every page through the normal path (`suqiu import`, which stores and links
# each page) into a fresh database, in the order a poll would have fetched
# them (by each page's earliest update time), export the clustering, and
# score it with scripts/eval_score.py.  The naive baseline computed by suqiu
# is cross-checked against scripts/eval_naive.py, which reads the pages
# directly.  Environment: EVAL_KEEP=DIR keeps the databases and predictions
# there; EVAL_CONFIG_EXTRA=FILE appends YAML lines to the dedup: section and
# EVAL_TRACE=1 writes every scored candidate pair to WORK/SET-MODE.trace
# (for fitting weights on dev with scripts/dedup_fit.py; docs/dedup.md).
set -euo pipefail
build=${1:-build}
shift || true
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(dev holdout)
top=$(cd "$(dirname "$0")/.." && pwd)
suqiu=$top/$build/suqiu
[ -x "$suqiu" ] || { echo "dedup_eval: $suqiu not built" >&2; exit 2; }
if [ -n "${EVAL_KEEP:-}" ]; then
	work=$EVAL_KEEP
	mkdir -p "$work"
else
	work=$(mktemp -d /tmp/suqiu-eval-XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi

# Pages in the order a poll would fetch them: by earliest update time.
pages_in_order() {
	python3 - "$1" <<'PY'
import datetime as dt, glob, json, os, sys
CST = dt.timezone(dt.timedelta(hours=8))
def first_update(path):
    d = json.load(open(path, encoding="utf-8"))
    if "data" in d:
        return min(dt.datetime.strptime(r["updateTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=CST).timestamp()
                   for r in d["data"]["list"])
    if "messages" in d:
        return min(dt.datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")).timestamp()
                   for r in d["messages"])
    return min(r["updatedAt"] / 1000.0 for r in d["items"])
pages = [p for p in glob.glob(os.path.join(sys.argv[1], "*-[0-9]*.json"))]
for p in sorted(pages, key=lambda p: (first_update(p), p)):
    print(p)
PY
}

# export JSON lines -> PRED.tsv (source, source_id, incident)
to_pred() {
	python3 -c '
import json, sys
print("source\tsource_id\tpredicted_incident")
for line in sys.stdin:
    o = json.loads(line)
    print("%s\t%s\tI%s" % (o["source"], o["source_id"], o["incident_id"]))'
}

run_mode() {  # set dir mode -> prints eval_score's report
	local set=$1 dir=$2 mode=$3 db=$work/$1-$3.db cfg=$work/$1-$3.yaml start end
	rm -f "$db" "$db"-* "$db".*
	sed -e "s|@DB@|$db|" -e "s|@TOP@|$top|" -e "s|@MODE@|$mode|" \
		"$top/tests/eval/suqiu.yaml.in" >"$cfg"
	[ -z "${EVAL_CONFIG_EXTRA:-}" ] || sed 's/^/  /' "$EVAL_CONFIG_EXTRA" >>"$cfg"
	if [ -n "${EVAL_TRACE:-}" ]; then
		rm -f "$work/$set-$mode.trace"
		export SUQIU_DEDUP_TRACE=$work/$set-$mode.trace
	fi
	start=$(date +%s.%N)
	while read -r page; do
		source=$(basename "$page"); source=${source%%-*}
		"$suqiu" --config "$cfg" import --source "$source" "$page" 2>>"$work/$set-$mode.log" ||
			{ tail -n 5 "$work/$set-$mode.log" >&2; echo "dedup_eval: import of $page failed" >&2; exit 1; }
	done < <(pages_in_order "$dir")
	end=$(date +%s.%N)
	"$suqiu" --config "$cfg" export --format jsonl | to_pred >"$work/$set-$mode.tsv"
	python3 "$top/scripts/eval_score.py" "$work/$set-$mode.tsv" "$dir/labels.tsv" \
		"$dir/hard_negatives.tsv" --set "$set" --method "suqiu-$mode"
	awk -v s="$start" -v e="$end" -v set="$set" -v mode="$mode" \
		'BEGIN { printf "  import and linking of every page: %.1f s\n", e - s }'
}

summary=()
for set in "${sets[@]}"; do
	dir=$top/fixtures/eval/$set
	[ -f "$dir/labels.tsv" ] || { echo "dedup_eval: no labelled set $dir" >&2; exit 2; }
	echo "== $set"
	for mode in linkage naive; do
		out=$(run_mode "$set" "$dir" "$mode")
		echo "$out"
		summary+=("$(grep '^eval:' <<<"$out")")
	done
	# The naive rule as suqiu applies it must be the rule eval_naive.py applies.
	ref=$(python3 "$top/scripts/eval_naive.py" "$dir" --write-pred "$work/$set-naive-ref.tsv")
	summary+=("$(grep '^eval:' <<<"$ref") (eval_naive.py)")
	python3 - "$work/$set-naive.tsv" "$work/$set-naive-ref.tsv" <<'PY'
import itertools, sys
def pairs(path):
    clusters = {}
    for n, line in enumerate(open(path, encoding="utf-8")):
        s, i, c = line.rstrip("\n").split("\t")[:3]
        if n:
            clusters.setdefault(c, []).append((s, i))
    return {tuple(sorted(p)) for m in clusters.values() for p in itertools.combinations(m, 2)}
a, b = pairs(sys.argv[1]), pairs(sys.argv[2])
if a == b:
    print("  naive cross-check: suqiu's naive mode and eval_naive.py link the same %d pairs" % len(a))
else:
    print("  naive cross-check FAILED: %d pairs only in suqiu, %d only in eval_naive.py"
          % (len(a - b), len(b - a)))
    for p in sorted(a - b)[:5]: print("    suqiu only:", p)
    for p in sorted(b - a)[:5]: print("    eval_naive.py only:", p)
    sys.exit(1)
PY
done
echo "== summary"
printf '%s\n' "${summary[@]}"
