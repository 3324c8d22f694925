#!/usr/bin/env bash
# suqiu show: a complaint with its incident, why it was linked, its
# declared links and its history; an incident with every member.
. "$(dirname "$0")/lib-dedup.sh"

import hotline hotline-1.json
import liaison liaison-1.json
import citymgmt citymgmt-1.json
import hotline hotline-2.json

# a complaint, by source:source_id
suqiu show liaison:98765 >"$T/l1"
expect_in "$T/l1" "complaint C"
expect_in "$T/l1" "liaison:98765"
expect_in "$T/l1" "2024-05-01T20:40:00+08:00"
expect_in "$T/l1" "尊敬的代表"
expect_in "$T/l1" "138****5678"
expect_in "$T/l1" "linked by score"
expect_in "$T/l1" "(hotline:2024050112345000001)"
# the comparisons, one per line, with the folded-numeral address match
grep -Eq '^ +place +same_spot +\+[0-9.]+' "$T/l1" || fail "no place comparison in show"
grep -Eq '^ +text +[a-z_]+ +[+-][0-9.]+ +\(0\.[0-9]+\)' "$T/l1" || fail "no text comparison in show"

# H1 was updated: its earlier state is in the history, the current one last
suqiu show hotline:2024050112345000001 >"$T/h1"
expect_in "$T/h1" "history"
expect_in "$T/h1" "in_progress (办理中)"
expect_in "$T/h1" "(已办结)  current"
expect_in "$T/h1" "started this incident"
expect_no_phone "$T/h1"

# the declared link, in both directions
suqiu show citymgmt:CG440103202405020001 >"$T/cg"
expect_in "$T/cg" "declares"
expect_in "$T/cg" "ref -> hotline12345:2024050212345000003 = C"
suqiu show hotline:2024050212345000003 >"$T/h3"
expect_in "$T/h3" "linked by a source-declared link with C"

# by C<id>, and the incident with its members
cid=$(sed -n 's/^complaint C\([0-9]*\) .*/\1/p' "$T/l1")
suqiu show "C$cid" | grep -q "liaison:98765" || fail "show C$cid"
inc=$(incident liaison:98765)
suqiu show "I$inc" >"$T/inc"
expect_in "$T/inc" "incident I$inc  2 complaints"
expect_in "$T/inc" "hotline:2024050112345000001"
expect_in "$T/inc" "liaison:98765"
expect_in "$T/inc" "category construction"

# what does not exist, or cannot be parsed, is a usage error
run_suqiu show I99999
expect_status 2 "show I99999"
expect_err "no such incident"
run_suqiu show hotline:nope
expect_status 2 "show hotline:nope"
run_suqiu show 42
expect_status 2 "show 42"
expect_err "expected C<id>"
run_suqiu show
expect_status 2 "show without ID"
finish
