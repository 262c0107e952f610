// Fault: the master's process is frozen (SIGSTOP, as a VM pause) for longer than the dead interval, then
// resumed. The backup promotes with a newer epoch; the resumed master must step down at the first advert
// it reads and run its down hooks instead of fighting (docs/election.md, "Two masters: epochs").
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, waitUntil, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { advertIntervalMs, becomes, isServing, isStarting, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';


const VIP = '198.51.100.100';
const VHID = 33;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, up: ['mark'], down: ['mark'] });
const [S1, S2] = [spec(0), spec(50)];
// Slack for scheduling on a loaded 2-core CI machine plus the down hook and `ip addr del`.
const MARGIN_MS = 1000;

describe.skipIf(unavailable !== undefined)(`fault: the master is frozen past the dead interval, then resumed${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let first: AgentProcess;
  let second: AgentProcess;
  let stoppedAt = 0;
  let continuedAt = 0;
  let promotedMark = 0;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    const [a, b] = lab.hosts as [LabHost, LabHost];
    h1 = a;
    first = startAgent(lab, a, S1);
    await first.waitFor('h1 listening', isStarting);
    second = startAgent(lab, b, S2);
    await first.waitFor('h1 serving', isServing);
    await joined(second);
    // No GARP arping of h1 may still run: it would keep answering for h1 while h1 is frozen.
    await waitUntil("h1's arping to finish", () => first.arpings().length === 0, { timeoutMs: 5000 });
  });

  watchLab(() => lab);

  it('the backup promotes with a newer epoch while the master is frozen', async () => {
    const since = second.mark();
    stoppedAt = performance.now();
    first.kill('SIGSTOP');
    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/^master down: no advert from 198\.51\.100\.11/);
    expect(promoted.epoch).toBe(2);
    await second.waitFor('h2 serving', isServing, { since });
    promotedMark = second.mark();
    // Both hold the VIP now: the frozen process cannot remove its own.
    expect(await lab.vipHolders(VIP)).toEqual(['h1', 'h2']);
    // Stay frozen a while longer: its socket piles up h2's adverts, its timers fall far behind.
    await sleep(masterDownMs(S1));
    expect(performance.now() - stoppedAt).toBeGreaterThan(masterDownMs(S2));
  });

  it('once resumed, the old master steps down for the newer epoch and runs its down hooks; h2 never flinches', async () => {
    const since = first.mark();
    continuedAt = performance.now();
    first.kill('SIGCONT');
    // It steps down in order: RELEASING (down hooks, VIP removal), then BACKUP with a resign h2 ignores.
    const stepped = await first.waitFor('h1 RELEASING', becomes('RELEASING'), { since, timeoutMs: 5000 });
    expect(stepped.reason).toBe('newer master 198.51.100.12 (epoch 2 > 1)');
    expect(stepped.at - continuedAt, 'ms from SIGCONT to one master').toBeLessThan(advertIntervalMs(S2) + MARGIN_MS);
    await first.waitFor('h1 VIP removed', (l) => l.event === 'vip' && l.op === 'remove', { since });
    expect(markers(lab, h1, VHID).at(-1)).toBe('down BACKUP previous=MASTER epoch=1 newer master 198.51.100.12 (epoch 2 > 1)');

    await sleep(3 * masterDownMs(S1));
    expect(transitions(first, since).map((l) => l.state)).toEqual(['RELEASING', 'BACKUP']);
    expect(transitions(second, promotedMark)).toEqual([]);
    expect([first.state, second.state]).toEqual(['BACKUP', 'MASTER']);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
  });

  it('had the VIP on both hosts only while h1 was frozen, and for about one advert interval after SIGCONT', () => {
    const overlaps = lab.addresses.overlaps(VIP);
    expect(overlaps.map((o) => o.hosts)).toEqual([['h1', 'h2']]);
    const [o] = overlaps as [(typeof overlaps)[number]];
    expect(o.from).toBeGreaterThan(stoppedAt);
    expect(o.to).toBeDefined();
    expect(o.to! - continuedAt, 'ms from SIGCONT until h1 dropped the VIP').toBeLessThan(advertIntervalMs(S2) + MARGIN_MS);
  });
});
