#!/usr/bin/env bash
# Alert mail end to end: a poll of the four simulated feeds raises flags and
# mails them to a real SMTP server on 127.0.0.1 in the same run; the mails
# are checked with python's email package (RFC 2047 subject, both parts,
# Message-ID per flag revision, recipients from the roster, no full phone
# number); `alerts --format json` keeps its contract; ack and close work;
# a second poll sends nothing twice.
. "$(dirname "$0")/lib-alerts.sh"

start_sim
start_smtpd
write_config hotline liaison citymgmt open311
write_alerts "smtp://127.0.0.1:$SMTP_PORT"

say "a poll raises flags and mails them in the same run"
run_suqiu poll
expect_status 0 "poll"
expect_err "^suqiu: poll: flags: [1-9][0-9]* opened"
expect_err "^suqiu: poll: mail: [1-9][0-9]* sent, 0 failed"
check_mails
flags=$(sql "SELECT count(*) FROM flags")
expect_eq "$(mail_count)" "$(outbox_count)" "one mail per outbox row"
expect_eq "$(outbox_count sent)" "$(outbox_count)" "every outbox row sent"
expect_eq "$(sql "SELECT count(*) FROM flags WHERE state <> 'notified'")" 0 "every flag notified"
expect_eq "$(mid_counts | awk '$1 != 1' | wc -l)" 0 "no Message-ID twice"
expect_eq "$(cut -f4 "$T/mails" | grep -vc 'duty@example.gov.cn')" 0 "duty@ gets everything"
expect_eq "$(cut -f4 "$T/mails" | grep -vc 'night@example.gov.cn')" 0 "night@ is on duty at 20:00"

say "alerts --format json: the documented contract"
run_suqiu alerts --format json
expect_status 0 "alerts --format json"
"$PYTHON" - "$T/out" "$flags" <<'PY' || fail "alerts JSON contract"
import json, re, sys
flags = json.load(open(sys.argv[1]))
assert isinstance(flags, list) and len(flags) == int(sys.argv[2]), len(flags)
kinds = {"cluster", "surge", "spacetime", "common_cause", "urgent", "overdue"}
for f in flags:
    for k in ("id", "kind", "severity", "state", "opened_at", "summary", "members"):
        assert k in f, (k, f)
    assert isinstance(f["id"], int) and f["kind"] in kinds, f
    assert f["severity"] in ("low", "medium", "high") and f["state"] == "notified", f
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", f["opened_at"]), f["opened_at"]
    assert f["members"] and all(set(m) >= {"source", "source_id"} for m in f["members"]), f
    assert not re.search(r"1[3-9]\d{9}", json.dumps(f, ensure_ascii=False)), f
PY

say "urgent complaints: flagged and mailed in the run that stores them, numbers masked"
before=$(mail_count)
run_suqiu import --source hotline "$SUQIU_TOP/tests/cli/data/alerts/hotline-urgent.json"
expect_status 0 "import"
run_suqiu alerts detect
expect_status 0 "alerts detect"
expect_err "flags: 2 opened \(2 urgent\)"
check_mails
expect_eq "$(mail_count)" $((before + 2)) "two urgent mails"
expect_eq "$(sql "SELECT count(*) FROM flags WHERE kind = 'urgent' AND severity = 'high' AND state = 'notified'")" 2 "urgent flags notified"
xihua=$(sql "SELECT id FROM flags WHERE kind = 'urgent' AND community = '西华路社区'")
grep -P "\t$xihua\t1\t" "$T/mails" | grep -q 'xihua@example.gov.cn' || fail "西华路社区's officer did not get its urgent flag"
n=$(grep -c . "$T/mails")
"$PYTHON" "$SUQIU_TOP/tests/cli/mailcheck.py" "$MAILDIR" --show "$n" >"$T/last"
grep -q "燃气泄漏" "$T/last" || fail "the gas-leak mail does not name the matter"
grep -q "139\*\*\*\*4321" "$T/last" || fail "the gas-leak mail lacks the masked contact"
grep -q "suqiu alerts ack" "$T/last" || fail "mail does not say how to acknowledge"

say "a second poll at the same time sends nothing again"
before=$(mail_count)
run_suqiu poll
expect_status 0 "second poll"
expect_no_err "mail: [1-9]"
expect_eq "$(mail_count)" "$before" "nothing re-sent"

say "ack, close, show; wrong ids are usage errors"
run_suqiu alerts ack "$xihua" --note "已派民警和社区干部到场"
expect_status 0 "ack"
expect_eq "$(sql "SELECT state FROM flags WHERE id = $xihua")" acknowledged "state after ack"
run_suqiu alerts --state acknowledged --format json
expect_eq "$("$PYTHON" -c 'import json,sys; print([f["id"] for f in json.load(open(sys.argv[1]))])' "$T/out")" "[$xihua]" "--state acknowledged"
run_suqiu alerts show "$xihua"
expect_status 0 "show"
grep -q "acknowledged .*已派民警" "$T/out" || fail "show lacks the ack note"
grep -q "sent  <flag-$xihua.r1." "$T/out" || fail "show lacks the sent mail"
run_suqiu alerts close "$xihua"
expect_status 0 "close"
expect_eq "$(sql "SELECT state FROM flags WHERE id = $xihua")" closed "state after close"
run_suqiu alerts ack "$xihua" --note again
expect_status 2 "ack of a closed flag"
run_suqiu alerts ack 99999
expect_status 2 "ack of no flag"
expect_err "no flag 99999"
run_suqiu alerts --state nonsense
expect_status 2 "bad --state"
run_suqiu alerts
expect_status 0 "text listing"
grep -q "^#$xihua .*urgent .*high .*closed" "$T/out" || fail "text listing lacks the closed flag"

say "closing does not reopen: detection finds the same complaint again, no flag"
run_suqiu alerts detect
expect_eq "$(sql "SELECT count(*) FROM flags WHERE kind = 'urgent'")" 2 "urgent flags after re-detection"
expect_integrity
finish
