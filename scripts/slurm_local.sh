#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, from Debian's packages (slurmctld, slurmd, slurm-client, munge; `make
# deps` installs them), for `bitgrid sweep --slurm` without a cluster and for its test. Everything it starts runs
# as the calling user with its own munge key, sockets, ports and state under DIR; nothing system-wide is touched.
#
#   scripts/slurm_local.sh start [DIR]   start munged, slurmctld and slurmd; wait until the node takes jobs;
#                                        print `export SLURM_CONF=DIR/slurm.conf` (the one setting sbatch needs)
#   scripts/slurm_local.sh stop [DIR]    stop them (and cancel what still runs)
#   scripts/slurm_local.sh status [DIR]  sinfo of the cluster
#
# DIR defaults to /tmp/bitgrid-slurm. Ports: BITGRID_SLURM_PORT (slurmctld, default 16817) and the next one
# (slurmd). The node offers this machine's cores.
set -euo pipefail
cmd="${1:-}"
D="${2:-/tmp/bitgrid-slurm}"
PORT="${BITGRID_SLURM_PORT:-16817}"
die() { echo "slurm_local.sh: $*" >&2; exit 1; }
[ -n "$cmd" ] || die "usage: slurm_local.sh start|stop|status [DIR]"

stop_pid() {  # stop the daemon whose pid file is $1, waiting for it to go
  local f="$1" p
  [ -f "$f" ] || return 0
  p="$(cat "$f" 2>/dev/null || true)"
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill "$p" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "$cmd" in
start)
  for t in munged mungekey slurmctld slurmd sbatch sinfo; do
    command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] || die "$t not found (Debian: slurmctld slurmd slurm-client munge; make deps)"
  done
  PATH="$PATH:/usr/sbin"
  # slurmd 22.05 (Debian 12) cannot run without a cgroup file system (it has no CgroupPlugin=disabled); every
  # booted Linux has one, a bare chroot or a stripped container may not.
  grep -qE '^[^ ]+ /sys/fs/cgroup[/ ]' /proc/self/mounts ||
    die "slurmd needs a cgroup file system at /sys/fs/cgroup, and none is mounted here (a chroot? mount it, e.g. mount --rbind /sys/fs/cgroup ROOT/sys/fs/cgroup)"
  "$0" stop "$D" >/dev/null 2>&1 || true
  mkdir -p "$D"/{state,spool,log,munge}
  chmod 711 "$D/munge"  # the socket inside must be reachable; the key stays 0600
  user="$(id -un)"
  host="$(hostname -s)"
  cpus="$(nproc)"
  mem="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"
  # munge: its own key and socket (Slurm reaches it through AuthInfo socket=...)
  [ -f "$D/munge/munge.key" ] || mungekey --create --keyfile="$D/munge/munge.key" >/dev/null 2>&1 ||
    dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$D/munge/munge.key"
  munged --socket="$D/munge/munge.socket" --key-file="$D/munge/munge.key" --pid-file="$D/munge/munged.pid" \
    --log-file="$D/log/munged.log" --seed-file="$D/munge/munged.seed" --origin=127.0.0.1 --force ||
    die "munged did not start (see $D/log/munged.log)"
  cat > "$D/slurm.conf" <<EOF
# A one-node cluster for bitgrid sweeps (scripts/slurm_local.sh).
ClusterName=bitgrid
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# start a waiting array task as soon as a CPU frees (default: batch jobs wait up to 3 s; 64 one-second points took
# 96 s instead of 50 s); slurmctld still schedules at most once a second
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=30
MaxArraySize=100001
MaxJobCount=200000
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  export SLURM_CONF="$D/slurm.conf"
  slurmctld -c -i >"$D/log/slurmctld.out" 2>&1 || die "slurmctld did not start (see $D/log/slurmctld.log)"
  slurmd -c >"$D/log/slurmd.out" 2>&1 || die "slurmd did not start (see $D/log/slurmd.log)"
  for _ in $(seq 150); do
    state="$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)"
    case "$state" in idle|mix|alloc) break ;; esac
    sleep 0.2
  done
  case "$state" in
    idle|mix|alloc) ;;
    *) die "the node did not come up (state '${state:-none}'; see $D/log/slurmctld.log, $D/log/slurmd.log)" ;;
  esac
  echo "export SLURM_CONF=$D/slurm.conf"
  ;;
stop)
  if [ -f "$D/slurm.conf" ] && command -v scancel >/dev/null; then
    SLURM_CONF="$D/slurm.conf" timeout 5 scancel --quiet --user="$(id -un)" 2>/dev/null || true
  fi
  stop_pid "$D/slurmd.pid"
  stop_pid "$D/slurmctld.pid"
  stop_pid "$D/munge/munged.pid"
  ;;
status)
  [ -f "$D/slurm.conf" ] || die "no cluster in $D (scripts/slurm_local.sh start $D)"
  SLURM_CONF="$D/slurm.conf" sinfo
  ;;
*)
  die "unknown command '$cmd' (start, stop or status)"
  ;;
esac
