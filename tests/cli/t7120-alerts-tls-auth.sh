#!/usr/bin/env bash
# Alert mail over TLS with authentication, against a real server with a
# self-signed certificate made here by `openssl req`: STARTTLS required and
# verified against alerts.smtp.ca_file, AUTH with a password file, implicit
# TLS (smtps://).  Each way of getting it wrong fails loudly and keeps the
# alerts queued: a wrong password, a server that offers no STARTTLS when
# TLS is required, a certificate nobody vouches for.
. "$(dirname "$0")/lib-alerts.sh"

SIM_URL=http://127.0.0.1:9     # nothing is fetched: pages are imported
write_config hotline
make_cert
printf 'wrong-password\n' >"$T/secrets/smtp.password"
chmod 600 "$T/secrets/smtp.password"
smtp_extra() {  # require_tls [ca_file]
	printf '    username: suqiu\n    password_file: %s\n    require_tls: %s\n' \
		"$T/secrets/smtp.password" "$1"
	[ -n "${2:-}" ] && printf '    ca_file: %s\n' "$2"
}

say "STARTTLS and AUTH required by the server; a wrong password is refused, nothing lost"
start_smtpd --starttls "$T/tls.crt" "$T/tls.key" --require-starttls --auth suqiu:s3cret
write_alerts "smtp://127.0.0.1:$SMTP_PORT" "$(smtp_extra true "$T/tls.crt")"
run_suqiu import --source hotline "$SUQIU_TOP/tests/cli/data/alerts/hotline-urgent.json"
expect_status 0 "import"
run_suqiu alerts detect
expect_status 1 "detect with a wrong SMTP password"
expect_err "authentication refused"
expect_eq "$(outbox_count pending)" 2 "both alerts kept"
expect_eq "$(mail_count)" 0 "nothing delivered"

say "TLS required, but the server offers no STARTTLS: refused before any mail"
stop_smtpd
start_smtpd --port "$SMTP_PORT"
run_at 7200 alerts send
expect_status 1 "send in clear text refused"
expect_err "does not offer STARTTLS"
expect_eq "$(mail_count)" 0 "nothing sent in clear text"

say "a certificate that no configured CA vouches for is refused"
stop_smtpd
start_smtpd --port "$SMTP_PORT" --starttls "$T/tls.crt" "$T/tls.key" --require-starttls --auth suqiu:s3cret
printf 's3cret\n' >"$T/secrets/smtp.password"
write_alerts "smtp://127.0.0.1:$SMTP_PORT" "$(smtp_extra true)"
run_at 14400 alerts send
expect_status 1 "send with an unverifiable certificate"
expect_err "TLS certificate rejected"
expect_eq "$(mail_count)" 0 "nothing sent to an unverified server"

say "STARTTLS verified against ca_file, AUTH with the password file: delivered"
write_alerts "smtp://127.0.0.1:$SMTP_PORT" "$(smtp_extra true "$T/tls.crt")"
run_at 21600 alerts send
expect_status 0 "send over STARTTLS with AUTH"
expect_err "mail: 2 sent, 0 failed"
check_mails
expect_eq "$(mail_count)" 2 "both delivered"
expect_eq "$(cat "$MAILDIR"/*.json | "$PYTHON" -c '
import json, sys
metas = [json.loads(l) for l in sys.stdin.read().replace("}{", "}\n{").splitlines()]
print(all(m["tls"] and m["auth"] == "suqiu" for m in metas))')" True "every mail under TLS, authenticated"

say "implicit TLS (smtps://) with AUTH"
stop_smtpd
start_smtpd --port "$SMTP_PORT" --tls "$T/tls.crt" "$T/tls.key" --auth suqiu:s3cret
write_alerts "smtps://127.0.0.1:$SMTP_PORT" "$(smtp_extra auto "$T/tls.crt")"
run_at 21600 import --source hotline "$SUQIU_TOP/tests/cli/data/alerts/hotline-fire.json"
run_at 21600 alerts detect
expect_status 0 "detect and send over smtps"
expect_err "mail: 1 sent, 0 failed"
check_mails
expect_eq "$(mail_count)" 3 "the fire alert delivered"
expect_eq "$("$PYTHON" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["tls"], m["auth"])' "$MAILDIR/0003.json")" "True suqiu" "smtps session"
grep -q "s3cret" "$T/err" "$T/smtpd.log" && fail "the password appears in output"
finish
