#!/usr/bin/env bash
# The systemd units verify cleanly and keep their exposure at or below 2.0.
set -euo pipefail
top=${SUQIU_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verify needs the ExecStart binary to exist: point it at the built one.
for u in "$top"/config/systemd/*.service "$top"/config/systemd/*.timer; do
	sed "s|/usr/local/bin/suqiu|${SUQIU_BIN:-/bin/true}|" "$u" > "$tmp/$(basename "$u")"
done
systemd-analyze verify --man=no "$tmp"/*.service "$tmp"/*.timer

for u in "$top"/config/systemd/*.service; do
	level=$(systemd-analyze security --offline=true "$u" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	echo "$(basename "$u"): exposure $level"
	[ -n "$level" ] || { echo "no exposure level for $u" >&2; exit 1; }
	awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { echo "$u: exposure $level > 2.0" >&2; exit 1; }
done

# The timer contract: every 5 minutes, 1 s accuracy, persistent, randomized.
grep -qx 'OnCalendar=\*:0/5' "$top/config/systemd/suqiu-poll.timer"
grep -qx 'AccuracySec=1s' "$top/config/systemd/suqiu-poll.timer"
grep -qx 'Persistent=true' "$top/config/systemd/suqiu-poll.timer"
grep -q '^RandomizedDelaySec=' "$top/config/systemd/suqiu-poll.timer"
grep -qx 'Type=oneshot' "$top/config/systemd/suqiu-poll.service"
echo ok
