# ci-gate-time.mk -- the opt-in wall-time gate (harness/ci-gate-time.sh, docs/builds.md).
#   make ci-gate-time BASE=git:REF   base and this tree as two builds interleaved in one run,
#                                    wall time gated with the paired statistics
.PHONY: ci-gate-time
ci-gate-time: $(BUILD)/arenabench
	@bash harness/ci-gate-time.sh "$(BASE)" $(BUILD)/arenabench
