# mk/detect.mk — `make eval-detect`: replay the labelled early-warning
# scenarios of fixtures/detect/ (scripts/gen_detect.py) hour by hour through
# the store, dedup's linking and the detectors, and report per detector:
# injected clusters found, median time to detection after the first member
# arrived, false flags per 30 days of background (docs/alerts.md), each
# beside its target, for the development sets and, apart, the held-out set.
# Deterministic: the scenarios are fixed files and the space-time scan's
# Monte Carlo is seeded (detect.spacetime_seed), so every run prints the
# same figures (only the CPU seconds vary).  Exit status 1 when a target is
# missed.
#
#   make eval-detect                         every set, dedup's real linking
#   make eval-detect DETECT_SETS="cluster"   some sets only
#   make eval-detect DETECT_LINKING=labels   the true incidents instead of dedup's
#   make eval-detect DETECT_STEP=1800        poll every 30 minutes

EVAL_DETECT     := $(BUILD)/eval_detect
DETECT_SETS     ?= background cluster surge surge_more spacetime common_cause urgent mixed \
		   surge_grid surge_grid2 holdout
DETECT_LINKING  ?= dedup
DETECT_STEP     ?= 3600

.PHONY: eval-detect detect-fixtures

$(EVAL_DETECT): $(BUILD)/obj/tests/eval/eval_detect.o $(LIBSUQIU)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBSUQIU) $(LIBS)

eval-detect: $(EVAL_DETECT)
	@/usr/bin/python3 scripts/eval_detect.py --build $(BUILD) --linking $(DETECT_LINKING) \
		--step $(DETECT_STEP) $(DETECT_SETS)

# Regenerate the scenarios (deterministic: the same bytes every time).
detect-fixtures:
	@/usr/bin/python3 scripts/gen_detect.py --out fixtures/detect

-include $(BUILD)/obj/tests/eval/eval_detect.d
