// The freshest standby wins: a node's data version (--data-version) rides in its
// presence; a backup whose master is lost does not claim while a live eligible peer reports a strictly
// newer version, for at most FRESHER_WAIT (the fresher one's gate or prepare may fail). Pure.
import { liveMembers } from './membership.js';
import { masterDownIntervalMs } from './timing.js';
import type { Event, Settings, State, Step } from './types.js';

// Negative when version a is fresher; unknown is the least fresh.
export function compareVersions(a: bigint | undefined, b: bigint | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a > b ? -1 : 1;
}

// How long a claim waits for a fresher peer to claim first: long enough for that peer's skew and takeover
// checks, short enough that a fresher peer that cannot serve delays a failover only by this much.
export function fresherWaitMs(cfg: Settings): number {
  return Math.max(2 * masterDownIntervalMs(cfg, cfg.deadratio), 5000);
}

// A new reading of --data-version: a number, or why there is none (a node without one is the least fresh).
export function onDataVersion(state: State, e: Extract<Event, { type: 'data-version' }>): Step {
  const view = e.problem === undefined ? { ...state.view, dataVersion: e.version, versionFailing: undefined } : { ...state.view, versionFailing: e.problem };
  return { state: { ...state, view }, effects: [] };
}

// This node's version as it ranks: unknown while its command fails.
export function ownVersion(state: State): bigint | undefined {
  return state.view.versionFailing !== undefined ? undefined : state.view.dataVersion;
}

// The fresher eligible peer this node's claim waits for, if any (and while the wait lasts).
export function fresherPeer(cfg: Settings, state: State, now: number): string | undefined {
  const seeking = state.view.seeking;
  if (seeking === undefined || now >= seeking.since + fresherWaitMs(cfg)) return undefined;
  const mine = ownVersion(state);
  for (const [address, m] of liveMembers(state.view, now)) {
    if (m.witness || !m.eligible || m.versionFailing || m.role !== 'backup') continue;
    if (compareVersions(m.dataVersion, mine) < 0) return address;
  }
  return undefined;
}

// "10.0.0.1=77 10.0.0.2=75 10.0.0.3=?" for the hooks (FLOATD_DATA_VERSIONS): this node first, then the live
// peers, then the last master heard when it is silent now (its last version), then each witness with the
// last master's version it relays. A hook that will not serve older data compares them with its own.
export function versionsSeen(cfg: Settings, state: State, now: number): string {
  const show = (v: bigint | undefined) => (v === undefined ? '?' : String(v));
  const live = liveMembers(state.view, now);
  const others = live.filter(([, m]) => !m.witness).map(([address, m]) => `${address}=${show(m.versionFailing ? undefined : m.dataVersion)}`);
  const last = state.view.lastMaster;
  const gone = last !== undefined && last.address !== cfg.self && !live.some(([address]) => address === last.address) ? [`${last.address}=${String(last.version)}`] : [];
  const relays = live.filter(([, m]) => m.witness && m.dataVersion !== undefined).map(([address, m]) => `${address}=${String(m.dataVersion)}`);
  return [`${cfg.self}=${show(ownVersion(state))}`, ...others, ...gone, ...relays].join(' ');
}
