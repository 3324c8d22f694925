#!/usr/bin/env bash
# suqiu digest on the hand-computed fixture (tests/data/digest/README.md):
# counts, rates and the previous-period comparison of May 2024 in China
# time, the boundaries (23:59:59 on 31 May is in May, 00:00:00 on 1 June
# is not), the default 24 hours, overdue as of now, quarantine, feed health.
. "$(dirname "$0")/lib-digest.sh"

load_fixture

say "May 2024, text"
run_suqiu digest --since 2024-05-01 --until 2024-06-01
expect_status 0 "digest May"
expect_eq "$(sed -n '/^== 总览 ==/,/^$/p' "$T/out")" "== 总览 ==
指标        本期  上期  变化
诉求件数       7     1    +6
事件数         7
新增事件       7
未关闭预警     0
其中已升级     0
逾期未办结     2
未映射类别     1
隔离记录       0" "overview of May"
expect_eq "$(sed -n '/^== 办理情况/,/^$/p' "$T/out")" "== 办理情况（本期受理的诉求） ==
指标      件数  分母   比率
登记         6
办结         3     6  50.0%
应办结       3
按期办结     1     3  33.3%
已评价       3
满意         1
基本满意     1
不满意       1
满意率       2     3  66.7%" "resolution figures of May"
expect_eq "$(sed -n '/^== 类别排行 ==/,/^$/p' "$T/out")" "== 类别排行 ==
类别        本期  上期  变化
噪声扰民       3     1    +2
施工扰民       1     0    +1
市场监管       1     0    +1
拖欠工资       1     0    +1
（未映射）     1     0    +1" "categories against April"
expect_aligned "类别排行"
expect_aligned "社区排行"
grep -q "^hotline   电话           4     4$" "$T/out" || fail "hotline 电话: 4 complaints, 4 incidents"
grep -q "^citymgmt  其他事项/杂项     1$" "$T/out" || fail "the unmapped city-management label"
grep -q "^C$(cid H8) .*2024-05-28 00:00  办理中" "$T/out" || fail "H8 overdue since 28 May"
grep -q "^C$(cid H3) .*2024-06-01 12:00  待办" "$T/out" || fail "H3 overdue (received in June: overdue is as of now)"
grep -q "办结率 = 办结件数 ÷ 登记件数" "$T/out" || fail "the definitions are stated"
grep -q "统计期间：2024-05-01 00:00 至 2024-06-01 00:00（UTC+08:00" "$T/out" || fail "period line"
grep -q "对比上期：2024-03-31 00:00 至 2024-05-01 00:00" "$T/out" || fail "previous period line"
grep -q $'\033' "$T/out" && fail "colour codes when stdout is not a terminal"

say "the incident figures agree with the store"
expect_eq "$(sql "SELECT count(DISTINCT incident_id) FROM complaints WHERE received_at >= 1714492800 AND received_at < 1717171200")" 7 "incidents in May (sqlite)"
expect_eq "$(sql "SELECT count(*) FROM incidents WHERE opened_at >= 1714492800 AND opened_at < 1717171200")" 7 "new incidents in May (sqlite)"

say "boundaries in China time"
run_suqiu digest --since 2024-05-31 --until 2024-06-01 --format json
expect_status 0
expect_eq "$(py_json 'd["totals"]["complaints"]')" 1 "31 May: H2 at 23:59:59"
expect_eq "$(py_json 'd["totals"]["complaints_previous"]')" 1 "30 May: H9"
run_suqiu digest --since '2024-06-01 00:00' --until '2024-06-01T00:00:01+08:00' --format json
expect_eq "$(py_json 'd["totals"]["complaints"]')" 1 "1 June 00:00:00: H3"
expect_eq "$(py_json 'd["period"]["until"]')" 2024-06-01T00:00:01+08:00 "until as given"
run_suqiu digest --since '2024-05-31T23:59:59+08:00' --until '2024-06-01 00:00' --format json
expect_eq "$(py_json 'd["totals"]["complaints"]')" 1 "the last second of May"

say "the default: the 24 hours before now"
run_suqiu digest --format json
expect_status 0
expect_eq "$(py_json 'd["period"]["since"] + " " + d["period"]["until"]')" \
	"2024-06-01T12:00:00+08:00 2024-06-02T12:00:00+08:00" "default period"
expect_eq "$(py_json 'd["totals"]["complaints"], d["totals"]["complaints_previous"], d["totals"]["change"]')" \
	"0 2 -2" "nothing new; H2 and H3 the day before"
expect_eq "$(py_json 'd["totals"]["quarantined"], d["quarantine"]')" \
	"1 [{'source': 'hotline', 'records': 1}]" "H10 quarantined at 09:00"
expect_eq "$(py_json '[f["source"] + " " + f["last_ok"] for f in d["feeds"]]')" \
	"['hotline 2024-06-02T09:00:00+08:00', 'citymgmt 2024-06-02T09:00:00+08:00']" "feed health"
expect_eq "$(py_json '[o["source_id"] for o in d["overdue"]]')" "['H8', 'H3']" "overdue, oldest deadline first"
run_suqiu digest --since 7d --until 2024-06-02 --format json
expect_eq "$(py_json 'd["period"]["since"]')" 2024-05-26T12:00:00+08:00 "--since 7d counts back from now"

say "usage errors"
run_suqiu digest --by street
expect_status 2 "--by street"
expect_err "^suqiu: digest: --by 'street'"
run_suqiu digest --format pdf
expect_status 2 "--format pdf"
run_suqiu digest --since 2024-06-01 --until 2024-05-01
expect_status 2 "until before since"
expect_err "after --since"
run_suqiu digest --since yesterday
expect_status 2 "--since yesterday"
expect_err "^suqiu: digest: --since: "
run_suqiu digest --bom
expect_status 2 "--bom without csv"
run_suqiu digest --explain
expect_status 2 "--explain without --period"
run_suqiu digest --period 2024-13
expect_status 2 "--period 2024-13"
expect_err "2024-13"
run_suqiu digest --period 2024 --since 7d
expect_status 2 "--period with --since"
run_suqiu digest --top 0
expect_status 2 "--top 0"
run_suqiu digest --mail
expect_status 2 "--mail is not available"
run_suqiu digest --help
expect_status 0 "--help"
grep -q -- "--by KEY" "$T/out" || fail "--help shows --by"

finish
