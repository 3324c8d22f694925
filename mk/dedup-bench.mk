# make bench-dedup: the cost of linking one complaint as the store grows to
# BENCH_DEDUP_ARGS (default 200000 complaints at 200 a day); see
# tests/bench/bench_dedup.c and docs/dedup.md.
DEDUP_BENCH := $(BUILD)/bench/bench_dedup
BENCH_DEDUP_ARGS ?= 200000 200

$(DEDUP_BENCH): $(BUILD)/obj/tests/bench/bench_dedup.o $(LIBSUQIU)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBSUQIU) $(LIBS)

.PHONY: bench-dedup
bench: bench-dedup
bench-dedup: $(DEDUP_BENCH)
	@$(DEDUP_BENCH) $(BENCH_DEDUP_ARGS)
