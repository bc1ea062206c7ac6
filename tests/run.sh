#!/usr/bin/env bash
# run.sh FLAVOUR ARENABENCH TEST... -- run every cmocka test binary of one
# build flavour (normal | asan), print each one's own cmocka summary, and a
# closing "N passed, N failed" line over test binaries.  Exit non-zero if any
# binary failed.
set -uo pipefail
flavour=$1; shift
export AB_ARENABENCH=$(readlink -f "$1"); shift
export AB_FLAVOUR=$flavour
export AB_SOURCE_DIR=$(pwd)
if [[ $flavour == asan ]]; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:print_summary=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp}
fi
passed=0; failed=0; failed_names=()
for t in "$@"; do
    name=$(basename "$t")
    echo "=== [$flavour] $name"
    start=$(date +%s.%N)
    if "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failed_names+=("$name")
    fi
    awk -v s="$start" -v e="$(date +%s.%N)" -v f="$flavour" -v n="$name" 'BEGIN{printf "=== [%s] %s took %.1fs\n", f, n, e - s}'
done
echo
((failed)) && echo "failed test programs ($flavour): ${failed_names[*]}"
echo "test programs ($flavour): $passed passed, $failed failed"
((failed == 0))
