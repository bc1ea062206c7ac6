# arenabench -- build, test and benchmark.
#
# The two commands a newcomer needs:  make bench   and   make test
# (both run `make deps` first, which installs missing Debian packages as root).

CC       ?= gcc
PYTHON   ?= /usr/bin/python3
BUILD    := build

# The libpython whose PyObject_Malloc is the `cpython` reference allocator and
# the interpreter whose sys._debugmallocstats() `validate` compares against
# must be the same build, so both come from $(PYTHON).
LIBPYTHON := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('INSTSONAME') or '')" 2>/dev/null)
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS := -I. -D_GNU_SOURCE \
            -DAB_PYTHON='"$(PYTHON)"' -DAB_LIBPYTHON='"$(LIBPYTHON)"' \
            -DAB_GIT_COMMIT='"$(GIT_COMMIT)"' -DAB_SOURCE_DIR='"$(CURDIR)"'
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -MMD -MP
LDLIBS   := -lpfm -ljansson -ldl -lm -lpthread

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRCS  := $(wildcard allocators/*.c workloads/*.c harness/util/*.c harness/system/*.c harness/results/*.c) $(filter-out harness/main.c,$(wildcard harness/*.c))
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_NAMES := $(patsubst tests/%.c,%,$(TEST_SRCS))

# Optional per-area fragments (e.g. the arenatrace extension) may append to
# TEST_PREREQS, EXTRA_TARGETS and CLEAN_EXTRA.
TEST_PREREQS :=
EXTRA_TARGETS :=
CLEAN_EXTRA :=

# $(call objs,VARIANT,SRCS): object paths for a build flavour (normal | asan)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

.PHONY: all deps bench test test-normal test-asan clean

.DEFAULT_GOAL := all
# Fragments first: `all`'s prerequisites are expanded when the rule is read.
-include $(wildcard mk/*.mk)

all: $(BUILD)/arenabench $(EXTRA_TARGETS)

# ---- normal flavour -------------------------------------------------------
$(BUILD)/normal/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/normal/libarenabench.a: $(call objs,normal,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/arenabench: $(BUILD)/normal/harness/main.o $(BUILD)/normal/libarenabench.a
	$(CC) $(CFLAGS) -rdynamic $^ -o $@ $(LDLIBS)

$(BUILD)/normal/tests/%: $(BUILD)/normal/tests/%.o $(BUILD)/normal/libarenabench.a
	$(CC) $(CFLAGS) -rdynamic $^ -o $@ $(LDLIBS) -lcmocka

# ---- sanitizer flavour ----------------------------------------------------
$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/asan/libarenabench.a: $(call objs,asan,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/asan/arenabench: $(BUILD)/asan/harness/main.o $(BUILD)/asan/libarenabench.a
	$(CC) $(CFLAGS) $(SAN_FLAGS) -rdynamic $^ -o $@ $(LDLIBS)

$(BUILD)/asan/tests/%: $(BUILD)/asan/tests/%.o $(BUILD)/asan/libarenabench.a
	$(CC) $(CFLAGS) $(SAN_FLAGS) -rdynamic $^ -o $@ $(LDLIBS) -lcmocka

# ---- top-level targets ----------------------------------------------------
deps:
	@bash harness/deps.sh

test: deps
	@$(MAKE) --no-print-directory test-normal
	@$(MAKE) --no-print-directory test-asan

test-normal: $(BUILD)/arenabench $(addprefix $(BUILD)/normal/tests/,$(TEST_NAMES)) $(TEST_PREREQS)
	@bash tests/run.sh normal $(BUILD)/arenabench $(addprefix $(BUILD)/normal/tests/,$(TEST_NAMES))

test-asan: $(BUILD)/asan/arenabench $(addprefix $(BUILD)/asan/tests/,$(TEST_NAMES)) $(TEST_PREREQS)
	@bash tests/run.sh asan $(BUILD)/asan/arenabench $(addprefix $(BUILD)/asan/tests/,$(TEST_NAMES))

bench: deps
	@$(MAKE) --no-print-directory all
	@bash harness/bench.sh $(BUILD)/arenabench

clean:
	rm -rf $(BUILD) results/out plots/out $(CLEAN_EXTRA)

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
