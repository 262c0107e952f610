// A graceful handover goes to a ready standby: with -z and --data-version, a master
// whose service has stopped (down hooks done, VIP gone) reads its final data version and resigns once a
// standby reports that version, so the node that takes over holds every change. The wait is bounded:
// an operator's stop must not hang on a standby that never catches up. Pure.
import { compareVersions, fresherWaitMs } from './freshness.js';
import { liveMembers } from './membership.js';
import { formatMs } from './timing.js';
import { enter } from './transitions.js';
import type { Event, Settings, State, Step } from './types.js';
import type { Member } from './view.js';

// The wait, from the end of the down hooks: as long as a claim waits for a fresher peer (a standby's
// version run every few seconds plus one presence fit in it).
export const readyWaitMs = fresherWaitMs;

// Whether this release waits for a standby: a shutdown with -z (the agent exits after it) and a data version,
// and a stop that succeeded (after a failed one the data may still move: resign at once, saying so).
export function waitsForStandby(cfg: Settings, state: State): boolean {
  return state.exitAfterRelease && state.unclean === undefined && cfg.cluster?.freshness === true && cfg.cluster.witness !== true;
}

// The down work is done: measure the final version now (the service is stopped, so it no longer moves)
// and keep advertising as RELEASING until a standby has it.
export function awaitStandby(cfg: Settings, state: State, now: number): Step {
  const reason = `service stopped: waiting up to ${formatMs(readyWaitMs(cfg))} for a standby to report the final data version`;
  return { state: { ...state, reason, view: { ...state.view, handoff: { since: now, final: undefined } } }, effects: [{ kind: 'measure-version' }] };
}

// After every step of a waiting master: the final version taken from the first reading after the stop,
// then the resign as soon as a standby reports it, or when the wait is over.
export function withStandbyWait(cfg: Settings, step: Step, event: Event, now: number): Step {
  const s = step.state;
  const h = s.view.handoff;
  if (h === undefined || s.role !== 'releasing') return step;
  if (event.type === 'data-version' && h.final === undefined) {
    if (event.version === undefined) return resign(cfg, step, now, `the final data version cannot be read (${event.problem ?? 'no number'}): resigning without waiting`);
    const read = { ...s, view: { ...s.view, handoff: { ...h, final: event.version } } };
    return withStandbyWait(cfg, { ...step, state: read }, { type: 'tick' }, now);
  }
  const ready = h.final === undefined ? undefined : readyStandby(s, h.final, now);
  if (ready !== undefined) return resign(cfg, step, now, `handing over to ${ready.address}: it reports the final data version ${String(h.final)} after ${formatMs(now - h.since)}`);
  if (now < h.since + readyWaitMs(cfg)) return step;
  const lag = h.final === undefined ? 'the final data version was not read in time' : lagOf(s, h.final, now);
  return resign(cfg, step, now, `no standby caught up within ${formatMs(readyWaitMs(cfg))} (${lag}): resigning anyway`);
}

// When a waiting master must next look (its wait's end); undefined when it waits for nothing.
export function standbyWaitDeadline(cfg: Settings, state: State): number | undefined {
  const h = state.view.handoff;
  return h === undefined || state.role !== 'releasing' ? undefined : h.since + readyWaitMs(cfg);
}

// A standby asks for a fresh reading at each presence of the master it follows that is releasing and
// reports a newer version than its own last one: it is catching up now, and the master waits for it.
// (The runner does not start a second run while one is under way.)
export function wantsFreshVersion(before: State, after: State): boolean {
  const m = after.master === undefined ? undefined : after.view.members[after.master.address];
  if (after.role !== 'backup' || m === undefined || m.role !== 'releasing' || m.dataVersion === undefined) return false;
  const heard = before.view.members[after.master?.address ?? '']?.heardAt !== m.heardAt;
  return heard && compareVersions(m.dataVersion, after.view.dataVersion) < 0;
}

function standbys(s: State, now: number): [string, Member][] {
  return liveMembers(s.view, now).filter(([, m]) => m.role === 'backup' && m.eligible && !m.witness && !m.versionFailing);
}

function readyStandby(s: State, final: bigint, now: number): { address: string } | undefined {
  const ready = standbys(s, now).find(([, m]) => m.dataVersion !== undefined && m.dataVersion >= final);
  return ready === undefined ? undefined : { address: ready[0] };
}

// "best 10.0.0.2 at 75, 2 behind 77", or that no standby reports a version.
function lagOf(s: State, final: bigint, now: number): string {
  const known = standbys(s, now).filter(([, m]) => m.dataVersion !== undefined);
  if (known.length === 0) return `no eligible standby reports a data version; final ${String(final)}`;
  const [address, m] = known.reduce((a, b) => (compareVersions(a[1].dataVersion, b[1].dataVersion) <= 0 ? a : b));
  const v = m.dataVersion ?? 0n;
  return `best ${address} at ${String(v)}, ${String(final - v)} behind the final ${String(final)}`;
}

function resign(cfg: Settings, step: Step, now: number, reason: string): Step {
  const s = step.state;
  const r = enter(cfg, { ...s, view: { ...s.view, handoff: undefined } }, { role: 'stopped', released: true }, now, reason);
  return { state: r.state, effects: [...step.effects, ...r.effects] };
}
