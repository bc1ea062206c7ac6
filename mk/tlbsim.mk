# tlbsim.mk -- the TLB simulator (tlbsim/) and its build flavour.
#
# tlbsim/*.c join the library in every flavour (model files are validated
# and analytic tests run everywhere).  The tlbsim flavour (instantiated from
# FLAVOUR_RULES in the Makefile with -DAB_TLBSIM) compiles the whole tree
# again with the access hooks of workloads/ and allocators/
# (tlbsim/access_hook.h) turned into calls; `arenabench run --tlb-model M`
# re-executes itself as build/arenabench-tlbsim.  Normal builds compile the
# hooks to nothing.
LIB_SRCS += $(wildcard tlbsim/*.c)

TLBSIM_BIN := $(BUILD)/arenabench-tlbsim
EXTRA_TARGETS += $(TLBSIM_BIN)
TEST_PREREQS += $(TLBSIM_BIN)

$(TLBSIM_BIN): $(BUILD)/tlbsim/arenabench
	cp $< $@

.PHONY: tlbsim
tlbsim: $(TLBSIM_BIN)
