#!/usr/bin/env bash
# Records arriving and changing over time: the simulator's now moves forward
# between polls; each poll stores only what is new or updated, keeps the old
# state of updated records in the history, and the end result equals one
# poll at the final time.
. "$(dirname "$0")/lib.sh"

SIM_NOW=2024-05-02T06:00:00+08:00
start_sim
write_config hotline liaison citymgmt open311

steps="2024-05-02T06:00:00+08:00 2024-05-03T12:30:00+08:00 2024-05-05T00:00:00+08:00
2024-05-08T18:00:00+08:00 2024-05-11T09:15:00+08:00 2024-05-14T20:00:00+08:00"
prev_total=0
for now in $steps; do
	sim_now "$now"
	sim_reset
	run_suqiu poll
	expect_status 0 "poll at $now"
	expect_counts_match_sim hotline liaison citymgmt open311
	total=$(sql "SELECT count(*) FROM complaints")
	new=$(sql "SELECT new_records FROM run_sources WHERE run_id = (SELECT max(id) FROM runs)" |
		awk '{ s += $1 } END { print s + 0 }')
	expect_eq "$new" $((total - prev_total)) "new records reported at $now"
	prev_total=$total
	say "$now: $total complaints, $(sql 'SELECT count(*) FROM complaint_history') history rows"
done

say "updates kept their old state"
# 2024050112345000123 went 办理中 (2 May) -> 已办结 (3 May 17:20) -> 已回访 (4 May):
# polled on 3 May 12:30 as in_progress, 5 May as closed.
expect_eq "$(sql "SELECT group_concat(h.status, ',') FROM complaint_history h JOIN complaints c ON c.id = h.complaint_id WHERE c.source_id = '2024050112345000123' ORDER BY h.updated_at")" \
	"in_progress" "history of 2024050112345000123"
expect_eq "$(sql "SELECT status || ' ' || satisfaction FROM complaints WHERE source_id = '2024050112345000123'")" \
	"closed satisfied" "current state of 2024050112345000123"
expect_eq "$(sql "SELECT count(*) FROM complaint_history h JOIN complaints c ON c.id = h.complaint_id WHERE h.updated_at >= c.updated_at")" \
	0 "history rows newer than their complaint"
[ "$(sql 'SELECT count(*) FROM complaint_history')" -gt 10 ] || fail "too few history rows"
for s in hotline liaison citymgmt open311; do
	[ "$(sql "SELECT count(*) FROM complaint_history h JOIN complaints c ON c.id = h.complaint_id WHERE c.source = '$s'")" -gt 0 ] ||
		fail "no history rows for $s"
done
[ "$(sql "SELECT sum(updated) FROM run_sources")" = "$(sql 'SELECT count(*) FROM complaint_history')" ] ||
	fail "updates in the run log differ from history rows"

say "the same as one poll at the end"
cp "$T/suqiu.yaml" "$T/once.yaml"
sed -i "s|^database: .*|database: $T/once.db|" "$T/once.yaml"
SUQIU_NOW=$SIM_NOW "$SUQIU_BIN" --config "$T/once.yaml" poll 2>"$T/err"
status=$?
expect_status 0 "single poll"
# History differs by design, and so does resolved_at (when a poll first saw
# the complaint resolved) and the ETags kept in the city_mgmt cursor.
dump() { CANON_NO_RESOLVED=1 canonical_dump "$1" | grep -v '^H|' | grep -v '^K|citymgmt'; }
expect_eq "$(dump "$T/suqiu.db")" "$(dump "$T/once.db")" "stepwise store versus one poll"
expect_integrity

finish
