# Shared code of floatd's MooseFS hook pack (sourced by every hook, never run on its own).
# Config loading and validation, one log line per step with its duration, daemon start/stop, and the
# metadata facts (newest change id, archives) the restore rules in docs/mfs.md rely on.
# bash; every hook sets `set -eu` before sourcing this file.

MFS_HOOK=${MFS_HOOK:-$(basename "$0")}

# Milliseconds since the epoch (GNU date).
mfs_now_ms() { date +%s%3N; }

# One log line; floatd logs every line a hook prints.
mfs_log() { printf 'mfs %s: %s\n' "$MFS_HOOK" "$*"; }

# A failure: says what went wrong and what to check, then exits non-zero so floatd rolls back.
mfs_die() { printf 'mfs %s: FAILED: %s\n' "$MFS_HOOK" "$*" >&2; exit 1; }

# Runs "$@" as step NAME and logs "NAME: ok (N ms)"; on failure logs its output and the exit code, then dies with HINT.
# Usage: mfs_step NAME HINT cmd args...
mfs_step() {
  local name=$1 hint=$2 t0 rc out
  shift 2
  t0=$(mfs_now_ms)
  if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
  if [ "$rc" -ne 0 ]; then
    [ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | sed "s/^/mfs $MFS_HOOK:   | /" >&2
    mfs_die "$name exited $rc after $(($(mfs_now_ms) - t0)) ms — $hint"
  fi
  mfs_log "$name: ok ($(($(mfs_now_ms) - t0)) ms)"
}

# Value of KEY in a MooseFS cfg file ("KEY = value" lines, # comments), or DEFAULT.
mfs_cfg_get() {
  local file=$1 key=$2 def=$3 v
  v=$(sed -n "s/^[[:space:]]*$key[[:space:]]*=[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*$/\1/p" "$file" | tail -n 1)
  printf '%s' "${v:-$def}"
}

# Loads $FLOATD_MFS_CONFIG (default /etc/floatd/mfs.env) with defaults for every key, then validates it.
mfs_load_config() {
  MFS_CONFIG=${FLOATD_MFS_CONFIG:-/etc/floatd/mfs.env}
  [ -r "$MFS_CONFIG" ] || mfs_die "config file FLOATD_MFS_CONFIG=\"$MFS_CONFIG\" is missing or unreadable — create it (see docs/mfs.md)"
  # shellcheck disable=SC1090
  . "$MFS_CONFIG"
  MFS_STRATEGY=${MFS_STRATEGY:-metalogger}
  MFS_MASTER_CFG=${MFS_MASTER_CFG:-/etc/mfs/mfsmaster.cfg}
  MFS_METALOGGER_CFG=${MFS_METALOGGER_CFG:-/etc/mfs/mfsmetalogger.cfg}
  MFS_SERVICE=${MFS_SERVICE:-systemd}
  MFS_SHARED_DEVICE=${MFS_SHARED_DEVICE:-}
  MFS_SHARED_MOUNT=${MFS_SHARED_MOUNT:-}
  MFS_SHARED_FSCK=${MFS_SHARED_FSCK:-yes}
  MFS_SHARED_METALOGGER=${MFS_SHARED_METALOGGER:-no}
  MFS_ARCHIVE_KEEP=${MFS_ARCHIVE_KEEP:-5}
  MFS_START_TIMEOUT=${MFS_START_TIMEOUT:-30}
  MFS_STOP_TIMEOUT=${MFS_STOP_TIMEOUT:-30}
  MFS_READY_PORTS=${MFS_READY_PORTS:-}
  MFS_PROBE_WAIT_MS=${MFS_PROBE_WAIT_MS:-300}
  MFS_MASTER_BIN=${MFS_MASTER_BIN:-mfsmaster}
  MFS_METALOGGER_BIN=${MFS_METALOGGER_BIN:-mfsmetalogger}
  mfs_validate
}

# Checks every key and the cfg files they name; each problem names the key and quotes the value.
mfs_validate() {
  local bad=() k
  case $MFS_STRATEGY in metalogger|shared) ;; *) bad+=("MFS_STRATEGY must be metalogger or shared, got \"$MFS_STRATEGY\"") ;; esac
  case $MFS_SERVICE in systemd|direct) ;; *) bad+=("MFS_SERVICE must be systemd or direct, got \"$MFS_SERVICE\"") ;; esac
  case $MFS_SHARED_FSCK in yes|no) ;; *) bad+=("MFS_SHARED_FSCK must be yes or no, got \"$MFS_SHARED_FSCK\"") ;; esac
  case $MFS_SHARED_METALOGGER in yes|no) ;; *) bad+=("MFS_SHARED_METALOGGER must be yes or no, got \"$MFS_SHARED_METALOGGER\"") ;; esac
  for k in MFS_ARCHIVE_KEEP MFS_START_TIMEOUT MFS_STOP_TIMEOUT MFS_PROBE_WAIT_MS; do
    case ${!k} in ''|*[!0-9]*) bad+=("$k must be a whole number, got \"${!k}\"") ;; esac
  done
  [ -f "$MFS_MASTER_CFG" ] || bad+=("MFS_MASTER_CFG names a missing file: \"$MFS_MASTER_CFG\"")
  local need_ml=yes
  [ "$MFS_STRATEGY" = shared ] && [ "$MFS_SHARED_METALOGGER" = no ] && need_ml=no
  [ $need_ml = no ] || [ -f "$MFS_METALOGGER_CFG" ] || bad+=("MFS_METALOGGER_CFG names a missing file: \"$MFS_METALOGGER_CFG\"")
  if [ "$MFS_STRATEGY" = shared ]; then
    [ -n "$MFS_SHARED_DEVICE" ] || bad+=("MFS_SHARED_DEVICE must be set with MFS_STRATEGY=shared")
    [ -z "$MFS_SHARED_DEVICE" ] || [ -b "$MFS_SHARED_DEVICE" ] || bad+=("MFS_SHARED_DEVICE is not a block device: \"$MFS_SHARED_DEVICE\"")
    [ -n "$MFS_SHARED_MOUNT" ] && [ -d "$MFS_SHARED_MOUNT" ] || bad+=("MFS_SHARED_MOUNT must be an existing directory, got \"$MFS_SHARED_MOUNT\"")
  fi
  if [ ${#bad[@]} -eq 0 ]; then
    MASTER_DATA_PATH=$(mfs_cfg_get "$MFS_MASTER_CFG" DATA_PATH /var/lib/mfs)
    MASTER_USER=$(mfs_cfg_get "$MFS_MASTER_CFG" WORKING_USER mfs)
    ML_DATA_PATH= ML_USER=
    if [ $need_ml = yes ]; then
      ML_DATA_PATH=$(mfs_cfg_get "$MFS_METALOGGER_CFG" DATA_PATH /var/lib/mfs)
      ML_USER=$(mfs_cfg_get "$MFS_METALOGGER_CFG" WORKING_USER mfs)
      mfs_check_owner "$MFS_METALOGGER_CFG" "$ML_DATA_PATH" "$ML_USER"
    fi
    if [ "$MFS_STRATEGY" = metalogger ]; then
      # mfsmaster -a restores from the _ml files in its own DATA_PATH: both daemons must share it.
      [ "$ML_DATA_PATH" = "$MASTER_DATA_PATH" ] || bad+=("DATA_PATH in MFS_METALOGGER_CFG (\"$ML_DATA_PATH\") must equal DATA_PATH in MFS_MASTER_CFG (\"$MASTER_DATA_PATH\") with MFS_STRATEGY=metalogger")
      mfs_check_owner "$MFS_MASTER_CFG" "$MASTER_DATA_PATH" "$MASTER_USER"
    else
      case $MASTER_DATA_PATH/ in "${MFS_SHARED_MOUNT%/}"/*) ;; *) bad+=("DATA_PATH in MFS_MASTER_CFG (\"$MASTER_DATA_PATH\") must lie under MFS_SHARED_MOUNT=\"$MFS_SHARED_MOUNT\"") ;; esac
      # The master's DATA_PATH exists only while the LUN is mounted here.
      ! mountpoint -q "$MFS_SHARED_MOUNT" || mfs_check_owner "$MFS_MASTER_CFG" "$MASTER_DATA_PATH" "$MASTER_USER"
      [ $need_ml = no ] || case $ML_DATA_PATH/ in "${MFS_SHARED_MOUNT%/}"/*) bad+=("DATA_PATH in MFS_METALOGGER_CFG (\"$ML_DATA_PATH\") must be local, not under MFS_SHARED_MOUNT") ;; esac
    fi
  fi
  if [ ${#bad[@]} -gt 0 ]; then
    for k in "${bad[@]}"; do printf 'mfs %s: config %s: %s\n' "$MFS_HOOK" "$MFS_CONFIG" "$k" >&2; done
    mfs_die "${#bad[@]} problem(s) in $MFS_CONFIG or the MooseFS cfg files it names"
  fi
}

# Adds a problem unless DIR exists and is owned by USER (MooseFS refuses to start otherwise).
mfs_check_owner() {
  local cfg=$1 dir=$2 user=$3 owner
  if [ ! -d "$dir" ]; then bad+=("DATA_PATH in $cfg is not a directory: \"$dir\""); return; fi
  id -u "$user" >/dev/null 2>&1 || { bad+=("WORKING_USER in $cfg is not a user here: \"$user\""); return; }
  owner=$(stat -c %U "$dir")
  [ "$owner" = "$user" ] || bad+=("DATA_PATH in $cfg (\"$dir\") is owned by \"$owner\", not WORKING_USER \"$user\"")
}

# PID of a running daemon from "BIN -c CFG test" (which reads the lock), or nothing.
mfs_pid() { "$1" -c "$2" test 2>&1 | sed -n 's/.* pid: \([0-9][0-9]*\).*/\1/p' | head -n 1; }

# Stops daemon BIN (cfg CFG, systemd UNIT): SIGTERM to the lock owner, then polls `test` every 0.1 s
# for up to MFS_STOP_TIMEOUT (faster than `BIN stop`, which sleeps; MooseFS writes its files on SIGTERM).
mfs_stop_daemon() {
  local bin=$1 cfg=$2 unit=$3 pid n
  if [ "$MFS_SERVICE" = systemd ]; then systemctl stop --no-block "$unit" || true; fi
  pid=$(mfs_pid "$bin" "$cfg")
  [ -n "$pid" ] || return 0
  [ "$MFS_SERVICE" = systemd ] || kill -TERM "$pid" 2>/dev/null || true
  n=$((MFS_STOP_TIMEOUT * 10))
  while [ -n "$(mfs_pid "$bin" "$cfg")" ]; do
    n=$((n - 1))
    [ $n -gt 0 ] || { echo "$bin (pid $pid) still runs after MFS_STOP_TIMEOUT=${MFS_STOP_TIMEOUT}s"; return 1; }
    sleep 0.1
  done
  # The lock goes a moment before the process: "stopped" means the process is gone, too.
  while mfs_alive "$pid"; do
    n=$((n - 1))
    [ $n -gt 0 ] || { echo "$bin (pid $pid) released its lock but still runs after MFS_STOP_TIMEOUT=${MFS_STOP_TIMEOUT}s"; return 1; }
    sleep 0.05
  done
}

# True while process PID runs. A zombie has exited (its files and locks are released): it only waits to be reaped
# by init, which a container's PID 1 may do seconds late (1.1-1.9 s measured here), so it counts as gone.
mfs_alive() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}

# Starts daemon BIN with CFG (direct) or its systemd UNIT; EXTRA are added flags for direct mode.
mfs_start_daemon() {
  local bin=$1 cfg=$2 unit=$3
  shift 3
  if [ "$MFS_SERVICE" = systemd ]; then timeout "$MFS_START_TIMEOUT" systemctl start "$unit"; return; fi
  timeout -k 2 "$MFS_START_TIMEOUT" "$bin" "$@" -c "$cfg" start
}

# The master-owned files in DIR that mfsmaster -a would read (never the metalogger's _ml files).
mfs_master_files() {
  local d=$1 f
  for f in "$d"/metadata.mfs "$d"/metadata.mfs.back* "$d"/changelog.[0-9]*.mfs "$d"/metadata.crc; do
    [ -e "$f" ] && printf '%s\n' "$f"
  done
  return 0
}

# The metalogger's files in DIR (its metadata copies and the changelogs it streamed).
mfs_ml_files() {
  local d=$1 f
  for f in "$d"/metadata_ml.mfs.back* "$d"/metadata_ml.tmp "$d"/changelog_ml.[0-9]*.mfs "$d"/changelog_ml_back.[0-9]*.mfs; do
    [ -e "$f" ] && printf '%s\n' "$f"
  done
  return 0
}

# Newest change id a metadata file holds: its header version ("MFSM 2.0" + big-endian u64) minus one; 0 for
# "MFSM NEW" (a freshly seeded, empty filesystem) or an unreadable header.
mfs_meta_version() {
  local sig hex
  sig=$(head -c 8 "$1" 2>/dev/null || true)
  case $sig in 'MFSM 2.0') ;; *) echo 0; return ;; esac
  hex=$(od -An -j8 -N8 -tx1 "$1" | tr -d ' \n')
  [ ${#hex} -eq 16 ] || { echo 0; return; }
  echo $((0x$hex > 0 ? 0x$hex - 1 : 0))
}

# Newest change id in a changelog: the largest "ID:" among its last two lines (the last may be cut).
mfs_changelog_last() {
  tail -n 2 "$1" 2>/dev/null | sed -n 's/^\([0-9][0-9]*\): .*/\1/p' | sort -n | tail -n 1 | grep . || echo 0
}

# True when a changelog's last line is cut (no final newline): restore would skip the whole file.
mfs_changelog_cut() { [ -s "$1" ] && [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" != 0a ]; }

# Newest change id among FILES (metadata and changelogs), 0 when none holds any.
mfs_newest_change() {
  local max=0 f v
  for f in "$@"; do
    case $f in *changelog*) v=$(mfs_changelog_last "$f") ;; *) v=$(mfs_meta_version "$f") ;; esac
    [ "$v" -gt "$max" ] && max=$v
  done
  echo "$max"
}

# The newest change id of the copy that is live here (metadata-version prints it): the master's files while
# mfsmaster runs, the metalogger's while mfsmetalogger runs (own master files from an earlier mastership say nothing
# about how far it has caught up), both while neither runs. Sets MFS_LIVE_V, MFS_LIVE_N (files) and MFS_LIVE_FROM.
mfs_live_version() {
  local ml_dir=${ML_DATA_PATH:-$MASTER_DATA_PATH} master_files ml_files files
  master_files=$(mfs_master_files "$MASTER_DATA_PATH" 2>/dev/null || true)
  ml_files=$(mfs_ml_files "$ml_dir" 2>/dev/null || true)
  if [ -n "$(mfs_pid "$MFS_MASTER_BIN" "$MFS_MASTER_CFG")" ]; then
    files=$master_files MFS_LIVE_FROM="mfsmaster runs: its own master files in $MASTER_DATA_PATH"
  elif [ "$MFS_STRATEGY$MFS_SHARED_METALOGGER" != sharedno ] && [ -n "$(mfs_pid "$MFS_METALOGGER_BIN" "$MFS_METALOGGER_CFG")" ]; then
    files=$ml_files MFS_LIVE_FROM="mfsmetalogger runs: its files in $ml_dir"
  else
    files="$master_files $ml_files" MFS_LIVE_FROM="no daemon runs: master and metalogger files in $ml_dir"
  fi
  # shellcheck disable=SC2086
  MFS_LIVE_V=$(mfs_newest_change $files)
  # shellcheck disable=SC2086
  MFS_LIVE_N=$(printf '%s\n' $files | grep -c . || true)
}

# The text of change ID in FILES' changelogs (for "same id, different content"), empty if none has it.
mfs_change_text() {
  local id=$1 f
  shift
  for f in "$@"; do
    case $f in *changelog*) grep -m 1 "^$id: " "$f" 2>/dev/null && return 0 ;; esac
  done
  return 0
}

. "$(dirname "${BASH_SOURCE[0]}")/mfs-archive.sh"
. "$(dirname "${BASH_SOURCE[0]}")/mfs-decide.sh"

# True when a TCP connect to HOST:PORT succeeds within a second (WAIT seconds when given).
mfs_port_open() { timeout -k 1 "${3:-1}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# MFS_PROBE_WAIT_MS as seconds for timeout(1), e.g. 300 -> 0.300.
mfs_probe_wait() { printf '%d.%03d' $((MFS_PROBE_WAIT_MS / 1000)) $((MFS_PROBE_WAIT_MS % 1000)); }

# The master's three ports (metaloggers, chunkservers, clients) from MFS_MASTER_CFG, or MFS_READY_PORTS.
mfs_master_ports() {
  if [ -n "$MFS_READY_PORTS" ]; then echo "$MFS_READY_PORTS"; return; fi
  echo "$(mfs_cfg_get "$MFS_MASTER_CFG" MATOML_LISTEN_PORT 9419) $(mfs_cfg_get "$MFS_MASTER_CFG" MATOCS_LISTEN_PORT 9420) $(mfs_cfg_get "$MFS_MASTER_CFG" MATOCL_LISTEN_PORT 9421)"
}

# Waits up to MFS_START_TIMEOUT for a live mfsmaster whose ports accept connections on HOST.
mfs_wait_serving() {
  local host=$1 deadline p missing
  deadline=$(($(mfs_now_ms) + MFS_START_TIMEOUT * 1000))
  while :; do
    missing=
    [ -n "$(mfs_pid "$MFS_MASTER_BIN" "$MFS_MASTER_CFG")" ] || missing="process (mfsmaster -c $MFS_MASTER_CFG test)"
    for p in $(mfs_master_ports); do
      [ -n "$missing" ] || mfs_port_open "$host" "$p" || missing="port $host:$p"
    done
    [ -n "$missing" ] || return 0
    [ "$(mfs_now_ms)" -lt "$deadline" ] || { echo "mfsmaster not serving after MFS_START_TIMEOUT=${MFS_START_TIMEOUT}s: no $missing"; return 1; }
    sleep 0.05
  done
}
