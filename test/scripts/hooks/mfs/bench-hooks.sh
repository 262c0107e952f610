#!/usr/bin/env bash
# Benchmark of the MooseFS hook pack's own cost per hook (docs/mfs.md "What each hook costs"). Two "nodes" A and
# B with their own cfg files and DATA_PATHs take turns as master on one loopback (a private network and mount
# namespace, so the real mfsmaster and mfsmetalogger listen on 127.0.0.1 unseen by the host): a graceful switchover
# runs the old master's down.d/ and released.d/ and the new one's takeover-check, prepare.d/ and up.d/, as floatd
# would (FLOATD_CLAIM=resigned: no probes). Each hook's wall time, the MooseFS time it logged (its "(N ms)" step
# lines) and the rest, the hook's own overhead, are printed per hook as medians; with `forks` the tasks each hook
# started are counted too (in the bench's own PID namespace: processes, and the threads of a daemon it starts;
# strace -f cannot follow a hook that starts a MooseFS daemon, the daemon's start waits forever under it).
# Usage: bench-hooks.sh [SWITCHES (default 6)] [HOGS (busy loops beside it, default 0)] [forks]
# (prints timings only without `forks`: counting needs nothing from the hooks, but keep the runs comparable)
# Needs root and the Debian moosefs-master and moosefs-metalogger packages. Cleans up after itself.
set -eu
switches=${1:-6} hogs=${2:-0} forks=${3:-}
pack=$(cd "$(dirname "$(readlink -f "$0")")/../../../../hooks/mfs" && pwd)

if [ "${MP_BENCH_INNER:-}" != 1 ]; then
  dir=$(mktemp -d /tmp/mp-bench-XXXXXX)
  chmod 755 "$dir"
  hog_pids=()
  cleanup() {
    for p in "${hog_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$dir"
  }
  trap cleanup EXIT
  for _ in $(seq 1 "$hogs"); do node -e 'for(;;){}' & hog_pids+=($!); done
  MP_BENCH_INNER=1 MP_BENCH_DIR=$dir unshare --net --mount --pid --fork --mount-proc bash "$0" "$switches" "$hogs" "$forks"
  exit
fi

dir=$MP_BENCH_DIR
ip link set lo up
mount -t tmpfs none /run # the pack's per-promotion cache must not reach the host's /run
printf '* / rw,alldirs,maproot=0\n' >"$dir/exports.cfg"
: >"$dir/topology.cfg"
for n in A B; do
  d=$dir/$n
  mkdir -p "$d/data"
  chown mfs:mfs "$d/data"
  printf 'DATA_PATH = %s\nEXPORTS_FILENAME = %s\nTOPOLOGY_FILENAME = %s\n' "$d/data" "$dir/exports.cfg" "$dir/topology.cfg" >"$d/mfsmaster.cfg"
  printf 'DATA_PATH = %s\nMASTER_HOST = 127.0.0.1\nMASTER_RECONNECTION_DELAY = 1\n' "$d/data" >"$d/mfsmetalogger.cfg"
  printf 'MFS_STRATEGY=metalogger\nMFS_SERVICE=direct\nMFS_MASTER_CFG=%s\nMFS_METALOGGER_CFG=%s\nMFS_START_TIMEOUT=20\nMFS_STOP_TIMEOUT=20\n' "$d/mfsmaster.cfg" "$d/mfsmetalogger.cfg" >"$d/mfs.env"
done
cp /var/lib/mfs/metadata.mfs.empty "$dir/A/data/metadata.mfs"
chown mfs:mfs "$dir/A/data/metadata.mfs"

stats=$dir/stats # lines: hook wall_ms mfs_ms [clones execs]
# Runs one hook of node N as floatd would; records its times. ENV... are FLOATD_* assignments.
run_hook() {
  local n=$1 hook=$2 t0 t1 out rc mfs_ms=0 m extra=
  shift 2
  local p0 p1
  read -r p0 </proc/sys/kernel/ns_last_pid
  t0=$EPOCHREALTIME
  if out=$(env FLOATD_MFS_CONFIG="$dir/$n/mfs.env" FLOATD_VIP=127.0.0.1 FLOATD_INTERFACE=lo FLOATD_SRCIP=127.0.0.1 "$@" "$pack/$hook" lo 127.0.0.1 2>&1); then rc=0; else rc=$?; fi
  t1=$EPOCHREALTIME
  read -r p1 </proc/sys/kernel/ns_last_pid
  [ "$rc" -eq 0 ] || { printf '%s\n' "$out" >&2; echo "bench: $n $hook exited $rc" >&2; exit 1; }
  # The MooseFS command time each hook logs: "NAME: ok (N ms)" steps and the restore line.
  while IFS= read -r m; do
    case $m in *': ok ('*' ms)'|*'restore: metadata reaches'*' ms)') m=${m##*(}; m=${m%% ms*}; mfs_ms=$((mfs_ms + m)) ;; esac
  done <<<"$out"
  # Less the command substitution's own process.
  [ -z "$forks" ] || extra=" $((p1 - p0 - 1))"
  us() { local s=${1%.*} f=${1#*.}; echo $((10#$s * 1000000 + 10#$f)); }
  echo "$hook $((($(us "$t1") - $(us "$t0")) / 1000)) $mfs_ms$extra" >>"$stats"
}

epoch=0
promote() {
  local n=$1 prev=$2 f
  epoch=$((epoch + 1))
  local common=(FLOATD_EPOCH=$epoch FLOATD_MAX_EPOCH=$((epoch - 1)) FLOATD_PREVIOUS_RUN=$prev FLOATD_NEWER_EPOCH_SEEN=no FLOATD_PREVIOUS_STATE=BACKUP FLOATD_STATE=MASTER)
  [ $epoch -eq 1 ] || common+=(FLOATD_LAST_MASTER=127.0.0.1)
  run_hook "$n" takeover-check "${common[@]}" FLOATD_PHASE=takeover-check FLOATD_CLAIM=resigned
  common[1]=FLOATD_MAX_EPOCH=$epoch
  for f in "$pack"/prepare.d/*; do run_hook "$n" "prepare.d/${f##*/}" "${common[@]}" FLOATD_PHASE=prepare; done
  for f in "$pack"/up.d/*; do run_hook "$n" "up.d/${f##*/}" "${common[@]}" FLOATD_PHASE=up; done
}
demote() {
  local n=$1 f
  local common=(FLOATD_EPOCH=$epoch FLOATD_MAX_EPOCH=$epoch FLOATD_PREVIOUS_RUN=master FLOATD_PREVIOUS_RUN_EPOCH=$epoch FLOATD_NEWER_EPOCH_SEEN=no FLOATD_PREVIOUS_STATE=MASTER FLOATD_STATE=BACKUP)
  for f in "$pack"/down.d/*; do run_hook "$n" "down.d/${f##*/}" "${common[@]}" FLOATD_PHASE=down; done
  for f in "$pack"/released.d/*; do run_hook "$n" "released.d/${f##*/}" "${common[@]}" FLOATD_PHASE=released; done
}
# Waits until node N's metalogger holds a metadata copy (it downloads one when it connects; on a young cluster
# that is metadata_ml.tmp).
caught_up() {
  local i
  for i in $(seq 1 200); do [ -e "$1/data/metadata_ml.mfs.back" ] || [ -e "$1/data/metadata_ml.tmp" ] && return 0; sleep 0.1; done
  echo "bench: the metalogger of $1 never downloaded the metadata" >&2
  exit 1
}
stop_all() {
  local n b p
  for n in A B; do
    for b in mfsmaster mfsmetalogger; do
      p=$($b -c "$dir/$n/mfs${b#mfs}.cfg" test 2>&1 | sed -n 's/.* pid: //p' | tr -d '\0') || true
      [ -z "$p" ] || kill -KILL "$p" 2>/dev/null || true
    done
  done
}
trap stop_all EXIT

promote A none
run_hook B released.d/30-rejoin-metalogger FLOATD_PREVIOUS_STATE=INIT FLOATD_STATE=BACKUP FLOATD_PHASE=released FLOATD_PREVIOUS_RUN=none FLOATD_MAX_EPOCH=1 FLOATD_EPOCH=1
: >"$stats" # the first promotion (a seeded start) and the start-up are not what a failover runs
master=A standby=B
for _ in $(seq 1 "$switches"); do
  caught_up "$dir/$standby"
  demote $master
  promote $standby backup
  t=$master master=$standby standby=$t
done

printf 'hooks of %s switchovers, %s busy loop(s) beside them (medians, ms)\n' "$switches" "$hogs"
printf '%-32s %8s %8s %9s%s\n' hook wall MooseFS overhead "$([ -n "$forks" ] && printf ' %9s' tasks)"
awk '{ n[$1]++; w[$1, n[$1]] = $2; m[$1, n[$1]] = $3; o[$1, n[$1]] = $2 - $3; t[$1, n[$1]] = $4; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
  function med(a, h, cnt,   i, j, t, v) { for (i = 1; i <= cnt; i++) v[i] = a[h, i]; for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t } return v[int((cnt + 1) / 2)] }
  END { for (i = 1; i <= k; i++) { h = order[i]; printf "%-32s %8d %8d %9d", h, med(w, h, n[h]), med(m, h, n[h]), med(o, h, n[h]); if (t[h, 1] != "") printf " %9d", med(t, h, n[h]); printf "\n" } }' "$stats"
