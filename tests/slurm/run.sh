#!/usr/bin/env bash
# run.sh [ARENABENCH] -- contrib/slurm against a real single-node Slurm.
#
# Installs Debian's slurm-wlm and munge when missing (as root), then, all in
# a scratch directory and on private ports so nothing of the host's own
# configuration is touched: writes a munge key and a slurm.conf for this
# host, starts munged, slurmctld and slurmd, submits a 3-shard array of a
# small matrix plus the afterok merge job through contrib/slurm/submit.sh,
# waits (with a timeout), and checks with an independent reader (python3)
# that the merged file holds every cell of the plan exactly once, every cell
# with its reps, checksums agreeing -- and the same cells, sample counts and
# checksums as the same plan run unsharded here.  Every daemon it started is
# stopped on exit, failure or signal.  Prints both wall times.
#
# Slurm 22.05 (Debian 12) quirks, from trying it on this VM: no cgroup.conf
# (22.05 has no CgroupPlugin=disabled, and slurmd starts without the file),
# proctrack/linuxproc and task/none (no cgroup plugins), no accounting.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
bin=$(readlink -f "${1:-build/arenabench}")
shards=3
wait_limit_s=${AB_SLURM_TIMEOUT:-150}
# Private ports: a Slurm the host may run on 6817/6818 is left alone.
ctld_port=${AB_SLURM_CTLD_PORT:-16817}
slurmd_port=${AB_SLURM_SLURMD_PORT:-16818}
plan=(--variants 4k,thp --workloads dict_churn,mixed_sizes,fragmentation,class_instances,list_of_tuples
      --scale 0.02 --reps 2 --warmup 1 --no-timeline)

log() { echo "slurm-test: $*"; }
die() { echo "slurm-test: FAIL: $*" >&2; exit 1; }
[[ -x $bin ]] || die "no arenabench at $bin (make first)"

# ---- packages -----------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    [[ $(id -u) -eq 0 ]] || die "slurm-wlm and munge are missing; as root: apt-get install -y slurm-wlm munge"
    log "installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; }
fi
[[ $(id -u) -eq 0 ]] || die "needs root (slurmd runs jobs as their user and this writes daemon state)"

# ---- scratch, cleanup ------------------------------------------------------------
scratch=$(mktemp -d /tmp/ab-slurm.XXXXXX)
chmod 0755 "$scratch"
export SLURM_CONF=$scratch/slurm.conf
pidfiles=()   # daemons we started, stopped in reverse order
array_job="" merge_job=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $array_job$merge_job ]] && command -v scancel >/dev/null; then
        scancel $array_job $merge_job 2>/dev/null || true
    fi
    for ((i = ${#pidfiles[@]} - 1; i >= 0; i--)); do
        local pf=${pidfiles[i]} pid
        [[ -s $pf ]] || continue
        pid=$(cat "$pf")
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if ((rc != 0)); then
        for f in "$scratch"/log/*.log "$scratch"/results/*.log; do
            [[ -f $f ]] && { echo "---- $f (tail)"; tail -n 15 "$f"; }
        done
    fi
    rm -rf "$scratch"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Start a daemon that writes a pid file; wait for the file.
start_daemon() { # name pidfile command...
    local name=$1 pf=$2
    shift 2
    pidfiles+=("$pf")
    "$@" || die "$name did not start"
    for _ in $(seq 50); do [[ -s $pf ]] && kill -0 "$(cat "$pf")" 2>/dev/null && return 0; sleep 0.2; done
    die "$name wrote no pid file ($pf)"
}

# ---- munge: our own daemon, key and socket ------------------------------------------
mkdir -p "$scratch/munge" "$scratch/log" "$scratch/state" "$scratch/spool" "$scratch/results"
dd if=/dev/urandom of="$scratch/munge/munge.key" bs=1024 count=1 status=none
chown -R munge:munge "$scratch/munge"
chmod 0700 "$scratch/munge"
chmod 0400 "$scratch/munge/munge.key"
munge_socket=$scratch/munge/munge.socket
start_daemon munged "$scratch/munge/munged.pid" \
    runuser -u munge -- munged --force --socket="$munge_socket" --key-file="$scratch/munge/munge.key" \
    --pid-file="$scratch/munge/munged.pid" --log-file="$scratch/munge/munged.log" --seed-file="$scratch/munge/seed"
munge --socket="$munge_socket" -n </dev/null | unmunge --socket="$munge_socket" >/dev/null || die "munge round trip failed"
log "munged up ($munge_socket)"

# ---- slurm.conf for this host ---------------------------------------------------------
host=$(hostname -s)
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
cat >"$SLURM_CONF" <<CONF
ClusterName=arenabench-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/log/slurmctld.log
SlurmdLogFile=$scratch/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host CPUs=$(nproc) RealMemory=$((mem_mb > 2048 ? mem_mb - 1024 : mem_mb)) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

start_daemon slurmctld "$scratch/slurmctld.pid" slurmctld -f "$SLURM_CONF"
start_daemon slurmd "$scratch/slurmd.pid" slurmd -f "$SLURM_CONF"
for i in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -1 || true)
    [[ $state == idle* ]] && break
    ((i == 60)) && die "node never became idle (state: '${state:-none}')"
    sleep 0.5
done
log "slurmctld and slurmd up, node $host idle"

# ---- the shards, the merge --------------------------------------------------------------
results=$scratch/results
t0=$(date +%s.%N)
read -r array_job merge_job < <(AB_BIN=$bin "$repo/contrib/slurm/submit.sh" "$shards" "$results" "${plan[@]}")
log "submitted array job $array_job (shards 1-$shards) and merge job $merge_job (afterok)"
deadline=$(($(date +%s) + wait_limit_s))
while squeue -h -j "$array_job,$merge_job" 2>/dev/null | grep -q .; do
    (($(date +%s) < deadline)) || die "jobs still queued or running after ${wait_limit_s}s: $(squeue -h -j "$array_job,$merge_job")"
    sleep 1
done
t1=$(date +%s.%N)
[[ -s $results/merged.json ]] || die "no merged.json: the merge job did not run or failed (logs below)"

# ---- the same plan unsharded, here --------------------------------------------------------
t2=$(date +%s.%N)
"$bin" run "${plan[@]}" --quiet --out "$scratch/unsharded.json" || die "unsharded run failed"
t3=$(date +%s.%N)

python3 - "$results/merged.json" "$scratch/unsharded.json" "$shards" <<'PY' || die "merged file check"
import json, sys
merged, whole = (json.load(open(p)) for p in sys.argv[1:3])
shards = int(sys.argv[3])
cfg = merged["config"]
want = {(v, w) for v in cfg["variants"] for w in cfg["workloads"]}
got = [(c["variant"], c["workload"]) for c in merged["cells"]]
assert len(got) == len(set(got)), "a cell appears twice"
assert set(got) == want, f"cells differ from the plan: missing {want - set(got)}, extra {set(got) - want}"
assert cfg["merged"]["shard_count"] == shards and not cfg["merged"]["partial"], cfg["merged"]
assert sorted(i["shard_index"] for i in cfg["merged"]["inputs"]) == list(range(1, shards + 1))
assert merged["correctness"]["checksums_agree"], merged["correctness"]
def table(doc):
    return {(c["variant"], c["workload"]): (len(c["samples"]), sorted({s["checksum"] for s in c["samples"]}))
            for c in doc["cells"]}
a, b = table(merged), table(whole)
assert a == b, f"merged vs unsharded differ: {[(k, a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)]}"
for (v, w), (n, sums) in a.items():
    assert n == cfg["reps"] and len(sums) == 1, (v, w, n, sums)
by_w = {}
for (v, w), (n, sums) in a.items():
    by_w.setdefault(w, set()).update(sums)
assert all(len(s) == 1 for s in by_w.values()), by_w
print(f"slurm-test: merged file: {len(got)} cells, each once, {cfg['reps']} samples each, checksums agree, "
      f"equal to the unsharded run cell for cell")
PY
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$shards" 'BEGIN {
    printf "slurm-test: %d-shard Slurm run incl. merge: %.1f s (submit to merged); same plan unsharded here: %.1f s\n", n, b - a, d - c }'
log "OK"
