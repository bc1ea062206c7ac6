#!/usr/bin/env bash
# ci-gate.sh gate|baseline [ARENABENCH] -- the CI regression gate.
#
#   gate      run the reduced matrix and `arenabench compare` it against
#             results/baseline-ci.json on the metrics in harness/ci-gate.metrics;
#             exits with compare's status (0 ok, 1 regression, 2 unusable input)
#   baseline  run the same matrix and overwrite results/baseline-ci.json
#             (deliberately: commit the new file with a message saying why)
#
# The matrix: the six presets x the default workloads at --scale 0.1,
# 5 reps, page faults only (the one counter a PMU-less VM has), no timeline.
# AB_CI_BASELINE and AB_CI_OUT override the file names.
set -uo pipefail
mode=${1:-gate}
ab=${2:-build/arenabench}
here=$(cd "$(dirname "$0")" && pwd)
baseline=${AB_CI_BASELINE:-results/baseline-ci.json}
out=${AB_CI_OUT:-results/out/ci-gate.json}

CI_RUN_ARGS=(--variants 4k,hugetlb,thp,thp-1m,noreclaim,mostfull --scale 0.1 --reps 5 --warmup 0
             --events page-faults --seed 1 --no-timeline --quiet)

metrics=$(grep -v '^#' "$here/ci-gate.metrics" | grep -v '^[[:space:]]*$' | paste -sd, -)
# Huge-page coverage of the thp variants needs THP available; a machine with
# THP off would "lose" huge pages for reasons that are not the change.
if grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
    echo "ci-gate: THP is disabled on this machine; hugepage_coverage is not gated" >&2
    metrics=$(tr ',' '\n' <<<"$metrics" | grep -v '^hugepage_coverage' | paste -sd, -)
fi

case $mode in
baseline)
    mkdir -p "$(dirname "$baseline")"
    tmp=$baseline.tmp
    if ! "$ab" run "${CI_RUN_ARGS[@]}" --out "$tmp"; then
        echo "ci-gate: the run failed; $baseline left unchanged" >&2
        rm -f "$tmp"
        exit 1
    fi
    mv "$tmp" "$baseline"
    echo "ci-gate: wrote $baseline; review it (arenabench table $baseline) and commit it with the reason" >&2
    ;;
gate)
    if [[ ! -s $baseline ]]; then
        echo "ci-gate: no baseline $baseline (make ci-baseline creates it)" >&2
        exit 2
    fi
    mkdir -p "$(dirname "$out")"
    run_status=0
    "$ab" run "${CI_RUN_ARGS[@]}" --out "$out" || run_status=$?
    if [[ ! -s $out ]]; then
        echo "ci-gate: the run wrote no results ($out)" >&2
        exit 2
    fi
    status=0
    "$ab" compare "$baseline" "$out" --metrics "$metrics" || status=$?
    if ((status == 0 && run_status != 0)); then
        echo "ci-gate: a sample failed or checksums disagree in the run (exit $run_status)" >&2
        status=1
    fi
    exit "$status"
    ;;
*)
    echo "usage: ci-gate.sh gate|baseline [ARENABENCH]" >&2
    exit 2
    ;;
esac
