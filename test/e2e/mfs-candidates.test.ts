// Three master candidates under floatd: when the preferred standby's restore fails, its promotion
// rolls back without the VIP ever being added and the next candidate takes over and serves every file. m3 is the
// last resort (-r 10): the candidates' takeover checks take ~2 s each, longer than their skews set them apart.
import { existsSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AddressMonitor, AgentProcess } from '../support/netns.js';
import { checksums, mountPids, waitCaughtUp, writeDataSet } from './mfs-data.js';
import { agentReport, becomes, daemons, isServing, MasterWatch, packLines, startFloatd, stopAgents, vipAddedOn, watchAddresses } from './mfs-floatd.js';
import { createMfsLab, unavailable, type MfsHost, type MfsLab } from './mfs-lab.js';

describe.skipIf(unavailable !== undefined)(`MooseFS with three master candidates${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m: MfsHost[];
  const agents: AgentProcess[] = [];
  let addresses: AddressMonitor;
  let masters: MasterWatch;

  beforeAll(async () => {
    lab = createMfsLab({ masters: 3 });
    m = ['m1', 'm2', 'm3'].map((n) => lab.host(n));
    addresses = await watchAddresses(lab);
    masters = new MasterWatch(lab);
  });
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport(agents))));
  afterAll(async () => {
    masters?.stop();
    await stopAgents(agents);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('a failing restore on the preferred standby rolls back without the VIP; the next candidate takes over and serves', async () => {
    const [m1, m2, m3] = m as [MfsHost, MfsHost, MfsHost];
    lab.seed(m1);
    agents.push(startFloatd(lab, m1, { advbase: 0.3, advskew: 0 }));
    await agents[0]!.waitFor('m1 serving', isServing, { timeoutMs: 30_000 });
    expect((await lab.startChunkserver()).code).toBe(0);
    agents.push(startFloatd(lab, m2, { advbase: 0.3, advskew: 20, extra: ['--cooldown', '30'] }), startFloatd(lab, m3, { advbase: 0.3, advskew: 40, extra: ['-r', '10'] }));
    const [a1, a2, a3] = agents as [AgentProcess, AgentProcess, AgentProcess];
    await Promise.all([a2, a3].map((a) => a.waitFor(`${a.host.name} BACKUP`, becomes('BACKUP'), { timeoutMs: 30_000 })));
    const mount = await lab.mount();
    expect(mount.code, mount.out).toBe(0);
    const mounted = mountPids(lab);
    await writeDataSet(lab, false);
    await waitCaughtUp(lab, m2, m1);
    await waitCaughtUp(lab, m3, m1);
    const before = await checksums(lab);
    // m2's metadata copy loses its second half: its header (what the takeover check reads) stays valid.
    // A young cluster's metalogger holds metadata_ml.tmp until its first hourly download gives metadata_ml.mfs.back.
    const back = ['metadata_ml.mfs.back', 'metadata_ml.tmp'].map((f) => join(m2.data, f)).find((f) => existsSync(f)) ?? '';
    truncateSync(back, Math.floor(statSync(back).size / 2));
    const died = performance.now();
    lab.kill(m1);
    await a1.exited;
    const failed = await a2.waitFor('m2 rolls back', (l) => l.event === 'transition' && l.state === 'RELEASING', { timeoutMs: 30_000 });
    expect(failed.reason).toMatch(/prepare\.d\/30-restore exited 1$/);
    expect(packLines(a2)).toContainEqual(expect.stringMatching(/30-restore: FAILED: .*refusing to start on it/));
    await a3.waitFor('m3 serving', isServing, { timeoutMs: 40_000 });
    expect(vipAddedOn(addresses, died)).toEqual(['m3']);
    expect(await checksums(lab, 90_000)).toBe(before);
    expect(mountPids(lab)).toEqual(mounted);
    expect(daemons(lab, m2)).toEqual(['mfsmetalogger']); // its rollback rejoined it as metalogger of m3
    expect(a2.state).toBe('BACKUP');
    expect(masters.overlaps).toEqual([]);
    expect(masters.most).toBe(1);
  }, 240_000);
});
