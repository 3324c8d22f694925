#!/usr/bin/env bash
# Crash safety: a poll killed at any point (SUQIU_CRASH_AT ends the process
# with _exit(137), as a kill -9 would) and followed by a normal poll leaves
# exactly the store a clean poll makes — nothing lost, nothing twice — and
# an intact database.  Also across a crash in a later poll, after the
# simulator's clock moved (history rows must match too).
. "$(dirname "$0")/lib.sh"

start_sim
write_config hotline liaison citymgmt open311

fresh_db() { rm -f "$T"/suqiu.db "$T"/suqiu.db-wal "$T"/suqiu.db-shm; }

say "a clean poll to compare with"
run_suqiu poll
expect_status 0 "clean poll"
clean=$(canonical_dump "$T/suqiu.db")
pages=$(sql "SELECT sum(pages) FROM run_sources")
puts=$(sql "SELECT sum(fetched) FROM run_sources")
say "clean poll: $pages pages, $puts records"

crash_then_recover() {  # point n [what]
	SUQIU_CRASH_AT=$1:$2 run_suqiu poll
	expect_status 137 "poll crashing at $1:$2"
	grep -q "SUQIU_CRASH_AT reached" "$T/err" || fail "$1:$2 did not crash"
	run_suqiu poll
	expect_status 0 "poll after the crash at $1:$2"
}

for point in after_fetch mid_page before_commit after_commit; do
	case $point in
	mid_page) ns="1 37 $((puts / 2)) $puts" ;;
	*) ns="1 4 $((pages / 2 + 1)) $pages" ;;
	esac
	for n in $ns; do
		fresh_db
		crash_then_recover "$point" "$n"
		expect_eq "$(canonical_dump "$T/suqiu.db")" "$clean" "store after a crash at $point:$n"
		expect_integrity
	done
	say "$point: crashes at $ns recovered"
done

say "two crashes in a row, then a normal poll"
fresh_db
SUQIU_CRASH_AT=before_commit:5 run_suqiu poll
expect_status 137 "first crash"
crash_then_recover mid_page 20
expect_eq "$(canonical_dump "$T/suqiu.db")" "$clean" "store after two crashes"
expect_integrity

say "a crash in a later poll, after records changed: history intact"
SIM_NOW=2024-05-06T12:00:00+08:00
sim_now "$SIM_NOW"
fresh_db
run_suqiu poll
expect_status 0 "early poll"
cp "$T/suqiu.db" "$T/early.db"
sim_now 2024-05-14T20:00:00+08:00
run_suqiu poll
expect_status 0 "later poll"
stepwise=$(canonical_dump "$T/suqiu.db")
[ "$(sql 'SELECT count(*) FROM complaint_history')" -gt 0 ] || fail "no history to compare"
for crash in after_fetch:3 mid_page:30 before_commit:8 after_commit:12; do
	rm -f "$T"/suqiu.db*
	cp "$T/early.db" "$T/suqiu.db"
	crash_then_recover "${crash%%:*}" "${crash#*:}"
	expect_eq "$(canonical_dump "$T/suqiu.db")" "$stepwise" "store after a crash at $crash in the later poll"
	expect_integrity
done

finish
