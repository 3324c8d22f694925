#!/usr/bin/env bash
# Run suqiu's tests: every cmocka unit test in BUILD/tests/, then every CLI
# test script tests/cli/tNNNN-*.sh.  Prints one line per test and a closing
# summary; exits non-zero when anything failed.
#   scripts/run-tests.sh BUILD [unit|cli]
set -uo pipefail
build=${1:-build}
only=${2:-all}
top=$(cd "$(dirname "$0")/.." && pwd)
export SUQIU_BIN="$top/$build/suqiu" SUQIU_TOP="$top" SUQIU_BUILD="$top/$build"
logdir="$top/$build/test-logs"
mkdir -p "$logdir"
pass=0 fail=0 failed=()

run_one() {  # name, command...
	local name=$1; shift
	local log="$logdir/$name.log" start=$SECONDS
	mkdir -p "$(dirname "$log")"
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1)); printf 'ok    %-44s %3ss\n' "$name" $((SECONDS - start))
	else
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL  %-44s %3ss  (log: %s)\n' "$name" $((SECONDS - start)) "${log#$top/}"
		tail -n 25 "$log" | sed 's/^/      | /'
	fi
}

if [ "$only" = all ] || [ "$only" = unit ]; then
	for t in "$top/$build"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$only" = all ] || [ "$only" = cli ]; then
	for t in "$top"/tests/cli/t[0-9]*.sh; do
		[ -f "$t" ] || continue
		run_one "cli/$(basename "$t" .sh)" bash "$t"
	done
fi

echo "---- $pass passed, $fail failed ($build) ----"
for f in "${failed[@]}"; do echo "failed: $f"; done
[ "$fail" -eq 0 ]
