# make eval: pairwise precision, recall, F1 and the hard-negative false-merge
# rate of record linkage, and of the naive rule, on fixtures/eval/{dev,val,holdout}
# (scripts/dedup_eval.sh; docs/dedup.md explains the figures).
eval: all
	@scripts/dedup_eval.sh $(BUILD) $(EVAL_SETS)

# make eval-linking: record linkage alone on the early-warning scenarios of
# fixtures/detect (another generator's phrasing), scored pairwise against
# their true incidents (scripts/eval_detect_linking.py; docs/dedup.md).
LINKING_SETS ?= background cluster surge spacetime common_cause urgent surge_more mixed holdout

.PHONY: eval-linking
eval-linking: $(BUILD)/eval_detect
	@scripts/eval_detect_linking.py --build $(BUILD) $(LINKING_SETS)
