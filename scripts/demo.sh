#!/usr/bin/env bash
# suqiu's demo (make demo): start the feed simulator with its demo data moved
# to the last two weeks, poll all four feeds into a fresh database, and show
# what was stored, the early-warning flags the poll raised, the alert mail
# it delivered to a local SMTP server (scripts/smtpd.py), and end with the
# digest (its HTML report is kept as BUILD/demo-report.html).  Everything
# lives in a temporary directory that is removed at the end (DEMO_KEEP=1
# keeps it); the simulator and the SMTP server are stopped by their pids
# whatever happens.  Only 127.0.0.1 is used.
#   scripts/demo.sh BUILD
set -uo pipefail

build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
suqiu="$top/$build/suqiu"
python=/usr/bin/python3
[ -x "$suqiu" ] || { echo "demo: $suqiu not built (run make)" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/suqiu-demo.XXXXXX") || exit 1
sim_pid=
smtp_pid=
cleanup() {
	local pid
	for pid in $sim_pid $smtp_pid; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "${DEMO_KEEP:-}" = 1 ]; then
		echo "demo: kept $dir (database $dir/suqiu.db)"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the simulator, with the demo data shifted to end a few minutes ago
"$python" "$top/scripts/feedsim.py" --port 0 --port-file "$dir/port" --rebase-to-now \
	2>"$dir/feedsim.log" &
sim_pid=$!
for _ in $(seq 1 100); do
	[ -s "$dir/port" ] && break
	kill -0 "$sim_pid" 2>/dev/null || { cat "$dir/feedsim.log" >&2; exit 1; }
	sleep 0.05
done
[ -s "$dir/port" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$dir/port")"

# ---- an SMTP server on 127.0.0.1 that keeps what it receives in $dir/mail
"$python" "$top/scripts/smtpd.py" --maildir "$dir/mail" --port 0 --port-file "$dir/smtp.port" \
	2>"$dir/smtpd.log" &
smtp_pid=$!
for _ in $(seq 1 100); do
	[ -s "$dir/smtp.port" ] && break
	kill -0 "$smtp_pid" 2>/dev/null || { cat "$dir/smtpd.log" >&2; exit 1; }
	sleep 0.05
done
[ -s "$dir/smtp.port" ] || { echo "demo: the SMTP server did not start" >&2; exit 1; }
smtp_url="smtp://127.0.0.1:$(cat "$dir/smtp.port")"

# ---- a configuration with its secrets in files only the owner can read
mkdir -m 700 "$dir/secrets"
( umask 077
  printf 'demo-secret\n' >"$dir/secrets/hotline.secret"
  printf 'demo-token\n' >"$dir/secrets/liaison.token"
  printf 'demo-key\n' >"$dir/secrets/citymgmt.key" )
since=$(date -d '-21 days' '+%Y-%m-%dT00:00:00%:z')
cat >"$dir/suqiu.yaml" <<EOF
database: $dir/suqiu.db
timezone: Asia/Shanghai
taxonomy: $top/config/taxonomy.yaml
sources:
  - name: hotline
    type: hotline12345
    base_url: $url/hotline
    app_key: demo
    app_secret_file: $dir/secrets/hotline.secret
    start_from: $since
  - name: liaison
    type: deputy_liaison
    base_url: $url/liaison
    token_file: $dir/secrets/liaison.token
    start_from: $since
  - name: citymgmt
    type: city_mgmt
    base_url: $url/citymgmt
    api_key_file: $dir/secrets/citymgmt.key
    start_from: $since
  - name: district311
    type: open311
    base_url: $url/open311
    start_from: $since
areas:
  district: 荔湾区
  street: 金花街道
  communities:
    - { name: 西华路社区, aliases: [西华社区], grid_prefix: "440103009001", center: [113.2440, 23.1293] }
    - { name: 恩宁路社区, aliases: [恩宁社区], grid_prefix: "440103009002", center: [113.2470, 23.1260] }
    - { name: 多宝路社区, aliases: [多宝社区], grid_prefix: "440103009003", center: [113.2420, 23.1240] }
    - { name: 宝华路社区, aliases: [宝华社区], grid_prefix: "440103009004", center: [113.2490, 23.1230] }
    - { name: 龙津西路社区, aliases: [龙津西社区], grid_prefix: "440103009005", center: [113.2400, 23.1275] }
    - { name: 华贵路社区, aliases: [华贵社区], grid_prefix: "440103009006", center: [113.2510, 23.1280] }
    - { name: 逢源路社区, aliases: [逢源社区], grid_prefix: "440103009007", center: [113.2380, 23.1250] }
    - { name: 昌华社区, aliases: [昌华街社区], grid_prefix: "440103009008", center: [113.2455, 23.1215] }
http:
  timeout: 10s
  max_attempts: 3
alerts:
  smtp:
    url: $smtp_url
    from: suqiu@jinhua.example.gov.cn
  duty:
    - email: duty@jinhua.example.gov.cn
    - email: night@jinhua.example.gov.cn
      hours: "18-08"
EOF
chmod 600 "$dir/suqiu.yaml"

echo "== suqiu poll (simulator at $url, alert mail to $smtp_url)"
"$suqiu" --config "$dir/suqiu.yaml" poll
status=$?
echo "   exit status $status"

db="$dir/suqiu.db"
q() { sqlite3 -batch -header -column "$db" "$1"; }
echo
echo "== complaints per source"
q "SELECT source, count(*) AS complaints, sum(status IN ('open', 'in_progress')) AS open,
          count(category) AS categorized, count(community) AS placed, count(lat) AS located
     FROM complaints GROUP BY source ORDER BY source"
echo
echo "== a few of them"
q "SELECT source, source_id, datetime(received_at, 'unixepoch', '+8 hours') AS received,
          status, category, community, contact_masked AS contact, substr(coalesce(title, text), 1, 24) AS about
     FROM complaints ORDER BY received_at DESC LIMIT 8"
echo
echo "== links the feeds declared"
q "SELECT c.source, c.source_id, l.kind, l.target_type, l.target_id
     FROM complaint_links l JOIN complaints c ON c.id = l.complaint_id ORDER BY 1, 2 LIMIT 6"
echo
echo "== the run"
q "SELECT s.source, s.pages, s.fetched, s.new_records AS new, s.updated, s.unchanged,
          s.quarantined, s.duration_ms AS ms, coalesce(s.error, '') AS error
     FROM run_sources s WHERE s.run_id = (SELECT max(id) FROM runs) ORDER BY s.source"
echo
echo "== early-warning flags the poll raised (suqiu alerts)"
"$suqiu" --config "$dir/suqiu.yaml" alerts
echo
echo "== alert mail the SMTP server received"
"$python" - "$dir/mail" <<'PY'
import email, email.policy, json, pathlib, sys
mails = sorted(pathlib.Path(sys.argv[1]).glob("*.eml"))
for eml in mails:
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    env = json.loads(eml.with_suffix(".json").read_text())
    print("%s  to %s  %s" % (eml.name, ",".join(env["rcpt_tos"]), msg["subject"]))
print("%d message(s) delivered" % len(mails))
PY
echo
echo "== the HTML report of the last 14 days (open it in a browser; it prints on A4)"
report="$top/$build/demo-report.html"
if "$suqiu" --config "$dir/suqiu.yaml" digest --since 14d --format html >"$report"; then
	echo "   $report"
else
	status=1
fi
echo
echo "== the digest of the last 14 days (suqiu digest --since 14d)"
NO_COLOR=1 "$suqiu" --config "$dir/suqiu.yaml" digest --since 14d || status=1
exit "$status"
