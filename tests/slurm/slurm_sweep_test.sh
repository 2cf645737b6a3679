#!/usr/bin/env bash
# End-to-end test of `servesim sweep --emit-slurm` on a real Slurm: starts munged, slurmctld and
# slurmd for a one-node cluster on localhost (Debian's slurm-wlm and munge, a generated minimal
# slurm.conf in a private temporary directory), submits the emitted job array and its merge job,
# waits for them, and checks that the merged results are byte-identical to a local `-j 2` run.
# Usage: slurm_sweep_test.sh SERVESIM_BINARY SOURCE_DIR
# Exit 0 pass, 1 fail, 77 skipped (not root, packages not installable, or
# SERVESIM_SKIP_SLURM_TEST=1). Every daemon is started here and stopped on exit; every wait is
# bounded (the whole test normally takes 10-30 s after the packages are installed).
set -euo pipefail
servesim="$(realpath "$1")"
source_dir="$(realpath "$2")"
start=$SECONDS

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*"; dump_logs; exit 1; }

[ "${SERVESIM_SKIP_SLURM_TEST:-0}" = 1 ] && skip "SERVESIM_SKIP_SLURM_TEST=1"
[ "$(id -u)" -eq 0 ] || skip "needs root to install slurm-wlm and munge and to run slurmd"

missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  # The lock timeout: another test may be installing packages at the same moment; three tries
  # for a mirror's hiccup.
  installed=0
  for attempt in 1 2 3; do
    if { apt-get -o DPkg::Lock::Timeout=600 update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           -o DPkg::Lock::Timeout=600 "${missing[@]}"; } >"${TMPDIR:-/tmp}/servesim-slurm-apt.$$.log" 2>&1; then
      installed=1; break
    fi
    sleep $((attempt * 10))
  done
  if [ "$installed" != 1 ]; then
    tail -n 5 "${TMPDIR:-/tmp}/servesim-slurm-apt.$$.log"
    rm -f "${TMPDIR:-/tmp}/servesim-slurm-apt.$$.log"
    skip "cannot install ${missing[*]} with apt-get (three tries)"
  fi
  rm -f "${TMPDIR:-/tmp}/servesim-slurm-apt.$$.log"
  echo "installed ${missing[*]} in $((SECONDS - start)) s"
fi

tmp="$(mktemp -d /tmp/servesim-slurm.XXXXXX)"
pids=()
dump_logs() {
  for f in "$tmp"/log/*.log "$tmp"/job/logs/*.out; do
    [ -f "$f" ] || continue
    echo "--- $f (last 20 lines)"; tail -n 20 "$f"
  done
}
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp"/{log,state,spool,run}
chmod 700 "$tmp"

# munge: a fresh key and a private socket, so nothing of the host's munge is touched.
dd if=/dev/urandom of="$tmp/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge.key"
munged --force --foreground --socket="$tmp/run/munge.sock" --key-file="$tmp/munge.key" \
  --pid-file="$tmp/run/munged.pid" --log-file="$tmp/log/munged.log" \
  --seed-file="$tmp/run/munged.seed" >"$tmp/log/munged.stdout" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$tmp/run/munge.sock" ] && break; sleep 0.1; done
[ -S "$tmp/run/munge.sock" ] || fail "munged did not start"

host="$(hostname -s)"
cpus="$(nproc)"
mem_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
port=$(( 20000 + RANDOM % 20000 ))
export SLURM_CONF="$tmp/slurm.conf"
cat > "$SLURM_CONF" <<CONF
ClusterName=servesimtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$tmp/run/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
PlugStackConfig=$tmp/plugstack.conf
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
: > "$tmp/plugstack.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.stdout" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.stdout" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 300); do
  state="$(timeout 5 sinfo -h -n "$host" -o %T 2>/dev/null || true)"
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || fail "the Slurm node did not become idle within 60 s (state '$state')"
echo "slurm: one-node cluster up in $((SECONDS - start)) s"

# A small sweep (12 points) as 3 array tasks of 1 CPU each.
sweep="$source_dir/configs/sweeps/rate-by-max-seqs.yaml"
"$servesim" sweep "$sweep" --emit-slurm "$tmp/job" --shards 3 -j 1 --sbatch time=00:05:00
out="$(sh "$tmp/job/submit.sh")" || fail "submit.sh failed"
echo "$out"
array="$(echo "$out" | sed -n 's/^servesim: job array \([0-9]*\) .*/\1/p')"
merge="$(echo "$out" | sed -n 's/.*merge job \([0-9]*\) .*/\1/p')"
[ -n "$array" ] && [ -n "$merge" ] || fail "cannot read the job ids from: $out"
for _ in $(seq 900); do
  [ -z "$(timeout 5 squeue -h -j "$array,$merge" -o %i 2>/dev/null || echo busy)" ] && break
  sleep 0.2
done
[ -z "$(squeue -h -j "$array,$merge" -o %i 2>/dev/null)" ] || fail "jobs still queued after 180 s"
echo "slurm: array and merge finished after $((SECONDS - start)) s"
for i in 0 1 2; do
  grep -q "shard $i/3 from SLURM_ARRAY_TASK_ID=$i" "$tmp"/job/logs/sweep-"${array}"_"$i".out ||
    fail "task $i's log does not say it took shard $i/3 from SLURM_ARRAY_TASK_ID"
done

# The reference: the same sweep run here in one process.
(cd "$tmp" && "$servesim" sweep "$sweep" -j 2 --quiet --out "$tmp/local")
for f in results.csv results.jsonl; do
  [ -f "$tmp/job/results/merged/$f" ] || fail "no merged $f (did the merge job run?)"
  cmp "$tmp/job/results/merged/$f" "$tmp/local/$f" || fail "merged $f differs from a local -j 2 run"
done
rows=$(($(wc -l < "$tmp/job/results/merged/results.csv") - 1))
[ "$rows" -eq 12 ] || fail "merged results.csv has $rows rows, expected 12"
echo "PASSED: Slurm array of 3 tasks + merge, 12 points byte-identical to a local run ($((SECONDS - start)) s)"
