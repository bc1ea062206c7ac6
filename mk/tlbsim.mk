# tlbsim.mk -- the TLB simulator (tlbsim/) and its build flavour.
#
# tlbsim/*.c join the library in every flavour (model files are validated
# and analytic tests run everywhere).  The tlbsim flavour compiles the whole
# tree again with -DAB_TLBSIM, which turns the access hooks of workloads/ and
# allocators/ (tlbsim/access_hook.h) into calls; `arenabench run
# --tlb-model M` re-executes itself as build/arenabench-tlbsim.  Normal
# builds compile the hooks to nothing.
LIB_SRCS += $(wildcard tlbsim/*.c)

TLBSIM_BIN := $(BUILD)/arenabench-tlbsim
EXTRA_TARGETS += $(TLBSIM_BIN)
TEST_PREREQS += $(TLBSIM_BIN)

$(BUILD)/tlbsim/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DAB_TLBSIM $(CFLAGS) -c $< -o $@

$(BUILD)/tlbsim/libarenabench.a: $(call objs,tlbsim,$(LIB_SRCS))
	@rm -f $@
	ar rcs $@ $^

$(TLBSIM_BIN): $(BUILD)/tlbsim/harness/main.o $(BUILD)/tlbsim/libarenabench.a
	$(CC) $(CFLAGS) -rdynamic $^ -o $@ $(LDLIBS)

.PHONY: tlbsim
tlbsim: $(TLBSIM_BIN)
