// Fault: the agent crashes (an uncaught exception) while master. It falls silent at once, so the backup
// promotes after the dead interval; ucarp and keepalived would leave the VIP on the crashed host, which then
// answers for it beside the new master. floatd's last act is to drop the VIP and exit 70.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { agentArgs, becomes, follows, isServing, joined, skipNote, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 40;
const PRELOAD = pathToFileURL(fileURLToPath(new URL('../../fixtures/faults/crash-on-trigger.mjs', import.meta.url))).href;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.3, advskew, shutdown: true, up: ['mark'], down: ['mark'] });

describe.skipIf(unavailable !== undefined)(`fault: the master's agent crashes${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let crashing: AgentProcess;
  let backup: AgentProcess;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
  });

  watchLab(() => lab);

  it('a crashed master drops the VIP before the backup takes over: never two holders, exit code 70, the error logged', async () => {
    const trigger = join(lab.dir, 'crash-now');
    // The agent inherits the test's environment through ip netns exec; only h1 has the preload.
    process.env.FLOATD_TEST_CRASH_TRIGGER = trigger;
    crashing = lab.spawnAgent(h1, agentArgs(lab, h1, spec(0)), { nodeArgs: ['--import', PRELOAD] });
    delete process.env.FLOATD_TEST_CRASH_TRIGGER;
    await crashing.waitFor('h1 serving', isServing, { timeoutMs: 5000 });
    backup = lab.spawnAgent(h2, agentArgs(lab, h2, spec(50)));
    await joined(backup);
    await follows(backup, h1);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);

    const since = backup.mark();
    const crashedAt = performance.now();
    writeFileSync(trigger, '');
    const exit = await crashing.exited;
    expect(exit.code).toBe(70);
    const fatal = crashing.lines.find((l) => l.event === 'crash');
    expect(fatal?.msg).toBe('floatd crashed (uncaught exception): stopped advertising, VIP removed; exiting 70');
    expect(JSON.stringify(fatal?.err)).toMatch(/injected crash/);
    await backup.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    await backup.waitFor('h2 serving', isServing, { since });
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
    const changes = lab.addresses.changesSince(VIP, crashedAt, 'h1');
    expect(changes).toEqual(['del h1', 'add h2']);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
