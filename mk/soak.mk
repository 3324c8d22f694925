# mk/soak.mk — the soak and fault test (included by the Makefile).
#
#   make soak                       the long run: 120 clock steps, up to 5 faulty
#                                   polls each, valgrind on every 8th settled poll
#   make soak SOAK_ARGS='--steps 100 --seed 7'
#
# scripts/soak.py polls the feed simulator many times with faults queued,
# processes killed (SIGKILL at random instants, SUQIU_CRASH_AT at commit
# points), the SMTP server going down and up and the clock moving forward,
# and after every step compares the store with a clean run's.  It prints its
# figures (runs, kills, faults, records, lost) and fails on anything lost.
# A one-minute version runs in make check (tests/cli/t0950-soak-short.sh).
.PHONY: soak
SOAK_ARGS ?=

soak: $(SUQIU)
	@/usr/bin/python3 scripts/soak.py --bin $(SUQIU) --verbose $(SOAK_ARGS)
