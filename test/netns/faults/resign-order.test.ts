// One claimant after a resign (ucarp mode: three nodes -k 0/10/20, no quorum, silent backups), on a busy
// host: the master resigns (SIGUSR2) again and again beside two CPU hogs; each time only the most preferred
// backup left claims, and the least preferred never does. Prints how long a resign took to reach each
// backup (the same path a claim advert takes), the figure the resign delay's ordering is sized on.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, sleep, type AgentProcess, type Lab, watchLab } from '../../support/netns.js';
import { isServing, isStarting, joined, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.123';
const VHID = 74;
const ROUNDS = 8;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 1, advskew, cooldown: 1, up: ['mark'], down: ['mark'] });

describe.skipIf(unavailable !== undefined)(`one claimant after a resign, beside two CPU hogs${skipNote}`, () => {
  let lab: Lab;
  let agents: AgentProcess[] = [];
  const hogs: ChildProcess[] = [];

  beforeAll(async () => {
    lab = await createLab({ hosts: 3 });
    agents = [startAgent(lab, lab.hosts[0]!, spec(0))];
    await agents[0]!.waitFor('h1 listening', isStarting);
    agents.push(startAgent(lab, lab.hosts[1]!, spec(10)), startAgent(lab, lab.hosts[2]!, spec(20)));
    await agents[0]!.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    await Promise.all(agents.slice(1).map((a) => joined(a)));
    for (let i = 0; i < 2; i++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
  }, 60_000);

  afterAll(() => {
    for (const h of hogs) h.kill('SIGKILL');
  });

  watchLab(() => lab);

  it(`${ROUNDS} resigns in turn: each time the most preferred backup takes over and no other node claims`, async () => {
    const latencies: number[] = [];
    const stray: string[] = [];
    const lateness: number[] = [];
    const skew = (a: AgentProcess) => agents.indexOf(a) * 10;
    for (let round = 0; round < ROUNDS; round++) {
      const master = agents.find((a) => a.state === 'MASTER');
      expect(master, `round ${round}: a master`).toBeDefined();
      const backups = agents.filter((a) => a !== master);
      const expected = backups.reduce((best, a) => (skew(a) < skew(best) ? a : best));
      const marks = agents.map((a) => a.mark());
      master!.kill('SIGUSR2');
      const sent = await master!.waitFor('resign sent', (l) => l.event === 'resign', { since: marks[agents.indexOf(master!)], timeoutMs: 5000 });
      await expected.waitFor(`round ${round}: ${expected.host.name} serving`, isServing, { since: marks[agents.indexOf(expected)], timeoutMs: 5000 });
      // Past any late claim of the other backup.
      await sleep(500);
      for (const b of backups) {
        const heard = b.lines.slice(marks[agents.indexOf(b)]).find((l) => l.event === 'resign-heard');
        if (heard !== undefined) latencies.push(Number(heard.time) - Number(sent.time));
      }
      const claim = transitions(expected, marks[agents.indexOf(expected)]).find((l) => l.state === 'MASTER');
      if (claim !== undefined) lateness.push(Number(claim.timerLateMs ?? 0));
      const other = backups.find((a) => a !== expected)!;
      for (const l of transitions(other, marks[agents.indexOf(other)])) stray.push(`round ${round}: ${other.host.name} (-k ${skew(other)}) ${l.state}: ${l.reason}`);
      // The demoted master's cooldown (1 s) ends before the next round, so each round has two backups.
      await sleep(1200);
    }
    latencies.sort((a, b) => a - b);
    console.log(`resign → heard by a backup, beside two CPU hogs (${latencies.length} deliveries): median ${latencies[latencies.length >> 1]} ms, max ${latencies.at(-1)} ms`);
    lateness.sort((a, b) => a - b);
    console.log(`the claim's timer fired late by: median ${lateness[lateness.length >> 1]} ms, max ${lateness.at(-1)} ms (${lateness.join(' ')})`);
    expect(stray).toEqual([]);
    expect(transitions(agents[2]!).filter((l) => l.state === 'MASTER')).toEqual([]);
  }, 120_000);
});
