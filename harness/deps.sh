#!/usr/bin/env bash
# deps.sh -- make sure the Debian packages arenabench needs are installed.
# As root: installs what is missing (apt-get update once, non-interactive).
# Otherwise: prints the exact command to run and fails.
set -euo pipefail

# build: libpfm4-dev (event encoding), libjansson-dev (results JSON),
#        libcmocka-dev (tests), python3-dev (libpython + headers: the `cpython`
#        reference allocator, `validate`, the arenatrace extension),
#        libgsl-dev (distribution functions and quantiles of the statistics)
# test:  python3-scipy (independent oracle for the paired and unpaired tests;
#        the tests that use it skip, saying why, where it is absent)
# run:   gnuplot-nox (plots), linux-perf (perf stat cross-checks),
#        libjemalloc2 / libmimalloc2.0 / libgoogle-perftools4 (reference allocators)
PACKAGES=(build-essential libpfm4-dev libjansson-dev libcmocka-dev python3-dev libgsl-dev
          python3-scipy gnuplot-nox linux-perf libjemalloc2 libmimalloc2.0 libgoogle-perftools4)

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "arenabench: missing Debian packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "arenabench: installing missing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
