# suqiu — build, test, demo.  `make help` lists the targets.
.DEFAULT_GOAL := all
# Keep objects of test programs: they are not throw-away intermediates.
.SECONDARY:
SHELL := /bin/bash

BUILD   ?= build
CC      ?= cc
PKGS    := libcurl libcjson sqlite3 yaml-0.1 libcrypto
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT      ?= -O2
SANITIZE ?=
CFLAGS_ALL = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -pthread $(OPT) -g -Wall -Wextra -Werror \
	-Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wformat=2 \
	-Iinternal -Itests/unit/support -DSUQIU_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(SANITIZE) $(CFLAGS)
LDFLAGS_ALL := $(SANITIZE) $(LDFLAGS)
# libunistring (NFC for norm_text) ships no pkg-config file in Debian.
LIBS = $(PKG_LIBS) -lunistring -lm -pthread

LIB_SRC  := $(sort $(wildcard internal/*.c internal/*/*.c))
CMD_SRC  := $(sort $(wildcard cmd/suqiu/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_SUPPORT_SRC := $(sort $(wildcard tests/unit/support/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIBSUQIU := $(BUILD)/libsuqiu.a
SUQIU    := $(BUILD)/suqiu

.PHONY: all deps check unit cli asan demo fuzz bench eval clean help install uninstall

all: $(SUQIU) $(TEST_BIN)

$(BUILD)/obj/%.o: %.c | deps-stamp
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(LIBSUQIU): $(LIB_OBJ)
	@mkdir -p $(@D)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(SUQIU): $(CMD_OBJ) $(LIBSUQIU)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $(CMD_OBJ) $(LIBSUQIU) $(LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(TEST_SUPPORT_OBJ) $(LIBSUQIU)
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $< $(TEST_SUPPORT_OBJ) $(LIBSUQIU) $(LIBS) -lcmocka

# The dependency check runs once per build directory; scripts/deps.sh
# installs what is missing (as root) or prints the command and exits 2.
.PHONY: deps-stamp
deps-stamp: $(BUILD)/.deps-ok
$(BUILD)/.deps-ok: scripts/deps.sh
	@scripts/deps.sh
	@mkdir -p $(@D) && touch $@
deps:
	@scripts/deps.sh

check: all
	@scripts/run-tests.sh $(BUILD)

unit: all
	@scripts/run-tests.sh $(BUILD) unit

cli: all
	@scripts/run-tests.sh $(BUILD) cli

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
		SANITIZE='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all' all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		scripts/run-tests.sh build-asan

demo: all
	@scripts/demo.sh $(BUILD)

clean:
	rm -rf build build-asan build-fuzz

help:
	@echo "make            build build/suqiu and the tests"
	@echo "make check      install what is missing, build, run every test"
	@echo "make demo       poll the local feed simulator into a fresh database and print a digest"
	@echo "make asan       run the tests under AddressSanitizer and UBSan"
	@echo "make soak       many polls with faults, kills, SMTP outages and a moving clock"
	@echo "make install    binary, man pages, /etc/suqiu, systemd units (PREFIX, DESTDIR)"
	@echo "make uninstall  remove what make install added"

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(TEST_BIN:$(BUILD)/tests/%=$(BUILD)/obj/tests/unit/%.d) $(TEST_SUPPORT_OBJ:.o=.d)
-include mk/*.mk
