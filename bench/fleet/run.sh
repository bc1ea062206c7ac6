#!/usr/bin/env bash
# run.sh [ARENABENCH] [N] [WORKDIR] -- the fleet-scale benchmark: N synthetic
# machine files of ~4.9 MB (gen_fleet.py, from a real default-matrix run at
# scale 0.01 as the template), then merge, table --by machine and compare
# --by machine on them, each measured with /usr/bin/time (wall, CPU, peak RSS).
# The target: N = 100 within 2 GiB and about a minute per step on a 2-core VM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(readlink -f "${1:-build/arenabench}")
n=${2:-100}
work=${3:-/tmp/arenabench-fleet-bench}
mkdir -p "$work"
cd "$work"
if [[ ! -s template.json ]]; then
    "$bin" run --quiet --scale 0.01 --out template.json
fi
if [[ ! -s fleet-$n/machine-$(printf %03d $((n - 1))).json ]]; then
    python3 "$here/gen_fleet.py" template.json "fleet-$n" "$n"
fi
echo "inputs: $(ls fleet-$n/*.json | wc -l) files, $(du -sm fleet-$n | cut -f1) MB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # label command...
    local label=$1
    shift
    /usr/bin/time -f "$label: %e s wall, %U s user + %S s sys, peak RSS %M KB" "$@" >/dev/null
}
measure "merge (detail auto = sidecar)" "$bin" merge --quiet fleet.json fleet-$n/*.json
echo "merged: fleet.json $(du -m fleet.json | cut -f1) MB, sidecar $(du -m fleet.json.detail.jsonl | cut -f1) MB"
measure "table --by machine" "$bin" table fleet.json --by machine
measure "compare --by machine" "$bin" compare fleet.json fleet.json --by machine
measure "table of one machine file" "$bin" table fleet-$n/machine-000.json
