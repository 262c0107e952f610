// Fault: an up hook that takes longer than the dead interval (2 s against 0.6–0.8 s). Hooks never block the
// advertisements (docs/hooks.md), so no backup promotes while it runs; when it ends the master serves.
// ucarp waits for its script without a timeout and stops advertising meanwhile: floatd must not.
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { becomes, isServing, isStarting, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 42;
const SLOW_MS = 2000; // test/fixtures/faults/slow.sh
const S1: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.2, advskew: 0, up: ['slow', 'mark'], down: ['mark'] };
const S2: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.2, advskew: 50, up: ['mark'], down: ['mark'] };

describe.skipIf(unavailable !== undefined)(`fault: an up hook slower than the dead interval${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let master: AgentProcess;
  let backup: AgentProcess;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    h1 = lab.host('h1');
  });

  watchLab(() => lab);

  it('keeps advertising while the slow hook runs: the backup stays BACKUP, then the master serves', async () => {
    master = startAgent(lab, h1, S1);
    await master.waitFor('h1 listening', isStarting);
    backup = startAgent(lab, lab.host('h2'), S2);
    const backupJoined = await joined(backup);
    const promoted = await master.waitFor('h1 MASTER', becomes('MASTER'));
    const hookStarted = await master.waitFor('slow hook started', (l) => l.msg === 'hook started' && String(l.hook).endsWith('10-slow'));
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);

    const served = await master.waitFor('h1 serving', isServing, { timeoutMs: SLOW_MS + 5000 });
    expect(served.at - hookStarted.at).toBeGreaterThan(SLOW_MS - 100);
    // The backup listened through more than its master-down interval of the slow hook: had the adverts
    // stopped, it would have promoted.
    expect(served.at - Math.max(backupJoined.at, hookStarted.at)).toBeGreaterThan(masterDownMs(S2) + 200);
    expect(transitions(backup).map((l) => l.state)).toEqual(['BACKUP']);
    expect(markers(lab, h1, VHID).at(-1)).toBe(`up MASTER previous=BACKUP epoch=${String(promoted.epoch)} ${String(promoted.reason)}`);
  });

  it('stays the only master and the only VIP holder afterwards', async () => {
    const marks = [master.mark(), backup.mark()];
    await sleep(3 * masterDownMs(S2));
    expect([transitions(master, marks[0]), transitions(backup, marks[1])]).toEqual([[], []]);
    expect([master.state, backup.state]).toEqual(['MASTER', 'BACKUP']);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
