// The hook history is pure: finished hooks and gate verdicts in, the last few for `floatd status` out.
import { describe, expect, it } from 'vitest';
import { HOOK_HISTORY, HookHistory } from '../../src/agent/hook-history.js';
import type { HookResult } from '../../src/effects/hooks.js';

const result = (path: string, over: Partial<HookResult> = {}): HookResult => ({ path, ok: true, exitCode: 0, signal: null, timedOut: false, cancelled: false, durationMs: 12, ...over });
const AT = Date.parse('2025-01-02T03:04:05.000Z');

describe('HookHistory', () => {
  it('records phase, path, exit, signal, duration and end time of each hook, oldest first', () => {
    const h = new HookHistory();
    h.hook('up', result('/h/up.d/10-a'), AT);
    h.hook('down', result('/h/down.d/10-a', { ok: false, exitCode: null, signal: 'SIGKILL', timedOut: true, durationMs: 5000 }), AT + 1000);
    expect(h.hooks()).toEqual([
      { phase: 'up', path: '/h/up.d/10-a', ok: true, exitCode: 0, signal: null, timedOut: false, cancelled: false, durationMs: 12, endedAt: '2025-01-02T03:04:05.000Z' },
      { phase: 'down', path: '/h/down.d/10-a', ok: false, exitCode: null, signal: 'SIGKILL', timedOut: true, cancelled: false, durationMs: 5000, endedAt: '2025-01-02T03:04:06.000Z' },
    ]);
  });

  it(`keeps only the last ${HOOK_HISTORY}`, () => {
    const h = new HookHistory();
    for (let i = 0; i < 25; i++) h.hook('up', result(`/h/${i}`), AT + i);
    expect(h.hooks().map((r) => r.path)).toEqual(Array.from({ length: HOOK_HISTORY }, (_, i) => `/h/${i + 15}`));
  });

  it('keeps the last gate verdict only, and none before the gate was asked', () => {
    const h = new HookHistory();
    expect(h.lastGate()).toBeNull();
    h.gate(false, '/etc/floatd/check exited 1', AT);
    expect(h.lastGate()).toEqual({ ok: false, detail: '/etc/floatd/check exited 1', at: '2025-01-02T03:04:05.000Z' });
    h.gate(true, 'passed', AT + 2000);
    expect(h.lastGate()).toEqual({ ok: true, detail: 'passed', at: '2025-01-02T03:04:07.000Z' });
  });

  it('hands out copies: a caller cannot change what it holds', () => {
    const h = new HookHistory();
    h.hook('up', result('/h/a'), AT);
    const first = h.hooks();
    (first[0] as { path: string }).path = 'changed';
    expect(h.hooks()[0]?.path).toBe('/h/a');
  });
});
