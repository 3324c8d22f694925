#!/usr/bin/env bash
# suqiu digest --mail against a real SMTP server on 127.0.0.1
# (scripts/smtpd.py), on the hand-computed digest fixture
# (tests/data/digest/README.md) plus one overdue order whose title holds a
# mobile and a fixed-line number: the mail arrives with the expected
# subject, figures and attached HTML report; the same period is never
# mailed twice; with the server down the digest waits in the outbox
# (exit 1) and the next run delivers it exactly once; no configuration
# means exit 2; no phone number goes out in full.
. "$(dirname "$0")/lib-alerts.sh"
. "$(dirname "$0")/lib-digest.sh"

load_fixture
SIM_NOW=2024-06-02T09:00:00+08:00 run_suqiu import --source hotline \
	"$SUQIU_TOP/tests/cli/data/digest-mail/hotline-phone.json"
expect_status 0 "import the order with phone numbers"

# The mails with X-Suqiu-Digest, from check_mails' lines.
digest_mails() {
	awk -F'\t' '$2 == "digest"' "$T/mails"
}

# Message N's subject, text, attachment name and HTML (mailcheck.py --show).
show_mail() {  # N
	"$PYTHON" "$SUQIU_TOP/tests/cli/mailcheck.py" "$MAILDIR" --show "$1" | tr -d '\r' >"$T/mail.txt"
}

say "no mail server configured: a configuration error, before any work"
run_suqiu digest --mail --since 2024-05-01 --until 2024-06-01
expect_status 2 "--mail without alerts.smtp"
expect_err "^suqiu: digest: --mail: no mail server: set alerts.smtp.url in .*suqiu.yaml$"
expect_eq "$(wc -l <"$T/err")" 1 "one error line"
expect_eq "$(sql "SELECT count(*) FROM outbox")" 0 "nothing queued"

start_smtpd
write_alerts "smtp://127.0.0.1:$SMTP_PORT"

say "--mail takes the digest's options, not an output format"
run_suqiu digest --mail --format html
expect_status 2 "--mail --format"
expect_err "leave out --format"

say "May 2024 by mail: subject, figures, the report attached, recipients the duty roster"
run_suqiu digest --mail --since 2024-05-01 --until 2024-06-01
expect_status 0 "digest --mail May"
expect_err "^suqiu: digest: mail: the digest of 2024-05-01 00:00 to 2024-06-01 00:00 queued for duty@example.gov.cn,night@example.gov.cn,xihua@example.gov.cn$"
expect_err "^suqiu: digest: mail: 1 sent, 0 failed"
expect_eq "$(wc -c <"$T/out")" 0 "nothing on stdout"
check_mails
expect_eq "$(mail_count)" 1 "one mail"
expect_eq "$(digest_mails | cut -f3)" "2024-05-01T00:00:00+08:00/2024-06-01T00:00:00+08:00" "X-Suqiu-Digest names the period"
expect_eq "$(digest_mails | cut -f4)" "duty@example.gov.cn,night@example.gov.cn,xihua@example.gov.cn" "every duty officer (no digest_to)"
expect_eq "$(digest_mails | cut -f5)" "【suqiu 摘要】金花街道 诉求摘要 2024-05-01 至 2024-05-31" "subject"
digest_mails | cut -f1 | grep -Eq '^<digest-20240501-20240531\.[0-9a-f]{12}@suqiu>$' ||
	fail "Message-ID $(digest_mails | cut -f1)"
show_mail 1
grep -q "^诉求件数       7     1    +6$" "$T/mail.txt" || fail "the text part lacks May's count against April"
grep -q "^办结         3     6  50.0%$" "$T/mail.txt" || fail "the text part lacks the resolution rate"
grep -q "^满意率       2     3  66.7%$" "$T/mail.txt" || fail "the text part lacks the satisfaction rate"
grep -q "^attachment: suqiu-digest-20240501-20240531.html$" "$T/mail.txt" || fail "attachment name"
grep -q "见附件 suqiu-digest-20240501-20240531.html" "$T/mail.txt" || fail "the text does not point to the attachment"
grep -q "<svg" "$T/mail.txt" || fail "the attached report has no chart"
grep -q "楼上漏水请回电139\*\*\*\*5678" "$T/mail.txt" || fail "the overdue order's title, masked"
grep -q "13912345678\|81234567" "$MAILDIR"/*.eml "$T/mail.txt" && fail "a full phone number in the mail"
expect_eq "$(sql "SELECT kind || ' ' || coalesce(flag_id, '-') || ' ' || state FROM outbox")" "digest - sent" "the outbox row"

say "the same period again: nothing is mailed twice"
run_suqiu digest --mail --since 2024-05-01 --until 2024-06-01
expect_status 0 "second digest --mail May"
expect_err "was queued before; not again"
expect_eq "$(mail_count)" 1 "still one mail"
expect_eq "$(sql "SELECT count(*) FROM outbox")" 1 "still one outbox row"

say "what the timer runs: --since 24h is yesterday, whole days from 00:00"
run_suqiu digest --since 24h --mail
expect_status 0 "digest --since 24h --mail"
check_mails
expect_eq "$(mail_count)" 2 "the daily mail"
expect_eq "$(digest_mails | tail -n 1 | cut -f5)" "【suqiu 摘要】金花街道 诉求摘要 2024-06-01" "subject names 1 June"
show_mail 2
grep -q "^统计期间：2024-06-01 00:00 至 2024-06-02 00:00" "$T/mail.txt" || fail "period of the daily mail"
grep -q "^诉求件数       2     1    +1$" "$T/mail.txt" || fail "1 June: H3 and P1, against H2 on 31 May"
say "a re-run later the same day names the same period and sends nothing"
SUQIU_NOW_OVERRIDE=2024-06-02T23:59:00+08:00 run_suqiu digest --since 24h --mail
expect_status 0 "re-run at 23:59"
expect_err "was queued before"
expect_eq "$(mail_count)" 2 "no second daily mail"

say "the server is down: the digest waits in the outbox, exit 1"
port=$SMTP_PORT
stop_smtpd
SUQIU_NOW_OVERRIDE=2024-06-03T07:30:00+08:00 run_suqiu digest --since 24h --mail
expect_status 1 "digest --mail with the server down"
expect_err "cannot connect"
expect_err "^suqiu: digest: the digest of 2024-06-02 00:00 to 2024-06-03 00:00 is not delivered yet \(kept in the outbox, next attempt 2024-06-03 07:3[12]; .*retries it\)"
expect_eq "$(sql "SELECT state FROM outbox WHERE digest_key LIKE '2024-06-02T%'")" pending "queued"
say "still down at the next run: still one row, still exit 1"
SUQIU_NOW_OVERRIDE=2024-06-03T07:31:00+08:00 run_suqiu digest --since 24h --mail
expect_status 1 "second attempt, server still down"
expect_eq "$(sql "SELECT count(*) || ' ' || max(attempts) FROM outbox WHERE digest_key LIKE '2024-06-02T%'")" "1 2" "one row, two attempts"
say "the server is back: the next poll delivers it, once"
start_smtpd --port "$port"
SUQIU_NOW_OVERRIDE=2024-06-03T07:40:00+08:00 run_suqiu poll
expect_err "mail: [1-9][0-9]* sent, 0 failed"
check_mails
expect_eq "$(digest_mails | wc -l)" 3 "three digests delivered"
expect_eq "$(digest_mails | cut -f1 | sort | uniq -d | wc -l)" 0 "no Message-ID twice"
expect_eq "$(sql "SELECT state FROM outbox WHERE digest_key LIKE '2024-06-02T%'")" sent "sent"
SUQIU_NOW_OVERRIDE=2024-06-03T08:00:00+08:00 run_suqiu digest --since 24h --mail
expect_status 0 "digest --mail after the poll sent it"
expect_eq "$(awk -F'\t' '$2 == "digest" && $3 ~ /^2024-06-02T/' "$T/mails" | wc -l)" 1 "the 2 June digest exactly once"
check_mails
expect_eq "$(digest_mails | wc -l)" 3 "still three digests"

say "SMTP down, then digest --mail itself retries without waiting for the backoff"
stop_smtpd
SUQIU_NOW_OVERRIDE=2024-06-04T07:30:00+08:00 run_suqiu digest --since 24h --mail
expect_status 1 "down"
start_smtpd --port "$port"
SUQIU_NOW_OVERRIDE=2024-06-04T07:30:20+08:00 run_suqiu digest --since 24h --mail
expect_status 0 "retried by digest --mail within the backoff"
check_mails
expect_eq "$(awk -F'\t' '$2 == "digest" && $3 ~ /^2024-06-03T/' "$T/mails" | wc -l)" 1 "the 3 June digest exactly once"

say "a run that dies after claiming: the next run after in_doubt_after sends it, once"
SUQIU_CRASH_AT=after_claim:1 SUQIU_NOW_OVERRIDE=2024-06-05T07:30:00+08:00 run_suqiu digest --since 24h --mail
expect_status 137 "killed after claiming"
expect_eq "$(sql "SELECT state FROM outbox WHERE digest_key LIKE '2024-06-04T%'")" sending "left sending"
SUQIU_NOW_OVERRIDE=2024-06-05T07:35:00+08:00 run_suqiu digest --since 24h --mail
expect_status 1 "in doubt for less than in_doubt_after: not yet"
expect_err "is being sent by another run, or one that was cut off"
SUQIU_NOW_OVERRIDE=2024-06-05T07:45:00+08:00 run_suqiu digest --since 24h --mail
expect_status 0 "after in_doubt_after"
check_mails
expect_eq "$(awk -F'\t' '$2 == "digest" && $3 ~ /^2024-06-04T/' "$T/mails" | wc -l)" 1 "the 4 June digest exactly once"

say "alerts.digest_to chooses the recipients; --period mails the monthly figures"
write_alerts "smtp://127.0.0.1:$port" "  digest_to: [office@example.gov.cn, Chief@example.gov.cn, office@example.gov.cn]"
run_suqiu digest --mail --period 2024-05
expect_status 0 "digest --mail --period 2024-05"
check_mails
expect_eq "$(digest_mails | tail -n 1 | cut -f4)" "Chief@example.gov.cn,office@example.gov.cn" "digest_to, once each"
expect_eq "$(digest_mails | tail -n 1 | cut -f5)" "【suqiu 摘要】金花街道 诉求月度统计 2024-05" "monthly subject"
expect_eq "$(digest_mails | tail -n 1 | cut -f3)" "2024-05-01T00:00:00+08:00/2024-06-01T00:00:00+08:00 period" "a key of its own: not the May summary"
run_suqiu digest --mail --period 2024-05 --by community
expect_status 0 "--by community"
check_mails
expect_eq "$(digest_mails | tail -n 1 | cut -f5)" "【suqiu 摘要】金花街道 诉求月度统计 2024-05（按社区）" "pivot subject"
run_suqiu digest --mail --period 2024-05
expect_err "was queued before"
expect_eq "$(digest_mails | wc -l)" 7 "seven digests in all: May, 1-4 June, May's figures, by community"

say "nobody to send to: a configuration error"
{
	cat "$T/base.yaml"
	printf 'alerts:\n  smtp:\n    url: smtp://127.0.0.1:%s\n    from: suqiu@example.gov.cn\n' "$port"
} >"$T/suqiu.yaml"
run_suqiu digest --mail --since 2024-05-20 --until 2024-05-21
expect_status 2 "no recipients"
expect_err "^suqiu: digest: --mail: nobody to send it to: set alerts.digest_to \(or alerts.duty\) in "
expect_integrity
finish
