# Shared by the digest and search CLI tests (t61NN-*.sh): lib.sh's helpers,
# a configuration with the hotline and city-management sources, and the
# hand-computed fixture of tests/data/digest imported with `suqiu import`.
# Sourced, not run.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA=$SUQIU_TOP/tests/data/digest
# The feeds are never fetched: import reads the saved pages.
SIM_URL=http://127.0.0.1:9

# The fixture (tests/data/digest/README.md says why each record counts
# where it does).  Import at 2024-06-02 09:00 China time, so the bad record
# H10 is quarantined then; the digests run at 12:00.
load_fixture() {
	write_config hotline citymgmt
	SIM_NOW=2024-06-02T09:00:00+08:00
	run_suqiu import --source hotline "$DATA/hotline-may.json"
	expect_status 0 "import hotline"
	run_suqiu import --source citymgmt "$DATA/citymgmt-may.json"
	expect_status 0 "import citymgmt"
	SIM_NOW=2024-06-02T12:00:00+08:00
}

# The complaint id (C<id> without the C) of a hotline order or city case.
cid() {  # source_id
	sql "SELECT id FROM complaints WHERE source_id = '$1'"
}

# A value from the JSON in $T/out: py_json 'd["totals"]["complaints"]'
# (a tuple prints space-separated).
py_json() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(" ".join(str(x) for x in v) if isinstance(v, tuple) else v)' "$T/out" "$1"
}

# Every line of the table titled $1 in $T/out has the same display width
# (East Asian Wide and Fullwidth count two columns), measured by Python's
# unicodedata, independently of suqiu's own width function.
expect_aligned() {  # title
	python3 - "$T/out" "$1" <<'PY' || fail "table '$1' is not aligned"
import sys, unicodedata
def width(s):
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return w
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
start = lines.index("== %s ==" % sys.argv[2]) + 1
rows = []
for l in lines[start:]:
    if not l or l.startswith("  "):
        break
    rows.append(l)
widths = {width(r) for r in rows}
if len(rows) < 2 or len(widths) != 1:
    print("\n".join("%3d |%s|" % (width(r), r) for r in rows))
    sys.exit(1)
PY
}
