// What the log says about each step of the election: role changes with their reason, the moment a new
// master serves, a refused takeover with its backoff. Kept apart so the driver only hands steps over.
import type { Event, State } from '../election/machine.js';
import { formatMs } from '../election/timing.js';
import type { Logger } from '../log/log.js';
import { LABELS } from './snapshot.js';

// tickLateMs: how long after its deadline the timer that delivered this tick fired (the timer path's cost).
export function logStep(log: Logger, before: State, after: State, event: Event, now: number, tickLateMs?: number): void {
  if (after.role !== before.role) {
    const late = tickLateMs === undefined ? {} : { timerLateMs: Math.round(tickLateMs * 1000) / 1000 };
    const fields = { event: 'transition', state: LABELS[after.role], previous: LABELS[before.role], reason: after.reason, epoch: after.epoch, master: after.master?.address ?? null, ...late };
    log.info(fields, `${LABELS[before.role]} -> ${LABELS[after.role]}: ${after.reason}`);
  }
  // The handover's middle step for the bench's per-step table: when the resign arrived, and the skew wait it starts.
  const m = after.master;
  if (after.role === 'backup' && m?.resigned === true && before.master?.resigned !== true) {
    const waitMs = after.masterDownAt === undefined ? null : Math.round((after.masterDownAt - now) * 1000) / 1000;
    const how = m.unclean === true ? ' after a failed stop' : '';
    log.info({ event: 'resign-heard', from: m.address, epoch: m.epoch, waitMs, unclean: m.unclean === true }, `${m.address} resigned${how}: claiming in ${waitMs ?? '–'} ms unless a more preferred backup does first`);
  }
  if (after.role === 'master' && before.role === 'master' && before.handover && !after.handover) log.info({ event: 'handover', from: before.handover.from, epoch: after.epoch }, `${after.reason}: starting the service`);
  if (after.role === 'master' && after.handover && !before.handover) log.info({ event: 'handover-wait', from: after.handover.from, epoch: after.epoch }, `waiting for ${after.handover.from} to hand over before starting the service`);
  if (after.view.handoff !== undefined && before.view.handoff === undefined) log.info({ event: 'handoff-wait', epoch: after.epoch }, after.reason);
  const successor = after.view.handoff?.successor;
  if (successor !== undefined && successor !== before.view.handoff?.successor) log.info({ event: 'handoff-successor', successor, epoch: after.epoch }, `handing over to ${successor} once it has prepared (its prepare hooks run while this node still holds the VIP)`);
  const p = after.prepare;
  if (p !== undefined && p.stage !== before.prepare?.stage) log[p.stage === 'failed' ? 'warn' : 'info']({ event: 'prepare', stage: p.stage, from: p.from, epoch: p.epoch }, after.reason);
  if (after.view.handoff?.final !== undefined && before.view.handoff?.final === undefined) log.info({ event: 'handoff-final', epoch: after.epoch, version: String(after.view.handoff.final) }, `final data version ${after.view.handoff.final}: the standby that reports it takes over`);
  if (after.serving && !before.serving) log.info({ event: 'serving', epoch: after.epoch }, `MASTER ready: up hooks done ${formatMs(now - after.since)} after promotion`);
  // Every refusal is an error line, with the backoff the machine chose (never silent).
  if (event.type === 'checked' && !event.ok && before.checking?.epoch === event.epoch) log.error({ event: 'takeover-refused', detail: event.detail, epoch: event.epoch }, after.reason);
  if (after.unclean !== undefined && after.unclean !== before.unclean) log.error({ event: 'stop-failed', epoch: after.epoch, detail: after.unclean }, `the stop failed (${after.unclean}): the release goes on, its resign will say the stop failed so the next master probes and fences this node`);
  if (event.type === 'clear') log.info({ event: 'clear', barred: 'failures' in before.bars }, 'failure count cleared (floatd clear)');
  // The link has log lines of its own (interface down, send failures); the other bars are said here.
  for (const bar of Object.keys(after.bars) as (keyof State['bars'])[]) {
    if (bar !== 'link' && before.bars[bar] === undefined) log.warn({ event: 'bar', bar, detail: after.bars[bar] }, `kept out of mastership (${bar}): ${after.bars[bar]}`);
  }
  for (const bar of Object.keys(before.bars) as (keyof State['bars'])[]) {
    if (bar !== 'link' && after.bars[bar] === undefined) log.info({ event: 'unbar', bar }, `no longer kept out (${bar})`);
  }
}
