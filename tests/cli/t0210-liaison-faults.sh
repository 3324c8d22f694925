#!/usr/bin/env bash
# The liaison contract's error rows and the simulator's faults on it: 401
# fails at once, a bad cursor (400) restarts the walk once, 429 waits for
# Retry-After, 5xx and broken pages are retried, GBK pages are decoded and
# invalid or undeclared charsets refused (then retried).
. "$(dirname "$0")/lib.sh"

HTTP_TIMEOUT=1s
start_sim
write_config liaison hotline
total=$(sim_count liaison)

fresh_db() { rm -f "$T"/suqiu.db "$T"/suqiu.db-wal "$T"/suqiu.db-shm; }
pass() { sim_fault "$1" slow "\"seconds\": 0, \"count\": $2"; }

expect_recovered() {  # what [retries]
	expect_status 0 "$1"
	expect_eq "$(count_source liaison)" "$total" "$1: liaison complaints"
	expect_eq "$(sql "SELECT count(*) FROM quarantine")" 0 "$1: quarantined"
	expect_err "^suqiu: poll: liaison: .*; ${2:-[1-9][0-9]*} retr(y|ies);"
	expect_eq "$(sql "SELECT cursor FROM cursors WHERE source = 'liaison'")" \
		'{"since":"2024-05-14T15:40:54+08:00"}' "$1: cursor"
}

say "GBK and UTF-8 pages alternate; every text arrives intact"
run_suqiu poll --source liaison
expect_recovered "alternating charsets" 0
sim_log | grep -c . >/dev/null
"$PYTHON" - "$SUQIU_TOP/fixtures/sim/liaison.json" >"$T/titles.expected" <<'EOF'
import json, sys
for e in json.load(open(sys.argv[1])):
    v = (e["versions"] if isinstance(e, dict) and set(e) == {"versions"} else [e])[-1]
    print(v["id"], " ".join(v["subject"].split()))
EOF
sql "SELECT source_id, title FROM complaints WHERE source = 'liaison'" | tr '|' ' ' | sort >"$T/titles.got"
sort "$T/titles.expected" >"$T/titles.exp.sorted"
diff "$T/titles.exp.sorted" "$T/titles.got" >/dev/null || fail "liaison titles differ from the fixture: $(diff "$T/titles.exp.sorted" "$T/titles.got" | head -5)"

say "all pages in GBK"
fresh_db
sim_reset
sim_control '{"liaison_charset": "gbk"}'
run_suqiu poll --source liaison
expect_recovered "GBK pages" 0
sql "SELECT source_id, title FROM complaints WHERE source = 'liaison'" | tr '|' ' ' | sort >"$T/titles.got"
diff "$T/titles.exp.sorted" "$T/titles.got" >/dev/null || fail "titles from GBK pages differ"
sim_control '{"liaison_charset": "alternate"}'

for kind in http500 http502 http503 http504 truncated invalid_json missing_envelope invalid_gbk undeclared_charset; do
	say "$kind on page 2: retried"
	fresh_db
	sim_reset
	pass liaison 1
	sim_fault liaison "$kind"
	SUQIU_NOW=$SIM_NOW "$SUQIU_BIN" -v --config "$T/suqiu.yaml" poll --source liaison >"$T/out" 2>"$T/err"
	status=$?
	expect_recovered "$kind" 1
	expect_err "^suqiu: poll: liaison: page 2 \(walk since 2024-05-01T00:00:00\+08:00, cursor=[A-Za-z0-9_-]+\): .*; retry 1 in [0-9]+ ms$"
	case $kind in
	invalid_gbk) expect_err "page 2 .*(GBK|gbk).*byte" ;;
	undeclared_charset) expect_err "page 2 .*undeclared charset" ;;
	esac
done

say "invalid GBK that never gets better: one error line naming source and page"
fresh_db
sim_reset
sim_fault liaison invalid_gbk '"count": 4'
run_suqiu poll --source liaison
expect_status 1 "invalid_gbk x4"
expect_one_error_line liaison
expect_err "^suqiu: poll: liaison: page 1 \(since=2024-05-01T00:00:00\+08:00\): gave up after 4 attempts: .*"
expect_eq "$(count_source liaison)" 0 "nothing half-imported"
expect_eq "$(sql "SELECT count(*) FROM cursors")" 0 "no cursor moved"

say "429 with Retry-After seconds and HTTP date"
for fault in 'http429 "retry_after": 1' 'http429_date "retry_after": 1'; do
	fresh_db
	sim_reset
	sim_fault liaison ${fault%% *} "${fault#* }"
	run_suqiu poll --source liaison
	expect_recovered "${fault%% *}" 1
done

say "401: fails the source at once, not retried; the other source runs"
fresh_db
sim_reset
pass liaison 1
sim_fault liaison http401
run_suqiu poll --source liaison --source hotline
expect_status 1 "401"
expect_one_error_line liaison
expect_err "^suqiu: poll: liaison: page 2 \(walk since [^)]*\): HTTP 401: token expired: the token was refused; check token_file$"
expect_eq "$(sim_log | grep -c '/liaison/')" 2 "liaison requests (no retry after 401)"
expect_eq "$(count_source liaison)" 10 "page 1 kept"
expect_eq "$(count_source hotline)" "$(sim_count hotline)" "hotline still polled"
expect_eq "$(sql "SELECT json_type(cursor, '\$.cursor') FROM cursors WHERE source = 'liaison'")" text \
	"the cursor stays inside the walk"

say "a wrong token from the start"
fresh_db
sim_reset
printf 'wrong-token\n' >"$T/secrets/liaison.token"
run_suqiu poll --source liaison
expect_status 1 "wrong token"
expect_err "^suqiu: poll: liaison: page 1 \(since=2024-05-01T00:00:00\+08:00\): HTTP 401: invalid or missing token: the token was refused; check token_file$"
printf 'demo-token\n' >"$T/secrets/liaison.token"

say "400 bad cursor: the walk restarts from its watermark once"
fresh_db
sim_reset
pass liaison 2
sim_fault liaison http400_cursor
SUQIU_NOW=$SIM_NOW "$SUQIU_BIN" -v --config "$T/suqiu.yaml" poll --source liaison >"$T/out" 2>"$T/err"
status=$?
expect_recovered "400 once" 1
expect_err "^suqiu: poll: liaison: page 3 \(walk since [^)]*\): HTTP 400: invalid cursor \(bad cursor or parameter\); restarting the walk from \{\"since\":\"2024-05-01T00:00:00\+08:00\"\}$"
sim_log | awk '{ print $1, $2 }' | grep -A1 '^400 ' | tail -1 | grep -q 'since=2024-05-01T00:00:00%2B08:00' ||
	fail "the request after the 400 did not restart from since"

say "400 twice: the source fails after one restart; the next poll completes"
fresh_db
sim_reset
pass liaison 2
sim_fault liaison http400_cursor '"count": 2'
run_suqiu poll --source liaison
expect_status 1 "400 twice"
expect_one_error_line liaison
expect_err "^suqiu: poll: liaison: page 3 \(since=2024-05-01T00:00:00\+08:00\): refused again after restarting the walk: HTTP 400: invalid cursor"
run_suqiu poll --source liaison
expect_recovered "poll after 400 twice" 0

say "bad records quarantined"
fresh_db
sim_reset
sim_fault liaison bad_record
run_suqiu poll --source liaison
expect_status 0 "bad_record"
expect_eq "$(sql "SELECT count(*) FROM quarantine WHERE source = 'liaison'")" 2 "quarantined"
expect_eq "$(sql "SELECT reason FROM quarantine WHERE source_id IS NULL")" "id: missing" "reason"
expect_eq "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'created_at: bad time \"2024-13-45T99:00:00+08:00\"%'")" 1 "impossible date"
expect_eq "$(( $(count_source liaison) + 2 ))" "$total" "complaints + quarantined"
expect_integrity

finish
