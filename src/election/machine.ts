// The election core: step(state, event, now) → { state, effects }. Pure — no IO, no clock; `now` is
// monotonic milliseconds supplied by the driver, which also carries out the effects in order.
import { nextAdvert } from './adverts.js';
import { barred, onBar, onClear, onUnbar } from './bars.js';
import { failuresExpired, recordFailure } from './failures.js';
import { handoverTimedOut } from './handover.js';
import { onAdvert } from './hearing.js';
import { onDataVersion } from './freshness.js';
import { finishHandoff, onServiceStopped } from './ready-standby.js';
import { onPrepareChecked, onPrepared, onPrepareFailed } from './prepared-handover.js';
import { handOverNow } from './ready-standby.js';
import { afterStep, beforeStep, clusterDeadline, earliest } from './quorum.js';
import { claim, onChecked, withoutCheck } from './takeover-gate.js';
import { formatMs, masterDownIntervalMs } from './timing.js';
import { after, enter, same } from './transitions.js';
import type { Event, Settings, State, Step } from './types.js';
import { emptyView, type ClaimKind } from './view.js';

export type { Bar, Effect, Event, HookContext, Peer, Role, Settings, State, Step } from './types.js';

// A fresh node, before 'start'. `maxEpochSeen` comes from the state file so a restarted node never
// reuses an epoch it already handed out.
export function initialState(now: number, maxEpochSeen = 0): State {
  return {
    role: 'init',
    since: now,
    reason: 'starting',
    epoch: maxEpochSeen,
    maxEpochSeen,
    master: undefined,
    nextAdvertAt: undefined,
    burst: { start: now, left: 0 },
    masterDownAt: undefined,
    holdUntil: 0,
    bars: {},
    skewWeight: 0,
    serving: false,
    unclean: undefined,
    prepare: undefined,
    exitAfterRelease: false,
    checking: undefined,
    checkFailures: 0,
    failures: [],
    failuresClearAt: undefined,
    eligibleSince: now,
    masterHeardSince: undefined,
    handover: undefined,
    view: emptyView(),
  };
}

// The single entry point of the election.
export function step(base: Settings, state: State, event: Event, now: number): Step {
  // The node's own timing and preference follow what it advertises: --advskew plus the weight.
  const cfg = effectiveSettings(base, state);
  // The cluster view takes in what it heard first and has the last word (quorum.ts).
  const seen = beforeStep(cfg, state, event, now);
  return afterStep(cfg, state, rules(cfg, seen.state, seen.event, now), seen.event, now);
}

function rules(cfg: Settings, state: State, event: Event, now: number): Step {
  switch (event.type) {
    case 'start':
      return start(cfg, state, now);
    case 'tick':
      return tick(cfg, state, now);
    case 'advert':
      return onAdvert(cfg, { ...state, maxEpochSeen: Math.max(state.maxEpochSeen, event.advert.epoch) }, event.advert, event.behind === true, now);
    case 'up-complete':
      return state.role === 'master' && state.epoch === event.epoch ? same({ ...state, serving: true }) : same(state);
    case 'up-failed':
      // A backup's up work is a prepared handover's prepare hooks.
      if (state.role === 'backup') return onPrepareFailed(cfg, state, event, now);
      return mastershipFailed(cfg, state, event.epoch, `up hook failed: ${event.detail}`, now);
    case 'service-failed':
      // The detail names the check and how it failed: `health check "…" failed 3 times in a row (exit code 1)`.
      return mastershipFailed(cfg, state, event.epoch, event.detail, now);
    case 'clear':
      return onClear(cfg, state, now);
    case 'released':
      return onReleased(cfg, state, event.epoch, now);
    case 'stop-failed':
      return onStopFailed(cfg, state, event, now);
    case 'service-stopped':
      return onServiceStopped(cfg, state, event, now);
    case 'prepared':
      return onPrepared(state, event);
    case 'tidied':
      // A stop that failed is not a clean stop: the exit says so (systemd shows the unit failed).
      return state.role === 'stopped' ? { state, effects: [{ kind: 'exit', code: state.unclean === undefined ? 0 : 1 }] } : same(state);
    case 'shutdown':
      return onShutdown(cfg, state, now);
    case 'demote':
      return onDemote(cfg, state, now);
    case 'checked':
      return event.prepare === true ? onPrepareChecked(cfg, state, event, now) : onChecked(cfg, state, event, now);
    case 'link':
      return event.up ? onUnbar(cfg, state, 'link', now) : onBar(cfg, state, 'link', event.detail ?? 'interface is down', now);
    case 'bar':
      return onBar(cfg, state, event.bar, event.detail, now);
    case 'unbar':
      return onUnbar(cfg, state, event.bar, now);
    case 'skew':
      return same({ ...state, skewWeight: event.weight });
    case 'data-version':
      return onDataVersion(state, event);
    default:
      return assertNever(event);
  }
}

// When the driver must next deliver a 'tick'; undefined means only other events can change anything.
export function nextDeadline(state: State, cfg?: Settings): number | undefined {
  const election = electionDeadline(state);
  return cfg === undefined ? election : earliest(election, clusterDeadline(cfg, state));
}

// The deadline of the election's own rules (a master's advert, a backup's master-down, the failure timeout).
function electionDeadline(state: State): number | undefined {
  const role = roleDeadline(state);
  const clears = state.role === 'stopped' ? undefined : state.failuresClearAt;
  if (clears === undefined) return role;
  return role === undefined ? clears : Math.min(role, clears);
}

function roleDeadline(state: State): number | undefined {
  switch (state.role) {
    case 'master':
      return state.handover === undefined || state.nextAdvertAt === undefined ? state.nextAdvertAt : Math.min(state.nextAdvertAt, state.handover.until);
    case 'releasing':
      return state.nextAdvertAt;
    case 'backup':
      if (barred(state) || state.masterDownAt === undefined || state.checking) return undefined;
      return Math.max(state.masterDownAt, state.holdUntil);
    case 'init':
    case 'stopped':
      return undefined;
    default:
      return assertNever(state.role);
  }
}

// A failed up hook, VIP or service check ends the mastership in order (down hooks, VIP removal, resign),
// keeps the node out for the cooldown and counts towards --failure-threshold. Already releasing: the down
// work is queued; a second release would run it twice.
function mastershipFailed(cfg: Settings, state: State, epoch: number, reason: string, now: number): Step {
  if (state.role !== 'master' || state.epoch !== epoch) return same(state);
  const counted = recordFailure(cfg, { ...state, holdUntil: now + cfg.cooldownMs }, now, reason);
  return enter(cfg, counted, { role: 'releasing', exitAfter: false }, now, reason);
}

function start(cfg: Settings, state: State, now: number): Step {
  if (state.role !== 'init') return same(state);
  return enter(cfg, state, { role: 'backup' }, now, 'started');
}

function tick(cfg: Settings, base: State, now: number): Step {
  // --failure-timeout ran out: the node may take part again, from a fresh master-down interval.
  if (!failuresExpired(base, now)) return roleTick(cfg, base, now);
  const lifted = onClear(cfg, base, now).state;
  return roleTick(cfg, lifted.role === 'backup' ? { ...lifted, reason: 'failure timeout over: taking part again' } : lifted, now);
}

function roleTick(cfg: Settings, state: State, now: number): Step {
  switch (state.role) {
    case 'master': {
      const handedOver = handoverTimedOut(state, now);
      return handedOver ? after(handedOver, advertTick(cfg, handedOver.state, now)) : advertTick(cfg, state, now);
    }
    case 'releasing':
      return advertTick(cfg, state, now);
    case 'backup': {
      const due = electionDeadline(state);
      if (due === undefined || now < due) return same(state);
      return claim(cfg, state, now, masterDownReason(cfg, state), claimKindAfter(state.master));
    }
    case 'init':
    case 'stopped':
      return same(state);
    default:
      return assertNever(state.role);
  }
}

function advertTick(cfg: Settings, state: State, now: number): Step {
  if (state.nextAdvertAt === undefined || now < state.nextAdvertAt) return same(state);
  return { state: nextAdvert(cfg, state, now), effects: [{ kind: 'send', type: 'advert', epoch: state.epoch, advskew: cfg.advskew }] };
}

// What the master this backup followed left behind: a clean resign is a handover; an unclean one or silence
// is a failure the gate probes (and fences).
function claimKindAfter(m: State['master']): ClaimKind {
  if (!m?.resigned) return 'failure';
  return m.unclean === true ? 'unclean' : 'handover';
}

function masterDownReason(cfg: Settings, state: State): string {
  const m = state.master;
  if (m?.resigned && m.unclean) return `master ${m.address} resigned after a failed stop`;
  if (m?.resigned) return `master ${m.address} resigned`;
  const silence = formatMs(masterDownIntervalMs(cfg, cfg.deadratio));
  return m ? `master down: no advert from ${m.address} for ${silence}` : `no master heard for ${silence}`;
}

function onReleased(cfg: Settings, state: State, epoch: number, now: number): Step {
  if (state.role !== 'releasing' || state.epoch !== epoch) return same(state);
  const handedOver = finishHandoff(cfg, state, now);
  if (handedOver !== undefined) return handedOver;
  if (state.exitAfterRelease) return enter(cfg, state, { role: 'stopped', released: true }, now, 'shutdown complete');
  return enter(cfg, state, { role: 'backup' }, now, state.reason);
}

// A down hook or the VIP removal of this release failed: the release goes on (the rest of the down work
// must still run), but its resign will say the stop failed, and the node stays out for the cooldown.
function onStopFailed(cfg: Settings, state: State, e: Extract<Event, { type: 'stop-failed' }>, now: number): Step {
  if (state.role !== 'releasing' || state.epoch !== e.epoch) return same(state);
  const detail = state.unclean === undefined ? e.detail : `${state.unclean}; ${e.detail}`;
  return same({ ...state, unclean: detail, holdUntil: Math.max(state.holdUntil, now + cfg.cooldownMs) });
}

function onShutdown(cfg: Settings, state: State, now: number): Step {
  switch (state.role) {
    case 'master':
      // Without -z ucarp just exits and leaves the VIP in place; a restarted floatd removes it.
      if (!cfg.shutdownHooks) return enter(cfg, state, { role: 'stopped' }, now, 'shutdown (no -z: VIP left in place)');
      return enter(cfg, state, { role: 'releasing', exitAfter: true }, now, 'shutdown requested');
    case 'releasing':
      if (!state.exitAfterRelease && cfg.shutdownHooks) return same({ ...state, exitAfterRelease: true });
      // Waiting for a standby to prepare: "now" means move the VIP and resign now.
      if (state.view.handoff !== undefined && state.view.handoff.moving === undefined) return handOverNow(state, 'shutdown requested again: resigning without waiting for a standby');
      if (state.view.handoff !== undefined) return same(state);
      // A second signal (or no -z) means "now": leave without waiting for the down hooks, as ucarp would.
      return enter(cfg, state, { role: 'stopped' }, now, 'shutdown requested while releasing: exiting now');
    case 'init':
    case 'backup':
      return enter(cfg, state, { role: 'stopped' }, now, 'shutdown requested');
    case 'stopped':
      // Still tidying up after the release (released.d/): another signal means "now", as ucarp would.
      return { state, effects: [{ kind: 'exit', code: 0 }] };
    default:
      return assertNever(state.role);
  }
}

function onDemote(cfg: Settings, state: State, now: number): Step {
  const held = { ...state, holdUntil: now + cfg.cooldownMs };
  if (state.role === 'master') return enter(cfg, held, { role: 'releasing', exitAfter: false }, now, `demoted by SIGUSR2 for ${formatMs(cfg.cooldownMs)}`);
  return withoutCheck(held);
}

// --advskew plus the weight, within the advert's 0–255.
export function effectiveAdvskew(cfg: Settings, state: State): number {
  return Math.min(255, Math.max(0, cfg.advskew + state.skewWeight));
}

function effectiveSettings(cfg: Settings, state: State): Settings {
  const advskew = effectiveAdvskew(cfg, state);
  return advskew === cfg.advskew ? cfg : { ...cfg, advskew };
}

function assertNever(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
