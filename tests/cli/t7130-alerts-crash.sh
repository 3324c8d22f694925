#!/usr/bin/env bash
# Crashes never lose an alert and never send one flag revision twice,
# except the documented in-doubt case (docs/alerts.md): a run that dies
# after the server accepted a message but before marking it sent leaves it
# `sending`; after alerts.smtp.in_doubt_after it is sent again with the SAME
# Message-ID.  Fault points (SUQIU_CRASH_AT) end the process like a kill;
# then the same with real `kill -9` at random instants.
. "$(dirname "$0")/lib-alerts.sh"

start_sim
start_smtpd
write_config hotline liaison citymgmt open311
write_alerts "smtp://127.0.0.1:$SMTP_PORT"

# Every alert delivered at least once; a Message-ID delivered twice only for
# a row the sender found in doubt.  Reads $T/mails (check_mails) and db $1.
expect_at_least_once_identified() {  # database what
	local db=${1:-$T/suqiu.db}
	sql "SELECT message_id, in_doubt FROM outbox ORDER BY id" "$db" >"$T/rows"
	"$PYTHON" - "$T/rows" "$T/mails" "$2" <<'PY' || fail "$2: delivery invariant"
import collections, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
got = collections.Counter(l.split("\t")[0] for l in open(sys.argv[2]) if l.strip())
bad = []
for mid, doubt in rows:
    if got[mid] == 0:
        bad.append(f"{mid} never delivered")
    elif got[mid] > 1 and int(doubt) == 0:
        bad.append(f"{mid} delivered {got[mid]} times without being in doubt")
    elif got[mid] > 1 + int(doubt):
        bad.append(f"{mid} delivered {got[mid]} times, in doubt only {doubt}")
extra = set(got) - {m for m, _ in rows}
if extra:
    bad.append(f"unknown messages {sorted(extra)}")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
}

say "a poll dies after detection: the flags and their mail are committed, sent by the next run"
SUQIU_CRASH_AT=after_detect:1 run_suqiu poll
expect_status 137 "poll killed after detection"
total=$(outbox_count)
[ "$total" -gt 5 ] || fail "expected several alerts, got $total"
expect_eq "$(outbox_count pending)" "$total" "all queued"
expect_eq "$(mail_count)" 0 "none sent before the crash"

say "the sender dies after the server accepted message 2, before marking it"
SUQIU_CRASH_AT=after_send:2 run_suqiu alerts send
expect_status 137 "send killed after the second delivery"
expect_eq "$(mail_count)" 2 "two delivered"
expect_eq "$(outbox_count sent)" 1 "one marked sent"
expect_eq "$(outbox_count sending)" 1 "one in doubt"
doubt_mid=$(sql "SELECT message_id FROM outbox WHERE state = 'sending'")

say "the next run sends the rest and leaves the unfinished one alone for now"
run_suqiu alerts send
expect_status 0 "send after the crash"
expect_eq "$(outbox_count sending)" 1 "still in doubt within the grace period"
expect_eq "$(mail_count)" "$total" "every alert delivered once"

say "after in_doubt_after it is sent again, with the same Message-ID"
run_at 660 alerts send
expect_status 0 "send after the grace period"
expect_err "1 re-sent after an unfinished run"
expect_eq "$(outbox_count sent)" "$total" "all marked sent"
check_mails
expect_eq "$(grep -c "^$doubt_mid" "$T/mails")" 2 "the in-doubt alert twice, identical id"
expect_eq "$(sql "SELECT in_doubt FROM outbox WHERE message_id = '$doubt_mid'")" 1 "counted as in doubt"
expect_at_least_once_identified "$T/suqiu.db" "after the fault points"

say "a run that dies after claiming, before any SMTP: sent once, later"
before=$(mail_count)
run_at 700 import --source hotline "$SUQIU_TOP/tests/cli/data/alerts/hotline-urgent.json"
SUQIU_CRASH_AT=after_claim:1 run_at 700 alerts detect
expect_status 137 "detect killed after claiming"
expect_eq "$(outbox_count sending)" 1 "claimed, in doubt"
expect_eq "$(mail_count)" "$before" "nothing reached the server"
run_at 700 alerts send
expect_eq "$(mail_count)" $((before + 1)) "the other urgent alert went out"
run_at 1400 alerts send
expect_eq "$(mail_count)" $((before + 2)) "the claimed one too, after the grace period"
check_mails
expect_at_least_once_identified "$T/suqiu.db" "after a crash before SMTP"

say "kill -9 at random instants against a slow server"
stop_smtpd
rm -rf "$MAILDIR"
start_smtpd --delay 0.25
write_alerts "smtp://127.0.0.1:$SMTP_PORT"
db2=$T/kill.db
run_suqiu --db "$db2" poll --no-notify
expect_status 0 "poll without mail"
total2=$(sql "SELECT count(*) FROM outbox" "$db2")
RANDOM=7100
kills=0
for round in 1 2 3 4 5 6 7 8; do
	SUQIU_NOW=$(now_plus "$round") "$SUQIU_BIN" --config "$T/suqiu.yaml" --db "$db2" alerts send \
		>/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	if kill -9 "$pid" 2>/dev/null; then
		kills=$((kills + 1))
	fi
	wait "$pid" 2>/dev/null
done
say "$kills of 8 runs killed; then every alert must get out"
SUQIU_NOW_OVERRIDE=$(now_plus 1200) run_suqiu --db "$db2" alerts send
expect_status 0 "final send"
expect_eq "$(sql "SELECT count(*) FROM outbox WHERE state = 'sent'" "$db2")" "$total2" "all sent after the kills"
check_mails
expect_at_least_once_identified "$db2" "after kill -9"
dups=$(mid_counts | awk '$1 > 1' | wc -l)
[ "$dups" -le "$kills" ] || fail "$dups duplicated alerts from $kills kills"
say "$(mail_count) messages for $total2 alerts, $(sql "SELECT count(*) FROM outbox WHERE in_doubt > 0" "$db2") found in doubt, $dups sent twice"
expect_integrity "$db2"
expect_integrity
finish
