# tests/cli/lib-alerts.sh — what the alert-mail CLI tests (t71NN) share, on
# top of lib.sh: the test SMTP server (scripts/smtpd.py, a real aiosmtpd on
# 127.0.0.1), an alerts section for the configuration, and the mail checks
# (tests/cli/mailcheck.py, python's email package).
#
#   . "$(dirname "$0")/lib-alerts.sh"
#   start_smtpd [--auth u:p] [--starttls CERT KEY] [--fail N] ...   # $SMTP_PORT
#   write_config hotline; write_alerts "smtp://127.0.0.1:$SMTP_PORT"
#   run_suqiu alerts send
#   expect_eq "$(mail_count)" 3 "messages delivered"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAILDIR=$T/mail
SMTPD_PID=
SMTP_PORT=

stop_smtpd() {
	if [ -n "$SMTPD_PID" ]; then
		kill "$SMTPD_PID" 2>/dev/null
		wait "$SMTPD_PID" 2>/dev/null
	fi
	SMTPD_PID=
}

alerts_cleanup() {
	stop_smtpd
	cleanup
}
trap alerts_cleanup EXIT

# A port nothing listens on (for "the server is down"); the server may be
# started on it later with start_smtpd --port "$SMTP_PORT".
free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_smtpd() {  # smtpd.py options...
	rm -f "$T/smtp.port"
	"$PYTHON" "$SUQIU_TOP/scripts/smtpd.py" --maildir "$MAILDIR" --port-file "$T/smtp.port" \
		"$@" 2>>"$T/smtpd.log" &
	SMTPD_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$T/smtp.port" ] && break
		if ! kill -0 "$SMTPD_PID" 2>/dev/null; then
			cat "$T/smtpd.log"
			echo "smtpd did not start"
			exit 1
		fi
		sleep 0.05
	done
	SMTP_PORT=$(cat "$T/smtp.port")
}

# A self-signed certificate for 127.0.0.1 in $T/tls.crt, $T/tls.key.
make_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$T/tls.key" -out "$T/tls.crt" 2>"$T/openssl.log" ||
		{ cat "$T/openssl.log"; echo "openssl req failed"; exit 1; }
}

# write_alerts URL [extra smtp lines] — the configuration written by
# write_config plus an alerts section (a copy of the former is kept, so it
# can be called again with other settings).  The roster: duty@ always,
# night@ 18-08, xihua@ for 西华路社区 only.
write_alerts() {
	[ -f "$T/base.yaml" ] || cp "$T/suqiu.yaml" "$T/base.yaml"
	{
		cat "$T/base.yaml"
		cat <<EOC
alerts:
  smtp:
    url: $1
    from: suqiu@example.gov.cn
    timeout: 5s
    retry_base: 1m
    retry_max: 1h
    in_doubt_after: 10m
${2:-}
  duty:
    - email: duty@example.gov.cn
    - email: night@example.gov.cn
      hours: "18-08"
    - email: xihua@example.gov.cn
      communities: [西华路社区]
EOC
		if [ -n "${DETECT_EXTRA:-}" ]; then
			printf 'detect:\n%s\n' "$DETECT_EXTRA"
		fi
	} >"$T/suqiu.yaml"
}

mail_count() {
	find "$MAILDIR" -name '*.eml' 2>/dev/null | wc -l
}

# Every stored message passes mailcheck.py; its lines (MID FLAG REV RCPTS
# SUBJECT) go to $T/mails.
check_mails() {
	if ! "$PYTHON" "$SUQIU_TOP/tests/cli/mailcheck.py" "$MAILDIR" >"$T/mails" 2>"$T/mailcheck.err"; then
		fail "mail check: $(cat "$T/mailcheck.err")"
	fi
}

# How many times each Message-ID arrived: "COUNT MID" lines, sorted.
mid_counts() {
	cut -f1 "$T/mails" | sort | uniq -c | sed 's/^ *//'
}

# Outbox rows in a state (or all).
outbox_count() {  # [state]
	if [ -n "${1:-}" ]; then
		sql "SELECT count(*) FROM outbox WHERE state = '$1'"
	else
		sql "SELECT count(*) FROM outbox"
	fi
}

# SUQIU_NOW shifted by SECONDS from SIM_NOW, as RFC 3339 in +08:00.
now_plus() {
	"$PYTHON" -c '
import datetime, sys
t = datetime.datetime.fromisoformat(sys.argv[1]) + datetime.timedelta(seconds=int(sys.argv[2]))
print(t.isoformat())' "$SIM_NOW" "$1"
}

# run_at SECONDS ARGS... — run_suqiu with the clock moved on.
run_at() {
	local shift=$1
	shift
	SUQIU_NOW_OVERRIDE=$(now_plus "$shift") run_suqiu "$@"
}
