// A failed stop is not a clean resign: a down hook or the VIP removal that fails makes the release unclean.
// The release still goes on to its end, but the resign says the stop failed, the next master's gate is told
// FLOATD_CLAIM=unclean (probes and --fence, as after a silent master), a backup that missed it never takes it
// for a handover, and a stop after it exits non-zero (Pacemaker: a failed stop is fenced, never trusted).
import { describe, expect, it } from 'vitest';
import { step, type Event, type Settings } from '../../src/election/machine.js';
import { presenceOf } from '../../src/election/presence.js';
import { advert, backupState, hear, masterState, released, resignFrom, run, settings, SHUTDOWN, TICK } from './helpers.js';

const stopFailed = (epoch: number, detail = 'down hook failed: /x/down.d/20-umount exited 32'): Event => ({ type: 'stop-failed', epoch, detail });

describe('a release whose stop failed', () => {
  const cfg = settings({ shutdownHooks: true });

  it('resigns saying the stop failed, and the agent then exits 1', () => {
    const { state: master, at } = masterState(cfg);
    const releasing = step(cfg, master, SHUTDOWN, at + 100).state;
    expect(releasing.role).toBe('releasing');
    const failed = step(cfg, releasing, stopFailed(master.epoch), at + 150).state;
    expect(failed.unclean).toBe('down hook failed: /x/down.d/20-umount exited 32');
    const r = step(cfg, failed, released(master.epoch), at + 200);
    expect(r.state.role).toBe('stopped');
    expect(r.effects[0]).toEqual({ kind: 'send', type: 'resign', epoch: master.epoch, advskew: 0, unclean: true });
    const tidied = step(cfg, r.state, { type: 'tidied' }, at + 300);
    expect(tidied.effects).toEqual([{ kind: 'exit', code: 1 }]);
  });

  it('a clean release resigns without the flag and exits 0', () => {
    const { state: master, at } = masterState(cfg);
    const releasing = step(cfg, master, SHUTDOWN, at + 100).state;
    const r = step(cfg, releasing, released(master.epoch), at + 200);
    expect(r.effects[0]).toEqual({ kind: 'send', type: 'resign', epoch: master.epoch, advskew: 0 });
    expect(step(cfg, r.state, { type: 'tidied' }, at + 300).effects).toEqual([{ kind: 'exit', code: 0 }]);
  });

  it('keeps the node out for the cooldown when it goes back to BACKUP', () => {
    const c = settings({ cooldownMs: 5000 });
    const { state: master, at } = masterState(c);
    const releasing = step(c, master, { type: 'demote' }, at + 100).state;
    const failed = step(c, releasing, stopFailed(master.epoch), at + 150).state;
    const backup = step(c, failed, released(master.epoch), at + 200).state;
    expect(backup.role).toBe('backup');
    expect(backup.holdUntil).toBeGreaterThanOrEqual(at + 150 + 5000);
    // The next mastership starts clean.
    expect(run(c, [[at + 20_000, TICK]], backup).state).toMatchObject({ role: 'master', unclean: undefined });
  });

  it('a failed down hook outside a release (the start-up down hooks) changes nothing', () => {
    const backup = backupState(cfg, 0);
    expect(step(cfg, backup, stopFailed(0), 10).state).toEqual(backup);
  });
});

describe('a backup that hears an unclean resign', () => {
  const gated = (over: Partial<Settings> = {}) => settings({ takeoverCheck: true, fence: true, ...over });

  it('claims as after a failure: its gate is told "unclean" and fences the old master', () => {
    const cfg = gated();
    const following = step(cfg, backupState(cfg, 0), hear(advert({ epoch: 4 })), 100).state;
    const heard = step(cfg, following, hear(resignFrom({ epoch: 4, unclean: true })), 200).state;
    expect(heard.master).toMatchObject({ address: '10.0.0.2', resigned: true, unclean: true });
    const r = step(cfg, heard, TICK, 200);
    expect(r.effects).toEqual([{ kind: 'check', epoch: 5, context: { state: 'MASTER', previous: 'BACKUP', reason: 'master 10.0.0.2 resigned after a failed stop' }, claim: 'unclean', fence: { target: '10.0.0.2' } }]);
  });

  it('after a clean resign the same gate is told "resigned" and fences nobody', () => {
    const cfg = gated();
    const following = step(cfg, backupState(cfg, 0), hear(advert({ epoch: 4 })), 100).state;
    const heard = step(cfg, following, hear(resignFrom({ epoch: 4 })), 200).state;
    expect(step(cfg, heard, TICK, 200).effects).toEqual([{ kind: 'check', epoch: 5, context: { state: 'MASTER', previous: 'BACKUP', reason: 'master 10.0.0.2 resigned' }, claim: 'resigned' }]);
  });

  it('does not report it as released in its presence (a backup that missed it must not take it for a handover)', () => {
    const cfg = gated({ cluster: { incarnation: 1, voters: 3, quorum: 2, witness: false } });
    const following = step(cfg, backupState(cfg, 0), hear(advert({ epoch: 4 })), 100).state;
    const unclean = step(cfg, following, hear(resignFrom({ epoch: 4, unclean: true })), 200).state;
    const clean = step(cfg, following, hear(resignFrom({ epoch: 4 })), 200).state;
    expect(presenceOf(cfg, unclean, 250).released).toBe(false);
    expect(presenceOf(cfg, clean, 250).released).toBe(true);
  });
});

describe('a preempting master whose old master resigns after a failed stop', () => {
  it('does not start its service beside it: it gives its claim up in order', () => {
    const cfg = settings({ preempt: true, advbaseMs: 1000, advskew: 0 });
    const following = step(cfg, backupState(cfg, 0), hear(advert({ epoch: 4, advskew: 100 })), 100);
    // -P and a shorter interval: it preempts at once and waits for the old master's handover.
    const preempting = step(cfg, following.state, hear(advert({ epoch: 4, advskew: 100, seq: 2n })), 1200).state;
    expect(preempting).toMatchObject({ role: 'master', handover: { from: '10.0.0.2' } });
    const r = step(cfg, preempting, hear(resignFrom({ epoch: 4, unclean: true, seq: 3n })), 1300);
    expect(r.state.role).toBe('releasing');
    expect(r.state.reason).toBe('10.0.0.2 resigned after a failed stop: not starting the service beside it');
    expect(r.effects.filter((e) => e.kind === 'hooks' && e.phase !== 'down')).toEqual([]);
    expect(r.effects.filter((e) => e.kind === 'vip' && e.op === 'add')).toEqual([]);
  });
});
