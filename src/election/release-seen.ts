// The takeover gate uses the view: a backup that missed its master's resign (lost, or
// it was deaf to the master for a while) learns of it from the others. A resign is authenticated and
// sent only once the master's VIP is gone and its down hooks ran, so a mastership that ended that way
// needs no probe and no fencing: the claim is a handover (FLOATD_CLAIM=resigned). Pure.
import { liveMembers } from './membership.js';
import { resignDelayMs } from './timing.js';
import type { Settings, State, Step } from './types.js';

// Who knows that the mastership this backup follows ended in order: the master itself and every live
// voter whose presence says it heard that mastership's resign (flag `released`, same epoch). Empty
// while nobody reports it.
export function releaseWitnesses(cfg: Settings, state: State, now: number): string[] {
  const m = state.master;
  if (m === undefined) return [];
  const reports = liveMembers(state.view, now)
    .filter(([address, x]) => address !== cfg.self && address !== m.address && x.voter && x.released && x.epoch === m.epoch)
    .map(([address]) => address);
  return reports.length === 0 ? [] : [m.address, ...reports];
}

// How many must know it: a quorum when there is one, else the master and one report.
export function releaseNeeds(cfg: Settings): number {
  return Math.max(2, cfg.cluster?.quorum ?? 0);
}

// A backup whose master went silent to it, but whose resign enough others heard, takes it as a resign:
// it claims after the short resign delay instead of the full master-down interval, as a handover, and
// its support of that master ends as a resign ends it (membership.ts). Its entry goes too: what it last
// said (master) is over, and its next presence, if it still runs, brings it back.
export function withReleaseSeen(cfg: Settings, step: Step, now: number): Step {
  const s = step.state;
  const m = s.master;
  if (s.role !== 'backup' || m === undefined || m.resigned || s.checking !== undefined || cfg.cluster?.witness === true) return step;
  const seen = releaseWitnesses(cfg, s, now);
  if (seen.length < releaseNeeds(cfg)) return step;
  const reason = `master ${m.address} resigned (heard by ${seen.slice(1).join(', ')})`;
  const seeking = s.view.seeking === undefined ? undefined : { ...s.view.seeking, kind: 'handover' as const, reason };
  const due = now + resignDelayMs(cfg, cfg.deadratio);
  const support = s.view.support?.address === m.address ? undefined : s.view.support;
  const members = Object.fromEntries(Object.entries(s.view.members).filter(([address]) => address !== m.address));
  const masterDownAt = seeking === undefined ? Math.min(s.masterDownAt ?? due, due) : s.masterDownAt;
  return { ...step, state: { ...s, master: { ...m, resigned: true }, masterDownAt, view: { ...s.view, seeking, support, members } } };
}
