# Shared code of floatd's MooseFS hook pack (sourced by every hook, never run on its own): one log line per step
# with its duration, the daemons' state, start and stop, and the readiness probes. The config is in mfs-config.sh,
# the metadata facts (change ids, cut changelogs) in mfs-files.sh, archives and the restore decision beside them.
# bash; every hook sets `set -eu` before sourcing this file. Cheap on a busy host: the hot paths use builtins
# ($EPOCHREALTIME, read, printf -v, [[ ]]) instead of small programs, so a hook starts few processes besides the
# MooseFS commands it exists for (docs/mfs.md "What each hook costs").

MFS_HOOK=${MFS_HOOK:-${0##*/}}
MFS_LIB=${BASH_SOURCE[0]%/*}

# Milliseconds since the epoch into variable $1 ($EPOCHREALTIME: no process; its decimal point follows the locale).
mfs_clock() { local _mfs_us=${EPOCHREALTIME/[.,]/}; printf -v "$1" '%d' $((10#$_mfs_us / 1000)); }

# Milliseconds since T0 into variable $2 (default: took).
mfs_took() { local _mfs_now; mfs_clock _mfs_now; printf -v "${2:-took}" '%d' $((_mfs_now - $1)); }

# One log line; floatd logs every line a hook prints.
mfs_log() { printf 'mfs %s: %s\n' "$MFS_HOOK" "$*"; }

# A failure: says what went wrong and what to check, then exits non-zero so floatd rolls back.
mfs_die() { printf 'mfs %s: FAILED: %s\n' "$MFS_HOOK" "$*" >&2; exit 1; }

# Prints TEXT's last 20 lines, each as "mfs HOOK:   | line", to stderr (a failing command's output).
mfs_quote() {
  local -a lines
  mapfile -t lines <<<"$1"
  local from=$((${#lines[@]} > 20 ? ${#lines[@]} - 20 : 0)) l
  for l in "${lines[@]:from}"; do printf 'mfs %s:   | %s\n' "$MFS_HOOK" "$l" >&2; done
}

# Runs "$@" as step NAME and logs "NAME: ok (N ms)"; on failure logs its output and the exit code, then dies with HINT.
# Usage: mfs_step NAME HINT cmd args...
mfs_step() {
  local name=$1 hint=$2 t0 took rc out
  shift 2
  mfs_clock t0
  if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
  mfs_took "$t0"
  if [ "$rc" -ne 0 ]; then
    [ -z "$out" ] || mfs_quote "$out"
    mfs_die "$name exited $rc after $took ms — $hint"
  fi
  mfs_log "$name: ok ($took ms)"
}

# The state of daemon ROLE (master or metalogger) from `BIN -c CFG test`, which reads the daemon's lock. MooseFS
# 3.0 (mfscommon/main.c, wdlock) prints exactly "APP pid: N" and exits 0 when the lock is held, and "APP is not
# running" (then a NUL byte) and exits 1 when it is free; APP is mfsmaster or mfsmetalogger whatever the binary is
# called. Anything else — a missing binary, an unreadable cfg, a missing DATA_PATH ("can't set working directory"),
# a lock file it cannot create, a message this pack does not know — is unknown: nobody can say the daemon is gone.
# Sets MFS_STATE=running|stopped|unknown, MFS_STATE_PID and MFS_STATE_SAID (the command and what it gave).
mfs_daemon_state() {
  local bin cfg app out rc
  case $1 in
    master) bin=$MFS_MASTER_BIN cfg=$MFS_MASTER_CFG app=mfsmaster ;;
    *) bin=$MFS_METALOGGER_BIN cfg=$MFS_METALOGGER_CFG app=mfsmetalogger ;;
  esac
  # The NUL after "is not running" is dropped by the command substitution; bash's warning about it is silenced.
  { if out=$("$bin" -c "$cfg" test 2>&1); then rc=0; else rc=$?; fi; } 2>/dev/null
  MFS_STATE_PID= MFS_STATE_SAID="$bin -c $cfg test exited $rc: \"${out//$'\n'/ | }\""
  if [ "$rc" -eq 0 ] && [[ $out =~ ^$app\ pid:\ ([0-9]+)$ ]]; then
    MFS_STATE=running MFS_STATE_PID=${BASH_REMATCH[1]}
  elif [ "$rc" -eq 1 ] && [ "$out" = "$app is not running" ]; then
    MFS_STATE=stopped
  elif [ "$1" = master ] && [ "$MFS_STRATEGY" = shared ] && [ "$rc" -eq 1 ] && [ "$out" = "can't set working directory to $MASTER_DATA_PATH" ] &&
    [ ! -e "$MASTER_DATA_PATH" ] && ! mountpoint -q "$MFS_SHARED_MOUNT"; then
    # Shared storage: DATA_PATH lies on the LUN, which is not mounted here, so no mfsmaster can be using it.
    MFS_STATE=stopped
  else
    MFS_STATE=unknown
  fi
}

# True when daemon ROLE runs, false when it is stopped; dies (fails closed) when its state is unknown.
mfs_running() {
  mfs_daemon_state "$1"
  case $MFS_STATE in
    running) return 0 ;;
    stopped) return 1 ;;
  esac
  local key=MFS_MASTER_BIN ckey=MFS_MASTER_CFG app=mfsmaster
  [ "$1" = master ] || key=MFS_METALOGGER_BIN ckey=MFS_METALOGGER_CFG app=mfsmetalogger
  mfs_die "cannot tell whether $app runs: $MFS_STATE_SAID; expected \"$app pid: N\" (exit 0) or \"$app is not running\" (exit 1) — check $key (is it MooseFS 3.0's $app?), that $ckey is readable and its DATA_PATH exists and is writable by WORKING_USER"
}

# Stops daemon ROLE (systemd UNIT): SIGTERM to the lock owner, then polls `test` every 0.1 s for up to
# MFS_STOP_TIMEOUT (faster than `BIN stop`, which sleeps; MooseFS writes its files on SIGTERM). An unknown state
# at any poll fails: a stop that cannot be confirmed is not a stop.
mfs_stop_daemon() {
  local role=$1 unit=$2 pid n
  if [ "$MFS_SERVICE" = systemd ]; then systemctl stop --no-block "$unit" || true; fi
  mfs_running "$role" || return 0
  pid=$MFS_STATE_PID
  [ "$MFS_SERVICE" = systemd ] || kill -TERM "$pid" 2>/dev/null || true
  n=$((MFS_STOP_TIMEOUT * 10))
  while mfs_running "$role"; do
    n=$((n - 1))
    [ $n -gt 0 ] || { echo "mfs$role (pid $pid) still runs after MFS_STOP_TIMEOUT=${MFS_STOP_TIMEOUT}s"; return 1; }
    sleep 0.1
  done
  # The lock goes a moment before the process: "stopped" means the process is gone, too.
  while mfs_alive "$pid"; do
    n=$((n - 1))
    [ $n -gt 0 ] || { echo "mfs$role (pid $pid) released its lock but still runs after MFS_STOP_TIMEOUT=${MFS_STOP_TIMEOUT}s"; return 1; }
    sleep 0.05
  done
}

# True while process PID runs. A zombie has exited (its files and locks are released): it only waits to be reaped
# by init, which a container's PID 1 may do seconds late (1.1-1.9 s measured here), so it counts as gone.
mfs_alive() {
  local s
  { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}

# Starts daemon ROLE with its cfg (direct) or its systemd UNIT.
mfs_start_daemon() {
  local bin=$MFS_MASTER_BIN cfg=$MFS_MASTER_CFG unit=$2
  [ "$1" = master ] || bin=$MFS_METALOGGER_BIN cfg=$MFS_METALOGGER_CFG
  if [ "$MFS_SERVICE" = systemd ]; then timeout "$MFS_START_TIMEOUT" systemctl start "$unit"; return; fi
  timeout -k 2 "$MFS_START_TIMEOUT" "$bin" -c "$cfg" start
}

# True when a TCP connect to HOST:PORT succeeds within a second (WAIT seconds when given): for remote hosts.
mfs_port_open() { timeout -k 1 "${3:-1}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# True when a TCP connect to an address of this host (127.0.0.1, the VIP) succeeds: such a connect is answered at
# once (accepted or refused), so it needs no timeout and no process.
mfs_local_port_open() {
  local fd
  { exec {fd}<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
  exec {fd}>&-
}

# MFS_PROBE_WAIT_MS as seconds for timeout(1) into variable $1, e.g. 300 -> 0.300.
mfs_probe_wait() { printf -v "$1" '%d.%03d' $((MFS_PROBE_WAIT_MS / 1000)) $((MFS_PROBE_WAIT_MS % 1000)); }

# The master's three ports (metaloggers, chunkservers, clients) from MFS_MASTER_CFG, or MFS_READY_PORTS.
mfs_master_ports() { echo "${MFS_READY_PORTS:-$MASTER_PORT_ML $MASTER_PORT_CS $MASTER_PORT_CL}"; }

# Waits up to MFS_START_TIMEOUT for a live mfsmaster whose ports accept connections on HOST (an address of this host).
mfs_wait_serving() {
  local host=$1 deadline now p missing
  mfs_clock now
  deadline=$((now + MFS_START_TIMEOUT * 1000))
  while :; do
    missing=
    mfs_running master || missing="process (mfsmaster -c $MFS_MASTER_CFG test)"
    for p in ${MFS_READY_PORTS:-$MASTER_PORT_ML $MASTER_PORT_CS $MASTER_PORT_CL}; do
      [ -n "$missing" ] || mfs_local_port_open "$host" "$p" || missing="port $host:$p"
    done
    [ -n "$missing" ] || return 0
    mfs_clock now
    [ "$now" -lt "$deadline" ] || { echo "mfsmaster not serving after MFS_START_TIMEOUT=${MFS_START_TIMEOUT}s: no $missing"; return 1; }
    sleep 0.05
  done
}

. "$MFS_LIB/mfs-config.sh"
. "$MFS_LIB/mfs-files.sh"
. "$MFS_LIB/mfs-archive.sh"
. "$MFS_LIB/mfs-decide.sh"
