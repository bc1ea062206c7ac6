#!/usr/bin/env bash
# ci-gate.sh gate|baseline [ARENABENCH] -- the CI regression gate.
#
#   gate      run the reduced matrix and `arenabench compare` it against
#             results/baseline-ci.json on the metrics in harness/ci-gate.metrics;
#             exits with compare's status (0 ok, 1 regression, 2 unusable input)
#   baseline  run the same matrix and overwrite results/baseline-ci.json
#             (deliberately: commit the new file with a message saying why)
#
# The matrix: the six presets x the gated workloads at --scale 0.1,
# 5 reps, page faults only (the one counter a PMU-less VM has), no timeline,
# address-space randomization off, huge pages reserved when root.
# AB_CI_BASELINE and AB_CI_OUT override the file names.
set -uo pipefail
mode=${1:-gate}
ab=${2:-build/arenabench}
here=$(cd "$(dirname "$0")" && pwd)
baseline=${AB_CI_BASELINE:-results/baseline-ci.json}
out=${AB_CI_OUT:-results/out/ci-gate.json}

# Five reps: with fewer, Mann-Whitney U cannot reach p < 0.05 on the noisy
# metrics (page faults, RSS) at all (3 vs 3: smallest p is 0.1).
CI_SCALE=0.1
CI_REPS=5
# Huge pages the hugetlb preset needs at this scale (arena_pressure peaks at
# 33 2 MiB arenas), with room to spare.
CI_HUGEPAGES=64
variants=4k,hugetlb,thp,thp-1m,noreclaim,mostfull
# The workloads of the committed baseline, named rather than "the default
# matrix": the cost families (prefork, survivors) joined the default matrix
# later, and a longer schedule alone moves where mmap puts the arenas (the
# driver's own allocations shift), which moves arena counts by one.
workloads=bulk_small_alloc,dict_churn,mixed_sizes,fragmentation,list_of_tuples,class_instances,arena_pressure,random_walk,evan_jones,random_prune,trie_prune
CI_RUN_ARGS=(--scale "$CI_SCALE" --reps "$CI_REPS" --warmup 0 --events page-faults --seed 1 --no-timeline --quiet
             --workloads "$workloads")

# The hugetlb preset only measures huge pages if the pool has them; as root
# the run reserves them (and restores the pool after).  Without root and
# without free huge pages its cells would differ from the baseline for a
# reason that is not the change, so they are left out, with a message.
if [[ $(id -u) -eq 0 ]]; then
    CI_RUN_ARGS+=(--hugepages "$CI_HUGEPAGES")
else
    free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
    if ((${free_pages:-0} < CI_HUGEPAGES)); then
        echo "ci-gate: not root and fewer than $CI_HUGEPAGES free huge pages: the hugetlb preset is not gated" >&2
        variants=4k,thp,thp-1m,noreclaim,mostfull
    fi
fi
CI_RUN_ARGS+=(--variants "$variants")

# Arena counts depend on where mmap puts the arenas: an arena that does not
# start on a pool boundary loses a pool (as in CPython), so with ASLR the
# count of e.g. arena_pressure moves between 65 and 66 from one run to the
# next (every sample of a run agrees: forked children share the parent's
# layout).  Without address randomization the layout, and the counts, repeat.
run_fixed_layout=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
    run_fixed_layout=(setarch "$(uname -m)" -R)
else
    echo "ci-gate: cannot disable ASLR (setarch -R); arena counts may differ by one between runs" >&2
fi

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
    if ! "${run_fixed_layout[@]}" "$ab" run "${CI_RUN_ARGS[@]}" --out "$tmp"; then
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
    "${run_fixed_layout[@]}" "$ab" run "${CI_RUN_ARGS[@]}" --out "$out" || run_status=$?
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
