#!/usr/bin/env bash
# suqiu poll against the simulator: every record of all four feeds stored
# once, cursors where the contracts say, a second poll fetches nothing new,
# --source, --help, usage errors, the run log, and the poll lock.
. "$(dirname "$0")/lib.sh"

start_sim
write_config hotline liaison citymgmt open311

say "--help and usage errors"
run_suqiu poll --help
expect_status 0 "poll --help"
grep -q -- "--source NAME" "$T/out" || fail "poll --help does not show --source"
run_suqiu import --help
expect_status 0 "import --help"
grep -q -- "--source NAME" "$T/out" || fail "import --help does not show --source"
run_suqiu poll --bogus
expect_status 2 "poll --bogus"
expect_err "^suqiu: poll: unknown argument '--bogus'"
run_suqiu poll --source nosuch
expect_status 2 "poll --source nosuch"
expect_err "^suqiu: poll: no source named 'nosuch'"
[ -e "$T/suqiu.db" ] && fail "a usage error created the database"
SUQIU_CRASH_AT=nowhere:1 run_suqiu poll
expect_status 2 "bad SUQIU_CRASH_AT"
expect_err "SUQIU_CRASH_AT"
SUQIU_NOW_OVERRIDE=yesterday run_suqiu poll
expect_status 2 "bad SUQIU_NOW"
expect_err "SUQIU_NOW"

say "first poll: everything the feeds show, once"
run_suqiu poll
expect_status 0 "first poll"
expect_counts_match_sim hotline liaison citymgmt open311
for s in hotline liaison citymgmt open311; do
	expect_err "^suqiu: poll: $s: [0-9]+ pages?, [0-9]+ fetched: [0-9]+ new, "
done
# (linking and flags add their own summary lines once dedup and alerts run)
[ "$(grep -Ec '^suqiu: poll: (hotline|liaison|citymgmt|open311): ' "$T/err")" = 4 ] ||
	fail "expected exactly one summary line per source"
expect_eq "$(sql "SELECT count(*) FROM quarantine")" 0 "quarantined records"
expect_integrity

say "cursors: the newest update seen, the window that ends now"
expect_eq "$(sql "SELECT cursor FROM cursors WHERE source = 'hotline'")" \
	'{"updatedFrom":"2024-05-14 16:40:54","pageNo":1}' "hotline cursor"
expect_eq "$(sql "SELECT cursor FROM cursors WHERE source = 'liaison'")" \
	'{"since":"2024-05-14T15:40:54+08:00"}' "liaison cursor"
expect_eq "$(sql "SELECT json_extract(cursor, '\$.start') FROM cursors WHERE source = 'citymgmt'")" \
	1715616000000 "citymgmt window start (2024-05-14 00:00 +08:00)"
expect_eq "$(sql "SELECT json_array_length(cursor, '\$.pages') FROM cursors WHERE source = 'citymgmt'")" \
	1 "citymgmt keeps the ETag of the open window's page"
expect_eq "$(sql "SELECT cursor FROM cursors WHERE source = 'open311'")" \
	'{"start":1715097600,"page":1}' "open311 cursor (window from 2024-05-08 00:00 +08:00)"

say "what was stored: mapped, normalized, no full phone numbers"
expect_eq "$(sql "SELECT status || ' ' || satisfaction || ' ' || contact_masked FROM complaints WHERE source_id = '2024050112345000123'")" \
	"closed satisfied 138****5678" "hotline 2024050112345000123"
expect_eq "$(sql "SELECT count(*) FROM complaints WHERE contact_raw IS NOT NULL")" 0 "raw contacts stored"
expect_eq "$(sql "SELECT count(*) FROM complaints WHERE raw LIKE '%13812345678%' OR text LIKE '%13812345678%'")" 0 \
	"full phone numbers in raw or text"
expect_eq "$(sql "SELECT status FROM complaints WHERE source = 'liaison' AND status_raw = 'withdrawn'")" withdrawn "withdrawn message kept"
expect_eq "$(sql "SELECT count(*) FROM complaints WHERE source = 'citymgmt' AND status = 'void'")" 1 "voided case kept"
expect_eq "$(sql "SELECT count(*) FROM complaint_links l JOIN complaints c ON c.id = l.complaint_id WHERE c.source = 'citymgmt' AND l.kind = 'ref' AND l.target_id = '2024050112345000123'")" 1 "refOrderNo link"
expect_eq "$(sql "SELECT count(*) FROM complaint_links WHERE kind = 'related'")" \
	"$(sql "SELECT count(*) FROM complaints WHERE source = 'hotline' AND json_extract(raw, '\$.relatedOrderNo') IS NOT NULL")" "relatedOrderNo links"
expect_eq "$(sql "SELECT count(*) FROM complaints WHERE source IN ('citymgmt', 'open311') AND lat IS NOT NULL AND (lat < 23 OR lat > 23.3 OR lon < 113.1 OR lon > 113.4)")" 0 "positions in WGS 84 near the street"
expect_eq "$(sql "SELECT category_raw FROM complaints WHERE source_id = 'CG440103202405010012'")" "施工管理/夜间施工" "city_mgmt class"

say "the run log"
expect_eq "$(sql "SELECT command || ' ' || exit_status FROM runs ORDER BY id DESC LIMIT 1")" "poll 0" "run log entry"
expect_eq "$(sql "SELECT sum(new_records) FROM run_sources")" "$(sql 'SELECT count(*) FROM complaints')" "new records in the run log"
expect_eq "$(sql "SELECT count(*) FROM run_sources WHERE errors = 0 AND pages > 0")" 4 "sources in the run log"

say "second poll at the same now: nothing new, ETags answered 304"
sim_reset
before=$(canonical_dump "$T/suqiu.db")
run_suqiu poll
expect_status 0 "second poll"
expect_err "^suqiu: poll: hotline: 1 page, 1 fetched: 0 new, 0 updated, 1 unchanged"
expect_err "^suqiu: poll: citymgmt: 1 page, 0 fetched: 0 new"
expect_eq "$(canonical_dump "$T/suqiu.db")" "$before" "store after a poll with nothing new"
sim_log >"$T/log2"
grep -q '^304 /citymgmt/.* "' "$T/log2" || fail "no If-None-Match/304 for city_mgmt on the second poll"

say "--quiet: nothing on stderr when all is well"
SUQIU_NOW=$SIM_NOW "$SUQIU_BIN" --quiet --config "$T/suqiu.yaml" poll >"$T/out" 2>"$T/err"
status=$?
expect_status 0 "quiet poll"
[ -s "$T/err" ] && fail "--quiet poll printed: $(head -2 "$T/err")"
[ -s "$T/out" ] && fail "poll printed to stdout"

say "--source polls only the sources named"
sim_reset
run_suqiu poll --source liaison --source=open311
expect_status 0 "poll --source"
expect_err "^suqiu: poll: liaison: "
expect_err "^suqiu: poll: open311: "
expect_no_err "^suqiu: poll: (hotline|citymgmt): "
sim_log | grep -Eq '/(hotline|citymgmt)/' && fail "--source polled other feeds"

say "a second poll while one runs: exit 1, nothing fetched"
exec 9>"$T/suqiu.db.lock"
flock -n 9 || fail "could not take the lock in the test"
sim_reset
run_suqiu poll
expect_status 1 "poll while locked"
expect_err "^suqiu: poll: another poll is running on $T/suqiu.db; not polling$"
[ -z "$(sim_log)" ] || fail "a locked-out poll made requests"
exec 9>&-
run_suqiu poll
expect_status 0 "poll after the lock was released"

finish
