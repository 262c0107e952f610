// The takeover gate (--takeover-check, --fence): a backup that would promote first asks the checks and, after
// a master failure, fences the master it lost, while it is still BACKUP and sends nothing, so a refusing
// node never advertises, never adds the VIP and never runs a hook. A refusal keeps it out for a growing
// backoff; hearing a master cancels a check under way. Pure.
import { enter, preparedFor, same } from './transitions.js';
import { formatMs } from './timing.js';
import type { Claim, Event, Settings, State, Step } from './types.js';
import type { ClaimKind, Seeking } from './view.js';

// 1 s, 2 s, 4 s … 60 s: retried for as long as no master is heard, each refusal logged (never silent).
export function checkBackoffMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}

// BACKUP → MASTER goes through the gate when there is one: the checks, and fencing after a failure only
// (a resigned master gave the VIP up itself; fencing it would only cost a power cycle).
export function claim(cfg: Settings, state: State, now: number, reason: string, kind: ClaimKind): Step {
  // With a quorum the claim waits for a majority's support (quorum.ts goes on with claimNow then); a
  // witness waits forever: it never supports itself.
  // --data-version: it waits while a fresher peer may claim first (freshness.ts).
  if (parksClaims(cfg)) {
    const since = state.view.seeking?.since ?? now;
    return same({ ...state, masterDownAt: undefined, view: { ...state.view, seeking: { reason, kind, since } } });
  }
  return claimNow(cfg, state, now, reason, kind);
}

// Whether a claim waits in the cluster view (seeking) before it goes on: a quorum, a witness, --data-version.
export function parksClaims(cfg: Settings): boolean {
  const c = cfg.cluster;
  return c !== undefined && (c.quorum > 0 || c.witness || c.freshness === true);
}

// The claim itself: through the gate when there is one, else straight to MASTER. parked: the claim as the
// cluster view held it, parked again if the gate refuses.
export function claimNow(cfg: Settings, state: State, now: number, reason: string, kind: ClaimKind, parked?: Seeking): Step {
  const fence = cfg.fence && kind !== 'handover' ? { target: state.master?.address } : undefined;
  // A live master (not one that resigned) is preempted: it hands over before this node starts the service.
  const from = kind === 'handover' && state.master !== undefined && !state.master.resigned ? state.master : undefined;
  // A standby prepared in a handover asked the gate before it prepared (prepared-handover.ts); a master that
  // went silent during the handover is still probed and fenced.
  if ((!cfg.takeoverCheck && fence === undefined) || (kind === 'handover' && preparedFor(state, state.maxEpochSeen + 1))) return enter(cfg, state, { role: 'master', from }, now, reason);
  if (state.checking) return same(state);
  const epoch = state.maxEpochSeen + 1;
  const context = { state: 'MASTER', previous: 'BACKUP', reason } as const;
  const told: Claim = kind === 'failure' ? 'silent' : kind === 'unclean' ? 'unclean' : from === undefined ? 'resigned' : 'preempt';
  return {
    state: { ...state, checking: { epoch, reason, ...(from === undefined ? {} : { from }), ...(parked === undefined ? {} : { parked }) } },
    effects: [fence === undefined ? { kind: 'check', epoch, context, claim: told } : { kind: 'check', epoch, context, claim: told, fence }],
  };
}

// The gate's verdict: promote, or stay BACKUP for the backoff. A verdict for a check that was cancelled
// (a master was heard) or overtaken is ignored.
export function onChecked(cfg: Settings, state: State, e: Extract<Event, { type: 'checked' }>, now: number): Step {
  const c = state.checking;
  if (state.role !== 'backup' || c === undefined || c.epoch !== e.epoch) return same(state);
  const cleared = { ...state, checking: undefined };
  if (e.ok) return enter(cfg, { ...cleared, checkFailures: 0 }, { role: 'master', from: c.from }, now, c.reason);
  const failures = state.checkFailures + 1;
  const wait = checkBackoffMs(failures);
  // A claim the cluster view held waits there again: it is tried anew once the backoff is over and it
  // still has what it needs (support, no fresher peer). Without one the master-down deadline brings it back.
  const view = c.parked === undefined ? cleared.view : { ...cleared.view, seeking: { ...c.parked, retryAt: now + wait } };
  return same({ ...cleared, view, checkFailures: failures, holdUntil: Math.max(state.holdUntil, now + wait), reason: `takeover check refused (${e.detail}): staying BACKUP, next try in ${formatMs(wait)}` });
}

// A check under way is moot (a master was heard, the node was barred): cancel it.
export function withoutCheck(state: State): Step {
  if (!state.checking) return same(state);
  return { state: { ...state, checking: undefined }, effects: [{ kind: 'cancel-up' }] };
}
