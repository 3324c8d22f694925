# mk/fuzz.mk — libFuzzer targets (included by the Makefile: -include mk/*.mk).
#
#   make fuzz                          build and run every tests/fuzz/fuzz_*.c
#   make fuzz FUZZ_SECONDS=300         longer runs
#   make fuzz FUZZ_TARGETS=fuzz_charset
#   make fuzz-build                    build only (build-fuzz/fuzz_NAME)
#   make fuzz FUZZ_RUNS=20000 FUZZ_SEED=1
#                                      a fixed number of inputs from a fixed
#                                      seed and the checked-in seeds only: the
#                                      same inputs on every run of the same
#                                      code (what CI runs, so CI is not flaky;
#                                      explore with time-limited runs instead)
#
# Adding a target is adding tests/fuzz/fuzz_NAME.c: it defines
# LLVMFuzzerTestOneInput and links against the whole library (libsuqiu.a
# compiled again with clang, coverage instrumentation, ASan and UBSan, in
# $(FUZZ_BUILD)/).  Seeds come from tests/fuzz/corpus/fuzz_NAME/ when that
# exists, plus any directories listed in FUZZ_SEEDS_fuzz_NAME, e.g.
#
#   FUZZ_SEEDS_fuzz_hotline := fixtures/hotline12345
#
# (set it in this file or in another mk/*.mk), and tests/fuzz/fuzz_NAME.dict
# is passed as a libFuzzer dictionary when it exists.  New inputs libFuzzer finds
# go to $(FUZZ_BUILD)/corpus/fuzz_NAME/, never into the seed directories;
# crash reproducers to $(FUZZ_BUILD)/artifacts/.

FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_OPT     ?= -O1
FUZZ_FLAGS   ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_RUNS    ?=
FUZZ_SEED    ?= 1
# Time-limited exploration that keeps what it finds, or a reproducible run.
FUZZ_LIMIT    = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS) -seed=$(FUZZ_SEED),-max_total_time=$(FUZZ_SECONDS))
# libFuzzer writes new inputs into the first directory: a scratch one,
# emptied first, for reproducible runs.
FUZZ_KEEP     = $(FUZZ_BUILD)/$(if $(FUZZ_RUNS),scratch,corpus)/$*
# Library objects get coverage instrumentation and the sanitizers; only the
# target links libFuzzer's main.  UBSan findings abort, so they are crashes.
FUZZ_SAN_LIB := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SAN_BIN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
FUZZ_LIB     := $(FUZZ_BUILD)/libsuqiu.a

.PHONY: fuzz fuzz-build

# The Makefile's CFLAGS_ALL (warnings, -Werror, defines, pkg-config flags)
# with clang's optimisation level and sanitizers swapped in.
$(FUZZ_BUILD)/%: OPT = $(FUZZ_OPT)
$(FUZZ_BUILD)/%: SANITIZE = $(FUZZ_SAN_LIB)

$(FUZZ_BUILD)/obj/%.o: %.c | deps-stamp
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) | deps-stamp
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter-out $(FUZZ_SAN_LIB),$(CFLAGS_ALL)) $(FUZZ_SAN_BIN) -MMD -MP \
		-o $@ $< $(FUZZ_LIB) $(LIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

# One run per target; `make -j2 fuzz` runs two at once.
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-run-%: $(FUZZ_BUILD)/%
	@rm -rf $(FUZZ_BUILD)/scratch/$*
	@mkdir -p $(FUZZ_KEEP) $(FUZZ_BUILD)/artifacts
	@echo "fuzz: $* $(if $(FUZZ_RUNS),$(FUZZ_RUNS) inputs from seed $(FUZZ_SEED),for $(FUZZ_SECONDS)s)"
	$(FUZZ_BUILD)/$* $(FUZZ_LIMIT) $(FUZZ_FLAGS) \
		-artifact_prefix=$(FUZZ_BUILD)/artifacts/$*- \
		$(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
		$(FUZZ_KEEP) $(wildcard tests/fuzz/corpus/$*) $(wildcard $(FUZZ_SEEDS_$*))

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%.d)
