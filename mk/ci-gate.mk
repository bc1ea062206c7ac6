# ci-gate.mk -- the CI regression gate (harness/ci-gate.sh).
#   make ci-gate       run the reduced matrix and compare it with results/baseline-ci.json
#   make ci-baseline   re-measure results/baseline-ci.json (commit it deliberately)
.PHONY: ci-gate ci-baseline
ci-gate: $(BUILD)/arenabench
	@bash harness/ci-gate.sh gate $(BUILD)/arenabench

ci-baseline: $(BUILD)/arenabench
	@bash harness/ci-gate.sh baseline $(BUILD)/arenabench
