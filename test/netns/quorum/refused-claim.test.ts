// A refused claim under a quorum is tried again (two candidates and a witness, --nodes 3): the standby's
// takeover check refuses twice after the master's host dies, then passes; the standby promotes on the third
// try, each retry on the documented backoff (1 s, then 2 s), and the witness supports it then.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { becomes, isServing, isStarting, joined, killHost, outDir, outputLines, refusals, skipNote, startAgent, unavailable } from '../faults/fault-lab.js';
import { quorumSpecs, startWitness } from './quorum-lab.js';

const VIP = '198.51.100.121';
const VHID = 72;
const SPECS = quorumSpecs(3, VHID, VIP).map((s, i) => (i < 2 ? { ...s, takeoverCheck: 'gate' as const } : s));

describe.skipIf(unavailable !== undefined)(`quorum: a refused claim is retried${skipNote}`, () => {
  let lab: Lab;
  let h1: AgentProcess;
  let h2: AgentProcess;
  let w: AgentProcess;
  const allow = (host: number, on: boolean) => {
    const path = join(outDir(lab, lab.hosts[host]!, VHID), 'allow');
    if (on) writeFileSync(path, '');
    else rmSync(path, { force: true });
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    // outDir exists once agentArgs laid the host out: start h1 with its gate open.
    h1 = startAgent(lab, lab.hosts[0]!, SPECS[0]!);
    allow(0, true);
    await h1.waitFor('h1 listening', isStarting);
    w = startWitness(lab, lab.hosts[2]!, SPECS[2]!);
    h2 = startAgent(lab, lab.hosts[1]!, SPECS[1]!);
    await h1.waitFor('h1 serving', isServing, { timeoutMs: 15_000 });
    await joined(h2);
    await w.waitFor('witness BACKUP', becomes('BACKUP'));
  }, 60_000);

  watchLab(() => lab);

  it('refused twice, the third check passes: h2 promotes, each retry when its backoff ends', async () => {
    allow(1, false);
    const mark = h2.mark();
    await killHost(lab, h1, VIP);
    const first = await h2.waitFor('first refusal', (l) => l.event === 'takeover-refused', { since: mark, timeoutMs: 10_000 });
    const t1 = performance.now();
    expect(first.msg).toMatch(/next try in 1\.0 s/);
    const second = await h2.waitFor('second refusal', (l) => l.event === 'takeover-refused' && l !== first, { since: mark, timeoutMs: 5000 });
    const t2 = performance.now();
    expect(second.msg).toMatch(/next try in 2\.0 s/);
    expect(t2 - t1).toBeGreaterThanOrEqual(900);
    allow(1, true);
    const up = await h2.waitFor('h2 MASTER on the third try', becomes('MASTER'), { since: mark, timeoutMs: 8000 });
    expect(performance.now() - t2).toBeGreaterThanOrEqual(1800);
    expect(up.reason).toMatch(/supported by 2 of 3 voters/);
    await h2.waitFor('h2 serving', isServing, { since: mark });
    expect(refusals(h2, mark)).toHaveLength(2);
    expect(outputLines(lab, h2.host, VHID, 'checks').filter((l) => l.endsWith('claim=silent'))).toHaveLength(3);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  }, 40_000);
});
