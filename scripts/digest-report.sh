#!/usr/bin/env bash
# Render the demo's HTML digest and its screenshot (docs/digest-report.png):
# poll the feed simulator's demo data (1-14 May 2024) into a fresh
# database, write `suqiu digest --since 7d --format html` as of
# 2024-05-14 20:00 China time, and photograph it with headless Chromium at
# A4 proportions.
#   scripts/digest-report.sh [BUILD] [OUT.png] [OUT.html]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
png=${2:-$top/docs/digest-report.png}
html=${3:-}
export SUQIU_TOP=$top SUQIU_BIN=$top/$build/suqiu
# shellcheck source=../tests/cli/lib.sh
. "$top/tests/cli/lib.sh"
set +u

start_sim
write_config hotline liaison citymgmt open311
run_suqiu poll
[ "$status" = 0 ] || { cat "$T/err"; exit 1; }
run_suqiu digest --since 7d --format html
[ "$status" = 0 ] || { cat "$T/err"; exit 1; }
cp "$T/out" "$T/digest.html"
[ -n "$html" ] && cp "$T/out" "$html"
profile=$(mktemp -d "$T/chromium.XXXXXX")
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --hide-scrollbars --screenshot="$png" --window-size=1240,1754 \
	"file://$T/digest.html" 2>/dev/null
echo "wrote $png"
