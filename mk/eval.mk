# make eval: pairwise precision, recall, F1 and the hard-negative false-merge
# rate of record linkage, and of the naive rule, on fixtures/eval/{dev,val,holdout}
# (scripts/dedup_eval.sh; docs/dedup.md explains the figures).
eval: all
	@scripts/dedup_eval.sh $(BUILD) $(EVAL_SETS)
