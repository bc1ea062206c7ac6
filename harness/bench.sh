#!/usr/bin/env bash
# bench.sh ARENABENCH -- the default matrix: run, tables, plots.
set -euo pipefail
ab=$1
mkdir -p results/out plots/out
"$ab" run --out results/out/latest.json
