#!/usr/bin/env bash
# suqiu digest --period: the figures of a street office's monthly and
# annual report on the fixture, each traceable with --explain to the
# complaints it counts; the enterprise-related list is configurable.
. "$(dirname "$0")/lib-digest.sh"

load_fixture
H1=C$(cid H1) H2=C$(cid H2) H3=C$(cid H3) H4=C$(cid H4) H6=C$(cid H6) H7=C$(cid H7)
H8=C$(cid H8) H9=C$(cid H9)

say "May 2024: the monthly figures"
run_suqiu digest --period 2024-05 --explain
expect_status 0 "--period 2024-05"
expect_eq "$(sed -n '/^== 月度数据 ==/,/^$/p' "$T/out")" "== 月度数据 ==
指标                件数  分母    比率
受理群众诉求           6
办结                   3     6   50.0%
登记矛盾纠纷           4
化解矛盾纠纷           1     4   25.0%
按期办结               1     3   33.3%
满意（含基本满意）     2     3   66.7%
涉企诉求               2
涉企诉求办结           2     2  100.0%" "monthly figures"
expect_eq "$(sed -n '/^== 按渠道 ==/,/^$/p' "$T/out")" "== 按渠道 ==
渠道  受理  办结  办结率
电话     4     2   50.0%
微信     1     0    0.0%
网站     1     1  100.0%" "appeals by channel (巡查员上报 had only a void case)"
grep -q "^appeals                       6  $H1 $H2 $H4 $H6 $H8 $H9$" "$T/out" || fail "explain appeals"
grep -q "^disputes_resolved             1  $H1$" "$T/out" || fail "explain disputes_resolved"
grep -q "^due                           3  $H1 $H4 $H8$" "$T/out" || fail "explain due"
grep -q "^appeals_by_channel   电话     4  $H1 $H6 $H8 $H9$" "$T/out" || fail "explain by channel"
grep -q "涉企诉求：登记件数中类别属于 拖欠工资（wages）、劳动保障（labour）、市场监管（market_regulation）" \
	"$T/out" || fail "the enterprise definition names its categories"

say "2024: the annual figures as JSON, every figure with its complaints"
run_suqiu digest --period 2024 --explain --format json
expect_status 0 "--period 2024"
python3 - "$T/out" "$(cid H1)" "$(cid H2)" "$(cid H3)" "$(cid H4)" "$(cid H6)" "$(cid H7)" "$(cid H8)" "$(cid H9)" <<'PY' || fail "annual json"
import json, sys
d = json.load(open(sys.argv[1]))
h1, h2, h3, h4, h6, h7, h8, h9 = map(int, sys.argv[2:])
assert d["report"] == "period" and d["period"]["label"] == "2024"
assert d["period"]["since"] == "2024-01-01T00:00:00+08:00" and d["period"]["until"] == "2025-01-01T00:00:00+08:00"
f = d["figures"]
want = {"appeals": 8, "resolved": 4, "resolution_rate": 0.5, "disputes": 6, "disputes_resolved": 2,
        "dispute_resolution_rate": 0.3333, "due": 6, "on_time": 2, "on_time_rate": 0.3333,
        "rated": 3, "satisfaction_rate": 0.6667, "enterprise": 2, "enterprise_resolved": 2,
        "enterprise_resolution_rate": 1}
for k, v in want.items():
    assert f[k] == v, (k, f[k], v)
e = d["explain"]
assert e["appeals"] == sorted([h1, h2, h3, h4, h6, h7, h8, h9]), e["appeals"]
assert e["resolved"] == sorted([h1, h4, h6, h9]), e["resolved"]
assert e["on_time"] == sorted([h1, h9]), e["on_time"]
assert e["disputes"] == sorted([h1, h2, h3, h7, h8, h9]), e["disputes"]
assert e["enterprise"] == sorted([h4, h6])
# every figure's list is as long as the figure
for k in ("appeals", "resolved", "disputes", "disputes_resolved", "due", "on_time", "rated", "enterprise"):
    assert len(e[k]) == f[k], k
ch = {x["channel"]: x["ids"] for x in e["appeals_by_channel"]}
assert ch == {"电话": sorted([h1, h3, h6, h7, h8, h9]), "微信": [h2], "网站": [h4]}, ch
assert sum(len(v) for v in ch.values()) == f["appeals"]
PY

say "a configured enterprise list"
run_suqiu digest --period 2024-05 --enterprise wages --format json
expect_eq "$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["figures"]; print(f["enterprise"], f["enterprise_categories"])' "$T/out")" \
	"1 ['wages']" "--enterprise wages"

say "a month with nothing in it"
run_suqiu digest --period 2023-02 --format json
expect_status 0 "--period 2023-02"
expect_eq "$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["figures"]; print(f["appeals"], f["resolution_rate"])' "$T/out")" \
	"0 None" "no appeals: the rate is null, not 0"

say "the period pivoted"
run_suqiu digest --period 2024 --by community --format json
expect_eq "$(py_json '[(r["community"], r["complaints"]) for r in d["rows"]]')" \
	"[('西华路社区', 4), ('多宝路社区', 2), ('恩宁路社区', 2), (None, 1)]" "2024 by community"

finish
