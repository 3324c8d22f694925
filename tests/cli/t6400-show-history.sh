#!/usr/bin/env bash
# suqiu show prints a complaint's history of states (the section lives in
# dedup's cmd_show.c), and the digest follows the latest state: H8 of the
# fixture is resolved, then closed with a verdict, after May.
. "$(dirname "$0")/lib-digest.sh"

load_fixture
SIM_NOW=2024-06-02T11:30:00+08:00
run_suqiu import --source hotline "$DATA/hotline-update.json"
expect_status 0 "import the updates of H8"
SIM_NOW=2024-06-02T12:00:00+08:00

run_suqiu show hotline:H8
expect_status 0 "show hotline:H8"
expect_eq "$(sed -n '/^history/,$p' "$T/out")" "history (first stored 2024-06-02T09:00:00+08:00)
  2024-05-25T08:00:00+08:00  in_progress (办理中)  handler 金花街道办事处
  2024-06-02T10:00:00+08:00  resolved (已办结)  handler 金花街道办事处
  2024-06-02T11:00:00+08:00  closed (已回访)  current" "H8's states, oldest first"
run_suqiu show "C$(cid H8)"
expect_status 0 "show C<id>"
grep -q "^history" "$T/out" || fail "show C<id> has the history"

say "the digest reads the latest state"
run_suqiu digest --since 2024-06-01 --until 2024-06-03 --format json
expect_eq "$(py_json '[o["source_id"] for o in d["overdue"]]')" "['H3']" "H8 is no longer overdue"
run_suqiu digest --period 2024-05 --format json
expect_eq "$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["figures"]; print(f["resolved"], f["on_time"], f["due"], f["rated"])' "$T/out")" \
	"3 1 3 4" "resolved on 2 June: not resolved in May, still due and late; its verdict counts (verdicts carry no date)"
run_suqiu digest --period 2024 --format json
expect_eq "$(python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["figures"]; print(f["resolved"], f["on_time"], f["rated"], f["satisfied"])' "$T/out")" \
	"5 2 4 2" "in 2024: resolved, late, and satisfied"

finish
