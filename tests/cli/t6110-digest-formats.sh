#!/usr/bin/env bash
# suqiu digest in every format on the fixture: JSON that python's json
# reads with the documented fields, CSV that python's csv reads (RFC 4180,
# --bom for Excel), Markdown tables, the pivots with columns aligned for
# Chinese, and colour only on a terminal and never with NO_COLOR.
. "$(dirname "$0")/lib-digest.sh"

load_fixture
MAY=(--since 2024-05-01 --until 2024-06-01)

say "json"
run_suqiu digest "${MAY[@]}" --format json
expect_status 0 "json"
python3 - "$T/out" <<'PY' || fail "json fields"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["report"] == "digest" and d["version"] == 1, d
assert d["period"] == {"since": "2024-05-01T00:00:00+08:00", "until": "2024-06-01T00:00:00+08:00",
                       "previous_since": "2024-03-31T00:00:00+08:00", "timezone": "+08:00",
                       "label": None}, d["period"]
t = d["totals"]
assert (t["complaints"], t["complaints_previous"], t["change"], t["incidents"],
        t["new_incidents"], t["overdue"], t["unmapped"], t["quarantined"]) == (7, 1, 6, 7, 7, 2, 1, 0), t
r = d["resolution"]
assert (r["registered"], r["resolved"], r["resolution_rate"]) == (6, 3, 0.5), r
assert (r["due"], r["on_time"], r["on_time_rate"]) == (3, 1, 0.3333), r
assert (r["rated"], r["satisfied"], r["basically_satisfied"], r["dissatisfied"],
        r["satisfaction_rate"]) == (3, 1, 1, 1, 0.6667), r
c = {x["category"]: x for x in d["categories"]}
assert c["noise"] == {"category": "noise", "category_name": "噪声扰民", "complaints": 3,
                      "previous": 1, "change": 2}, c["noise"]
assert c[None]["complaints"] == 1
assert {(x["source"], x["channel"]): x["complaints"] for x in d["by_source_channel"]} == {
    ("hotline", "电话"): 4, ("hotline", "微信"): 1, ("hotline", "网站"): 1,
    ("citymgmt", "巡查员上报"): 1}
assert d["unmapped"] == [{"source": "citymgmt", "category_raw": "其他事项/杂项", "complaints": 1}]
assert [o["source_id"] for o in d["overdue"]] == ["H8", "H3"]
assert d["overdue"][0]["deadline"] == "2024-05-28T00:00:00+08:00"
assert len(d["new_incidents"]) == 7 and d["new_incidents"][0]["size"] == 1
for k in ("flags", "quarantine", "feeds", "communities"):
    assert isinstance(d[k], list), k
PY

say "csv: long form, RFC 4180, BOM on request"
run_suqiu digest "${MAY[@]}" --format csv
expect_status 0 "csv"
head -c 3 "$T/out" | od -An -tx1 | grep -q "ef bb bf" && fail "a BOM without --bom"
python3 - "$T/out" <<'PY' || fail "csv content"
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "lines must end with CRLF"
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
assert rows[0] == ["section", "key", "key2", "metric", "value"], rows[0]
assert all(len(r) == 5 for r in rows), [r for r in rows if len(r) != 5]
get = {(r[0], r[1], r[2], r[3]): r[4] for r in rows[1:]}
assert get[("period", "", "", "since")] == "2024-05-01T00:00:00+08:00"
assert get[("totals", "complaints", "", "value")] == "7"
assert get[("totals", "complaints", "", "change")] == "6"
assert get[("resolution", "resolved", "", "rate")] == "0.5000"
assert get[("resolution", "on_time", "", "denominator")] == "3"
assert get[("top_categories", "noise", "", "previous")] == "1"
assert get[("by_source_channel", "hotline", "电话", "complaints")] == "4"
assert get[("unmapped", "citymgmt", "其他事项/杂项", "complaints")] == "1"
assert get[("overdue", "C7", "", "deadline")] == "2024-05-28T00:00:00+08:00"
PY
run_suqiu digest "${MAY[@]}" --format csv --bom --by community
expect_status 0 "csv --bom --by community"
head -c 3 "$T/out" | od -An -tx1 | grep -q "ef bb bf" || fail "--bom: no byte-order mark"
python3 - "$T/out" <<'PY' || fail "pivot csv"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
by = {r["community"]: r for r in rows}
assert list(by) == ["西华路社区", "多宝路社区", "恩宁路社区", ""], list(by)
assert by["西华路社区"]["complaints"] == "3" and by["西华路社区"]["previous"] == "1"
assert by["西华路社区"]["resolution_rate"] == "0.3333"
assert by["恩宁路社区"]["on_time_rate"] == "0.0000"
assert by[""]["resolution_rate"] == ""
PY

say "markdown"
run_suqiu digest "${MAY[@]}" --format md
expect_status 0 "md"
grep -q '^# 诉求摘要$' "$T/out" || fail "md title"
grep -q '^| 指标 | 本期 | 上期 | 变化 |$' "$T/out" || fail "md header"
grep -q '^|---|---:|---:|---:|$' "$T/out" || fail "md alignment row"
grep -q '^| 诉求件数 | 7 | 1 | +6 |$' "$T/out" || fail "md row"

say "pivots"
run_suqiu digest "${MAY[@]}" --by community
expect_status 0 "--by community"
expect_aligned "分组统计"
grep -q "^（未识别）     1     0    +1     1     0     0       —       —       —$" "$T/out" ||
	fail "the unknown community row"
run_suqiu digest "${MAY[@]}" --by category
expect_aligned "分组统计"
grep -q "^噪声扰民       3     1    +2     3     3     1   33.3%  100.0%  100.0%$" "$T/out" ||
	fail "noise by category"
run_suqiu digest "${MAY[@]}" --by source --format json
expect_eq "$(py_json '[(r["source"], r["complaints"], r["registered"]) for r in d["rows"]]')" \
	"[('hotline', 6, 6), ('citymgmt', 1, 0)]" "by source"
run_suqiu digest "${MAY[@]}" --by day --format json
expect_eq "$(py_json 'len(d["rows"]), d["rows"][0]["day"], d["rows"][-1]["day"]')" \
	"31 2024-05-01 2024-05-31" "one row per day of May"
expect_eq "$(py_json '[r["day"] for r in d["rows"] if r["complaints"]]')" \
	"['2024-05-01', '2024-05-10', '2024-05-15', '2024-05-20', '2024-05-25', '2024-05-30', '2024-05-31']" \
	"days with complaints"
expect_eq "$(py_json '"previous" in d["rows"][0]')" False "days have no previous period"
run_suqiu digest "${MAY[@]}" --by day
expect_aligned "分组统计"

say "colour on a terminal only, never with NO_COLOR"
script -qec "env -u NO_COLOR TERM=xterm SUQIU_NOW=$SIM_NOW '$SUQIU_BIN' --config '$T/suqiu.yaml' digest --since 2024-05-01 --until 2024-06-01" /dev/null >"$T/tty" 2>&1
grep -q $'\033\\[31m+6\033\\[0m' "$T/tty" || fail "no colour on a terminal"
script -qec "env NO_COLOR=1 TERM=xterm SUQIU_NOW=$SIM_NOW '$SUQIU_BIN' --config '$T/suqiu.yaml' digest --since 2024-05-01 --until 2024-06-01" /dev/null >"$T/tty" 2>&1
grep -q $'\033' "$T/tty" && fail "colour despite NO_COLOR"
grep -q "诉求件数" "$T/tty" || fail "no digest under script(1)"

finish
