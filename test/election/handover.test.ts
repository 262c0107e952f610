// Preemption as an ordered handover (stop before start): the preempting master claims at once but starts
// its service only when the master it preempted has resigned, or has been silent for a master-down interval.
import { describe, expect, it } from 'vitest';
import { nextDeadline, type Event } from '../../src/election/machine.js';
import { advert, backupState, hear, release, released, resignFrom, resigned, run, sendAdvert, serviceOf, settings } from './helpers.js';

const cfg = settings({ preempt: true });
const REASON = 'preempting 10.0.0.2 (interval 1.0 s < 1.039 s)';
// The old master: 10.0.0.2 at epoch 1, advskew 10 (slower than this node).
const old = (over: Parameters<typeof advert>[0] = {}) => advert({ advskew: 10, ...over });
const behind = (e: Event): Event => (e.type === 'advert' ? { ...e, behind: true } : e);
// Preempted at 500: claimed epoch 2, waiting for 10.0.0.2.
const waiting = () => run(cfg, [[500, hear(old())]], backupState(cfg)).state;

describe('a preempting master waits for the master it preempted to hand over', () => {
  it('it claims with an advert and nothing else: no prepare, no VIP, no hook, until the handover', () => {
    const r = run(cfg, [[500, hear(old())], [1500, { type: 'tick' }]], backupState(cfg));
    expect(r.effects).toEqual([[sendAdvert(2)], [sendAdvert(2)]]);
    expect(r.state).toMatchObject({ role: 'master', serving: false, handover: { from: '10.0.0.2', until: 3500 + 39.0625 } });
  });

  it("the old master's resign starts the service at once, in the usual order", () => {
    const r = run(cfg, [[900, hear(resignFrom({ advskew: 10 }))]], waiting());
    expect(r.last).toEqual(serviceOf(2, `${REASON}; 10.0.0.2 handed over`));
    expect(r.state).toMatchObject({ role: 'master', handover: undefined, reason: `${REASON}; 10.0.0.2 handed over` });
  });

  it("the old master's adverts while it releases move the deadline on; its silence for a master-down interval ends the wait", () => {
    let r = run(cfg, [[1000, hear(old())], [2000, hear(old())]], waiting());
    expect(r.effects).toEqual([[], []]);
    expect(r.state.handover?.until).toBe(5039.0625);
    expect(nextDeadline(r.state)).toBe(1500); // its own adverts go on meanwhile
    r = run(cfg, [[1500, { type: 'tick' }], [2500, { type: 'tick' }], [3500, { type: 'tick' }], [4500, { type: 'tick' }]], r.state);
    expect(r.effects.every((e) => e.length === 1 && e[0]?.kind === 'send')).toBe(true);
    expect(nextDeadline(r.state)).toBe(5039.0625);
    const silent = run(cfg, [[5039.0625, { type: 'tick' }]], r.state);
    expect(silent.last).toEqual(serviceOf(2, `${REASON}; 10.0.0.2 went silent`));
  });

  it('a resign or advert from any other node, or a behind resign from the old master, does not end the wait', () => {
    const s = waiting();
    expect(run(cfg, [[900, hear(resignFrom({ sender: '10.0.0.3' }))]], s).last).toEqual([]);
    expect(run(cfg, [[900, behind(hear(resignFrom({ advskew: 10 })))]], s).state.handover).toBeDefined();
    expect(run(cfg, [[900, hear(advert({ sender: '10.0.0.3', epoch: 1, advskew: 90 }))]], s).state.handover?.until).toBe(s.handover?.until);
  });

  it('a newer master heard while waiting makes it release a service it never started, and resign', () => {
    const r = run(cfg, [[900, hear(advert({ sender: '10.0.0.3', epoch: 3 }))]], waiting());
    expect(r.last).toEqual(release(2, 'newer master 10.0.0.3 (epoch 3 > 2)'));
    expect(r.state.handover).toBeUndefined();
    expect(run(cfg, [[1000, released(2)]], r.state).last).toEqual(resigned(2, 'newer master 10.0.0.3 (epoch 3 > 2)'));
  });

  it('a backup that takes over after a resign starts its service at once: no handover to wait for', () => {
    const r = run(settings(), [[500, hear(advert())], [900, hear(resignFrom())], [900, { type: 'tick' }]], backupState(settings()));
    expect(r.last).toEqual([sendAdvert(2), ...serviceOf(2, 'master 10.0.0.2 resigned')]);
    expect(r.state.handover).toBeUndefined();
  });
});
