#!/usr/bin/env bash
# make demo (scripts/demo.sh) works end to end on the build under test: the
# simulator is polled, flags raised and mailed, and the run ends with the
# digest, its HTML report kept beside the binary.
. "$(dirname "$0")/lib.sh"

build=$(basename "$SUQIU_BUILD")
say "scripts/demo.sh $build"
if ! TMPDIR=$T bash "$SUQIU_TOP/scripts/demo.sh" "$build" >"$T/demo.out" 2>"$T/demo.err"; then
	tail -n 20 "$T/demo.out" "$T/demo.err" >&2
	fail "the demo exited non-zero"
fi
grep -q '^   exit status 0$' "$T/demo.out" || fail "the demo's poll did not exit 0"
grep -Eq '^[0-9]+ message\(s\) delivered$' "$T/demo.out" || fail "no alert mail delivered"
grep -q '^0 message(s) delivered$' "$T/demo.out" && fail "no alert mail delivered"
# It ends with the digest: the demo's last section (its headers are English;
# the digest's own are Chinese), with the digest's definitions last.
last_header=$(grep -n '^== [A-Za-z]' "$T/demo.out" | tail -n 1)
case $last_header in
*"== the digest of the last 14 days"*) ;;
*) fail "the demo does not end with the digest (last section: $last_header)" ;;
esac
sed -n '/^== the digest/,$p' "$T/demo.out" | grep -q '^诉求摘要$' || fail "no digest title"
tail -n 12 "$T/demo.out" | grep -q '^说明$' || fail "the digest's definitions are not at the end"
report="$SUQIU_BUILD/demo-report.html"
[ -s "$report" ] || fail "no HTML report at $report"
grep -q '</html>' "$report" || fail "the HTML report is cut short"
grep -Eq 'src="https?:|href="https?:' "$report" && fail "the HTML report fetches from the network"
ls "$T" | grep -q 'suqiu-demo' && fail "the demo left its temporary directory"
finish
