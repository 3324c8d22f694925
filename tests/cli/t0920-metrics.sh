#!/usr/bin/env bash
# --metrics FILE after a poll against the simulator: a valid Prometheus
# textfile whose figures match the store and the run log, replaced
# atomically, for the global option and poll's own; a failing source shows
# up as an error and an old success time; an unwritable file is exit 1.
. "$(dirname "$0")/lib.sh"

start_sim
write_config hotline liaison citymgmt open311

# check_prom FILE: the exposition rules a Prometheus parser enforces.
check_prom() {
	/usr/bin/python3 - "$1" <<'PY'
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(rf"^({name})(\{{{label}(?:,{label})*\}})? (-?[0-9.]+(?:e[+-]?[0-9]+)?)$")
text = open(sys.argv[1], encoding="utf-8").read()
assert text.endswith("\n"), "no final newline"
families, family, typ, seen = {}, None, None, set()
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("# HELP "):
        family = line.split()[2]
        assert family not in families, f"line {n}: {family} twice"
        families[family] = None
        continue
    if line.startswith("# TYPE "):
        _, _, fam, typ = line.split()
        assert fam == family and typ in ("gauge", "counter"), f"line {n}: {line}"
        assert typ != "counter" or fam.endswith("_total"), f"line {n}: counter {fam}"
        families[fam] = typ
        continue
    m = sample.match(line)
    assert m, f"line {n}: not a sample: {line!r}"
    assert m.group(1) == family and typ, f"line {n}: {m.group(1)} outside its family"
    key = (m.group(1), m.group(2))
    assert key not in seen, f"line {n}: duplicate sample"
    seen.add(key)
PY
}

value() {  # file metric-with-labels
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

say "global --metrics after a full poll"
run_suqiu --metrics "$T/suqiu.prom" poll
expect_status 0
[ -f "$T/suqiu.prom" ] || fail "no metrics file"
check_prom "$T/suqiu.prom" || fail "the metrics file breaks the exposition format"
ls "$T" | grep -q 'suqiu.prom.tmp' && fail "a temporary file was left beside it"
for s in hotline liaison citymgmt open311; do
	expect_eq "$(value "$T/suqiu.prom" "suqiu_complaints{source=\"$s\"}")" "$(count_source $s)" \
		"suqiu_complaints of $s"
	expect_eq "$(value "$T/suqiu.prom" "suqiu_source_records_total{source=\"$s\",change=\"new\"}")" \
		"$(count_source $s)" "new records of $s"
	expect_eq "$(value "$T/suqiu.prom" "suqiu_source_last_run_records{source=\"$s\",change=\"new\"}")" \
		"$(last_run_figure $s new_records)" "last-run new records of $s"
	expect_eq "$(value "$T/suqiu.prom" "suqiu_source_last_success_timestamp_seconds{source=\"$s\"}")" \
		"$(sql 'SELECT max(started_at) FROM runs')" "last success of $s"
	expect_eq "$(value "$T/suqiu.prom" "suqiu_source_errors_total{source=\"$s\"}")" 0 "errors of $s"
done
expect_eq "$(value "$T/suqiu.prom" 'suqiu_run_exit_status{command="poll"}')" 0 "exit status"
expect_eq "$(value "$T/suqiu.prom" 'suqiu_complaints_stored')" "$(sql 'SELECT count(*) FROM complaints')" \
	"complaints stored"
expect_eq "$(value "$T/suqiu.prom" 'suqiu_schema_version')" "$(sql 'PRAGMA user_version')" "schema version"
grep -q '^suqiu_run_duration_seconds{command="poll"} [0-9]*\.[0-9][0-9][0-9]$' "$T/suqiu.prom" ||
	fail "no run duration"
if sql "SELECT 1 FROM sqlite_master WHERE name = 'incidents'" | grep -q 1; then
	expect_eq "$(value "$T/suqiu.prom" 'suqiu_incidents')" "$(sql 'SELECT count(*) FROM incidents')" \
		"incidents"
fi

say "poll --metrics, the unit's spelling; a failing source shows up"
old_ok=$(value "$T/suqiu.prom" 'suqiu_source_last_success_timestamp_seconds{source="hotline"}')
sim_now 2024-05-15T08:00:00+08:00
sim_fault hotline http500 '"count": 50'
run_suqiu poll --metrics "$T/unit.prom"
expect_status 1
check_prom "$T/unit.prom" || fail "the metrics file of a failed run breaks the format"
expect_eq "$(value "$T/unit.prom" 'suqiu_run_exit_status{command="poll"}')" 1 "exit status of a failed run"
expect_eq "$(value "$T/unit.prom" 'suqiu_source_last_success_timestamp_seconds{source="hotline"}')" \
	"$old_ok" "hotline's last success stays the earlier run's"
[ "$(value "$T/unit.prom" 'suqiu_source_last_error_timestamp_seconds{source="hotline"}')" -gt "$old_ok" ] ||
	fail "hotline's last error is not this run"
[ "$(value "$T/unit.prom" 'suqiu_source_errors_total{source="hotline"}')" -ge 1 ] ||
	fail "hotline's errors were not counted"
[ "$(value "$T/unit.prom" 'suqiu_source_last_success_timestamp_seconds{source="liaison"}')" -gt "$old_ok" ] ||
	fail "liaison's success time did not move"
sim_reset

say "the file is replaced, never rewritten in place"
ino=$(stat -c %i "$T/unit.prom")
run_suqiu poll --metrics "$T/unit.prom"
expect_status 0
[ "$(stat -c %i "$T/unit.prom")" != "$ino" ] || fail "the file was rewritten in place, not renamed"

say "a source configured but never polled is there with 0"
write_config hotline liaison citymgmt open311
printf '  - name: spare\n    type: open311\n    base_url: %s/open311\n    enabled: false\n' "$SIM_URL" \
	>"$T/spare.yaml"
/usr/bin/python3 - "$T/suqiu.yaml" "$T/spare.yaml" <<'PY'
import sys
conf, spare = sys.argv[1], open(sys.argv[2]).read()
text = open(conf).read().replace("areas:\n", spare + "areas:\n", 1)
open(conf, "w").write(text)
PY
run_suqiu --metrics "$T/spare.prom" poll
expect_status 0
expect_eq "$(value "$T/spare.prom" 'suqiu_source_last_success_timestamp_seconds{source="spare"}')" 0 \
	"a never-polled source"

say "an unwritable metrics file fails the run loudly"
run_suqiu --metrics "$T/no/such/dir/suqiu.prom" poll
expect_status 1
expect_err 'suqiu: --metrics: .*no/such/dir/suqiu.prom'
run_suqiu --metrics 2>/dev/null
expect_status 2
finish
