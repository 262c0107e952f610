# Shared code of floatd's NFS hook pack (sourced by every hook, never run on its own): config loading and
# validation, one log line per step with its duration, the shared filesystem, and the two servers (NFS-Ganesha,
# the kernel's nfsd). bash; every hook sets `set -eu` before sourcing this file.

NFS_HOOK=${NFS_HOOK:-$(basename "$0")}

nfs_now_ms() { date +%s%3N; }
nfs_log() { printf 'nfs %s: %s\n' "$NFS_HOOK" "$*"; }
# A failure: what went wrong and what to check, then a non-zero exit so floatd rolls back (or marks the stop failed).
nfs_die() { printf 'nfs %s: FAILED: %s\n' "$NFS_HOOK" "$*" >&2; exit 1; }

# Runs "$@" as step NAME, logs "NAME: ok (N ms)"; on failure logs its last output and dies with HINT.
nfs_step() {
  local name=$1 hint=$2 t0 rc out
  shift 2
  t0=$(nfs_now_ms)
  if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
  if [ "$rc" -ne 0 ]; then
    [ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | sed "s/^/nfs $NFS_HOOK:   | /" >&2
    nfs_die "$name exited $rc after $(($(nfs_now_ms) - t0)) ms — $hint"
  fi
  nfs_log "$name: ok ($(($(nfs_now_ms) - t0)) ms)"
}

# Loads $FLOATD_NFS_CONFIG (default /etc/floatd/nfs.env) with a default for every key, then validates it.
nfs_load_config() {
  NFS_CONFIG=${FLOATD_NFS_CONFIG:-/etc/floatd/nfs.env}
  [ -r "$NFS_CONFIG" ] || nfs_die "config file FLOATD_NFS_CONFIG=\"$NFS_CONFIG\" is missing or unreadable — create it (see docs/nfs.md)"
  # shellcheck disable=SC1090
  . "$NFS_CONFIG"
  NFS_SERVER=${NFS_SERVER:-auto}
  NFS_SERVICE=${NFS_SERVICE:-systemd}
  NFS_SHARED_DEVICE=${NFS_SHARED_DEVICE:-}
  NFS_SHARED_MOUNT=${NFS_SHARED_MOUNT:-}
  NFS_SHARED_MOUNT=${NFS_SHARED_MOUNT%/}
  NFS_SHARED_FSCK=${NFS_SHARED_FSCK:-auto}
  NFS_GUARD=${NFS_GUARD:-mmp}
  NFS_MOUNT_OPTIONS=${NFS_MOUNT_OPTIONS-dirsync}
  NFS_PORT=${NFS_PORT:-2049}
  NFS_START_TIMEOUT=${NFS_START_TIMEOUT:-30}
  NFS_STOP_TIMEOUT=${NFS_STOP_TIMEOUT:-30}
  NFS_PROBE_WAIT_MS=${NFS_PROBE_WAIT_MS:-300}
  NFS_GANESHA_CONF=${NFS_GANESHA_CONF:-/etc/ganesha/ganesha.conf}
  NFS_GANESHA_PIDFILE=${NFS_GANESHA_PIDFILE:-/run/ganesha/ganesha.pid}
  NFS_GANESHA_LOG=${NFS_GANESHA_LOG:-/var/log/ganesha/ganesha.log}
  NFS_GANESHA_BIN=${NFS_GANESHA_BIN:-ganesha.nfsd}
  NFS_GANESHA_UNIT=${NFS_GANESHA_UNIT:-nfs-ganesha}
  NFS_KERNEL_UNIT=${NFS_KERNEL_UNIT:-nfs-server}
  NFS_KERNEL_THREADS=${NFS_KERNEL_THREADS:-8}
  NFS_KERNEL_STOP_UNITS=${NFS_KERNEL_STOP_UNITS-nfsdcld rpc-statd}
  NFS_STATE_DIR=${NFS_STATE_DIR:-/var/lib/nfs}
  NFS_SHARED_STATE=${NFS_SHARED_STATE:-${NFS_SHARED_MOUNT}/nfs-state}
  NFS_EXPORTS_FILE=${NFS_EXPORTS_FILE:-/etc/floatd/nfs.exports}
  NFS_LEASE_TIME=${NFS_LEASE_TIME:-}
  NFS_GRACE_TIME=${NFS_GRACE_TIME:-}
  NFS_PROC_NFSD=${NFS_PROC_NFSD:-/proc/fs/nfsd}
  nfs_validate
}

# The server NFS_SERVER=auto stands for: the one whose daemon this host has; both or neither is an error.
nfs_pick_server() {
  local g=no k=no
  command -v "$NFS_GANESHA_BIN" >/dev/null 2>&1 && g=yes
  command -v rpc.nfsd >/dev/null 2>&1 && command -v exportfs >/dev/null 2>&1 && k=yes
  case $g$k in
    yesno) NFS_SERVER=ganesha ;;
    noyes) NFS_SERVER=kernel ;;
    yesyes) bad+=("NFS_SERVER=auto, but this host has both $NFS_GANESHA_BIN (NFS-Ganesha) and rpc.nfsd + exportfs (the kernel's server): set NFS_SERVER=ganesha or NFS_SERVER=kernel") ;;
    *) bad+=("NFS_SERVER=auto, but this host has neither $NFS_GANESHA_BIN (NFS-Ganesha) nor rpc.nfsd + exportfs (nfs-kernel-server): install one") ;;
  esac
}

# True when PATH lies under DIR (both absolute, no trailing slash needed).
nfs_under() { case ${1%/}/ in "$2"/*) return 0 ;; *) return 1 ;; esac; }

# Checks every key; each problem names the key and quotes the value.
nfs_validate() {
  local bad=() k p
  case $NFS_SERVER in auto) nfs_pick_server ;; ganesha|kernel) ;; *) bad+=("NFS_SERVER must be auto, ganesha or kernel, got \"$NFS_SERVER\"") ;; esac
  case $NFS_SERVICE in systemd|direct) ;; *) bad+=("NFS_SERVICE must be systemd or direct, got \"$NFS_SERVICE\"") ;; esac
  case $NFS_SHARED_FSCK in auto|yes|no) ;; *) bad+=("NFS_SHARED_FSCK must be auto, yes or no, got \"$NFS_SHARED_FSCK\"") ;; esac
  case $NFS_MOUNT_OPTIONS in *[[:space:]]*) bad+=("NFS_MOUNT_OPTIONS must be one comma-separated list without spaces, got \"$NFS_MOUNT_OPTIONS\"") ;; esac
  case $NFS_GUARD in mmp|fence) ;; *) bad+=("NFS_GUARD must be mmp or fence, got \"$NFS_GUARD\"") ;; esac
  for k in NFS_PORT NFS_START_TIMEOUT NFS_STOP_TIMEOUT NFS_PROBE_WAIT_MS NFS_KERNEL_THREADS; do
    case ${!k} in ''|*[!0-9]*) bad+=("$k must be a whole number, got \"${!k}\"") ;; esac
  done
  for k in NFS_LEASE_TIME NFS_GRACE_TIME; do
    case ${!k} in *[!0-9]*) bad+=("$k must be a whole number of seconds or empty, got \"${!k}\"") ;; esac
  done
  [ -n "$NFS_SHARED_DEVICE" ] || bad+=("NFS_SHARED_DEVICE must be set (the shared LUN's block device on this host)")
  [ -z "$NFS_SHARED_DEVICE" ] || [ -b "$NFS_SHARED_DEVICE" ] || bad+=("NFS_SHARED_DEVICE is not a block device: \"$NFS_SHARED_DEVICE\"")
  case $NFS_SHARED_MOUNT in /?*) [ -d "$NFS_SHARED_MOUNT" ] || bad+=("NFS_SHARED_MOUNT must be an existing directory, got \"$NFS_SHARED_MOUNT\"") ;; *) bad+=("NFS_SHARED_MOUNT must be an absolute path, got \"$NFS_SHARED_MOUNT\"") ;; esac
  case $NFS_SERVER in
    ganesha) nfs_ganesha_validate ;;
    kernel) nfs_kernel_validate ;;
  esac
  if [ ${#bad[@]} -gt 0 ]; then
    for k in "${bad[@]}"; do printf 'nfs %s: config %s: %s\n' "$NFS_HOOK" "$NFS_CONFIG" "$k" >&2; done
    nfs_die "${#bad[@]} problem(s) in $NFS_CONFIG or the server config it names"
  fi
}

. "$(dirname "${BASH_SOURCE[0]}")/nfs-ganesha.sh"
. "$(dirname "${BASH_SOURCE[0]}")/nfs-kernel.sh"

# True while process PID runs. A zombie has exited (its sockets and files are released) and only waits for init
# to reap it, which a container's PID 1 may do seconds late: it counts as gone.
nfs_alive() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}

# True when a TCP connect to HOST:PORT succeeds within a second (WAIT seconds when given).
nfs_port_open() { timeout -k 1 "${3:-1}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# NFS_PROBE_WAIT_MS as seconds for timeout(1), e.g. 300 -> 0.300.
nfs_probe_wait() { printf '%d.%03d' $((NFS_PROBE_WAIT_MS / 1000)) $((NFS_PROBE_WAIT_MS % 1000)); }

# The mount point PATH lies on (findmnt -T), e.g. to tell a directory on the LUN from one on the root filesystem.
nfs_fs_of() { findmnt -rn -o TARGET -T "$1" 2>/dev/null | head -n 1; }

# True when the filesystem on DEV has ext4 multi-mount protection (the "mmp" feature).
nfs_has_mmp() { dumpe2fs -h "$1" 2>/dev/null | grep -qi '^Filesystem features:.*\bmmp\b'; }

# Waits up to NFS_START_TIMEOUT for the server (nfs_server_running) to accept TCP connections on HOST:NFS_PORT.
nfs_wait_serving() {
  local host=$1 deadline
  deadline=$(($(nfs_now_ms) + NFS_START_TIMEOUT * 1000))
  while :; do
    nfs_server_running || { echo "the $NFS_SERVER server is not running"; return 1; }
    nfs_port_open "$host" "$NFS_PORT" && return 0
    [ "$(nfs_now_ms)" -lt "$deadline" ] || { echo "nothing accepts on $host:$NFS_PORT after NFS_START_TIMEOUT=${NFS_START_TIMEOUT}s"; return 1; }
    sleep 0.05
  done
}

nfs_server_running() { case $NFS_SERVER in ganesha) [ -n "$(nfs_ganesha_pid)" ] ;; kernel) nfs_kernel_running ;; esac; }
