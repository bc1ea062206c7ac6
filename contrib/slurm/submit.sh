#!/usr/bin/env bash
# submit.sh N RESULTS_DIR [RUN OPTIONS...] -- submit an N-shard arenabench plan
# as a Slurm job array plus a merge job that runs only if every shard
# succeeded.  Prints "ARRAY_JOB_ID MERGE_JOB_ID".
#   AB_BIN=/shared/arenabench-0.1.0-x86_64/bin/arenabench \
#     contrib/slurm/submit.sh 3 /shared/results/today --scale 0.5 --reps 10
# Extra sbatch options (partition, account, time limit) go in SBATCH_ARGS.
# AB_PIN=CPU pins every sample (run --pin).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
(($# >= 2)) || { echo "usage: submit.sh N RESULTS_DIR [RUN OPTIONS...]" >&2; exit 2; }
n=$1 results=$2
shift 2
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive integer, not '$n'" >&2; exit 2; }
: "${AB_BIN:?set AB_BIN to the arenabench binary every node can run}"
mkdir -p "$results"
read -r -a extra <<<"${SBATCH_ARGS:-}"
export AB_BIN AB_RESULTS=$results AB_RUN_ARGS="$*" AB_SHARDS=$n AB_PIN=${AB_PIN:-}
array=$(sbatch --parsable "${extra[@]}" --chdir="$results" --array="1-$n" "$here/shard.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable "${extra[@]}" --chdir="$results" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
        "$here/merge.sbatch")
echo "$array ${merge%%;*}"
