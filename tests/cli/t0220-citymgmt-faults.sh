#!/usr/bin/env bash
# The city-management contract: windows of at most 24 h (WINDOW_TOO_LARGE is
# never provoked), ETags and 304, 403 BAD_API_KEY and other 400s fatal,
# 429 and 5xx retried, broken pages retried, bad records quarantined, an
# oversized body refused.
. "$(dirname "$0")/lib.sh"

HTTP_TIMEOUT=1s
start_sim
write_config citymgmt open311
total=$(sim_count citymgmt)

fresh_db() { rm -f "$T"/suqiu.db "$T"/suqiu.db-wal "$T"/suqiu.db-shm; }
pass() { sim_fault "$1" slow "\"seconds\": 0, \"count\": $2"; }

say "windows walked from start_from: none wider than 24 h, none refused"
run_suqiu poll --source citymgmt
expect_status 0 "first poll"
expect_eq "$(count_source citymgmt)" "$total" "citymgmt complaints"
sim_log >"$T/log"
"$PYTHON" - "$T/log" <<'EOF' || fail "a window wider than 24 h, or not contiguous"
import re, sys
prev_end = None
for line in open(sys.argv[1]):
    m = re.search(r"start=(\d+)&end=(\d+)&offset=(\d+)", line)
    if not m:
        continue
    start, end, offset = map(int, m.groups())
    assert 0 < end - start <= 86400000, line
    if offset == 0 and prev_end is not None:
        assert start in (prev_end, start), line
    prev_end = end
EOF
grep -q '^400 ' "$T/log" && fail "the server refused a request"
grep -c '/citymgmt/' "$T/log" >/dev/null

say "the same now again: every page answered 304 by ETag"
sim_reset
before=$(canonical_dump "$T/suqiu.db")
run_suqiu poll --source citymgmt
expect_status 0 "second poll"
expect_eq "$(sim_log | grep -c '^200 /citymgmt/')" 0 "pages sent again in full"
[ "$(sim_log | grep -c '^304 /citymgmt/.*"[0-9a-f]*"$')" -ge 1 ] || fail "no 304 with If-None-Match"
expect_eq "$(canonical_dump "$T/suqiu.db")" "$before" "store after the 304s"

say "two hours later: the open window is read again, new cases stored"
sim_reset
sim_now 2024-05-14T22:00:00+08:00
more=$(sim_count citymgmt)
run_suqiu poll --source citymgmt
expect_status 0 "poll two hours later"
expect_eq "$(count_source citymgmt)" "$more" "citymgmt complaints later"
sim_now 2024-05-14T20:00:00+08:00

for kind in http500 http502 http503 http504 truncated invalid_json missing_envelope; do
	say "$kind: retried"
	fresh_db
	sim_reset
	pass citymgmt 3
	sim_fault citymgmt "$kind"
	run_suqiu poll --source citymgmt
	expect_status 0 "$kind"
	expect_eq "$(count_source citymgmt)" "$total" "$kind: complaints"
	expect_err "^suqiu: poll: citymgmt: .*; 1 retry;"
done

say "429 with Retry-After"
fresh_db
sim_reset
sim_fault citymgmt http429 '"retry_after": 1'
run_suqiu poll --source citymgmt
expect_status 0 "429"
expect_eq "$(count_source citymgmt)" "$total" "429: complaints"

say "a stalled body beyond the timeout: retried"
fresh_db
sim_reset
pass citymgmt 1
sim_fault citymgmt stall '"seconds": 2'
run_suqiu poll --source citymgmt
expect_status 0 "stall"
expect_eq "$(count_source citymgmt)" "$total" "stall: complaints"

say "403 BAD_API_KEY: fails the source with a clear message"
fresh_db
sim_reset
pass citymgmt 2
sim_fault citymgmt http403_key
run_suqiu poll --source citymgmt --source open311
expect_status 1 "403"
expect_one_error_line citymgmt
expect_err "^suqiu: poll: citymgmt: page 3 \(window 2024-05-0[0-9] 00:00:00\.\.[-0-9: ]+ offset=[0-9]+\): HTTP 403 BAD_API_KEY: API Key无效: the API key was refused; check api_key_file$"
expect_eq "$(sim_log | grep -c '/citymgmt/')" 3 "no retry after 403"
expect_eq "$(count_source open311)" "$(sim_count open311)" "open311 still polled"
printf 'wrong\n' >"$T/secrets/citymgmt.key"
fresh_db
run_suqiu poll --source citymgmt
expect_status 1 "wrong key"
expect_err "^suqiu: poll: citymgmt: page 1 .*HTTP 403 BAD_API_KEY"
printf 'demo-key\n' >"$T/secrets/citymgmt.key"

say "400 BAD_PARAMETER: a configuration error, not retried"
fresh_db
sim_reset
sim_fault citymgmt http400_other
run_suqiu poll --source citymgmt
expect_status 1 "400"
expect_one_error_line citymgmt
expect_err "^suqiu: poll: citymgmt: page 1 \(window [^)]*\): HTTP 400 BAD_PARAMETER: 参数校验失败: a configuration error"
expect_eq "$(sim_log | grep -c '/citymgmt/')" 1 "no retry after 400"

say "a body over http.max_body: refused, not stored"
fresh_db
sim_reset
HTTP_EXTRA="  max_body: 64KiB" write_config citymgmt open311
sim_fault citymgmt huge '"bytes": 200000'
run_suqiu poll --source citymgmt
expect_status 1 "huge"
expect_one_error_line citymgmt
expect_eq "$(count_source citymgmt)" 0 "nothing stored from an oversized page"
write_config citymgmt open311

say "bad records quarantined"
fresh_db
sim_reset
pass citymgmt 1
sim_fault citymgmt bad_record
run_suqiu poll --source citymgmt
expect_status 0 "bad_record"
expect_eq "$(sql "SELECT count(*) FROM quarantine WHERE source = 'citymgmt'")" 2 "quarantined"
expect_eq "$(sql "SELECT reason FROM quarantine WHERE source_id IS NULL")" "caseNo: missing" "reason"
expect_eq "$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'reportedAt: 253402300800000 ms is not a plausible time%'")" 1 "year 10000"
expect_eq "$(( $(count_source citymgmt) + 2 ))" "$total" "complaints + quarantined"
expect_integrity

finish
