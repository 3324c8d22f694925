# Benchmarks (issue: performance).  `make bench` measures 10k, 100k and 1M
# complaints against the floor; `make bench-short` runs 10k only (CI, to
# catch crashes — timing is never a test).
.PHONY: bench bench-short
BENCH_FLOOR := $(BUILD)/bench/floor

$(BENCH_FLOOR): tests/bench/floor.c | deps-stamp
	@mkdir -p $(@D)
	@echo "  CC      $@"
	@$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBS)

bench: $(SUQIU) $(BENCH_FLOOR)
	@scripts/bench/run.sh $(BUILD) 10000 100000 1000000

bench-short: $(SUQIU) $(BENCH_FLOOR)
	@scripts/bench/run.sh $(BUILD) 10000
