// Gratuitous ARP for the VIP through iputils arping, so switches and clients move to this host at once.
// arping counts in whole seconds, so it runs in the background: nothing on the election path waits for it.
import { execa, type ResultPromise } from 'execa';
import type { Logger } from '../log.js';

// Announcements can be started and, on demotion, stopped (a stale announcer would pull traffic back).
export interface Announcer {
  announce(): void;
  stop(): void;
}

// How many announcements of each kind: the first leaves at once, the rest one second apart.
const COUNT = 3;

// Unsolicited ARP requests (-U) and replies (-A) for the VIP from `iface`, as keepalived sends both kinds of hosts honour.
export function arpingAnnouncer(iface: string, vip: string, log: Logger): Announcer {
  const running = new Set<ResultPromise>();
  const start = (mode: '-U' | '-A') => {
    const child = execa('arping', ['-q', mode, '-c', String(COUNT), '-I', iface, vip], { reject: false, stdin: 'ignore' });
    running.add(child);
    void child.then((r) => {
      running.delete(child);
      // With -U/-A no replies are expected, so arping's exit status says nothing; a failure to start does.
      if (r.failed && r.exitCode === undefined && !r.isTerminated) log.warn({ vip, iface, err: r.shortMessage }, 'cannot send gratuitous ARP (is iputils-arping installed?)');
    });
  };
  return {
    announce() {
      log.debug({ vip, iface }, 'sending gratuitous ARP');
      start('-U');
      start('-A');
    },
    stop() {
      for (const child of running) child.kill('SIGTERM');
      running.clear();
    },
  };
}

// Records instead of sending: the demo and unprivileged runs.
export function recordAnnouncer(iface: string, vip: string, log: Logger): Announcer {
  return {
    announce: () => log.info({ vip, iface, recorded: true }, 'gratuitous ARP (recorded only)'),
    stop: () => undefined,
  };
}
