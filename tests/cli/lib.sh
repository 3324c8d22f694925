# tests/cli/lib.sh — shared by the CLI tests (git's t/test-lib.sh, smaller).
#
#   . "$(dirname "$0")/lib.sh"
#   start_sim                      # the feed simulator on a free port, now = $SIM_NOW
#   write_config hotline liaison   # $T/suqiu.yaml with those sources, secrets in 0600 files
#   run_suqiu poll                 # sets $status, $T/out, $T/err
#   expect_status 0
#   expect_eq "$(sql 'SELECT count(*) FROM complaints')" 62 "hotline count"
#
# Everything lives in a fresh temporary directory $T, removed on exit with
# the simulator stopped (by its pid).  Only 127.0.0.1 is used.  The
# environment comes from scripts/run-tests.sh: SUQIU_BIN, SUQIU_TOP.
set -u
# Sourced once: lib-alerts.sh and lib-digest.sh both source it, and a test
# may use both (a second $T would leak the first).
[ -n "${SUQIU_LIB_SH:-}" ] && return 0
SUQIU_LIB_SH=1

: "${SUQIU_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SUQIU_BIN:=$SUQIU_TOP/build/suqiu}"
export SUQIU_TOP SUQIU_BIN
PYTHON=/usr/bin/python3
TEST_NAME=$(basename "$0" .sh)

# The simulated now of the tests, and the one suqiu is told (SUQIU_NOW) so
# that windowed feeds walk up to the same instant the simulator serves.
SIM_NOW=${SIM_NOW:-2024-05-14T20:00:00+08:00}
START_FROM=2024-05-01T00:00:00+08:00

T=$(mktemp -d "${TMPDIR:-/tmp}/suqiu-$TEST_NAME.XXXXXX") || exit 1
SIM_PID=
failures=0

cleanup() {
	if [ -n "$SIM_PID" ]; then
		kill "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
	fi
	if [ "${KEEP_TMP:-}" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

fail() {
	failures=$((failures + 1))
	printf 'FAIL: %s\n' "$*"
	if [ -s "$T/err" ]; then
		echo "  --- stderr of the last suqiu run:"
		sed 's/^/  | /' "$T/err" | tail -n 15
	fi
}

# End of a test script: the exit status says whether anything failed.
finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$TEST_NAME: $failures check(s) failed"
		exit 1
	fi
	echo "$TEST_NAME: all checks passed"
	exit 0
}

expect_eq() {  # actual expected what
	if [ "$1" = "$2" ]; then
		return 0
	fi
	case "$1$2" in
	*"
"*)	# several lines: show where they differ
		fail "$3: differs (< got, > expected):"
		diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") | cut -c1-300 | head -n 20 ;;
	*)	fail "$3: got '$1', expected '$2'" ;;
	esac
}

expect_status() {  # expected [what]
	if [ "$status" != "$1" ]; then
		fail "${2:-suqiu} exited $status, expected $1"
	fi
}

expect_err() {  # extended regex that stderr must match
	if ! grep -Eq -- "$1" "$T/err"; then
		fail "stderr does not match /$1/"
	fi
}

expect_no_err() {  # extended regex that stderr must not match
	if grep -Eq -- "$1" "$T/err"; then
		fail "stderr matches /$1/"
	fi
}

# The error lines of the last run that name a source: exactly one per failure.
expect_one_error_line() {  # source
	local n
	n=$(grep -Ec "^suqiu: poll: $1: page [0-9]+ " "$T/err")
	if [ "$n" != 1 ]; then
		fail "expected one error line naming source $1 and its page, got $n"
	fi
}

# ---- the simulator --------------------------------------------------------

start_sim() {  # extra feedsim arguments...
	rm -f "$T/sim.port"
	"$PYTHON" "$SUQIU_TOP/scripts/feedsim.py" --port 0 --port-file "$T/sim.port" \
		--now "$SIM_NOW" "$@" 2>>"$T/sim.log" &
	SIM_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$T/sim.port" ] && break
		if ! kill -0 "$SIM_PID" 2>/dev/null; then
			cat "$T/sim.log"
			echo "feedsim did not start"
			exit 1
		fi
		sleep 0.05
	done
	SIM_PORT=$(cat "$T/sim.port")
	SIM_URL="http://127.0.0.1:$SIM_PORT"
}

sim_control() {  # JSON
	curl -sf -X POST --data "$1" "$SIM_URL/_control" >/dev/null ||
		fail "simulator control refused: $1"
}

sim_now() {  # RFC 3339: move both the simulator's now and the one suqiu is told
	SIM_NOW=$1
	sim_control "{\"now\": \"$1\"}"
}

sim_fault() {  # feed kind [extra JSON members, e.g. '"count": 2']
	local extra=${3:+, $3}
	sim_control "{\"faults\": [{\"feed\": \"$1\", \"kind\": \"$2\"$extra}]}"
}

sim_reset() { sim_control '{"reset": true}'; }

# The requests the simulator saw since the last reset: "STATUS PATH" lines.
sim_log() {
	curl -sf "$SIM_URL/_log" | "$PYTHON" 2>/dev/null -c '
import json, sys
for e in json.load(sys.stdin):
    print(e["status"], e["path"], e.get("fault") or "-", e["headers"].get("If-None-Match", "-"))'
}

# How many distinct records feed (hotline, liaison, citymgmt, open311) shows at now.
sim_count() {  # feed [now]
	"$PYTHON" - "$SUQIU_TOP/fixtures/sim/$1.json" "$1" "${2:-$SIM_NOW}" <<'EOF'
import json, os, sys
sys.path.insert(0, os.environ["SUQIU_TOP"] + "/scripts")
import feedsim
path, feed, now = sys.argv[1], sys.argv[2], feedsim.parse_rfc3339(sys.argv[3])
upd = {"hotline": lambda r: feedsim.parse_cst(r["updateTime"]),
       "liaison": lambda r: feedsim.parse_rfc3339(r["updated_at"]),
       "citymgmt": lambda r: r["updatedAt"],
       "open311": lambda r: feedsim.parse_rfc3339(r["updated_datetime"])}[feed]
n = 0
for e in json.load(open(path)):
    versions = e["versions"] if isinstance(e, dict) and set(e) == {"versions"} else [e]
    n += any(upd(v) <= now for v in versions)
print(n)
EOF
}

# ---- suqiu --------------------------------------------------------------------

# write_config SOURCE... — sources among hotline liaison citymgmt open311.
# Extra YAML for the http section can come in $HTTP_EXTRA (indented lines).
write_config() {
	mkdir -p "$T/secrets"
	printf 'demo-secret\n' >"$T/secrets/hotline.secret"
	printf 'demo-token\n' >"$T/secrets/liaison.token"
	printf 'demo-key\n' >"$T/secrets/citymgmt.key"
	printf 'site-key-for-tests-0123456789abcdef\n' >"$T/secrets/site.key"
	chmod 600 "$T"/secrets/*
	{
		echo "database: $T/suqiu.db"
		echo "taxonomy: $SUQIU_TOP/config/taxonomy.yaml"
		echo "privacy:"
		echo "  site_key_file: $T/secrets/site.key"
		echo "sources:"
		local s
		for s in "$@"; do
			case $s in
			hotline)
				echo "  - name: hotline"
				echo "    type: hotline12345"
				echo "    base_url: $SIM_URL/hotline"
				echo "    app_key: demo"
				echo "    app_secret_file: $T/secrets/hotline.secret"
				echo "    page_size: ${HOTLINE_PAGE_SIZE:-10}"
				;;
			liaison)
				echo "  - name: liaison"
				echo "    type: deputy_liaison"
				echo "    base_url: $SIM_URL/liaison"
				echo "    token_file: $T/secrets/liaison.token"
				echo "    page_size: ${LIAISON_PAGE_SIZE:-10}"
				;;
			citymgmt)
				echo "  - name: citymgmt"
				echo "    type: city_mgmt"
				echo "    base_url: $SIM_URL/citymgmt"
				echo "    api_key_file: $T/secrets/citymgmt.key"
				echo "    page_size: ${CITYMGMT_PAGE_SIZE:-10}"
				;;
			open311)
				echo "  - name: open311"
				echo "    type: open311"
				echo "    base_url: $SIM_URL/open311"
				echo "    page_size: ${OPEN311_PAGE_SIZE:-10}"
				;;
			*) echo "write_config: unknown source $s" >&2; exit 1 ;;
			esac
			echo "    start_from: $START_FROM"
		done
		cat <<EOF
areas:
  district: 荔湾区
  street: 金花街道
  communities:
    - name: 西华路社区
      aliases: [西华社区]
      grid_prefix: "440103009001"
      center: [113.2440, 23.1293]
    - name: 恩宁路社区
      aliases: [恩宁社区]
      grid_prefix: "440103009002"
      center: [113.2470, 23.1260]
    - name: 多宝路社区
      aliases: [多宝社区]
      grid_prefix: "440103009003"
      center: [113.2420, 23.1240]
http:
  connect_timeout: 1s
  timeout: ${HTTP_TIMEOUT:-3s}
  low_speed_time: 1s
  max_attempts: ${HTTP_ATTEMPTS:-4}
  backoff_base: 10ms
  backoff_max: 40ms
  retry_after_max: 1s
  budget: ${HTTP_BUDGET:-20s}
EOF
		if [ -n "${HTTP_EXTRA:-}" ]; then
			printf '%s\n' "$HTTP_EXTRA"
		fi
	} >"$T/suqiu.yaml"
}

# run_suqiu ARGS... — $status, $T/out, $T/err; SUQIU_NOW follows the simulator.
run_suqiu() {
	SUQIU_NOW=${SUQIU_NOW_OVERRIDE:-$SIM_NOW} "$SUQIU_BIN" --config "$T/suqiu.yaml" "$@" \
		>"$T/out" 2>"$T/err"
	status=$?
}

sql() {  # query [database]
	sqlite3 -batch -noheader "${2:-$T/suqiu.db}" "$1"
}

# A figure (pages, fetched, new_records, ...) of source in the latest run.
last_run_figure() {  # source column
	sql "SELECT $2 FROM run_sources WHERE source = '$1' ORDER BY run_id DESC LIMIT 1"
}

count_source() {  # source [database]
	sql "SELECT count(*) FROM complaints WHERE source = '$1'" "${2:-}"
}

# A canonical dump of what a poll stored: complaints, their history and
# links, cursors and quarantine, without row ids or wall-clock columns.
# With CANON_NO_RESOLVED=1, resolved_at is left out: it records when a poll
# first saw the complaint resolved, so polls at other times differ in it.
canonical_dump() {  # database
	local resolved=resolved_at
	[ "${CANON_NO_RESOLVED:-}" = 1 ] && resolved=NULL
	sqlite3 -batch -noheader "$1" <<EOF
SELECT 'C', source, source_id, source_type, received_at, updated_at, kind, channel, title,
       text, category, category_raw, street, community, grid, address, lat, lon,
       contact_hash, contact_masked, contact_raw, status, status_raw, deadline,
       satisfaction, handler, raw, $resolved
  FROM complaints ORDER BY source, source_id;
SELECT 'H', c.source, c.source_id, h.updated_at, h.status, h.status_raw, h.title, h.text,
       h.category, h.community, h.address, h.deadline, h.satisfaction, h.handler, h.raw
  FROM complaint_history h JOIN complaints c ON c.id = h.complaint_id
  ORDER BY c.source, c.source_id, h.updated_at;
SELECT 'L', c.source, c.source_id, l.kind, l.target_type, l.target_id
  FROM complaint_links l JOIN complaints c ON c.id = l.complaint_id
  ORDER BY 2, 3, 4, 5, 6;
SELECT 'K', source, cursor FROM cursors ORDER BY source;
SELECT 'Q', source, source_id, reason, raw FROM quarantine ORDER BY source, source_id, reason;
EOF
}

expect_integrity() {  # [database]
	expect_eq "$(sql 'PRAGMA integrity_check' "${1:-}")" ok "PRAGMA integrity_check"
}

# Every source's complaint count equals what the simulator shows now.
expect_counts_match_sim() {  # source...
	local s feed
	for s in "$@"; do
		feed=$s
		expect_eq "$(count_source "$s")" "$(sim_count "$feed")" "complaints of $s"
	done
	expect_eq "$(sql 'SELECT count(*) FROM (SELECT source, source_id FROM complaints GROUP BY 1, 2 HAVING count(*) > 1)')" 0 "duplicated complaints"
}
