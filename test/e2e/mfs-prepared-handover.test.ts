// A prepared graceful handover with the MooseFS pack (two candidates with --nodes 3 and --data-version, a
// witness on the chunkserver host, a FUSE client): m1 stops with -z; its down.d/ stops mfsmaster while it keeps
// the VIP; once m2's metalogger reports m1's final version m1 names m2, whose prepare.d/ (stop the metalogger,
// restore, start mfsmaster) runs while m1 still holds the address; then the VIP moves in one round trip. Never
// two mfsmaster processes, every file reads back, and m1 exits 0.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AddressMonitor, AgentProcess } from '../support/netns.js';
import { checksums, mountPids, waitCaughtUp, writeDataSet, writeOne } from './mfs-data.js';
import { agentReport, becomes, daemons, isServing, MasterWatch, packLines, startFloatd, stopAgents, watchAddresses } from './mfs-floatd.js';
import { createMfsLab, unavailable, VIP, type MfsHost, type MfsLab } from './mfs-lab.js';
import { candidate, startWitness } from './mfs-witness-lab.js';

describe.skipIf(unavailable !== undefined)(`MooseFS: a prepared graceful handover${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m1: MfsHost;
  let m2: MfsHost;
  let cs: MfsHost;
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  let w: AgentProcess | undefined;
  let addresses: AddressMonitor;
  let masters: MasterWatch;

  beforeAll(async () => {
    lab = createMfsLab({ masters: 2, prefix: 'mh' });
    [m1, m2, cs] = [lab.host('m1'), lab.host('m2'), lab.host('cs')];
    addresses = await watchAddresses(lab);
    masters = new MasterWatch(lab);
  });
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport([a1, a2, w]))));
  afterAll(async () => {
    masters?.stop();
    await stopAgents([a1, a2, w]);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('m1 stops: m2 restores and starts mfsmaster while m1 holds the VIP, then the VIP moves; nothing lost', async () => {
    w = startWitness(lab, cs, 100);
    await w.waitFor('witness BACKUP', becomes('BACKUP'), { timeoutMs: 20_000 });
    lab.seed(m1);
    a1 = startFloatd(lab, m1, candidate(0));
    await a1.waitFor('m1 serving', isServing, { timeoutMs: 30_000 });
    a2 = startFloatd(lab, m2, candidate(50));
    await a2.waitFor('m2 metalogger started', (l) => /start mfsmetalogger .*: ok/.test(l.msg), { timeoutMs: 30_000 });
    expect((await lab.startChunkserver()).code).toBe(0);
    const mount = await lab.mount();
    expect(mount.code, mount.out).toBe(0);
    const mounted = mountPids(lab);
    await writeDataSet(lab, false);
    await writeOne(lab, 'just-before-the-stop');
    await waitCaughtUp(lab, m2, m1);
    const before = await checksums(lab);

    const since = [a1.mark(), a2.mark()];
    const t0 = performance.now();
    a1.kill('SIGTERM');
    const named = await a1.waitFor('m1 names m2', (l) => l.event === 'handoff-successor', { since: since[0], timeoutMs: 30_000 });
    expect(named.successor).toBe(m2.ip);
    const ready = await a2.waitFor('m2 prepared', (l) => l.event === 'prepare' && l.stage === 'ready', { since: since[1], timeoutMs: 60_000 });
    await a2.waitFor('m2 serving', isServing, { since: since[1], timeoutMs: 30_000 });
    expect((await a1.exited).code).toBe(0);

    // m2's restore and start ran as BACKUP, before m1 let the VIP go.
    const steps = packLines(a2, since[1]);
    expect(steps).toContainEqual(expect.stringMatching(/start mfsmaster .*: ok/));
    const moves = addresses.events.filter((e) => e.address === VIP && e.at >= t0);
    expect(moves.map((e) => `${e.op} ${e.host}`)).toEqual(['del m1', 'add m2']);
    expect(moves[0]!.at).toBeGreaterThan(ready.at - 50);
    expect(moves[1]!.at - moves[0]!.at).toBeLessThan(500);
    console.log(`prepared handover: SIGTERM → VIP off m1 ${Math.round(moves[0]!.at - t0)} ms, → on m2 ${Math.round(moves[1]!.at - t0)} ms`);
    expect(masters.overlaps).toEqual([]);
    expect(daemons(lab, m2)).toContain('mfsmaster');
    expect(await checksums(lab, 90_000)).toBe(before);
    expect(mountPids(lab)).toEqual(mounted);
  }, 240_000);
});
