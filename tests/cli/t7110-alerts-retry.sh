#!/usr/bin/env bash
# Alert mail when the server is down or refuses: nothing is lost, nothing is
# sent twice.  A poll with the server down stores everything and keeps the
# alerts queued (exit 1); later runs retry with exponential backoff; a
# dropped connection or a 4xx is retried soon, a 5xx after retry_max.
. "$(dirname "$0")/lib-alerts.sh"

start_sim
write_config hotline liaison citymgmt open311
port=$(free_port)
write_alerts "smtp://127.0.0.1:$port"

say "the server is down: the poll stores and flags, the mail waits"
run_suqiu poll
expect_status 1 "poll with the mail server down"
expect_err "mail not delivered \(kept, will retry\): .*cannot connect"
expect_counts_match_sim hotline liaison citymgmt open311
total=$(outbox_count)
[ "$total" -gt 3 ] || fail "expected several alerts, got $total"
expect_eq "$(outbox_count pending)" "$total" "every alert still pending"
expect_eq "$(sql "SELECT count(*) FROM outbox WHERE attempts > 0")" 1 "one attempt, then the others wait for the server"
expect_eq "$(sql "SELECT count(*) FROM flags WHERE state = 'open'")" "$(sql 'SELECT count(*) FROM flags')" "flags open until mailed"
first_due=$(sql "SELECT next_attempt_at - created_at FROM outbox WHERE attempts = 1")
[ "$first_due" -ge 60 ] && [ "$first_due" -le 75 ] || fail "first retry after $first_due s, want 60..75 (retry_base 1m + jitter)"

say "the server comes back but drops one connection and defers one message"
start_smtpd --port "$port" --drop 1 --fail 2 --fail-code 451
run_at 120 alerts send
expect_status 1 "send with one drop and one 451"
expect_err "mail: $((total - 2)) sent, 2 failed"
expect_eq "$(outbox_count sent)" $((total - 2)) "sent after the first retry"
expect_eq "$(mail_count)" $((total - 2)) "stored by the server"
# By the reply as the sender words it: the random port may contain "451" too.
expect_eq "$(sql "SELECT count(*) FROM outbox WHERE state = 'pending' AND last_error LIKE '%(SMTP 451)%'")" 1 "the 451 is recorded"
expect_eq "$(sql "SELECT count(*) FROM outbox WHERE state = 'pending' AND last_error NOT LIKE '%(SMTP 4%'")" 1 "the dropped connection is recorded without a reply code"

say "not due yet: nothing is tried"
run_at 130 alerts send
expect_status 0 "send before the backoff ends"
expect_eq "$(mail_count)" $((total - 2)) "nothing new"

say "later the two are delivered, once each"
run_at 900 alerts send
expect_status 0 "send after the backoff"
expect_eq "$(outbox_count sent)" "$total" "all sent"
check_mails
expect_eq "$(mail_count)" "$total" "one message per alert"
expect_eq "$(mid_counts | awk '$1 != 1' | wc -l)" 0 "no Message-ID twice"
expect_eq "$(sql "SELECT count(*) FROM flags WHERE state <> 'notified'")" 0 "every flag notified"

say "a permanent refusal (5xx) waits retry_max, and is not lost"
stop_smtpd
start_smtpd --port "$port" --fail 1 --fail-code 554
run_at 1000 import --source hotline "$SUQIU_TOP/tests/cli/data/alerts/hotline-urgent.json"
run_at 1000 alerts detect
expect_status 1 "detect with a 554"
expect_err "server refused the message \(SMTP 554\)"
late=$(sql "SELECT count(*) FROM outbox WHERE state = 'pending' AND next_attempt_at >= created_at + 3600")
expect_eq "$late" 1 "the refused alert waits an hour"
run_at 2000 alerts send
expect_eq "$(outbox_count pending)" 1 "still waiting within the hour"
say "an operator who fixed the cause need not wait: alerts send --now"
run_at 2000 alerts send --now
expect_status 0 "send --now"
expect_eq "$(outbox_count pending)" 0 "nothing left"
check_mails
expect_eq "$(mail_count)" $((total + 2)) "every alert delivered"
expect_eq "$(mid_counts | awk '$1 != 1' | wc -l)" 0 "still no Message-ID twice"
expect_integrity
finish
