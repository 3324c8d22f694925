# Shared by the dedup CLI tests (t51NN-*.sh): a scratch directory, the
# configuration of tests/eval/suqiu.yaml.in (three sources, the areas of
# docs/GEOGRAPHY.md) and small helpers.  Sourced, not run.
set -euo pipefail
: "${SUQIU_BIN:?run through scripts/run-tests.sh (make check)}"
: "${SUQIU_TOP:?run through scripts/run-tests.sh (make check)}"
T=$(mktemp -d /tmp/suqiu-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
DATA=$SUQIU_TOP/tests/cli/data/dedup
sed -e "s|@DB@|$T/suqiu.db|" -e "s|@TOP@|$SUQIU_TOP|" -e "s|@MODE@|${DEDUP_MODE:-linkage}|" \
	"$SUQIU_TOP/tests/eval/suqiu.yaml.in" >"$T/suqiu.yaml"

suqiu() { "$SUQIU_BIN" --config "$T/suqiu.yaml" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# import SOURCE FILE: one saved page, as the poll would store and link it.
import() { suqiu import --source "$1" "$DATA/$2" 2>>"$T/import.log" || fail "import $1 $2: $(tail -n 3 "$T/import.log")"; }

# incident SOURCE:ID — the incident id export gives the complaint (the first
# five CSV columns are id, source, source_type, source_id, incident_id).
incident() {
	local id
	id=$(suqiu export --format csv | awk -F, -v s="${1%%:*}" -v i="${1#*:}" \
		'$2 == s && ($4 "") == (i "") { print $5; exit }')
	[ -n "$id" ] || fail "no complaint $1"
	echo "$id"
}

# same A B / apart A B: whether two complaints share an incident.
same() { [ "$(incident "$1")" = "$(incident "$2")" ] || fail "$1 and $2 should share an incident"; }
apart() { [ "$(incident "$1")" != "$(incident "$2")" ] || fail "$1 and $2 should be in different incidents"; }

# expect_in FILE TEXT: FILE contains TEXT.
expect_in() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "'$2' not in $1"; }; }
