# The kernel's NFS server (nfs-kernel-server / nfs-utils): its state directory on the shared filesystem, the
# exports floatd owns, the lease and grace, start and stop. Sourced by nfs-common.sh.

# The export lines of NFS_EXPORTS_FILE (exports(5): "PATH CLIENT(OPTIONS) …"), comments and blank lines dropped.
nfs_kernel_export_lines() { sed -e 's/#.*$//' -e '/^[[:space:]]*$/d' "$NFS_EXPORTS_FILE"; }

# Every "CLIENT:PATH OPTIONS" exportfs(8) takes for one export, one a line.
nfs_kernel_exports() {
  local path rest c
  while read -r path rest; do
    for c in $rest; do
      case $c in *'('*')') printf '%s:%s %s\n' "${c%%(*}" "$path" "$(c=${c#*(}; echo "${c%)}")" ;; *) printf '%s:%s %s\n' "$c" "$path" '' ;; esac
    done
  done < <(nfs_kernel_export_lines)
}

# The pack's rules for the kernel server: the state directory (v4 client records, statd) and every export on the
# shared filesystem, and an fsid on every export (file handles must not change with the host: RHEL's NFS-HA guide).
nfs_kernel_validate() {
  local line path rest
  case $NFS_STATE_DIR in /?*) ;; *) bad+=("NFS_STATE_DIR must be an absolute path, got \"$NFS_STATE_DIR\"") ;; esac
  [ -z "$NFS_SHARED_MOUNT" ] || nfs_under "$NFS_SHARED_STATE" "$NFS_SHARED_MOUNT" ||
    bad+=("NFS_SHARED_STATE (\"$NFS_SHARED_STATE\") must lie under NFS_SHARED_MOUNT=\"$NFS_SHARED_MOUNT\": the next server reads the client records there")
  [ -f "$NFS_EXPORTS_FILE" ] || { bad+=("NFS_EXPORTS_FILE names a missing file: \"$NFS_EXPORTS_FILE\""); return; }
  [ -n "$(nfs_kernel_export_lines)" ] || bad+=("NFS_EXPORTS_FILE \"$NFS_EXPORTS_FILE\" has no export")
  while read -r path rest; do
    [ -n "$NFS_SHARED_MOUNT" ] && ! nfs_under "$path" "$NFS_SHARED_MOUNT" && bad+=("export \"$path\" in $NFS_EXPORTS_FILE must lie under NFS_SHARED_MOUNT=\"$NFS_SHARED_MOUNT\"")
    case $rest in *fsid=*) ;; *) bad+=("export \"$path\" in $NFS_EXPORTS_FILE needs fsid=N in its options: without it the file handles change with the host and clients get ESTALE after a failover") ;; esac
  done < <(nfs_kernel_export_lines)
  if [ -n "$NFS_LEASE_TIME" ] && [ -n "$NFS_GRACE_TIME" ] && [ "$NFS_GRACE_TIME" -lt "$NFS_LEASE_TIME" ]; then
    bad+=("NFS_GRACE_TIME (\"$NFS_GRACE_TIME\") must be at least NFS_LEASE_TIME (\"$NFS_LEASE_TIME\"): a client needs a whole lease to reclaim")
  fi
}

# True while nfsd has threads (the kernel's own answer; /proc/fs/nfsd/threads is 0 when stopped).
nfs_kernel_running() { [ "$(cat "$NFS_PROC_NFSD/threads" 2>/dev/null || echo 0)" -gt 0 ] 2>/dev/null; }

# The lease and grace must be written before nfsd starts (the kernel refuses them while it runs). The grace is
# the lease unless NFS_GRACE_TIME says otherwise: the kernel ends it early once every recorded client reclaimed.
nfs_kernel_times() {
  [ -n "$NFS_LEASE_TIME" ] || return 0
  # Explicit returns: this runs inside nfs_step's `if`, where set -e does not apply.
  echo "$NFS_LEASE_TIME" > "$NFS_PROC_NFSD/nfsv4leasetime" || return 1
  echo "${NFS_GRACE_TIME:-$NFS_LEASE_TIME}" > "$NFS_PROC_NFSD/nfsv4gracetime" || return 1
}

nfs_kernel_start() {
  if [ "$NFS_SERVICE" = systemd ]; then timeout "$NFS_START_TIMEOUT" systemctl start "$NFS_KERNEL_UNIT"; return; fi
  timeout -k 2 "$NFS_START_TIMEOUT" rpc.nfsd "$NFS_KERNEL_THREADS"
}

# Stops nfsd and waits until it has no thread left.
nfs_kernel_stop() {
  local n
  if [ "$NFS_SERVICE" = systemd ]; then timeout -k 2 "$NFS_STOP_TIMEOUT" systemctl stop "$NFS_KERNEL_UNIT"; else timeout -k 2 "$NFS_STOP_TIMEOUT" rpc.nfsd 0; fi
  n=$((NFS_STOP_TIMEOUT * 20))
  while nfs_kernel_running; do
    n=$((n - 1))
    [ $n -gt 0 ] || { echo "nfsd still has $(cat "$NFS_PROC_NFSD/threads") thread(s) after NFS_STOP_TIMEOUT=${NFS_STOP_TIMEOUT}s"; return 1; }
    sleep 0.05
  done
}

# The helpers that keep files open in NFS_STATE_DIR (nfsdcld's client database, rpc.statd's monitor list): stopped
# after nfsd, before the state directory is unmounted, as the nfsserver resource agent does; systemd only.
nfs_kernel_stop_helpers() {
  local u
  [ "$NFS_SERVICE" = systemd ] || return 0
  for u in $NFS_KERNEL_STOP_UNITS; do timeout -k 2 "$NFS_STOP_TIMEOUT" systemctl stop "$u" || return 1; done
}
