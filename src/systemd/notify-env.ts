// What systemd asks of this process through its environment (sd_notify(3), sd_watchdog_enabled(3)), and the
// STATUS= line it shows in `systemctl status`. Pure: the environment and the state document are inputs.
import type { StateFile } from '../state/state-file.js';

// Where notifications go and how often the watchdog wants a ping; absent when nobody listens.
export interface NotifyTarget {
  // An absolute path, or an abstract name with its leading '@' (sd_notify's spelling of a leading NUL).
  socket: string;
  // Half of WATCHDOG_USEC, as sd_watchdog_enabled(3) recommends; undefined when the watchdog is off.
  pingMs: number | undefined;
}

// The variables that belong to this process only: children (hooks) must not inherit them.
export const NOTIFY_VARIABLES = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

// The sun_path limit of struct sockaddr_un on Linux (108 bytes, one of them the terminating NUL for paths).
const MAX_SOCKET_BYTES = 107;

// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID for process `pid`. A value that cannot be used is an
// error naming the variable and quoting the value; no NOTIFY_SOCKET at all means no target and no error.
export function notifyTarget(env: Readonly<Record<string, string | undefined>>, pid: number): { target?: NotifyTarget; error?: string } {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') return {};
  if (!(socket.startsWith('/') || (socket.startsWith('@') && socket.length > 1))) {
    // systemd 253 also speaks vsock:CID:PORT (for virtual machines); PID 1 of a host never hands that out.
    return { error: `NOTIFY_SOCKET must be an absolute path or an @abstract name, got "${socket}"` };
  }
  if (Buffer.byteLength(socket) > MAX_SOCKET_BYTES) return { error: `NOTIFY_SOCKET is longer than ${MAX_SOCKET_BYTES} bytes, got "${socket}"` };
  return { target: { socket, pingMs: watchdogPingMs(env, pid) } };
}

// sd_watchdog_enabled(3): WATCHDOG_USEC counts only when WATCHDOG_PID is unset or names this process.
function watchdogPingMs(env: Readonly<Record<string, string | undefined>>, pid: number): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^\d{1,15}$/.test(usec) || Number(usec) === 0) return undefined;
  const owner = env.WATCHDOG_PID;
  if (owner !== undefined && owner !== '' && owner !== String(pid)) return undefined;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}

// One notification: newline-separated assignments. A value cannot hold a newline (it would start another
// assignment) or a NUL (the relay's message separator), so both become spaces.
export function message(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/[\n\0]/g, ' ')}`).join('\n');
}

// The role in one line for `systemctl status`: "MASTER epoch 3, serving", "BACKUP following 10.0.0.2".
export function statusLine(d: Pick<StateFile, 'state' | 'epoch' | 'serving' | 'master' | 'reason' | 'hooksInProgress' | 'authFailures'>): string {
  const hooks = d.hooksInProgress.length > 0 ? `, hooks running: ${d.hooksInProgress.map((p) => p.split('/').at(-1)).join(' ')}` : '';
  const auth = (d.authFailures ?? []).map((f) => `; adverts from ${f.from} fail HMAC verification`).join('');
  return `${role(d)}${hooks}${auth}`;
}

function role(d: Pick<StateFile, 'state' | 'epoch' | 'serving' | 'master' | 'reason'>): string {
  switch (d.state) {
    case 'MASTER':
      return `MASTER epoch ${d.epoch}, ${d.serving ? 'serving' : 'up hooks running'}`;
    case 'RELEASING':
      return `RELEASING epoch ${d.epoch}: down hooks, then the VIP goes (${d.reason})`;
    case 'BACKUP':
      return d.master ? `BACKUP following ${d.master}` : `BACKUP, no master heard (${d.reason})`;
    case 'INIT':
      return 'starting: startup down hooks and stale VIP removal';
    case 'STOPPED':
      return `stopping: ${d.reason}`;
    default:
      return String(d.state);
  }
}
