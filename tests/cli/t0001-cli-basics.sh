#!/usr/bin/env bash
# The command line skeleton: version, help, exit statuses, configuration
# errors as FILE:LINE:COL before any database work, doctor, backup, and a
# failed write to stdout.
set -euo pipefail
bin=${SUQIU_BIN:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_status() {  # want, command...
	local want=$1; shift
	set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?; set -e
	[ "$got" -eq "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "$* exited $got, want $want"; }
}

expect_status 0 "$bin" --version
grep -Eq '^suqiu [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" || fail "version line"

expect_status 0 "$bin" help
grep -q 'doctor' "$tmp/out" || fail "help lists doctor"
expect_status 2 "$bin"
expect_status 2 "$bin" no-such-command
grep -q "'no-such-command' is not a command" "$tmp/err" || fail "unknown command message"
expect_status 2 "$bin" --bogus help
expect_status 0 "$bin" doctor --help
grep -q '^usage: suqiu doctor' "$tmp/out" || fail "doctor --help"
expect_status 0 "$bin" help backup
grep -q '^usage: suqiu backup' "$tmp/out" || fail "help backup"

# Every command in the table answers --help with its usage, without a config.
for cmd in $("$bin" help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}'); do
	expect_status 0 "$bin" --config /nonexistent.yaml "$cmd" --help
	grep -q "^usage: suqiu $cmd" "$tmp/out" || fail "$cmd --help prints its usage"
done

# A configuration error stops before the database is touched.
db="$tmp/never.db"
cat > "$tmp/bad.yaml" <<YAML
database: $db
sources:
  - name: hotline
    type: hotline12345
    bse_url: http://127.0.0.1:1
YAML
expect_status 2 "$bin" --config "$tmp/bad.yaml" doctor
grep -Eq "^suqiu: $tmp/bad.yaml:5:5: .*bse_url" "$tmp/err" || { cat "$tmp/err"; fail "unknown key FILE:LINE:COL"; }
[ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "one line of error"
[ ! -e "$db" ] || fail "database created despite the configuration error"

printf 'database: %s\nhttp:\n  timeout: 10 minutes\n' "$db" > "$tmp/dur.yaml"
expect_status 2 "$bin" --config "$tmp/dur.yaml" doctor
grep -Eq "dur.yaml:3:12: " "$tmp/err" || { cat "$tmp/err"; fail "bad duration position"; }

expect_status 2 "$bin" --config "$tmp/missing.yaml" doctor
grep -q "missing.yaml" "$tmp/err" || fail "missing file named"

# doctor with secrets from the environment and from $CREDENTIALS_DIRECTORY:
# reports them as set, never prints them.
mkdir "$tmp/creds"
printf 'liaison-token-SECRET\n' > "$tmp/creds/liaison.token"
cat > "$tmp/ok.yaml" <<YAML
database: $tmp/suqiu.db
sources:
  - name: hotline
    type: hotline12345
    base_url: http://127.0.0.1:9/hotline
    app_key: demo
  - name: liaison
    type: deputy_liaison
    base_url: http://127.0.0.1:9/liaison
YAML
SUQIU_HOTLINE_APP_SECRET=hotline-SECRET CREDENTIALS_DIRECTORY="$tmp/creds" \
	expect_status 0 "$bin" --config "$tmp/ok.yaml" doctor
grep -q 'source hotline app_secret.*set (from env)' "$tmp/out" || { cat "$tmp/out"; fail "env secret"; }
grep -q 'source liaison token.*set (from credentials)' "$tmp/out" || fail "credentials secret"
! grep -q SECRET "$tmp/out" "$tmp/err" || fail "a secret was printed"
grep -q 'integrity ok' "$tmp/out" || fail "database checked"

expect_status 2 "$bin" --config "$tmp/ok.yaml" doctor
grep -q 'app_secret' "$tmp/err" || { cat "$tmp/err"; fail "missing secret named"; }

# backup writes a usable copy.
SUQIU_HOTLINE_APP_SECRET=x CREDENTIALS_DIRECTORY="$tmp/creds" \
	expect_status 0 "$bin" --config "$tmp/ok.yaml" backup "$tmp/copy.db"
[ "$(sqlite3 "$tmp/copy.db" 'PRAGMA integrity_check')" = ok ] || fail "backup integrity"

# A full disk on stdout is an error, not success.
set +e; "$bin" help > /dev/full 2>"$tmp/err"; st=$?; set -e
[ "$st" -ne 0 ] || fail "writing to /dev/full succeeded"
grep -q 'writing output' "$tmp/err" || fail "stdout error reported"
echo ok
