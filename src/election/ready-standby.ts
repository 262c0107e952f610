// A graceful handover goes to a prepared standby: with -z and the cluster view, a master whose service has
// stopped (down hooks done) keeps the VIP, names the standby that takes over (with --data-version: one that
// reports the final data version, read after the stop), and waits until that standby says its prepare hooks
// passed. Only then does it remove the VIP and resign, so the service moves in one resign/claim round trip
// and no client retry falls into a gap without the address (Pacemaker's stop-then-start order, with the
// start prepared ahead). The wait is bounded: an operator's stop must not hang on a standby that never gets
// ready. The standby's side is prepared-handover.ts. Pure.
import { compareVersions, fresherWaitMs } from './freshness.js';
import { liveMembers } from './membership.js';
import { comparePreference, formatMs } from './timing.js';
import { enter, same } from './transitions.js';
import type { Effect, Event, Settings, State, Step } from './types.js';
import type { Handoff, Member } from './view.js';

// The wait, from the end of the down hooks: as long as a claim waits for a fresher peer (a standby's
// version run every few seconds plus one presence fit in it), plus the standby's prepare hooks.
export const readyWaitMs = fresherWaitMs;

// The down hooks are done and the VIP is still held: a stop that failed resigns at once (saying so); else
// the handover starts: measure the final version now (the service is stopped, so it no longer moves).
export function onServiceStopped(cfg: Settings, state: State, e: Extract<Event, { type: 'service-stopped' }>, now: number): Step {
  if (state.role !== 'releasing' || state.epoch !== e.epoch) return same(state);
  if (state.unclean !== undefined) return handOverNow(state, `the stop failed (${state.unclean}): resigning without a prepared handover`);
  const freshness = cfg.cluster?.freshness === true;
  const reason = `service stopped: waiting up to ${formatMs(readyWaitMs(cfg))} for a standby to ${freshness ? 'report the final data version and ' : ''}prepare`;
  const handoff: Handoff = { since: now, final: undefined };
  return { state: { ...state, reason, view: { ...state.view, handoff } }, effects: freshness ? [{ kind: 'measure-version' }] : [] };
}

// The VIP goes and then the resign: the removal reports 'released', which ends the release (onReleased).
export function handOverNow(state: State, reason: string): Step {
  const handoff: Handoff = { ...(state.view.handoff ?? { since: 0, final: undefined }), moving: reason };
  const effects: Effect[] = [{ kind: 'vip', op: 'remove', epoch: state.epoch }, { kind: 'report', event: { type: 'released', epoch: state.epoch } }];
  return { state: { ...state, reason, view: { ...state.view, handoff } }, effects };
}

// The VIP is gone: resign, with the reason the handover gave.
export function finishHandoff(cfg: Settings, state: State, now: number): Step | undefined {
  const h = state.view.handoff;
  if (h?.moving === undefined) return undefined;
  return enter(cfg, { ...state, view: { ...state.view, handoff: undefined } }, { role: 'stopped', released: true }, now, h.moving);
}

// After every step of a waiting master: the final version from the first reading after the stop, a
// successor named, and the VIP moved as soon as that successor is prepared, or when the wait is over.
export function withStandbyWait(cfg: Settings, step: Step, event: Event, now: number): Step {
  const s = step.state;
  const h = s.view.handoff;
  if (h === undefined || h.moving !== undefined || s.role !== 'releasing') return step;
  const freshness = cfg.cluster?.freshness === true;
  if (event.type === 'data-version' && freshness && h.final === undefined) {
    if (event.version === undefined) return then(step, handOverNow(s, `the final data version cannot be read (${event.problem ?? 'no number'}): resigning without waiting`));
    const read = { ...s, view: { ...s.view, handoff: { ...h, final: event.version } } };
    return withStandbyWait(cfg, { ...step, state: read }, { type: 'tick' }, now);
  }
  const successor = freshness && h.final === undefined ? undefined : chooseSuccessor(s, h, now);
  const named = successor === h.successor ? s : { ...s, view: { ...s.view, handoff: { ...h, successor } } };
  const m = successor === undefined ? undefined : named.view.members[successor];
  if (successor !== undefined && m?.prepared === true && m.epoch === s.epoch) {
    const version = h.final === undefined ? '' : `it reports the final data version ${String(h.final)} after ${formatMs(now - h.since)} and `;
    return then({ ...step, state: named }, handOverNow(named, `handing over to ${successor}: ${version}its prepare hooks passed${version === '' ? ` after ${formatMs(now - h.since)}` : ''}`));
  }
  if (now < h.since + readyWaitMs(cfg)) return { ...step, state: named };
  const why = freshness && h.final === undefined ? 'the final data version was not read in time' : freshness && successor === undefined ? lagOf(s, h.final ?? 0n, now) : successor === undefined ? 'no eligible standby heard' : `${successor} did not say its prepare hooks passed`;
  return then({ ...step, state: named }, handOverNow(named, `no standby prepared within ${formatMs(readyWaitMs(cfg))} (${why}): resigning anyway`));
}

function then(first: Step, second: Step): Step {
  return { state: second.state, effects: [...first.effects, ...second.effects] };
}

// When a waiting master must next look (its wait's end); undefined when it waits for nothing.
export function standbyWaitDeadline(cfg: Settings, state: State): number | undefined {
  const h = state.view.handoff;
  return h === undefined || h.moving !== undefined || state.role !== 'releasing' ? undefined : h.since + readyWaitMs(cfg);
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

// The standby that takes over: the one named already while it stays a live eligible standby; else, with
// --data-version, the most preferred of those that report the final version, without it the most preferred.
function chooseSuccessor(s: State, h: Handoff, now: number): string | undefined {
  const live = standbys(s, now).filter(([, m]) => h.final === undefined || (m.dataVersion !== undefined && m.dataVersion >= h.final));
  if (h.successor !== undefined && live.some(([a]) => a === h.successor)) return h.successor;
  const ranked = live.map(([address, m]) => ({ address, advbaseMs: m.advbaseMs, advskew: m.advskew })).sort(comparePreference);
  return ranked[0]?.address;
}

// "best 10.0.0.2 at 75, 2 behind 77", or that no standby reports a version.
function lagOf(s: State, final: bigint, now: number): string {
  const known = standbys(s, now).filter(([, m]) => m.dataVersion !== undefined);
  if (known.length === 0) return `no eligible standby reports a data version; final ${String(final)}`;
  const [address, m] = known.reduce((a, b) => (compareVersions(a[1].dataVersion, b[1].dataVersion) <= 0 ? a : b));
  const v = m.dataVersion ?? 0n;
  return `best ${address} at ${String(v)}, ${String(final - v)} behind the final ${String(final)}`;
}
