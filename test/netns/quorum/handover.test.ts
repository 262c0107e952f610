// Graceful handovers that use the cluster view, in real namespaces (three nodes, --nodes 3, -z, a takeover
// check and a --data-version the test sets):
// - a resign heard by others: h2 is deaf to the master h1 (h1 still hears it) when h1 stops; h3 hears the resign and
//   says so in its presence, so h2 takes it as a resign: its takeover check is told `resigned`, not `silent`;
// - a ready standby: the next master stops with version 30 while the standbys are at 20; it waits until
//   one reports 30 and hands over to that one (h3), not to the preferred skew (h1).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { becomes, isServing, isStarting, joined, outDir, outputLines, skipNote, startAgent, transitions, unavailable, type AgentSpec } from '../faults/fault-lab.js';
import { deafen, healAll, quorumSpecs } from './quorum-lab.js';

const VIP = '198.51.100.118';
const VHID = 69;

const versionFile = (lab: Lab, host: number) => join(outDir(lab, lab.hosts[host]!, VHID), 'version');
const setVersion = (lab: Lab, host: number, v: number) => writeFileSync(versionFile(lab, host), `${v}\n`);

// -z, a takeover check that passes (and records FLOATD_CLAIM), and a --data-version reading a file.
function gated(lab: Lab, spec: AgentSpec, host: number, version: number): AgentSpec {
  const dir = outDir(lab, lab.hosts[host]!, VHID);
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'version.sh');
  setVersion(lab, host, version);
  writeFileSync(script, `#!/bin/sh\ncat ${versionFile(lab, host)}\n`, { mode: 0o755 });
  writeFileSync(join(dir, 'allow'), '');
  return { ...spec, shutdown: true, takeoverCheck: 'gate', extra: [...(spec.extra ?? []), '--data-version', script] };
}

describe.skipIf(unavailable !== undefined)(`quorum: handovers that use the view${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];
  let specs: AgentSpec[] = [];

  beforeAll(async () => {
    // The lab first: the scripts live in its directory.
    lab = await createLab({ hosts: 3 });
    specs = quorumSpecs(3, VHID, VIP).map((s, i) => gated(lab, s, i, 10));
    // A quorum of 2 of 3: h1 (the shorter master-down interval) and h2 start; h1 claims first and h2
    // supports it; then h3 joins.
    const [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
    agents = [startAgent(lab, h1, specs[0]!)];
    await agents[0]!.waitFor('h1 listening', isStarting);
    agents.push(startAgent(lab, h2, specs[1]!));
    await agents[0]!.waitFor('h1 serving', isServing, { timeoutMs: 15_000 });
    agents.push(startAgent(lab, h3, specs[2]!));
    await Promise.all(agents.slice(1).map((a) => joined(a)));
  }, 60_000);

  watchLab(() => lab);

  it('h2 missed the resign (deaf to h1), h3 heard it: h2 takes over as after a resign, its check told "resigned"', async () => {
    const [h1, h2, h3] = agents as [AgentProcess, AgentProcess, AgentProcess];
    await deafen(lab, h2.host, [h1.host]);
    // Long past h2's master-down interval: it seeks, but h3 still supports h1, so h2 cannot win.
    await new Promise((r) => setTimeout(r, 2000));
    expect(h1.state).toBe('MASTER');
    const marks = [h2.mark(), h3.mark()];
    h1.kill('SIGTERM');
    await h1.exited;
    const up = await h2.waitFor('h2 MASTER', becomes('MASTER'), { since: marks[0], timeoutMs: 10_000 });
    expect(up.reason).toMatch(/resigned/);
    await h2.waitFor('h2 serving', isServing, { since: marks[0] });
    expect(outputLines(lab, h2.host, VHID, 'checks').at(-1)).toMatch(/ claim=resigned$/);
    expect(transitions(h3, marks[1]).map((l) => l.state)).toEqual([]);
    await healAll(lab);
  }, 30_000);

  it('h1 rejoins; the master h2 stops at version 30: it waits for a standby at 30 and hands over to it (h3), not to h1 (skew 0)', async () => {
    const h1 = startAgent(lab, lab.hosts[0]!, specs[0]!);
    agents[0] = h1;
    await joined(h1);
    const [, h2, h3] = agents as [AgentProcess, AgentProcess, AgentProcess];
    setVersion(lab, 0, 20);
    setVersion(lab, 2, 20);
    setVersion(lab, 1, 30);
    await new Promise((r) => setTimeout(r, 3500)); // a --data-version run (every 3 s) on each node
    const marks = [h1.mark(), h2.mark(), h3.mark()];
    h2.kill('SIGTERM');
    await h2.waitFor('h2 waits', (l) => l.event === 'handoff-wait', { since: marks[1], timeoutMs: 10_000 });
    await h2.waitFor('h2 final', (l) => l.event === 'handoff-final' && l.version === '30', { since: marks[1] });
    // Still waiting: nobody reports 30 yet, nobody else takes over.
    await new Promise((r) => setTimeout(r, 1000));
    expect(h2.state).toBe('RELEASING');
    expect(transitions(h1, marks[0])).toEqual([]);
    expect(transitions(h3, marks[2])).toEqual([]);
    setVersion(lab, 2, 30);
    const stopped = await h2.waitFor('h2 hands over', becomes('STOPPED'), { since: marks[1], timeoutMs: 8000 });
    expect(stopped.reason).toMatch(new RegExp(`^handing over to ${lab.hosts[2]!.ip.replace(/\./g, '\\.')}: it reports the final data version 30 after `));
    await h3.waitFor('h3 serving', isServing, { since: marks[2], timeoutMs: 10_000 });
    expect(transitions(h1, marks[0])).toEqual([]);
    await h2.exited;
  }, 40_000);

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    expect(existsSync(versionFile(lab, 0))).toBe(true);
  });
});
