# The pack's config (sourced by mfs-common.sh): $FLOATD_MFS_CONFIG (default /etc/floatd/mfs.env) with a default
# for every key, the values read from the MooseFS cfg files, and their validation. Every problem names the key
# and quotes the value. A promotion validates once: the first hook of it (the takeover check, else the first
# prepare hook) writes what it validated to a root-only cache under /run, keyed by floatd's epoch, the phase group
# and the exact text of the three files; the next hooks of the same promotion load that instead (no process).

MFS_CACHE_DIR=${FLOATD_MFS_CACHE_DIR:-/run/floatd-mfs}
MFS_CACHED_VARS='MASTER_DATA_PATH MASTER_USER ML_DATA_PATH ML_USER MASTER_PORT_ML MASTER_PORT_CS MASTER_PORT_CL MFS_FENCING_SAID'

# Reads the "KEY = value" lines of MooseFS cfg FILE (# comments; the last one wins) once, setting
# MFS_CFG_<KEY> for each KEY given (empty when absent).
mfs_cfg_read() {
  local file=$1 line k v
  shift
  for k; do printf -v "MFS_CFG_$k" ''; done
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*([A-Z_0-9]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]] || continue
    k=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
    case " $* " in *" $k "*) printf -v "MFS_CFG_$k" '%s' "$v" ;; esac
  done <"$file"
}

# The whole text of FILE into variable $2 ("" when unreadable), without a process.
mfs_slurp() { { IFS= read -r -d '' "$2" <"$1"; } 2>/dev/null || true; }

# Loads the config with defaults for every key, then validates it (or loads this promotion's validated cache).
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
  MFS_SHARED_FENCING=${MFS_SHARED_FENCING:-}
  MFS_ARCHIVE_KEEP=${MFS_ARCHIVE_KEEP:-5}
  MFS_START_TIMEOUT=${MFS_START_TIMEOUT:-30}
  MFS_STOP_TIMEOUT=${MFS_STOP_TIMEOUT:-30}
  MFS_READY_PORTS=${MFS_READY_PORTS:-}
  MFS_PROBE_WAIT_MS=${MFS_PROBE_WAIT_MS:-300}
  MFS_MASTER_BIN=${MFS_MASTER_BIN:-mfsmaster}
  MFS_METALOGGER_BIN=${MFS_METALOGGER_BIN:-mfsmetalogger}
  MFS_NEED_ML=yes
  [ "$MFS_STRATEGY" = shared ] && [ "$MFS_SHARED_METALOGGER" = no ] && MFS_NEED_ML=no
  mfs_cache_load && return 0
  mfs_validate
  mfs_cache_save
}

# The cache's key: floatd's epoch and phase group (a promotion, or a release: a release after a long mastership
# validates afresh) and the text of the config and of both cfg files. Empty (no cache) when run by hand.
mfs_cache_key() {
  local group a b c
  MFS_CACHE_KEY=
  case ${FLOATD_PHASE:-} in
    takeover-check|fence|prepare|up) group=promote ;;
    down|released) group=release ;;
    # metadata-version, run every 3 s by floatd (no phase): keyed by the files' text alone; every promotion
    # still validates afresh.
    *) [ "${MFS_CACHE_GROUP:-}" = data-version ] || return 0; group=data-version ;;
  esac
  [ -n "${FLOATD_EPOCH:-}" ] || [ "$group" = data-version ] || return 0
  mfs_slurp "$MFS_CONFIG" a
  mfs_slurp "$MFS_MASTER_CFG" b
  c=
  [ "$MFS_NEED_ML" = no ] || mfs_slurp "$MFS_METALOGGER_CFG" c
  MFS_CACHE_KEY="epoch=${FLOATD_EPOCH:-} group=$group"$'\n'"$a"$'\n\f'"$b"$'\n\f'"$c"
  MFS_CACHE_FILE=$MFS_CACHE_DIR/${MFS_CONFIG//\//%}.$group
}

# Loads this promotion's validated values; false when there is none (or it is not this pack's root-only file).
mfs_cache_load() {
  mfs_cache_key
  [ -n "$MFS_CACHE_KEY" ] && [ -f "$MFS_CACHE_FILE" ] && [ -O "$MFS_CACHE_FILE" ] && [ ! -L "$MFS_CACHE_FILE" ] || return 1
  local cached_key=
  # shellcheck disable=SC1090
  { . "$MFS_CACHE_FILE"; } 2>/dev/null || return 1
  [ "$cached_key" = "$MFS_CACHE_KEY" ]
}

# Writes the validated values for the next hooks of this promotion (skipped when /run is not writable here).
mfs_cache_save() {
  [ -n "$MFS_CACHE_KEY" ] || return 0
  { [ -d "$MFS_CACHE_DIR" ] || mkdir -m 0700 -p "$MFS_CACHE_DIR"; } 2>/dev/null || return 0
  [ -O "$MFS_CACHE_DIR" ] && [ ! -L "$MFS_CACHE_DIR" ] || return 0
  local v text=
  for v in $MFS_CACHED_VARS; do printf -v text '%s%s=%q\n' "$text" "$v" "${!v}"; done
  # The key last: a file cut short never matches.
  printf -v text '%scached_key=%q\n' "$text" "$MFS_CACHE_KEY"
  { printf '%s' "$text" >"$MFS_CACHE_FILE.$$" && mv -f "$MFS_CACHE_FILE.$$" "$MFS_CACHE_FILE"; } 2>/dev/null || true
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
  [ $MFS_NEED_ML = no ] || [ -f "$MFS_METALOGGER_CFG" ] || bad+=("MFS_METALOGGER_CFG names a missing file: \"$MFS_METALOGGER_CFG\"")
  MFS_FENCING_SAID=
  if [ "$MFS_STRATEGY" = shared ]; then
    [ -n "$MFS_SHARED_DEVICE" ] || bad+=("MFS_SHARED_DEVICE must be set with MFS_STRATEGY=shared")
    [ -z "$MFS_SHARED_DEVICE" ] || [ -b "$MFS_SHARED_DEVICE" ] || bad+=("MFS_SHARED_DEVICE is not a block device: \"$MFS_SHARED_DEVICE\"")
    [ -n "$MFS_SHARED_MOUNT" ] && [ -d "$MFS_SHARED_MOUNT" ] || bad+=("MFS_SHARED_MOUNT must be an existing directory, got \"$MFS_SHARED_MOUNT\"")
    mfs_check_fencing
  fi
  if [ ${#bad[@]} -eq 0 ]; then
    mfs_cfg_read "$MFS_MASTER_CFG" DATA_PATH WORKING_USER MATOML_LISTEN_PORT MATOCS_LISTEN_PORT MATOCL_LISTEN_PORT
    MASTER_DATA_PATH=${MFS_CFG_DATA_PATH:-/var/lib/mfs} MASTER_USER=${MFS_CFG_WORKING_USER:-mfs}
    MASTER_PORT_ML=${MFS_CFG_MATOML_LISTEN_PORT:-9419} MASTER_PORT_CS=${MFS_CFG_MATOCS_LISTEN_PORT:-9420} MASTER_PORT_CL=${MFS_CFG_MATOCL_LISTEN_PORT:-9421}
    ML_DATA_PATH= ML_USER=
    if [ $MFS_NEED_ML = yes ]; then
      mfs_cfg_read "$MFS_METALOGGER_CFG" DATA_PATH WORKING_USER
      ML_DATA_PATH=${MFS_CFG_DATA_PATH:-/var/lib/mfs} ML_USER=${MFS_CFG_WORKING_USER:-mfs}
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
      [ $MFS_NEED_ML = no ] || case $ML_DATA_PATH/ in "${MFS_SHARED_MOUNT%/}"/*) bad+=("DATA_PATH in MFS_METALOGGER_CFG (\"$ML_DATA_PATH\") must be local, not under MFS_SHARED_MOUNT") ;; esac
    fi
  fi
  if [ ${#bad[@]} -gt 0 ]; then
    for k in "${bad[@]}"; do printf 'mfs %s: config %s: %s\n' "$MFS_HOOK" "$MFS_CONFIG" "$k" >&2; done
    mfs_die "${#bad[@]} problem(s) in $MFS_CONFIG or the MooseFS cfg files it names"
  fi
}

# Shared storage without fencing is refused: two hosts that mount one LUN corrupt it, and the kernel's lock
# protects one host only. MFS_SHARED_FENCING=floatd says floatd runs with --fence (the old master is powered off
# or cut from the LUN before this node promotes: docs/guide.md "Fencing"); =mmp says the filesystem on the LUN has
# ext4 multi-mount protection, checked here in its superblock (dumpe2fs -h lists "mmp" among its features).
mfs_check_fencing() {
  local out features=
  case $MFS_SHARED_FENCING in
    floatd)
      # Run by floatd (FLOATD_PHASE set): it says whether it has a --fence (FLOATD_FENCE, empty without).
      if [ -n "${FLOATD_PHASE:-}" ] && [ -z "${FLOATD_FENCE:-}" ]; then
        bad+=("MFS_SHARED_FENCING=floatd, but this floatd runs without --fence (FLOATD_FENCE is empty) — add --fence with a fence command for the other candidates, or use MFS_SHARED_FENCING=mmp")
      fi
      MFS_FENCING_SAID="fencing by floatd --fence (MFS_SHARED_FENCING=floatd)" ;;
    mmp)
      [ -b "$MFS_SHARED_DEVICE" ] || return 0
      out=$(dumpe2fs -h "$MFS_SHARED_DEVICE" 2>/dev/null) || true
      [[ $out =~ (^|$'\n')Filesystem\ features:([^$'\n']*) ]] && features=${BASH_REMATCH[2]}
      if [[ " $features " == *" mmp "* ]]; then
        MFS_FENCING_SAID="ext4 multi-mount protection on $MFS_SHARED_DEVICE (MFS_SHARED_FENCING=mmp)"
      else
        bad+=("MFS_SHARED_FENCING=mmp, but the filesystem on MFS_SHARED_DEVICE=\"$MFS_SHARED_DEVICE\" has no mmp feature (dumpe2fs -h: \"${features# }\") — enable it with tune2fs -O mmp on the unmounted LUN, or fence with floatd --fence and MFS_SHARED_FENCING=floatd")
      fi ;;
    '') bad+=("MFS_STRATEGY=shared needs fencing, but MFS_SHARED_FENCING is not set — two hosts mounting one LUN corrupt it: run floatd with --fence and set MFS_SHARED_FENCING=floatd, or format the LUN with ext4 mmp (mkfs.ext4 -O mmp, or tune2fs -O mmp) and set MFS_SHARED_FENCING=mmp") ;;
    *) bad+=("MFS_SHARED_FENCING must be floatd or mmp, got \"$MFS_SHARED_FENCING\"") ;;
  esac
}

# Adds a problem unless DIR exists and is owned by USER (MooseFS refuses to start otherwise).
mfs_check_owner() {
  local cfg=$1 dir=$2 user=$3 owner
  if [ ! -d "$dir" ]; then bad+=("DATA_PATH in $cfg is not a directory: \"$dir\""); return; fi
  id -u "$user" >/dev/null 2>&1 || { bad+=("WORKING_USER in $cfg is not a user here: \"$user\""); return; }
  owner=$(stat -c %U "$dir")
  [ "$owner" = "$user" ] || bad+=("DATA_PATH in $cfg (\"$dir\") is owned by \"$owner\", not WORKING_USER \"$user\"")
}
