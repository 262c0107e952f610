// The client gate of the MooseFS pack (hooks/mfs/lib/mfs-gate.sh) with real floatd agents: after a host death the
// client's first data read is answered no later than shortly after its first metadata operation (without the
// gate the new master answers the read's chunk lookup before the chunkserver re-registered, and mfsmount waits a
// fixed 10 s: "there are no valid copies"); and no nftables rule of the gate outlives a promotion, a release, a
// failed promotion or a restart of floatd.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentProcess } from '../support/netns.js';
import { ClientProbe, writeReadFiles } from '../../scripts/bench-mfs/probe.js';
import { waitCaughtUp } from './mfs-data.js';
import { agentReport, becomes, isServing, packLines, startFloatd, stopAgents, type FloatdSpec } from './mfs-floatd.js';
import { createMfsLab, unavailable, VIP, type MfsHost, type MfsLab } from './mfs-lab.js';

const S1: FloatdSpec = { advbase: 0.3, advskew: 0 };
const S2: FloatdSpec = { advbase: 0.3, advskew: 50 };
const READS = 200;
// mfsmount re-queues a read without chunk locations for 10 s; 3 s leaves room for a busy machine and still fails
// whenever the read took that re-queue.
const READ_AFTER_META_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The gate's nftables table in host H's network namespace, or '' (the kernel's own ruleset, not the hooks' view).
function gateTable(h: MfsHost): string {
  const r = spawnSync('ip', ['netns', 'exec', h.ns, 'nft', 'list', 'tables', 'inet'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft list tables in ${h.ns} failed: ${r.stderr}`);
  return r.stdout.split('\n').find((l) => l.includes('floatd_mfs_gate')) ?? '';
}

describe.skipIf(unavailable !== undefined)(`MooseFS client gate under floatd${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let lab: MfsLab;
  let m1: MfsHost;
  let m2: MfsHost;
  let a1: AgentProcess | undefined;
  let a2: AgentProcess | undefined;
  let probe: ClientProbe | undefined;

  beforeAll(async () => {
    lab = createMfsLab({ masters: 2 });
    [m1, m2] = [lab.host('m1'), lab.host('m2')];
    lab.seed(m1);
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 serving', isServing, { timeoutMs: 30_000 });
    expect((await lab.startChunkserver()).code).toBe(0);
    a2 = startFloatd(lab, m2, S2);
    await a2.waitFor('m2 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    const mount = await lab.mount();
    expect(mount.code, mount.out).toBe(0);
    await writeReadFiles(lab, READS);
    await waitCaughtUp(lab, m2, m1);
  }, 180_000);
  beforeEach((ctx) => ctx.onTestFailed(() => console.error(agentReport([a1, a2]))));
  afterAll(async () => {
    await probe?.stop().catch(() => undefined);
    await stopAgents([a1, a2]);
    expect(lab?.teardown() ?? []).toEqual([]);
  });

  it('the first master opened its gate: clients reached it, and no gate table is left', () => {
    expect(packLines(a1!)).toContainEqual(expect.stringMatching(/60-open-clients: open client gate \(port 9421\): ok/));
    expect(gateTable(m1)).toBe('');
    expect(gateTable(m2)).toBe('');
  });

  it('a host death: the client reads data no later than 3 s after its first metadata operation on the new master', async () => {
    probe = new ClientProbe(lab, READS, VIP);
    await sleep(1500);
    const since = a2!.mark();
    const t0 = Date.now();
    lab.kill(m1);
    await a2!.waitFor('m2 serving', isServing, { since, timeoutMs: 60_000 });
    const vipAt = Number(a2!.lines.slice(since).find((l) => l.event === 'vip' && l.op === 'add')?.time ?? t0);
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline && !(probe.firstAfter('meta', t0, vipAt) && probe.firstAfter('read', t0, vipAt))) await sleep(100);
    const meta = probe.firstAfter('meta', t0, vipAt);
    const read = probe.firstAfter('read', t0, vipAt);
    const steps = packLines(a2!, since);
    const figures = `crash → VIP ${vipAt - t0} ms, metadata op ${meta ? meta.end - t0 : '—'} ms, data read ${read ? read.end - t0 : '—'} ms\n${steps.join('\n')}`;
    console.log(figures);
    expect(meta?.code, figures).toBe(0);
    expect(read?.code, figures).toBe(0);
    expect(read!.end - meta!.end, figures).toBeLessThanOrEqual(READ_AFTER_META_MS);
    expect(steps).toContainEqual(expect.stringMatching(/35-close-clients: close client gate .*: ok \(\d+ ms\)/));
    expect(steps).toContainEqual(expect.stringMatching(/60-open-clients: chunks known after \d+ ms: every chunk has a registered copy/));
    expect(gateTable(m2)).toBe('');
    await probe.stop();
    probe = undefined;
  }, 120_000);

  it('a graceful release and the next promotion leave no gate table on either host', async () => {
    lab.reboot(m1);
    a1 = startFloatd(lab, m1, S1);
    await a1.waitFor('m1 BACKUP', becomes('BACKUP'), { timeoutMs: 30_000 });
    await a1.waitFor('m1 metalogger', (l) => /start mfsmetalogger .*: ok|mfsmetalogger already running/.test(l.msg), { timeoutMs: 30_000 });
    await waitCaughtUp(lab, m1, m2);
    const since = a1.mark();
    a2!.kill('SIGTERM');
    await a2!.exited;
    await a1.waitFor('m1 serving', isServing, { since, timeoutMs: 60_000 });
    expect(packLines(a1, since)).toContainEqual(expect.stringMatching(/60-open-clients: open client gate \(port 9421\): ok/));
    expect(gateTable(m1)).toBe('');
    expect(gateTable(m2)).toBe('');
  }, 120_000);

  it('a gate left closed (a promotion cut short) is removed by the down hooks floatd runs at its start', async () => {
    const closed = await lab.hook(m2, 'prepare.d/35-close-clients');
    expect(closed.code, closed.out).toBe(0);
    expect(gateTable(m2)).toMatch(/table inet floatd_mfs_gate/);
    a2 = startFloatd(lab, m2, S2);
    // floatd runs down.d/ once at its start, beside its first BACKUP moments: wait for the step's line itself.
    await a2.waitFor('the start-up down hooks opened the gate', (l) => /15-open-clients: /.test(l.msg), { timeoutMs: 30_000 });
    expect(packLines(a2)).toContainEqual(expect.stringMatching(/15-open-clients: open client gate \(port 9421\): ok \(\d+ ms\)/));
    expect(gateTable(m2)).toBe('');
  }, 60_000);

  it('when nft cannot tell the gate state, the hooks fail (closed) and name the problem', async () => {
    const bin = join(lab.dir, 'broken-nft');
    spawnSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'nft'), '#!/bin/sh\necho "nft: netlink: Error: Could not process rule" >&2\nexit 1\n', { mode: 0o755 });
    const env = { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin` };
    const down = await lab.hook(m2, 'down.d/15-open-clients', env);
    expect(down.code).toBe(1);
    expect(down.out).toMatch(/FAILED: cannot read the client gate's state: nft list tables inet failed: nft: netlink: Error/);
    const up = await lab.hook(m2, 'prepare.d/35-close-clients', env);
    expect(up.code).toBe(1);
    expect(up.out).toMatch(/FAILED: close client gate .* exited 1/);
  });
});
