#!/usr/bin/env bash
# ci-gate-time.sh BASE [ARENABENCH] -- the opt-in wall-time gate (docs/builds.md).
#
#   make ci-gate-time BASE=git:REF     (or BASE=/path/to/an/arenabench)
#
# Runs BASE and this tree's binary as two builds in one run (`run --build`),
# interleaved in every round, adds rounds until every head cell's paired 95%
# CI on wall time is within CI_TARGET_PCT or the budget is spent, then gates
# head against base with the paired statistics of one file (`compare FILE
# --base-build base --new-build head`): exit 0 no slowdown, 1 a slowdown,
# 2 unusable input.  AB_CI_TIME_BUDGET (seconds), AB_CI_TIME_TARGET (%) and
# AB_CI_TIME_OUT override the budget, the CI target and the results path;
# AB_CI_TIME_THRESHOLD the slowdown (%) that fails the gate; AB_CI_TIME_ARGS
# adds `run` options (e.g. "--workloads fragmentation --scale 0.02").
set -uo pipefail
base=${1:-}
ab=${2:-build/arenabench}
out=${AB_CI_TIME_OUT:-results/out/ci-gate-time.json}
if [[ -z $base ]]; then
    echo "usage: make ci-gate-time BASE=git:REF   (or BASE=PATH to an arenabench binary)" >&2
    exit 2
fi
[[ $base == git:* || $base == /* ]] || base=$(readlink -f "$base")

# Two presets with different page backends, at the scale of make ci-gate:
# on this project's 2-vCPU VM a round of these cells takes about CI_ROUND_S
# seconds per build (docs/builds.md), so the default budget buys ~50 rounds.
CI_VARIANTS=4k,thp
CI_SCALE=0.1
CI_MIN_ROUNDS=10
CI_TARGET_PCT=${AB_CI_TIME_TARGET:-2}
CI_BUDGET_S=${AB_CI_TIME_BUDGET:-600}
CI_THRESHOLD_PCT=${AB_CI_TIME_THRESHOLD:-5}

mkdir -p "$(dirname "$out")"
run_status=0
"$ab" run --build base="$base" --build head="$ab" --variants "$CI_VARIANTS" --scale "$CI_SCALE" \
    --reps "$CI_MIN_ROUNDS" --warmup 1 --target-ci "$CI_TARGET_PCT" --max-time "$CI_BUDGET_S" \
    --events none --no-timeline --seed 1 --out "$out" ${AB_CI_TIME_ARGS:-} || run_status=$?
if [[ ! -s $out ]]; then
    echo "ci-gate-time: the run wrote no results ($out)" >&2
    exit 2
fi
status=0
"$ab" compare "$out" --base-build base --new-build head --metrics wall_ns \
    --threshold "$CI_THRESHOLD_PCT" || status=$?
if ((status == 0 && run_status != 0)); then
    echo "ci-gate-time: a sample failed or checksums disagree in the run (exit $run_status)" >&2
    status=1
fi
exit "$status"
