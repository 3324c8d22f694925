#!/usr/bin/env bash
# Personal data: show/export --unmask print full numbers only where
# privacy.keep_raw_contact stored them, each time after an audit row (who,
# sudo user, command, rows); the audit log cannot be rewritten; prune drops
# raw payloads and contacts past privacy.retention, keeps every row and the
# figures digests count, and records itself; --dry-run changes nothing.
. "$(dirname "$0")/lib.sh"

phone_re='(^|[^0-9.])1[3-9][0-9]{9}([^0-9]|$)'
me=$(id -un)

start_sim --now 2024-05-05T12:00:00+08:00
SIM_NOW=2024-05-05T12:00:00+08:00
write_config hotline liaison citymgmt open311
sed -i 's|^privacy:$|privacy:\n  keep_raw_contact: true\n  retention: 7d|' "$T/suqiu.yaml"

say "two polls, a week apart: full numbers kept, earlier states in the history"
run_suqiu poll
expect_status 0
sim_now 2024-05-14T20:00:00+08:00
run_suqiu poll
expect_status 0
[ "$(sql 'SELECT count(*) FROM complaints WHERE contact_raw IS NOT NULL')" -gt 10 ] ||
	fail "keep_raw_contact stored no full numbers"
[ "$(sql 'SELECT count(*) FROM complaint_history')" -gt 0 ] || fail "no history to prune"

say "without --unmask nothing prints a full number"
run_suqiu export
expect_status 0
grep -Eq "$phone_re" "$T/out" && fail "export printed a full number"
run_suqiu show hotline:2024050112345000123
expect_status 0
grep -Eq "$phone_re" "$T/out" && fail "show printed a full number"
expect_eq "$(sql 'SELECT count(*) FROM audit_log')" 0 "audit rows before any unmasking"

say "show --unmask: the number, after an audit row naming the user and the sudo user"
SUDO_USER=wang run_suqiu show hotline:2024050112345000123 --unmask
expect_status 0
grep -q '13812345678' "$T/out" || fail "show --unmask did not print the full number"
expect_err 'full contact number shown to'
expect_eq "$(sql "SELECT action, rows, os_user, sudo_user, uid FROM audit_log")" \
	"unmask|1|$me|wang|$(id -u)" "the audit row of show --unmask"
sql "SELECT command FROM audit_log" | grep -q -- 'show hotline:2024050112345000123 --unmask' ||
	fail "the audit row lacks the command line"

say "show --unmask of an incident counts its members with a full number"
inc=$(sql "SELECT incident_id FROM complaints WHERE source_id = '2024050112345000123'")
want=$(sql "SELECT count(*) FROM complaints WHERE incident_id = $inc AND contact_raw IS NOT NULL")
run_suqiu show "I$inc" --unmask
expect_status 0
expect_eq "$(sql 'SELECT rows FROM audit_log ORDER BY id DESC LIMIT 1')" "$want" "rows of the incident's unmasking"

say "export --unmask: a contact field, and the audit row counts the rows"
run_suqiu export --unmask
expect_status 0
/usr/bin/python3 - "$T/out" "$(sql 'SELECT count(*) FROM complaints WHERE contact_raw IS NOT NULL')" <<'PY' ||
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert all("contact" in r for r in rows), "a row without the contact field"
full = [r for r in rows if r["contact"]]
assert len(full) == int(sys.argv[2]), (len(full), sys.argv[2])
PY
	fail "export --unmask JSON"
expect_eq "$(sql 'SELECT rows FROM audit_log ORDER BY id DESC LIMIT 1')" \
	"$(sql 'SELECT count(*) FROM complaints WHERE contact_raw IS NOT NULL')" "rows of export --unmask"
run_suqiu export --unmask --format csv
expect_status 0
head -n 1 "$T/out" | grep -q ',link_score,contact'$'\r''$' || fail "CSV header without the contact column"
run_suqiu export --format csv
head -n 1 "$T/out" | grep -q ',link_score'$'\r''$' || fail "the plain CSV header changed"

say "the audit log lists them and refuses to be rewritten"
run_suqiu audit --format json
expect_status 0
/usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert [e["action"] for e in a] == ["unmask"] * 4, a
assert a[0]["sudo_user"] == "wang" and a[1]["sudo_user"] is None, a
assert all(e["user"] and e["command"].startswith("suqiu ") for e in a)' "$T/out" || fail "audit --format json"
run_suqiu audit
expect_status 0
expect_eq "$(grep -c ' unmask ' "$T/out")" 4 "audit text lines"
for stmt in "DELETE FROM audit_log" "UPDATE audit_log SET os_user = 'nobody'" \
	"INSERT OR REPLACE INTO audit_log (id, at, uid, os_user, action, command, rows) VALUES (1, 0, 0, 'x', 'y', 'z', 0)"; do
	sql "$stmt" 2>"$T/sqlerr" && fail "the audit log accepted: $stmt"
	grep -q 'append-only' "$T/sqlerr" || fail "no append-only error for: $stmt"
done
expect_eq "$(sql 'SELECT count(*) FROM audit_log')" 4 "audit rows after the attempts"

say "prune --dry-run counts and changes nothing"
figures="SELECT source, category, community, status, kind, count(*) FROM complaints GROUP BY 1, 2, 3, 4, 5"
before_figures=$(sql "$figures")
before_dump=$(canonical_dump "$T/suqiu.db")
cutoff=$(date -d 2024-05-07T20:00:00+08:00 +%s)
want_c=$(sql "SELECT count(*) FROM complaints WHERE updated_at < $cutoff AND (raw IS NOT NULL OR contact_hash IS NOT NULL OR contact_raw IS NOT NULL)")
want_h=$(sql "SELECT count(*) FROM complaint_history WHERE updated_at < $cutoff AND raw IS NOT NULL")
[ "$want_c" -gt 0 ] && [ "$want_h" -gt 0 ] || fail "nothing old enough to prune ($want_c, $want_h)"
run_suqiu prune --dry-run
expect_status 0
grep -q "complaints *$want_c rows" "$T/out" || { cat "$T/out"; fail "dry run: complaint rows"; }
grep -q "earlier states *$want_h row" "$T/out" || { cat "$T/out"; fail "dry run: history rows"; }
grep -q "rows would change" "$T/out" || fail "dry run wording"
expect_eq "$(canonical_dump "$T/suqiu.db")" "$before_dump" "the store after a dry run"
expect_eq "$(sql "SELECT count(*) FROM audit_log WHERE action = 'prune'")" 0 "audit rows of a dry run"

say "prune waits its turn behind a running poll"
flock -n "$T/suqiu.db.lock" sleep 3 &
locker=$!
sleep 0.3
run_suqiu prune
expect_status 1
expect_err 'a poll is running'
wait "$locker"

say "prune clears raw payloads and contacts past retention, keeps rows and figures"
rows_before=$(sql 'SELECT count(*) FROM complaints')
run_suqiu prune
expect_status 0
grep -q "$((want_c + want_h)) rows changed" "$T/out" || { cat "$T/out"; fail "prune total"; }
expect_eq "$(sql "SELECT count(*) FROM complaints WHERE updated_at < $cutoff AND (raw IS NOT NULL OR contact_hash IS NOT NULL OR contact_raw IS NOT NULL)")" 0 \
	"old complaints still holding personal data"
expect_eq "$(sql "SELECT count(*) FROM complaint_history WHERE updated_at < $cutoff AND raw IS NOT NULL")" 0 \
	"old history rows still holding raw payloads"
[ "$(sql "SELECT count(*) FROM complaints WHERE updated_at >= $cutoff AND raw IS NOT NULL")" -gt 0 ] ||
	fail "recent complaints lost their raw payload"
expect_eq "$(sql 'SELECT count(*) FROM complaints')" "$rows_before" "complaint rows after prune"
expect_eq "$(sql "$figures")" "$before_figures" "the figures digests count"
expect_eq "$(sql "SELECT rows, os_user FROM audit_log WHERE action = 'prune'")" "$((want_c + want_h))|$me" \
	"the audit row of the prune"
expect_integrity
run_suqiu prune
expect_status 0
grep -q "  0 rows changed" "$T/out" || fail "a second prune changed something"

say "nothing to unmask: a clear message, exit 2, nothing printed"
SUQIU_NOW_OVERRIDE=2030-01-01T00:00:00+08:00 run_suqiu prune
expect_status 0
run_suqiu export --unmask
expect_status 2
expect_err 'nothing to unmask'
[ -s "$T/out" ] && fail "export --unmask printed something with nothing to unmask"
sed -i 's|^  keep_raw_contact: true$|  keep_raw_contact: false|' "$T/suqiu.yaml"
run_suqiu show hotline:2024050112345000123 --unmask
expect_status 2
expect_err 'privacy.keep_raw_contact is off'
run_suqiu show --unmask
expect_status 2
expect_integrity
finish
