// Fault: nobody reads the master's log (a stalled journald, a pipe into a hung reader, a terminal paused
// with Ctrl-S). Its stdout fills up; the agent floods it on purpose with SIGUSR1 state dumps. A log output
// that stalls must not stop the agent: it keeps advertising (the backup never promotes), drops and counts
// the lines it cannot write, and SIGTERM still stops it in time.
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, isAlive, sleep, waitUntil, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { becomes, follows, isServing, masterDownMs, skipNote, transitions, unavailable, type AgentSpec, masterAndBackup } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 37;
// -b 0.3: h2 promotes 3 × 0.3 + 50/256 ≈ 1.1 s after the last advert it heard.
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.3, advskew, shutdown: true });
const [S1, S2] = [spec(0), spec(50)];
// A state dump is about 450 bytes; the agent logs some 700 a second under this flood (the kernel merges
// signals that arrive while one is pending). About 2500 fill the socket's buffers and the agent's 1 MiB
// queue, so 8 s overflow it twice over; filling the socket alone (for the SIGTERM test) takes far less.
const OVERFLOW_MS = 8000;
const FILL_MS = 4 * masterDownMs(S2);
const EXIT_WITHIN_MS = 5000;

// Sends SIGUSR1 to `agent` for `ms`, a few each millisecond; each one it handles logs a state dump. Faster
// (a kill per setImmediate) would starve the agent of CPU on a 2-core machine, which is not this test.
async function flood(agent: AgentProcess, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    for (let i = 0; i < 4; i++) agent.kill('SIGUSR1');
    await sleep(1);
  }
}

describe.skipIf(unavailable !== undefined)(`fault: nobody reads the master's log${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let first: AgentProcess;
  let second: AgentProcess;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    const [a, b] = lab.hosts as [LabHost, LabHost];
    h1 = a;
    [first, second] = await masterAndBackup(lab, a, S1, b, S2);
    await follows(second, h1);
  });

  watchLab(() => lab);

  it('keeps advertising while its stdout is full; once read again it says how many lines it dropped', async () => {
    const since = [first.mark(), second.mark()] as const;
    first.pauseOutput();
    await flood(first, OVERFLOW_MS);
    expect(transitions(second, since[1]), 'h2 transitions while h1 was stalled').toEqual([]);
    await follows(second, h1);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);

    first.resumeOutput();
    const notice = await first.waitFor('the dropped-lines notice', (l) => l.event === 'log-dropped', { since: since[0], timeoutMs: 10_000 });
    expect(notice.dropped).toBeGreaterThan(0);
    expect(notice.msg).toBe(`${String(notice.dropped)} log lines dropped: the log output is not keeping up`);
    // Whole lines are dropped, never parts of one: everything that arrived is still JSON.
    expect(first.lines.slice(since[0]).filter((l) => typeof l.level !== 'number').map((l) => l.msg)).toEqual([]);
  });

  it('SIGTERM stops it while its stdout is full, and -z hands over to h2', async () => {
    const since = second.mark();
    first.pauseOutput();
    await flood(first, FILL_MS);
    const sigtermAt = performance.now();
    first.kill('SIGTERM');
    await waitUntil('h1 to exit after SIGTERM', () => !isAlive(first.pid), { timeoutMs: EXIT_WITHIN_MS });
    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(promoted.reason).toBe(`master ${h1.ip} resigned`);
    await second.waitFor('h2 serving', isServing, { since });
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
    expect(lab.addresses.changesSince(VIP, sigtermAt, 'h1')).toEqual(['del h1', 'add h2']);
    first.resumeOutput();
    expect((await first.exited).code).toBe(0);
  });

  it('never had the VIP on two hosts', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
  });
});
