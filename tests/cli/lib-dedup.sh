# Shared by the dedup CLI tests (t51NN-*.sh), on top of lib.sh: the
# configuration of tests/eval/suqiu.yaml.in (the three sources, every area
# of docs/GEOGRAPHY.md), the small feed pages of data/dedup/, and helpers
# that ask export which incident a complaint is in.  Sourced, not run.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA=$SUQIU_TOP/tests/cli/data/dedup
sed -e "s|@DB@|$T/suqiu.db|" -e "s|@TOP@|$SUQIU_TOP|" -e "s|@MODE@|${DEDUP_MODE:-linkage}|" \
	"$SUQIU_TOP/tests/eval/suqiu.yaml.in" >"$T/suqiu.yaml"

suqiu() { "$SUQIU_BIN" --config "$T/suqiu.yaml" "$@"; }

# import SOURCE FILE: one saved page, stored and linked as a poll would.
import() {
	run_suqiu import --source "$1" "$DATA/$2"
	expect_status 0 "import $1 $2"
}

# incident SOURCE:ID — the incident export gives the complaint (the first
# five CSV columns are id, source, source_type, source_id, incident_id;
# ids compare as strings: order numbers are longer than a double).
incident() {
	suqiu export --format csv | awk -F, -v s="${1%%:*}" -v i="${1#*:}" \
		'$2 == s && ($4 "") == (i "") { print $5; exit }'
}

# same A B / apart A B: whether two complaints share an incident.
same() {
	local a b
	a=$(incident "$1") b=$(incident "$2")
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "$1 (I$a) and $2 (I$b) should share an incident"
}
apart() {
	local a b
	a=$(incident "$1") b=$(incident "$2")
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] ||
		fail "$1 (I$a) and $2 (I$b) should be in different incidents"
}

# expect_in FILE TEXT: FILE contains TEXT (fixed string).
expect_in() {
	grep -qF -- "$2" "$1" || { fail "'$2' not in $(basename "$1"):"; sed 's/^/  | /' "$1" | head -n 30; }
}

# Nothing printed anywhere holds a full mobile number.
expect_no_phone() {  # file
	if grep -E '(^|[^0-9.])1[3-9][0-9]{9}([^0-9]|$)' "$1"; then
		fail "a full phone number in $(basename "$1")"
	fi
}
