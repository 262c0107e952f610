// The metrics as a scrape shows them, driven by the real election machine (no sockets: the source is the
// state the steps leave), so each sample is checked against what the election did.
import { describe, expect, it } from 'vitest';
import { initialState, step, type Event, type Settings, type State } from '../../src/election/machine.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { settings } from '../election/helpers.js';
import { sample } from './samples.js';

// A node with a takeover check, stepped by hand; the clock is the test's.
function node(cfg: Settings) {
  let state: State = initialState(0);
  let now = 0;
  let vip = false;
  const drops = new Map<string, number>();
  const metrics = new PrometheusMetrics({ settings: cfg, state: () => state, now: () => now, vipHeld: () => vip, drops: () => drops });
  return {
    metrics,
    drops,
    get state() {
      return state;
    },
    at(t: number, event: Event) {
      now = t;
      const before = state;
      state = step(cfg, before, event, t).state;
      metrics.stepped(before, state, event, t);
    },
    vipAdded(t: number) {
      now = t;
      vip = true;
      metrics.vip(true, t);
    },
    scrape: () => metrics.text(),
  };
}

describe('floatd metrics', () => {
  it('count a failover by its cause and time its steps from the claim: promoted, VIP added, serving', async () => {
    const n = node(settings({ takeoverCheck: true }));
    n.at(0, { type: 'start' });
    n.at(3100, { type: 'tick' }); // no master for the master-down interval: the claim, the gate asked
    expect(n.state.checking).toBeDefined();
    n.at(3400, { type: 'checked', epoch: n.state.checking!.epoch, ok: true, detail: 'passed' });
    n.vipAdded(3450);
    n.at(3700, { type: 'up-complete', epoch: n.state.epoch });
    const text = await n.scrape();
    expect(sample(text, 'floatd_transitions_total', { from: 'INIT', to: 'BACKUP', reason: 'start' })).toBe(1);
    expect(sample(text, 'floatd_transitions_total', { from: 'BACKUP', to: 'MASTER', reason: 'master-down' })).toBe(1);
    expect(sample(text, 'floatd_become_master_total')).toBe(1);
    expect(sample(text, 'floatd_is_master', { vhid: '7' })).toBe(1);
    expect(sample(text, 'floatd_state', { state: 'MASTER' })).toBe(1);
    expect(sample(text, 'floatd_state', { state: 'BACKUP' })).toBe(0);
    expect(sample(text, 'floatd_serving')).toBe(1);
    expect(sample(text, 'floatd_epoch')).toBe(1);
    expect(sample(text, 'floatd_last_failover_step_seconds', { step: 'promoted' })).toBeCloseTo(0.3, 6);
    expect(sample(text, 'floatd_last_failover_step_seconds', { step: 'vip_added' })).toBeCloseTo(0.35, 6);
    expect(sample(text, 'floatd_last_failover_step_seconds', { step: 'serving' })).toBeCloseTo(0.6, 6);
    const claimedAt = sample(text, 'floatd_last_failover_timestamp_seconds')!;
    // The claim was 0.6 s before "now" (the test clock's 3700), said in Unix time.
    expect(Math.abs(claimedAt - (Date.now() / 1000 - 0.6))).toBeLessThan(1);
  });

  it('a release keeps its cause to its end: MASTER → RELEASING → BACKUP both count as standby', async () => {
    const n = node(settings());
    n.at(0, { type: 'start' });
    n.at(3100, { type: 'tick' });
    n.at(3200, { type: 'up-complete', epoch: n.state.epoch });
    n.at(5000, { type: 'bar', bar: 'standby', detail: 'operator standby (floatd standby)' });
    expect(n.state.role).toBe('releasing');
    n.at(5500, { type: 'released', epoch: n.state.epoch });
    expect(n.state.role).toBe('backup');
    const text = await n.scrape();
    expect(sample(text, 'floatd_transitions_total', { from: 'MASTER', to: 'RELEASING', reason: 'standby' })).toBe(1);
    expect(sample(text, 'floatd_transitions_total', { from: 'RELEASING', to: 'BACKUP', reason: 'standby' })).toBe(1);
    expect(sample(text, 'floatd_release_master_total')).toBe(1);
    expect(sample(text, 'floatd_kept_out', { bar: 'standby' })).toBe(1);
    expect(sample(text, 'floatd_is_master')).toBe(0);
  });

  it('adverts, drops and hooks are counted; every drop reason has a series from the start', async () => {
    const n = node(settings());
    let text = await n.scrape();
    expect(sample(text, 'floatd_adverts_dropped_total', { reason: 'bad-hmac' })).toBe(0);
    expect(sample(text, 'floatd_hook_failures_total', { phase: 'up' })).toBe(0);
    n.metrics.sent('advert');
    n.metrics.sent('advert');
    n.metrics.sent('resign');
    n.metrics.received('advert', false);
    n.metrics.received('presence', true);
    n.drops.set('bad-hmac', 4);
    n.metrics.hookEnded('up', { path: '/h/up.d/10-a', ok: true, durationMs: 120, exitCode: 0, signal: null, timedOut: false, cancelled: false } as never);
    n.metrics.hookEnded('up', { path: '/h/up.d/20-b', ok: false, durationMs: 2000, exitCode: 1, signal: null, timedOut: false, cancelled: false } as never);
    text = await n.scrape();
    expect(sample(text, 'floatd_adverts_sent_total', { type: 'advert' })).toBe(2);
    expect(sample(text, 'floatd_adverts_sent_total', { type: 'resign' })).toBe(1);
    expect(sample(text, 'floatd_adverts_received_total', { type: 'presence' })).toBe(1);
    expect(sample(text, 'floatd_adverts_behind_total')).toBe(1);
    expect(sample(text, 'floatd_adverts_dropped_total', { reason: 'bad-hmac' })).toBe(4);
    expect(sample(text, 'floatd_hook_runs_total', { phase: 'up' })).toBe(2);
    expect(sample(text, 'floatd_hook_failures_total', { phase: 'up' })).toBe(1);
    expect(sample(text, 'floatd_hook_duration_seconds_count', { phase: 'up' })).toBe(2);
    expect(sample(text, 'floatd_hook_duration_seconds_bucket', { phase: 'up', le: '0.25' })).toBe(1);
    expect(sample(text, 'floatd_build_info')).toBe(1);
  });
});
