#!/usr/bin/env bash
# suqiu merge and split: analysts' decisions that later imports never undo.
. "$(dirname "$0")/lib-dedup.sh"

import hotline hotline-1.json
import liaison liaison-1.json
H1=hotline:2024050112345000001 H2=hotline:2024050112345000002 L1=liaison:98765
same $H1 $L1
old=$(incident $H1)

# split: L1 leaves for an incident of its own
suqiu split --note "another building" $L1 >"$T/out"
expect_in "$T/out" "is now alone in I"
apart $H1 $L1
[ "$(incident $H1)" = "$old" ] || fail "H1 moved"
run_suqiu split $L1
expect_status 2 "splitting a lone complaint"
expect_err "already alone"
run_suqiu split "I$old"
expect_status 2 "split of an incident"

# later imports: L1 updated, H1 updated, and H4 (the same site again)
import liaison liaison-2.json
import hotline hotline-2.json
import hotline hotline-3.json
apart $H1 $L1
# H4 (the same site again) may join either side, never both
h4=$(incident hotline:2024050412345000004)
[ "$h4" = "$(incident $H1)" ] || [ "$h4" = "$(incident $L1)" ] || fail "H4 joined neither"

# merge: H2's incident into H1's; it stays merged through later imports
suqiu merge --note "one landlord" "I$old" $H2 >"$T/out"
expect_in "$T/out" "into I$old"
same $H1 $H2
import hotline hotline-1.json
import hotline hotline-2.json
same $H1 $H2
apart $H1 $L1

# show lists the decisions
suqiu show "I$old" >"$T/inc"
expect_in "$T/inc" "decisions:"
expect_in "$T/inc" "merge (analyst)"
expect_in "$T/inc" "\"one landlord\""
expect_in "$T/inc" "split: C"
suqiu show $L1 >"$T/l1"
expect_in "$T/l1" "split off its earlier incident by an analyst"

run_suqiu merge $H1 $H2
expect_status 2 "merging one incident with itself"
expect_err "already in one incident"
run_suqiu merge $H1
expect_status 2 "merge with one ID"
run_suqiu merge $H1 I99999
expect_status 2 "merge with an unknown incident"
finish
