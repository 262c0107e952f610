// The freshest standby wins, in real namespaces: three candidates with --nodes 3 and a
// --data-version command that prints a number the test sets. When the master's host dies, the backup with
// the newest data promotes whatever the skews; when the freshest one's prepare hook fails, the next takes over.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { becomes, isServing, joined, killHost, outDir, skipNote, startAgent, transitions, unavailable, type AgentSpec } from '../faults/fault-lab.js';
import { quorumLab, quorumSpecs } from './quorum-lab.js';

const VIP = '198.51.100.115';
const VHID = 66;

// Each host's --data-version prints the number in its output directory's `version` file.
function withVersion(lab: Lab, spec: AgentSpec, host: number, version: number): AgentSpec {
  const dir = outDir(lab, lab.hosts[host]!, VHID);
  const script = join(dir, 'version.sh');
  writeFileSync(join(dir, 'version'), `${version}\n`);
  writeFileSync(script, `#!/bin/sh\ncat ${join(dir, 'version')}\n`, { mode: 0o755 });
  return { ...spec, prepare: ['fail-if-flagged'], cooldown: 30, extra: [...(spec.extra ?? []), '--data-version', script] };
}

const setVersion = (lab: Lab, host: number, version: number) => writeFileSync(join(outDir(lab, lab.hosts[host]!, VHID), 'version'), `${version}\n`);
const failPrepare = (lab: Lab, host: number) => writeFileSync(join(outDir(lab, lab.hosts[host]!, VHID), 'fail-prepare'), '');

describe.skipIf(unavailable !== undefined)(`freshest standby wins${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];
  let specs: AgentSpec[] = [];

  beforeAll(async () => {
    // The lab exists before the specs (the scripts live in its directory): build it with plain specs, then
    // restart each agent with its --data-version.
    const base = quorumSpecs(3, VHID, VIP);
    ({ lab, agents } = await quorumLab(3, base));
    for (const a of agents) a.kill('SIGKILL');
    await Promise.all(agents.map((a) => a.exited));
    specs = [withVersion(lab, base[0]!, 0, 1), withVersion(lab, base[1]!, 1, 5), withVersion(lab, base[2]!, 2, 9)];
    agents = [startAgent(lab, lab.hosts[0]!, specs[0]!)];
    await agents[0]!.waitFor('h1 BACKUP', becomes('BACKUP'));
    agents.push(startAgent(lab, lab.hosts[1]!, specs[1]!), startAgent(lab, lab.hosts[2]!, specs[2]!));
    await Promise.all(agents.map((a) => joined(a)));
    // h3's version 9 is the newest: it wins the start whatever its skew of 100.
    await agents[2]!.waitFor('h3 serving', isServing, { timeoutMs: 10_000 });
  }, 40_000);

  watchLab(() => lab);

  it('the node with the newest data promotes at start, whatever the skews', () => {
    expect(agents.map((a) => a.state)).toEqual(['BACKUP', 'BACKUP', 'MASTER']);
  });

  it("the master's host dies: the freshest backup (h1, now version 12, skew 0 over h2's 5) promotes; its failed prepare hands over to h2", async () => {
    const [h1, h2, h3] = agents as [AgentProcess, AgentProcess, AgentProcess];
    setVersion(lab, 0, 12);
    failPrepare(lab, 0);
    await sleep(3500); // a --data-version run (every 3 s) has put 12 in h1's presence
    const marks = [h1.mark(), h2.mark()];
    await killHost(lab, h3, VIP);
    const first = await h1.waitFor('h1 MASTER', becomes('MASTER'), { since: marks[0], timeoutMs: 8000 });
    expect(first.reason).toMatch(/; supported by \d of 3 voters$/);
    await h1.waitFor('h1 gives up', becomes('RELEASING'), { since: marks[0] });
    const second = await h2.waitFor('h2 MASTER', becomes('MASTER'), { since: marks[1], timeoutMs: 8000 });
    expect(second.reason).toMatch(/; supported by 2 of 3 voters$/);
    await h2.waitFor('h2 serving', isServing, { since: marks[1] });
    expect(transitions(h2, marks[1]).map((l) => l.state)).toEqual(['MASTER']);
  }, 30_000);

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
