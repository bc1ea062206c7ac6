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

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS := -I. -D_GNU_SOURCE \
            -DAB_PYTHON='"$(PYTHON)"' -DAB_LIBPYTHON='"$(LIBPYTHON)"' \
            -DAB_SOURCE_DIR='"$(CURDIR)"'
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -MMD -MP
# GSL (the statistics' distribution functions) is linked statically: two more
# shared libraries would move where mmap places the model's arenas, and with
# ASLR off (the CI gate) that changes arena counts (arena_pressure: 65 -> 66).
GSL_LIBS := -Wl,-Bstatic -lgsl -lgslcblas -Wl,-Bdynamic
LDLIBS   := -lpfm -ljansson $(GSL_LIBS) -ldl -lm -lpthread

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# harness/ holds main.c and one cmd_*.c per subcommand; its wings (util,
# counters, system, results, run, report, validate, microbench) the shared
# machinery; workloads/trace/ the trace format and replay.
LIB_SRCS  := $(wildcard allocators/*.c workloads/*.c workloads/trace/*.c harness/*/*.c) \
             $(filter-out harness/main.c,$(wildcard harness/*.c))
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

# ---- build flavours ------------------------------------------------------
# One template, instantiated for the normal build and the ASan+UBSan build,
# so the two cannot drift.  $(1) flavour, $(2) extra compile/link flags.
define FLAVOUR_RULES
$(BUILD)/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(CFLAGS) $(2) -c $$< -o $$@

$(BUILD)/$(1)/harness/system/build_info.o: $(BUILD)/gen/build_info_gen.h
$(BUILD)/$(1)/harness/system/build_info.o: CPPFLAGS += -I$(BUILD)/gen

$(BUILD)/$(1)/libarenabench.a: $$(call objs,$(1),$$(LIB_SRCS))
	@rm -f $$@
	ar rcs $$@ $$^

$(BUILD)/$(1)/arenabench: $(BUILD)/$(1)/harness/main.o $(BUILD)/$(1)/libarenabench.a
	$$(CC) $$(CFLAGS) $(2) -rdynamic $$^ -o $$@ $$(LDLIBS)

$(BUILD)/$(1)/tests/%: $(BUILD)/$(1)/tests/%.o $(BUILD)/$(1)/libarenabench.a
	$$(CC) $$(CFLAGS) $(2) -rdynamic $$^ -o $$@ $$(LDLIBS) -lcmocka
endef
$(eval $(call FLAVOUR_RULES,normal,))
$(eval $(call FLAVOUR_RULES,asan,$(SAN_FLAGS)))
# The TLB-simulation flavour: access hooks compiled in (mk/tlbsim.mk).
$(eval $(call FLAVOUR_RULES,tlbsim,-DAB_TLBSIM))

# The build's provenance: regenerated on every make, rewritten only when the
# commit, the dirty state or the flags change (harness/build-info.sh).
.PHONY: FORCE
$(BUILD)/gen/build_info_gen.h: FORCE
	@mkdir -p $(dir $@)
	@bash harness/build-info.sh $@ $(CC) $(CFLAGS)

$(BUILD)/arenabench: $(BUILD)/normal/arenabench
	cp $< $@

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
