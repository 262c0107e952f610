// What the state file says about the agent now: a pure function of the election state and what the driver
// knows besides (VIP held, hooks running, the next sequence number, unverifiable peers).
import type { Config } from '../config/config.js';
import type { Role, Settings, State } from '../election/machine.js';
import { clusterStatus } from '../state/cluster-status.js';
import type { AuthFailure } from '../net/auth-alarm.js';
import type { StateFile } from '../state/state-file.js';

// Role names as logs, hooks and the state file spell them.
export const LABELS = { init: 'INIT', backup: 'BACKUP', master: 'MASTER', releasing: 'RELEASING', stopped: 'STOPPED' } as const satisfies Record<Role, string>;

export interface SnapshotInput {
  cfg: Config;
  settings?: Settings; // the election's settings: the cluster view needs them
  state: State;
  monotonicNow: number; // the clock `state` is in
  wallNow: number;
  pid: number;
  vipHeld: boolean;
  hooksInProgress: string[];
  seq: bigint;
  authFailures: AuthFailure[];
}

export function snapshotOf(i: SnapshotInput): StateFile {
  const { cfg: c, state: s } = i;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    vhid: c.vhid,
    vip: c.vip,
    vips: c.vips,
    interface: c.interface,
    srcip: c.srcip,
    pid: i.pid,
    state: LABELS[s.role],
    since: iso(i.wallNow - (i.monotonicNow - s.since)),
    master: s.master?.address ?? null,
    masterEpoch: s.master?.epoch ?? null,
    epoch: s.epoch,
    maxEpochSeen: s.maxEpochSeen,
    reason: s.reason,
    serving: s.serving,
    vipHeld: i.vipHeld,
    hooksInProgress: i.hooksInProgress,
    // Not reserved ahead: after a reboot (/run wiped) the wall clock must be able to exceed what peers saw.
    seqFloor: String(i.seq),
    stopFailed: s.unclean ?? null,
    keptOut: { ...s.bars },
    authFailures: i.authFailures.map((f) => ({ from: f.from, count: f.count, since: iso(f.since), lastAt: iso(f.lastAt) })),
    ...(i.settings?.cluster === undefined ? {} : { cluster: clusterStatus(i.settings, s, i.monotonicNow) }),
    updatedAt: iso(i.wallNow),
  };
}
