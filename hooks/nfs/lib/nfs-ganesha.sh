# NFS-Ganesha: reading its config, the rules the pack holds it to, start, stop and its client records.
# Sourced by nfs-common.sh.

# Every value of KEY in the Ganesha config (case-insensitive, as Ganesha reads keys; "KEY = value;"), one a line.
# %include files are not followed: keep the keys this pack reads in the main file.
nfs_ganesha_get() {
  sed -e 's/#.*$//' "$NFS_GANESHA_CONF" | tr '\n' ' ' | tr '{}' ';;' | tr ';' '\n' |
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\{0,1\}\([^\"]*[^\"[:space:]]\)\"\{0,1\}[[:space:]]*$/\1/Ip"
}

# The last value of KEY, or DEFAULT.
nfs_ganesha_one() { local v; v=$(nfs_ganesha_get "$1" | tail -n 1); printf '%s' "${v:-$2}"; }

# The pack's rules for a Ganesha config: client records and exports on the shared filesystem, a grace period
# sized from the lease, and whether grace can end early. Sets GANESHA_RECOV_ROOT, GANESHA_LEASE, GANESHA_GRACE,
# GANESHA_NLM and GANESHA_PATHS for the hooks.
nfs_ganesha_validate() {
  local backend p
  [ -f "$NFS_GANESHA_CONF" ] || { bad+=("NFS_GANESHA_CONF names a missing file: \"$NFS_GANESHA_CONF\""); return; }
  backend=$(nfs_ganesha_one RecoveryBackend fs)
  # fs and fs_ng keep one directory per client under RecoveryRoot; the rados backends keep them in Ceph, not on the LUN.
  case $backend in fs|fs_ng) ;; *) bad+=("RecoveryBackend in $NFS_GANESHA_CONF must be fs or fs_ng (client records on the shared filesystem), got \"$backend\"") ;; esac
  GANESHA_RECOV_ROOT=$(nfs_ganesha_one RecoveryRoot /var/lib/nfs/ganesha)
  GANESHA_RECOV_ROOT=${GANESHA_RECOV_ROOT%/}
  [ -z "$NFS_SHARED_MOUNT" ] || nfs_under "$GANESHA_RECOV_ROOT" "$NFS_SHARED_MOUNT" ||
    bad+=("RecoveryRoot in $NFS_GANESHA_CONF (\"$GANESHA_RECOV_ROOT\") must lie under NFS_SHARED_MOUNT=\"$NFS_SHARED_MOUNT\": the next server reads the client records there to let clients reclaim")
  GANESHA_PATHS=$(nfs_ganesha_get Path)
  [ -n "$GANESHA_PATHS" ] || bad+=("no EXPORT Path in $NFS_GANESHA_CONF")
  while IFS= read -r p; do
    [ -n "$p" ] && [ -n "$NFS_SHARED_MOUNT" ] || continue
    nfs_under "$p" "$NFS_SHARED_MOUNT" || bad+=("EXPORT Path in $NFS_GANESHA_CONF (\"$p\") must lie under NFS_SHARED_MOUNT=\"$NFS_SHARED_MOUNT\"")
  done <<<"$GANESHA_PATHS"
  GANESHA_LEASE=$(nfs_ganesha_one Lease_Lifetime 60)
  GANESHA_GRACE=$(nfs_ganesha_one Grace_Period 90)
  case $GANESHA_LEASE$GANESHA_GRACE in *[!0-9]*) bad+=("Lease_Lifetime and Grace_Period in $NFS_GANESHA_CONF must be whole seconds, got \"$GANESHA_LEASE\" and \"$GANESHA_GRACE\"") ; return ;; esac
  # RFC 8881 §8.4.2.1: a client may need a whole lease to notice the restart and reclaim; a shorter grace loses its
  # state. Longer than lease + lease/2 buys nothing: a client that has not come back by then was gone before.
  [ "$GANESHA_GRACE" -ge "$GANESHA_LEASE" ] || bad+=("Grace_Period in $NFS_GANESHA_CONF (\"$GANESHA_GRACE\") must be at least Lease_Lifetime (\"$GANESHA_LEASE\"): a client needs a whole lease to notice the new server and reclaim")
  [ "$GANESHA_GRACE" -le $((GANESHA_LEASE + GANESHA_LEASE / 2 + 5)) ] || bad+=("Grace_Period in $NFS_GANESHA_CONF (\"$GANESHA_GRACE\") is above Lease_Lifetime + Lease_Lifetime/2 + 5 ($((GANESHA_LEASE + GANESHA_LEASE / 2 + 5))): every client that will reclaim has done so by then; a longer grace only holds new opens back")
  GANESHA_NLM=$(nfs_ganesha_one Enable_NLM true | tr 'A-Z' 'a-z')
}

# PID of the running ganesha.nfsd (from NFS_GANESHA_PIDFILE, checked against /proc), or nothing.
nfs_ganesha_pid() {
  local pid
  pid=$(cat "$NFS_GANESHA_PIDFILE" 2>/dev/null || true)
  case $pid in ''|*[!0-9]*) return 0 ;; esac
  nfs_alive "$pid" || return 0
  case $(cat "/proc/$pid/comm" 2>/dev/null) in ganesha.nfsd|ganesha*) echo "$pid" ;; esac
}

nfs_ganesha_start() {
  if [ "$NFS_SERVICE" = systemd ]; then timeout "$NFS_START_TIMEOUT" systemctl start "$NFS_GANESHA_UNIT"; return; fi
  mkdir -p "$(dirname "$NFS_GANESHA_PIDFILE")" "$(dirname "$NFS_GANESHA_LOG")"
  # ganesha.nfsd forks into the background itself; its output goes to NFS_GANESHA_LOG.
  timeout -k 2 "$NFS_START_TIMEOUT" "$NFS_GANESHA_BIN" -f "$NFS_GANESHA_CONF" -p "$NFS_GANESHA_PIDFILE" -L "$NFS_GANESHA_LOG" </dev/null >/dev/null 2>&1
}

# SIGTERM (Ganesha's clean shutdown: it keeps the client records for the next server), then waits until it is gone.
nfs_ganesha_stop() {
  local pid n
  pid=$(nfs_ganesha_pid)
  if [ "$NFS_SERVICE" = systemd ]; then systemctl stop --no-block "$NFS_GANESHA_UNIT" || true; fi
  [ -n "$pid" ] || return 0
  [ "$NFS_SERVICE" = systemd ] || kill -TERM "$pid" 2>/dev/null || true
  n=$((NFS_STOP_TIMEOUT * 20))
  while nfs_alive "$pid"; do
    n=$((n - 1))
    [ $n -gt 0 ] || { echo "ganesha.nfsd (pid $pid) still runs after NFS_STOP_TIMEOUT=${NFS_STOP_TIMEOUT}s"; return 1; }
    sleep 0.05
  done
}

# The client records a starting Ganesha will wait for in its grace period: one directory per client under
# RecoveryRoot's v4recov and v4old trees (named "ADDRESS-(LEN:CLIENT OWNER)"), one a line.
nfs_ganesha_records() {
  local d
  for d in "$GANESHA_RECOV_ROOT"/v4recov "$GANESHA_RECOV_ROOT"/v4old; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 -maxdepth 2 -type d -name '*-(*' -printf '%f\n' 2>/dev/null
  done
}
