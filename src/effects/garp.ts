// Gratuitous ARP for the IPv4 VIPs through iputils arping, so switches and clients move to this host at once.
// arping counts in whole seconds, so it runs in the background: nothing on the election path waits for it.
// IPv6 VIPs are announced by the kernel as they are added (ndisc.ts): nothing to send for them here.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log/log.js';
import { familyOf } from '../protocol/address.js';
import { guardGroup } from './supervise.js';

// Announcements can be started and, on demotion, stopped (a stale announcer would pull traffic back).
export interface Announcer {
  announce(): void;
  stop(): void;
}

// How many announcements of each kind: the first leaves at once, the rest one second apart.
const COUNT = 3;
// arping ends about COUNT - 1 seconds after its start; one still running well after that is killed.
export const ARPING_TIMEOUT_MS = (COUNT + 2) * 1000;

// Unsolicited ARP requests (-U) and replies (-A) for each IPv4 VIP from `iface`, as keepalived sends both
// kinds of hosts honour; none while `announcing()` says the link takes no announcements (a tun, say).
export function arpingAnnouncer(iface: string, vips: readonly string[], log: Logger, announcing: () => boolean = () => true): Announcer {
  const running = new Set<ChildProcess>();
  const v4 = vips.filter((v) => familyOf(v) === 4);
  const v6 = vips.filter((v) => familyOf(v) === 6);
  const start = (vip: string, mode: '-U' | '-A') => {
    // A plain spawn: the first announcement leaves as soon as arping runs, and execa would add milliseconds.
    // Its own process group, bounded like every process floatd starts (supervise.ts).
    const args = ['-q', mode, '-c', String(COUNT), '-I', iface, vip];
    const child = spawn('arping', args, { stdio: 'ignore', detached: true });
    running.add(child);
    child.on('error', (err) => log.warn({ vip, iface, err: err.message }, 'cannot send gratuitous ARP (is iputils-arping installed?)'));
    if (child.pid === undefined) return;
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const guard = guardGroup(child.pid, exit, { timeoutMs: ARPING_TIMEOUT_MS, log });
    // With -U/-A no replies are expected, so arping's exit status says nothing.
    void exit.then(async () => {
      running.delete(child);
      await guard.finished();
      if (guard.stoppedFor() === 'timeout') log.warn({ vip, iface, timeoutMs: ARPING_TIMEOUT_MS }, `arping ${args.join(' ')} still ran after ${ARPING_TIMEOUT_MS} ms: killed`);
    });
  };
  return {
    announce() {
      if (!announcing()) return;
      for (const vip of v4) {
        log.debug({ vip, iface }, 'sending gratuitous ARP');
        start(vip, '-U');
        start(vip, '-A');
      }
      if (v6.length > 0) log.debug({ vips: v6, iface }, 'IPv6 VIPs: the kernel sent their unsolicited neighbour advertisements as they were added');
    },
    stop() {
      for (const child of running) child.kill('SIGTERM');
      running.clear();
    },
  };
}

// Records instead of sending: the demo and unprivileged runs.
export function recordAnnouncer(iface: string, vips: readonly string[], log: Logger): Announcer {
  const vip = vips.join(' ');
  return {
    announce: () => log.info({ vip, iface, recorded: true }, 'gratuitous ARP (recorded only)'),
    stop: () => undefined,
  };
}
