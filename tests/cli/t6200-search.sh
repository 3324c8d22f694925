#!/usr/bin/env bash
# suqiu search on the fixture: the trigram index over title, text and
# address, ranked by bm25; words shorter than three characters through
# LIKE with a note; every filter; snippets marked with [brackets] off a
# terminal and in colour on one; JSON; the query folded like stored text;
# FTS5 syntax in the query taken literally.
. "$(dirname "$0")/lib-digest.sh"

load_fixture

hits() {  # the source ids of the hits in $T/out (json)
	python3 -c 'import json, sys; print(" ".join(h["source_id"] for h in json.load(open(sys.argv[1]))["hits"]))' "$T/out"
}

say "the index: title, text and address, best first"
run_suqiu search 西华路 --format json
expect_status 0 "search 西华路"
expect_eq "$(hits)" "H1 H7 H9" "西华路: H1 (title and text) first"
expect_eq "$(py_json 'd["ranked"], d["fallback"], d["more"]')" "True False False" "flags"
expect_eq "$(py_json 'd["hits"][1]["snippet"]')" "广州市荔湾区[西华路]30号" "an address match, marked"
python3 -c 'import json,sys; r=[h["rank"] for h in json.load(open(sys.argv[1]))["hits"]]; assert r == sorted(r), r' \
	"$T/out" || fail "hits not in bm25 order"
run_suqiu search 夜间施工
expect_status 0
expect_eq "$(cat "$T/out")" "C$(cid H3)  2024-06-01 00:00  hotline:H3  恩宁路社区  施工扰民  open
    恩宁路88号[夜间施工]
1 条，按相关度排序" "text output"
[ -s "$T/err" ] && fail "a note for a search the index answers"
run_suqiu search 88号 --format json
expect_eq "$(hits)" "H3" "88号 (three characters)"
run_suqiu search ８８号 --format json
expect_eq "$(hits)" "H3" "full-width ８８号 folds to 88号 as the stored text did"
run_suqiu search 恩宁路 88号 夜间 --format json
expect_eq "$(hits)" "H3" "every word must occur"
run_suqiu search 没有这种事 --format json
expect_eq "$(hits)" "" "no hit"
run_suqiu search 没有这种事
expect_eq "$(cat "$T/out")" "没有找到。" "no hit, text"

say "words shorter than three characters: LIKE, with a note"
run_suqiu search 噪音 --format json
expect_status 0 "search 噪音"
expect_eq "$(hits)" "H3 H9 H1 H7" "噪音: newest first"
expect_eq "$(py_json 'd["ranked"], d["fallback"], d["hits"][0]["rank"]')" "False True None" "flags"
expect_err "^suqiu: search: note: 噪音 is shorter than 3 characters: matched as plain substrings \(LIKE\)"
expect_eq "$(py_json 'd["hits"][0]["snippet"]')" "恩宁路88号工地凌晨仍在施工,[噪音]扰民。" "LIKE snippet"
run_suqiu search 噪音 西华路 --format json
expect_eq "$(hits)" "H1 H7 H9" "a long word ranks, the short one filters"
expect_eq "$(py_json 'd["ranked"], d["fallback"]')" "True True" "mixed"
run_suqiu search 100% --format json
expect_eq "$(hits)" "" "LIKE wildcards are literal"
run_suqiu search a_ --format json
expect_eq "$(hits)" "" "LIKE wildcards are literal (_)"

say "filters"
run_suqiu search 西华路 --since 2024-05-02 --until 2024-06-01 --format json
expect_eq "$(hits)" "H9" "--since/--until"
run_suqiu search 西华路 --status open --format json
expect_eq "$(hits)" "H7" "--status"
run_suqiu search 广州市 --community 西华社区 --category 噪声扰民 --source hotline --format json
expect_eq "$(hits)" "H7 H9 H1 H2" "alias, category name, source"
run_suqiu search 广州市 --category construction --format json
expect_eq "$(hits | tr " " "\n" | sort | tr "\n" " ")" "H3 H8 " "--category key"
run_suqiu search 广州市 --limit 2 --format json
expect_eq "$(py_json 'len(d["hits"]), d["more"]')" "2 True" "--limit"

say "quotes and operators are text, not FTS5 syntax"
for q in '"恩宁' 'AND OR NOT' '恩宁路*' '(88号)' 'NEAR(恩宁路 88号)' "title:恩宁路"; do
	run_suqiu search "$q" --format json
	expect_status 0 "search $q"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" || fail "search $q: invalid json"
done

say "colour on a terminal, brackets elsewhere, never colour with NO_COLOR"
script -qec "env -u NO_COLOR TERM=xterm SUQIU_NOW=$SIM_NOW '$SUQIU_BIN' --config '$T/suqiu.yaml' search 夜间施工" /dev/null >"$T/tty" 2>&1
grep -q $'\033\\[1;31m夜间施工\033\\[0m' "$T/tty" || fail "no coloured match on a terminal"
script -qec "env NO_COLOR=1 TERM=xterm SUQIU_NOW=$SIM_NOW '$SUQIU_BIN' --config '$T/suqiu.yaml' search 夜间施工" /dev/null >"$T/tty" 2>&1
grep -q $'\033' "$T/tty" && fail "colour despite NO_COLOR"
grep -q '\[夜间施工\]' "$T/tty" || fail "no brackets with NO_COLOR"

say "more matches than bm25 ranks: the newest 5000, with a note"
sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5001)
     INSERT INTO complaints (source, source_id, source_type, received_at, updated_at, first_seen_at,
                             kind, title, text, status)
     SELECT 'hotline', 'BULK' || i, 'hotline12345', 1714500000 + i, 1714500000 + i, 1714500000 + i,
            'complaint', '批量测试工单', CASE WHEN i = 1 THEN '批量测试工单 批量测试工单 批量测试工单' ELSE '' END,
            'open' FROM n;
     -- suqiu's store indexes what it stores (schema step 20); a row
     -- written past it must be indexed by whoever writes it
     INSERT INTO complaints_fts (rowid, title, text, address)
     SELECT id, title, text, address FROM complaints WHERE source_id GLOB 'BULK*'"
run_suqiu search 批量测试 --format json
expect_status 0 "search 批量测试"
expect_eq "$(py_json 'd["capped"], len(d["hits"]), d["more"]')" "True 20 True" "capped"
expect_err "^suqiu: search: note: more than 5000 matches: ranked among the 5000 most recently stored"
expect_eq "$(py_json '"BULK1" in [h["source_id"] for h in d["hits"]]')" False \
	"the oldest match is outside the ranked window"
run_suqiu search 批量测试 --until '2024-05-01 02:00:02' --format json
expect_eq "$(py_json 'd["capped"], d["hits"][0]["source_id"]')" "False BULK1" \
	"narrowed: every match ranked, the best first"
run_suqiu search 西华路 --format json
expect_eq "$(py_json 'd["capped"]')" False "a search with few matches is not capped"

say "usage errors"
run_suqiu search
expect_status 2 "no text"
run_suqiu search 西华路 --status done
expect_status 2 "--status done"
run_suqiu search 西华路 --category nosuch
expect_status 2 "--category nosuch"
run_suqiu search 西华路 --source nosuch
expect_status 2 "--source nosuch"
run_suqiu search 西华路 --format csv
expect_status 2 "--format csv"
run_suqiu search 西华路 --limit 0
expect_status 2 "--limit 0"
run_suqiu search "   "
expect_status 2 "only spaces"

finish
