# mutants.mk -- the test suite's strength as a number (docs/reliability.md).
#   make mutants    apply each mutant of tests/mutants/mutants.tsv to a scratch
#                   copy, run the test programs its row names, report the kill
#                   rate; fails below MUTANTS_MIN_RATE (default 95) percent.
#                   MUTANTS_ONLY=id1,id2 runs a subset.
.PHONY: mutants
mutants:
	@MUTANTS_ONLY='$(MUTANTS_ONLY)' MUTANTS_MIN_RATE='$(or $(MUTANTS_MIN_RATE),95)' \
	    $(PYTHON) tests/mutants/run.py
