// Fault: a lossy, jittery link under a healthy master at -b 1 with the default two adverts per interval.
// 20 % of what the master sends is lost (plus 50 ± 50 ms of delay where the kernel has sch_netem); a backup
// must then miss 6 adverts in a row to promote (docs/election.md: about one false failover in two hours),
// so over 30 s nothing may move.
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { egressCounters, impairEgress, isServing, isStarting, joined, skipNote, startAgent, transitions, unavailable, type AgentSpec, type Impairment } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 41;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 1, advskew, up: ['mark'], down: ['mark'] });
const WATCH_MS = 30_000;

describe.skipIf(unavailable !== undefined)(`fault: 20 % loss and jitter on the master's link at -b 1${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let master: AgentProcess;
  let backup: AgentProcess;
  let impairment: Impairment;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    const [a, b] = lab.hosts as [LabHost, LabHost];
    h1 = a;
    master = startAgent(lab, a, spec(0));
    await master.waitFor('h1 listening', isStarting);
    backup = startAgent(lab, b, spec(50));
    await master.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    await joined(backup);
  });

  watchLab(() => lab, { context: () => `impairment: ${impairment?.detail ?? 'none yet'}` });

  it('no backup promotes while the master is healthy for 30 s', { timeout: WATCH_MS + 15_000 }, async () => {
    const marks = [master.mark(), backup.mark()];
    impairment = await impairEgress(lab, h1, { loss: 0.2, delayMs: 50, jitterMs: 50 });
    await sleep(WATCH_MS);

    expect(transitions(backup, marks[1]), `the backup promoted through: ${impairment.detail}`).toEqual([]);
    expect(transitions(master, marks[0])).toEqual([]);
    expect([master.state, backup.state]).toEqual(['MASTER', 'BACKUP']);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    // The loss was real: about 2 adverts a second went out and some 20 % of them were dropped.
    const { sent, dropped } = await egressCounters(lab, h1);
    expect(sent + dropped).toBeGreaterThanOrEqual(50);
    expect(dropped, `${dropped} of ${sent + dropped} dropped by ${impairment.detail}`).toBeGreaterThan(0);
  });
});
