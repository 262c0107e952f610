// Fencing, flap damping and failure accounting, stepped through the pure machine.
import { describe, expect, it } from 'vitest';
import { nextDeadline, type Event } from '../../src/election/machine.js';
import { advert, backupState, hear, masterState, promotion, release, released, resignFrom, run, resigned, sendAdvert, settings, START, TICK, upFailed } from './helpers.js';

const serviceFailed = (epoch: number, detail = '/usr/lib/floatd/hooks/mfs/check exit code 1'): Event => ({ type: 'service-failed', epoch, detail });
const CLEAR: Event = { type: 'clear' };
const checked = (epoch: number, ok: boolean, detail = 'fence /x exit code 1'): Event => ({ type: 'checked', epoch, ok, detail });
// A slower master than a default node (advskew 0): advskew 100, same epoch 1.
const slow = (over: Parameters<typeof advert>[0] = {}) => advert({ advskew: 100, ...over });

describe('failed masterships count: after --failure-threshold within --failure-window the node stays out (Pacemaker migration-threshold)', () => {
  const cfg = settings({ failureThreshold: 2, failureWindowMs: 60_000, failureTimeoutMs: 120_000, cooldownMs: 1000 });

  it('a service check failure on the master releases in order like a failed up hook, with a cooldown', () => {
    const { state } = masterState(cfg);
    const r = run(cfg, [[4000, serviceFailed(1)]], state);
    expect(r.last).toEqual(release(1, '/usr/lib/floatd/hooks/mfs/check exit code 1'));
    expect(r.state).toMatchObject({ role: 'releasing', holdUntil: 5000, failures: [4000] });
    expect(r.state.bars).toEqual({});
  });

  it('a service-failed for another epoch, or on a backup, changes nothing', () => {
    const { state } = masterState(cfg);
    expect(run(cfg, [[4000, serviceFailed(2)]], state).last).toEqual([]);
    expect(run(cfg, [[4000, serviceFailed(0)]], backupState(cfg)).last).toEqual([]);
  });

  it('the second failure within the window bars the node: it stays BACKUP with the reason, until the failure timeout', () => {
    const { state } = masterState(cfg); // promoted at 3000, epoch 1
    let r = run(cfg, [[3500, upFailed(1)], [3600, released(1)], [6600, TICK]], state); // cooldown over at 4500: promotes at 6600
    expect(r.state).toMatchObject({ role: 'master', epoch: 2 });
    r = run(cfg, [[7000, serviceFailed(2)], [7100, released(2)]], r.state);
    expect(r.state.role).toBe('backup');
    expect(r.state.bars.failures).toBe('2 failed masterships within 60.0 s (last: /usr/lib/floatd/hooks/mfs/check exit code 1): staying out for 120.0 s or until floatd clear');
    // Silent cluster, long after the cooldown: still out; the only deadline is the failure timeout.
    expect(nextDeadline(r.state)).toBe(127_000);
    expect(run(cfg, [[60_000, TICK]], r.state).last).toEqual([]);
    const back = run(cfg, [[127_000, TICK]], r.state);
    expect(back.state.bars).toEqual({});
    expect(back.state.reason).toBe('failure timeout over: taking part again');
    // From a fresh master-down interval, not at once.
    expect(back.last).toEqual([]);
    expect(run(cfg, [[130_000, TICK]], back.state).last).toEqual(promotion(3, 'no master heard for 3.0 s'));
  });

  it('failures older than the window do not count', () => {
    const { state } = masterState(cfg);
    let r = run(cfg, [[3500, upFailed(1)], [3600, released(1)], [6600, TICK]], state);
    r = run(cfg, [[70_000, upFailed(2)], [70_100, released(2)]], r.state);
    expect(r.state.bars).toEqual({});
    expect(r.state.failures).toEqual([70_000]);
  });

  it('floatd clear lifts the bar at once, and the node hears the cluster for a master-down interval before it promotes', () => {
    const { state } = masterState(cfg);
    let r = run(cfg, [[3500, upFailed(1)], [3600, released(1)], [6600, TICK], [7000, upFailed(2)], [7100, released(2)]], state);
    expect(r.state.bars.failures).toBeDefined();
    r = run(cfg, [[10_000, CLEAR]], r.state);
    expect(r.state).toMatchObject({ bars: {}, failures: [], failuresClearAt: undefined, masterDownAt: 13_000 });
    expect(run(cfg, [[13_000, TICK]], r.state).last).toEqual(promotion(3, 'no master heard for 3.0 s'));
  });

  it('with --failure-timeout 0 only floatd clear lifts the bar', () => {
    const forever = settings({ failureThreshold: 1, failureTimeoutMs: 0, cooldownMs: 0 });
    const { state } = masterState(forever);
    const r = run(forever, [[3500, upFailed(1)], [3600, released(1)]], state);
    expect(r.state.bars.failures).toMatch(/staying out until floatd clear$/);
    expect(nextDeadline(r.state)).toBeUndefined();
  });

  it('with --failure-threshold 0 failures never bar the node', () => {
    const never = settings({ failureThreshold: 0, cooldownMs: 0 });
    let r = run(never, [[0, START], [3000, TICK]]);
    for (let i = 0; i < 5; i += 1) r = run(never, [[4000 + i * 10_000, upFailed(r.state.epoch)], [4100 + i * 10_000, released(r.state.epoch)], [7100 + i * 10_000, TICK]], r.state);
    expect(r.state.role).toBe('master');
    expect(r.state.bars).toEqual({});
  });

  it('clear on a node with no failures changes nothing but the count', () => {
    const s = backupState(cfg);
    expect(run(cfg, [[100, CLEAR]], s)).toMatchObject({ last: [], state: { ...s } });
  });
});

describe('preemption is damped: --preempt-delay after the node could take part, --min-dwell of the master as heard', () => {
  it('a -P node with --preempt-delay follows a slower master until the delay is over, then preempts on its next advert', () => {
    const cfg = settings({ preempt: true, preemptDelayMs: 5000 });
    const r = run(cfg, [[0, START], [1000, hear(slow())], [4000, hear(slow())]]);
    expect(r.effects.slice(1)).toEqual([[], []]);
    expect(r.state).toMatchObject({ role: 'backup', reason: 'not preempting 10.0.0.2 yet (preempt delay: 1.0 s left)' });
    const later = run(cfg, [[5000, hear(slow())]], r.state);
    expect(later.last).toEqual([sendAdvert(2)]);
  });

  it('--min-dwell: a -P node leaves a master it just heard in place until it has heard it hold for the dwell', () => {
    const cfg = settings({ preempt: true, minDwellMs: 10_000 });
    const r = run(cfg, [[0, START], [2000, hear(slow())], [11_000, hear(slow())]]);
    expect(r.state.reason).toBe('not preempting 10.0.0.2 yet (minimum dwell of the master: 1.0 s left)');
    expect(run(cfg, [[12_000, hear(slow())]], r.state).last).toEqual([sendAdvert(2)]);
  });

  it('the dwell starts again when the master begins a new mastership (a new epoch)', () => {
    const cfg = settings({ preempt: true, minDwellMs: 10_000 });
    const r = run(cfg, [[0, START], [1000, hear(slow())], [10_500, hear(slow({ epoch: 5 }))], [12_000, hear(slow({ epoch: 5 }))]]);
    expect(r.state.role).toBe('backup');
    expect(r.state.masterHeardSince).toBe(10_500);
  });

  it('the preempt delay counts from the end of a standby, not from the start', () => {
    const cfg = settings({ preempt: true, preemptDelayMs: 5000 });
    const r = run(cfg, [[0, START], [100, { type: 'bar', bar: 'standby', detail: 'operator standby' }], [20_000, { type: 'unbar', bar: 'standby' }], [21_000, hear(slow())]]);
    expect(r.state.reason).toBe('not preempting 10.0.0.2 yet (preempt delay: 4.0 s left)');
  });

  it('without delay and dwell a -P node preempts at once (ucarp)', () => {
    const cfg = settings({ preempt: true });
    expect(run(cfg, [[0, START], [1000, hear(slow())]]).last).toEqual([sendAdvert(2)]);
  });
});

describe('--fence: a backup fences the master it lost before it promotes after a failure, never after a resign or a preemption', () => {
  const cfg = settings({ fence: true });

  it('a master that falls silent is fenced first: the gate effect names it, and nothing else happens until the verdict', () => {
    const r = run(cfg, [[0, START], [1000, hear(advert())], [4000, TICK]]);
    expect(r.last).toEqual([{ kind: 'check', epoch: 2, context: { state: 'MASTER', previous: 'BACKUP', reason: 'master down: no advert from 10.0.0.2 for 3.0 s' }, claim: 'silent', fence: { target: '10.0.0.2' } }]);
    const ok = run(cfg, [[4500, checked(2, true, 'passed')]], r.state);
    expect(ok.last).toEqual(promotion(2, 'master down: no advert from 10.0.0.2 for 3.0 s'));
  });

  it('a failed fence keeps the node BACKUP and retries after the backoff', () => {
    const r = run(cfg, [[0, START], [1000, hear(advert())], [4000, TICK], [4500, checked(2, false, 'fence /etc/floatd/fence exit code 1')]]);
    expect(r.last).toEqual([]);
    expect(r.state).toMatchObject({ role: 'backup', reason: 'takeover check refused (fence /etc/floatd/fence exit code 1): staying BACKUP, next try in 1.0 s' });
    expect(nextDeadline(r.state)).toBe(5500);
    expect(run(cfg, [[5500, TICK]], r.state).last).toMatchObject([{ kind: 'check', fence: { target: '10.0.0.2' } }]);
  });

  it('a node that never heard a master asks the gate with no target (the driver looks in the run record)', () => {
    expect(run(cfg, [[0, START], [3000, TICK]]).last).toMatchObject([{ kind: 'check', fence: { target: undefined } }]);
  });

  it('after a resign the backup promotes without fencing', () => {
    const r = run(cfg, [[0, START], [1000, hear(advert())], [1500, hear(resignFrom())], [1500, TICK]]);
    expect(r.last).toEqual(promotion(2, 'master 10.0.0.2 resigned'));
  });

  it('a preempting backup does not fence the live master it preempts', () => {
    const pre = settings({ fence: true, preempt: true });
    expect(run(pre, [[0, START], [1000, hear(slow())]]).last).toEqual([sendAdvert(2)]);
  });

  it('with --takeover-check too, one gate effect carries both', () => {
    const both = settings({ fence: true, takeoverCheck: true });
    expect(run(both, [[0, START], [1000, hear(advert())], [4000, TICK]]).last).toMatchObject([{ kind: 'check', epoch: 2, fence: { target: '10.0.0.2' } }]);
    expect(run(both, [[0, START], [1000, hear(advert())], [1500, hear(resignFrom())], [1500, TICK]]).last).toEqual([{ kind: 'check', epoch: 2, context: { state: 'MASTER', previous: 'BACKUP', reason: 'master 10.0.0.2 resigned' }, claim: 'resigned' }]);
  });

  it('the resign that ends a barred release still goes out last', () => {
    const plain = settings();
    const { state } = masterState(plain);
    const r = run(plain, [[4000, { type: 'bar', bar: 'health', detail: 'h' }], [4100, released(1)]], state);
    expect(r.last).toEqual(resigned(1, 'h'));
  });
});
