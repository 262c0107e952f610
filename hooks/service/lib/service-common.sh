# Shared code of floatd's generic service pack (sourced by every hook): start and stop a list of services in order
# (systemd units, init scripts, or plain commands), an optional shared filesystem under them, and readiness checks
# (a TCP port or an http:// URL) before the VIP. bash; every hook sets `set -eu` before sourcing this file.

SVC_HOOK=${SVC_HOOK:-$(basename "$0")}

svc_now_ms() { date +%s%3N; }
svc_log() { printf 'service %s: %s\n' "$SVC_HOOK" "$*"; }
svc_die() { printf 'service %s: FAILED: %s\n' "$SVC_HOOK" "$*" >&2; exit 1; }

# Runs "$@" as step NAME, logs "NAME: ok (N ms)"; on failure logs its last output and dies with HINT.
svc_step() {
  local name=$1 hint=$2 t0 rc out
  shift 2
  t0=$(svc_now_ms)
  if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
  if [ "$rc" -ne 0 ]; then
    [ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | sed "s/^/service $SVC_HOOK:   | /" >&2
    svc_die "$name exited $rc after $(($(svc_now_ms) - t0)) ms — $hint"
  fi
  svc_log "$name: ok ($(($(svc_now_ms) - t0)) ms)"
}

# Loads $FLOATD_SERVICE_CONFIG (default /etc/floatd/service.env) with defaults, then validates it.
svc_load_config() {
  SVC_CONFIG=${FLOATD_SERVICE_CONFIG:-/etc/floatd/service.env}
  [ -r "$SVC_CONFIG" ] || svc_die "config file FLOATD_SERVICE_CONFIG=\"$SVC_CONFIG\" is missing or unreadable — create it (see docs/service.md)"
  # shellcheck disable=SC1090
  . "$SVC_CONFIG"
  SERVICE_MANAGER=${SERVICE_MANAGER:-systemd}
  SERVICE_UNITS=${SERVICE_UNITS:-}
  SERVICE_MOUNTS=${SERVICE_MOUNTS:-}
  SERVICE_READY=${SERVICE_READY:-}
  SERVICE_VIP_PORTS=${SERVICE_VIP_PORTS:-}
  SERVICE_START_TIMEOUT=${SERVICE_START_TIMEOUT:-30}
  SERVICE_STOP_TIMEOUT=${SERVICE_STOP_TIMEOUT:-30}
  SERVICE_PROBE_WAIT_MS=${SERVICE_PROBE_WAIT_MS:-300}
  SERVICE_INITD=${SERVICE_INITD:-/etc/init.d}
  svc_validate
}

svc_validate() {
  local bad=() k n m dev dir r
  case $SERVICE_MANAGER in systemd|sysv|command) ;; *) bad+=("SERVICE_MANAGER must be systemd, sysv or command, got \"$SERVICE_MANAGER\"") ;; esac
  [ -n "$SERVICE_UNITS" ] || bad+=("SERVICE_UNITS must name at least one service (in start order)")
  for k in SERVICE_START_TIMEOUT SERVICE_STOP_TIMEOUT SERVICE_PROBE_WAIT_MS; do
    case ${!k} in ''|*[!0-9]*) bad+=("$k must be a whole number, got \"${!k}\"") ;; esac
  done
  for n in $SERVICE_UNITS; do
    case $SERVICE_MANAGER in
      sysv) [ -x "$SERVICE_INITD/$n" ] || bad+=("SERVICE_UNITS names \"$n\", but $SERVICE_INITD/$n is not an executable init script") ;;
      command)
        case $n in *[!A-Za-z0-9_]*) bad+=("SERVICE_UNITS names \"$n\": with SERVICE_MANAGER=command a name is letters, digits and _ (it names SERVICE_START_$n)"); continue ;; esac
        k=SERVICE_START_$n; [ -n "${!k:-}" ] || bad+=("$k must be set with SERVICE_MANAGER=command (the command that starts \"$n\")")
        k=SERVICE_PIDFILE_$n; [ -n "${!k:-}" ] || bad+=("$k must be set with SERVICE_MANAGER=command (how the pack knows \"$n\" runs, and waits for it to exit)") ;;
    esac
  done
  for m in $SERVICE_MOUNTS; do
    dev=${m%%:*} dir=${m#*:}
    [ "$dev" != "$m" ] || { bad+=("SERVICE_MOUNTS entries are DEVICE:MOUNTPOINT, got \"$m\""); continue; }
    [ -b "$dev" ] || bad+=("SERVICE_MOUNTS: \"$dev\" is not a block device")
    [ -d "$dir" ] || bad+=("SERVICE_MOUNTS: mount point \"$dir\" is not a directory")
  done
  for r in $SERVICE_READY; do
    case $r in tcp:*:[0-9]*|http://*) ;; *) bad+=("SERVICE_READY entries are tcp:HOST:PORT or http://HOST[:PORT]/PATH, got \"$r\"") ;; esac
  done
  for r in $SERVICE_VIP_PORTS; do case $r in ''|*[!0-9]*) bad+=("SERVICE_VIP_PORTS must be port numbers, got \"$r\"") ;; esac; done
  if [ ${#bad[@]} -gt 0 ]; then
    for k in "${bad[@]}"; do printf 'service %s: config %s: %s\n' "$SVC_HOOK" "$SVC_CONFIG" "$k" >&2; done
    svc_die "${#bad[@]} problem(s) in $SVC_CONFIG"
  fi
}

# The services in reverse order (stop order).
svc_reversed() { local out= n; for n in $SERVICE_UNITS; do out="$n $out"; done; echo "$out"; }

# True while process PID runs (a zombie has exited and only waits for init to reap it: gone).
svc_alive() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }

# PID of service NAME from its pid file (command mode), or nothing.
svc_pid() {
  local k=SERVICE_PIDFILE_$1 pid
  pid=$(cat "${!k}" 2>/dev/null || true)
  case $pid in ''|*[!0-9]*) return 0 ;; esac
  ! svc_alive "$pid" || echo "$pid"
}

# True while service NAME runs.
svc_running() {
  case $SERVICE_MANAGER in
    systemd) systemctl is-active --quiet "$1" ;;
    sysv) "$SERVICE_INITD/$1" status >/dev/null 2>&1 ;;
    command) [ -n "$(svc_pid "$1")" ] ;;
  esac
}

svc_start() {
  local k=SERVICE_START_$1
  case $SERVICE_MANAGER in
    systemd) timeout "$SERVICE_START_TIMEOUT" systemctl start "$1" ;;
    sysv) timeout -k 2 "$SERVICE_START_TIMEOUT" "$SERVICE_INITD/$1" start </dev/null ;;
    command) timeout -k 2 "$SERVICE_START_TIMEOUT" sh -c "${!k}" </dev/null >/dev/null 2>&1 ;;
  esac
}

# Stops service NAME and waits until it is gone: systemctl stop waits itself; an init script's stop is trusted only
# once status says stopped; a command's stop (SERVICE_STOP_NAME, else SIGTERM to its pid) once the pid is gone. A
# stop command that fails is not the verdict (this runs inside svc_step's `if`, where set -e does not apply): the
# service still running after SERVICE_STOP_TIMEOUT is.
svc_stop() {
  local n=$1 k=SERVICE_STOP_$1 pid left
  case $SERVICE_MANAGER in
    systemd) timeout -k 2 "$SERVICE_STOP_TIMEOUT" systemctl stop "$n"; return ;;
    sysv) timeout -k 2 "$SERVICE_STOP_TIMEOUT" "$SERVICE_INITD/$n" stop </dev/null ;;
    command)
      pid=$(svc_pid "$n")
      [ -n "$pid" ] || return 0
      if [ -n "${!k:-}" ]; then timeout -k 2 "$SERVICE_STOP_TIMEOUT" sh -c "${!k}" </dev/null; else kill -TERM "$pid"; fi ;;
  esac
  left=$((SERVICE_STOP_TIMEOUT * 20))
  while svc_running "$n"; do
    left=$((left - 1))
    [ $left -gt 0 ] || { echo "$n still runs after SERVICE_STOP_TIMEOUT=${SERVICE_STOP_TIMEOUT}s"; return 1; }
    sleep 0.05
  done
}

# True when a TCP connect to HOST:PORT succeeds within a second (WAIT seconds when given).
svc_port_open() { timeout -k 1 "${3:-1}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# True when GET of an http:// URL answers 2xx or 3xx within a second (plain HTTP/1.0 over bash's /dev/tcp: no curl
# needed on a minimal host).
svc_http_ok() {
  timeout -k 1 1 bash -c '
    u=${0#http://} hp=${u%%/*} path=/${u#*/}; [ "$hp" != "$u" ] || path=/
    h=${hp%:*} p=${hp##*:}; [ "$p" != "$hp" ] || p=80
    exec 3<>"/dev/tcp/$h/$p" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$path" "$h" >&3
    read -r _ code _ <&3
    case $code in 2??|3??) exit 0 ;; *) exit 1 ;; esac' "$1" 2>/dev/null
}

# One readiness check: tcp:HOST:PORT or an http:// URL.
svc_ready_one() {
  case $1 in
    tcp:*) local hp=${1#tcp:}; svc_port_open "${hp%:*}" "${hp##*:}" ;;
    http://*) svc_http_ok "$1" ;;
  esac
}

# Waits up to SERVICE_START_TIMEOUT until every check passes.
svc_wait_ready() {
  local deadline c missing
  deadline=$(($(svc_now_ms) + SERVICE_START_TIMEOUT * 1000))
  while :; do
    missing=
    for c in "$@"; do [ -n "$missing" ] || svc_ready_one "$c" || missing=$c; done
    [ -n "$missing" ] || return 0
    [ "$(svc_now_ms)" -lt "$deadline" ] || { echo "not ready after SERVICE_START_TIMEOUT=${SERVICE_START_TIMEOUT}s: $missing"; return 1; }
    sleep 0.05
  done
}
