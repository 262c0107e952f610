// What the effect runner reports when a release's own work fails: a VIP removal or a down hook that fails
// is a failed stop (the release carries on, the election hears 'stop-failed'); released.d/ only tidies up.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { EffectRunner } from '../../src/agent/effect-runner.js';
import type { Config } from '../../src/config/config.js';
import type { VipDriver, VipResult } from '../../src/effects/vip.js';
import { validate } from '../../src/config/config.js';

const configWith = (hooksDir?: string): Config =>
  validate({ interface: 'eth0', srcip: '198.51.100.1', vhid: '10', addr: '198.51.100.99', passfile: '/etc/floatd/key', ...(hooksDir === undefined ? {} : { 'hooks-dir': hooksDir }) });

const vipDriver = (remove: VipResult): VipDriver => ({ add: async () => ({ ok: true, changed: true }), remove: async () => remove, removeNow: () => remove });
const context = { state: 'BACKUP', previous: 'MASTER', reason: 'test' } as const;

function runner(cfg: Config, vip: VipDriver): EffectRunner {
  return new EffectRunner({ cfg, log: pino({ level: 'silent' }), vip, announcer: { announce: () => undefined, stop: () => undefined }, record: () => undefined, onVip: () => undefined, onHookStart: () => undefined, onHookEnd: () => undefined });
}

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

// A hooks directory whose down.d/ and released.d/ each hold one script that exits 1.
function failingHooks(): string {
  const dir = mkdtempSync(join(tmpdir(), 'floatd-runner-'));
  made.push(dir);
  for (const phase of ['down.d', 'released.d']) {
    mkdirSync(join(dir, phase));
    writeFileSync(join(dir, phase, '10-fail'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(dir, phase, '10-fail'), 0o755);
  }
  return dir;
}

describe('a failed stop comes back to the election', () => {
  it('a VIP removal that fails carries on and reports stop-failed with the error', async () => {
    const cfg = configWith();
    const r = await runner(cfg, vipDriver({ ok: false, error: 'netlink del: EPERM' })).run({ kind: 'vip', op: 'remove', epoch: 3 }, new AbortController().signal);
    expect(r).toEqual({ carryOn: true, event: { type: 'stop-failed', epoch: 3, detail: 'cannot remove the VIP: netlink del: EPERM' } });
  });

  it('a VIP removal that works reports nothing', async () => {
    const r = await runner(configWith(), vipDriver({ ok: true, changed: true })).run({ kind: 'vip', op: 'remove', epoch: 3 }, new AbortController().signal);
    expect(r).toEqual({ carryOn: true });
  });

  it('a down hook that fails reports stop-failed; a released.d/ hook that fails does not', async () => {
    const cfg = configWith(failingHooks());
    const run = runner(cfg, vipDriver({ ok: true, changed: false }));
    const down = await run.run({ kind: 'hooks', phase: 'down', group: 'dir', epoch: 4, context }, new AbortController().signal);
    expect(down.carryOn).toBe(true);
    expect(down.event).toMatchObject({ type: 'stop-failed', epoch: 4, detail: expect.stringMatching(/^down hook failed: .*down\.d\/10-fail exited 1$/) });
    const tidy = await run.run({ kind: 'hooks', phase: 'released', group: 'dir', epoch: 4, context }, new AbortController().signal);
    expect(tidy).toEqual({ carryOn: true });
  });
});
