#!/usr/bin/env bash
# bench.sh ARENABENCH -- what `make bench` does after building: run the
# default matrix, write results/out/latest.json, print the comparison tables
# and the costs table (also written under results/out/, table-costs.md),
# render the plots under plots/out/ (costs-private, costs-bloat among them).
#
# As root, huge pages are reserved for the run (so the hugetlb preset gets
# real 2 MiB pages instead of its counted fallback) and the pool is put back
# afterwards by `arenabench run --hugepages`, also on failure and Ctrl-C.
# AB_HUGEPAGES overrides how many (0 = leave the pool alone); AB_BENCH_ARGS
# adds options to `arenabench run` (e.g. AB_BENCH_ARGS="--scale 0.2 --reps 3").
set -euo pipefail
ab=$1
out=results/out/latest.json
mkdir -p results/out plots/out

# The largest default workload (arena_pressure: 2M bytearray(256), ~700 MB of
# blocks) needs ~350 2 MiB arenas; 512 pages (1 GiB) covers the matrix,
# including prefork's copy-on-write: ~9 arenas x (1 + 4 workers) pages.
DEFAULT_BENCH_HUGEPAGES=512
run_args=(--out "$out")
hugepages=${AB_HUGEPAGES:-$DEFAULT_BENCH_HUGEPAGES}
if [[ $(id -u) -eq 0 && $hugepages -gt 0 ]]; then
    run_args+=(--hugepages "$hugepages")
elif [[ $hugepages -gt 0 ]]; then
    echo "bench: not root, so no huge pages are reserved: the hugetlb preset will fall back to 4 KiB pages (counted as hugetlb_fallbacks)." >&2
    echo "bench: to measure real huge pages: sudo make bench   (or: echo $hugepages | sudo tee /proc/sys/vm/nr_hugepages)" >&2
fi
# shellcheck disable=SC2206
run_args+=(${AB_BENCH_ARGS:-})

status=0
"$ab" run "${run_args[@]}" || status=$?
if [[ ! -s $out ]]; then
    echo "bench: no results were written ($out); see the messages above" >&2
    exit 1
fi
"$ab" table "$out" --out results/out
"$ab" plot "$out" -o plots/out
echo "bench: results in $out, tables in results/out/, plots in plots/out/" >&2
exit "$status"
