#!/usr/bin/env bash
# Open311 GeoReport v2: error arrays (403 and 400 fatal, 429 and 5xx
# retried), a page that is not an array retried, bad records quarantined,
# and the api_key kept out of every message.
. "$(dirname "$0")/lib.sh"

HTTP_TIMEOUT=1s
start_sim --open311-key 's3cret key'
write_config open311
printf 's3cret key\n' >"$T/secrets/open311.key"
chmod 600 "$T/secrets/open311.key"
sed -i "s|^    page_size: 10$|    page_size: 5\n    api_key_file: $T/secrets/open311.key|" "$T/suqiu.yaml"
total=$(sim_count open311)

fresh_db() { rm -f "$T"/suqiu.db "$T"/suqiu.db-wal "$T"/suqiu.db-shm; }
pass() { sim_fault "$1" slow "\"seconds\": 0, \"count\": $2"; }

say "every request, paged within 7-day windows"
run_suqiu poll
expect_status 0 "first poll"
expect_eq "$(count_source open311)" "$total" "open311 complaints"
sim_log | grep -q 'api_key=s3cret%20key' || fail "api_key not sent"

for kind in http500 http502 http503 http504 http429 truncated invalid_json missing_envelope; do
	say "$kind: retried"
	fresh_db
	sim_reset
	pass open311 1
	sim_fault open311 "$kind" "$([ "$kind" = http429 ] && echo '"retry_after": 1')"
	SUQIU_NOW=$SIM_NOW "$SUQIU_BIN" -v --config "$T/suqiu.yaml" poll >"$T/out" 2>"$T/err"
	status=$?
	expect_status 0 "$kind"
	expect_eq "$(count_source open311)" "$total" "$kind: complaints"
	expect_err "^suqiu: poll: open311: page 2 \(window [^)]*\): .*; retry 1 in [0-9]+ ms$"
	expect_no_err "s3cret"
done

say "403 (api_key refused) and 400: fatal, one line, no secret in it"
for kind in http403_key http400_other; do
	fresh_db
	sim_reset
	pass open311 1
	sim_fault open311 "$kind"
	run_suqiu poll
	expect_status 1 "$kind"
	expect_one_error_line open311
	expect_eq "$(sim_log | grep -c '/open311/')" 2 "$kind: not retried"
	expect_no_err "s3cret"
done
expect_err "^suqiu: poll: open311: page 2 \(window [^)]*\): HTTP 400: Invalid request parameter: a configuration error, not retried$"
sed -i "s|^    api_key_file: .*|    api_key_file: $T/secrets/wrong.key|" "$T/suqiu.yaml"
printf 'wrong\n' >"$T/secrets/wrong.key"
chmod 600 "$T/secrets/wrong.key"
fresh_db
run_suqiu poll
expect_status 1 "wrong api_key"
expect_err "^suqiu: poll: open311: page 1 \(window [^)]*\): HTTP 403: Invalid api_key: the api_key was refused; check api_key_file$"
sed -i "s|^    api_key_file: .*|    api_key_file: $T/secrets/open311.key|" "$T/suqiu.yaml"

say "a connection that cannot be made: retried, then one line without the key"
fresh_db
sed "s|base_url: $SIM_URL|base_url: http://127.0.0.1:1|" "$T/suqiu.yaml" >"$T/down.yaml"
SUQIU_NOW=$SIM_NOW "$SUQIU_BIN" --config "$T/down.yaml" poll >"$T/out" 2>"$T/err"
status=$?
expect_status 1 "feed down"
expect_one_error_line open311
expect_err "gave up after 4 attempts"
expect_no_err "s3cret"

say "bad records quarantined"
fresh_db
sim_reset
sim_fault open311 bad_record
run_suqiu poll
expect_status 0 "bad_record"
expect_eq "$(sql "SELECT count(*) FROM quarantine")" 2 "quarantined"
expect_eq "$(sql "SELECT reason FROM quarantine WHERE source_id IS NULL")" "service_request_id: missing" "reason"
expect_eq "$(( $(count_source open311) + 2 ))" "$total" "complaints + quarantined"
expect_integrity

finish
