#!/usr/bin/env bash
# check.sh TARBALL -- the dist tarball works on a node without the project:
#   * bin/arenabench links neither libpfm nor libjansson dynamically (ldd);
#   * extracted into an empty temporary directory, far from any source tree,
#     it runs --version, env, list and a tiny run, and merges two shards;
#   * as root (unshare available): the same with the system's libpfm and
#     libjansson shared objects hidden by empty bind mounts, so nothing can
#     fall back to them;
#   * plot reads the bundled plots/ next to the binary (a broken bundled
#     script makes it fail), when gnuplot is installed.
# Exit 0 on success; the first failure is printed and exits 1.
set -euo pipefail
tarball=$(readlink -f "$1")
work=$(mktemp -d /tmp/ab-dist-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "dist-check: FAIL: $*" >&2; exit 1; }

tar -C "$work" -xzf "$tarball"
top=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
bin="$top/bin/arenabench"
[[ -x $bin ]] || fail "no bin/arenabench in $tarball"

deps=$(ldd "$bin")
if grep -Eq 'libpfm|libjansson' <<<"$deps"; then fail "dynamically linked: $(grep -E 'libpfm|libjansson' <<<"$deps")"; fi
echo "dist-check: ldd shows neither libpfm nor libjansson"

run_dir="$work/empty"
mkdir -p "$run_dir"
tiny=(run --variants 4k,thp --workloads dict_churn,mixed_sizes --scale 0.01 --reps 2 --warmup 0 --quiet --no-timeline)
check_runs() { # $1: how the binary is invoked (a prefix command or nothing)
    local prefix=("$@")
    (cd "$run_dir" && "${prefix[@]}" "$bin" --version | grep -q '^arenabench ') || fail "--version"
    (cd "$run_dir" && "${prefix[@]}" "$bin" env >/dev/null) || fail "env"
    (cd "$run_dir" && "${prefix[@]}" "$bin" list >/dev/null) || fail "list"
    (cd "$run_dir" && "${prefix[@]}" "$bin" "${tiny[@]}" --shard 1/2 --out s1.json) || fail "run --shard 1/2"
    (cd "$run_dir" && "${prefix[@]}" "$bin" "${tiny[@]}" --shard 2/2 --out s2.json) || fail "run --shard 2/2"
    (cd "$run_dir" && "${prefix[@]}" "$bin" merge --quiet m.json s1.json s2.json) || fail "merge"
    (cd "$run_dir" && "${prefix[@]}" "$bin" table m.json --metric wall_ns >/dev/null) || fail "table"
    rm -f "$run_dir"/*.json
}
check_runs env
echo "dist-check: --version, env, list, run --shard, merge, table work from $run_dir"

hidden=()
for lib in /usr/lib/*/libpfm.so* /usr/lib/*/libjansson.so*; do
    [[ -f $lib && ! -L $lib ]] && hidden+=("$lib")
done
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null && ((${#hidden[@]})); then
    mounts=""
    for lib in "${hidden[@]}"; do mounts+="mount --bind /dev/null '$lib'; "; done
    # A private mount namespace: the bind mounts vanish with it.
    unshare -m sh -c "$mounts cd '$run_dir' && '$bin' list >/dev/null && '$bin' ${tiny[*]} --out h.json" ||
        fail "with ${hidden[*]} hidden"
    echo "dist-check: runs with ${#hidden[@]} libpfm/libjansson shared objects hidden"
else
    echo "dist-check: (skipped hiding the shared libraries: needs root and unshare)"
fi

if command -v gnuplot >/dev/null; then
    (cd "$run_dir" && "$bin" "${tiny[@]}" --out p.json) || fail "run for plot"
    (cd "$run_dir" && "$bin" plot p.json -o plots-out >/dev/null) || fail "plot with the bundled scripts"
    printf 'this is not gnuplot\n' >"$top/plots/change.gp"
    if (cd "$run_dir" && "$bin" plot p.json -o plots-bad >/dev/null 2>&1); then
        fail "plot did not read the bundled plots/ (a broken change.gp went unnoticed)"
    fi
    echo "dist-check: plot uses the scripts bundled next to the binary"
fi
echo "dist-check: OK ($(du -k "$tarball" | cut -f1) KiB tarball)"
