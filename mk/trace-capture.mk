# trace-capture.mk -- build the arenatrace CPython extension (workloads/trace/capture)
# into build/arenatrace/, so that
#   PYTHONPATH=build/arenatrace $(PYTHON) -m arenatrace OUT.trace script.py
# works.  Built once, in the normal flavour only: it is loaded into the
# uninstrumented system interpreter, where ASan cannot run.  Compiled against
# $(PYTHON)'s own headers (the Debian python3-dev), never the python3-config
# first on PATH, which may belong to another interpreter.

ARENATRACE_DIR    := $(BUILD)/arenatrace
ARENATRACE_PYINC  := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_paths()['include'])" 2>/dev/null)
ARENATRACE_EXT    := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))" 2>/dev/null)
ARENATRACE_SO     := $(ARENATRACE_DIR)/arenatrace/_capture$(ARENATRACE_EXT)
ARENATRACE_PY     := $(ARENATRACE_DIR)/arenatrace/__init__.py $(ARENATRACE_DIR)/arenatrace/__main__.py \
                     $(ARENATRACE_DIR)/sitecustomize.py
ARENATRACE_TARGETS := $(ARENATRACE_SO) $(ARENATRACE_PY)

TEST_PREREQS  += $(ARENATRACE_TARGETS)
EXTRA_TARGETS += $(ARENATRACE_TARGETS)

# -isystem: warnings are errors for our code, not for Python.h.
$(ARENATRACE_SO): workloads/trace/capture/capture.c workloads/trace/trace_format.h
	@mkdir -p $(dir $@)
	$(CC) -I. -D_GNU_SOURCE -isystem $(ARENATRACE_PYINC) $(CFLAGS) -fPIC -shared \
	    -fvisibility=hidden $< -o $@ -lpthread

$(ARENATRACE_DIR)/arenatrace/%.py: workloads/trace/capture/arenatrace/%.py
	@mkdir -p $(dir $@)
	cp $< $@

$(ARENATRACE_DIR)/sitecustomize.py: workloads/trace/capture/sitecustomize.py
	@mkdir -p $(dir $@)
	cp $< $@

.PHONY: arenatrace
arenatrace: $(ARENATRACE_TARGETS)

# Optional libFuzzer target (clang only; not part of `all` or `test`).
FUZZ_CC ?= clang
.PHONY: fuzz-trace
fuzz-trace: $(BUILD)/fuzz/trace_fuzzer
FUZZ_SRCS := tests/fuzz/fuzz_trace.c workloads/trace/trace_format.c workloads/trace/replay.c allocators/stats.c
$(BUILD)/fuzz/trace_fuzzer: $(FUZZ_SRCS) workloads/trace/trace_format.h workloads/trace/replay.h tests/fuzz/budget_alloc.h
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz-trace needs clang (apt-get install clang)"; exit 2; }
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -I. -D_GNU_SOURCE -g -O1 -std=c11 $(WARN) -fsanitize=fuzzer,address,undefined \
	    $(FUZZ_SRCS) -o $@
