// Fault: the master runs on a terminal that goes away (an ssh session dropped, a tmux pane killed). From
// then on every write to its pseudo-terminal fails with EIO and it gets SIGHUP. A log output that fails
// must not stop the agent: it keeps advertising (the backup never promotes, the VIP stays on one host) and
// SIGTERM still stops it cleanly. script(1) provides the terminal; SIGKILL to script closes the
// terminal's master side, which is the hang-up.
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, descendants, isAlive, sleep, waitUntil, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { agentArgs, becomes, follows, isServing, joined, markers, masterDownMs, skipNote, startAgent, transitions, unavailable, type AgentSpec } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 36;
// -b 0.3: h2 promotes 3 × 0.3 + 50/256 ≈ 1.1 s after the last advert it heard.
const spec = (advskew: number, preempt: boolean): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.3, advskew, preempt, shutdown: true, up: ['mark'], down: ['mark'] });
const [S1, S2] = [spec(0, true), spec(50, false)];
// How long the hung-up master must go on being the only master: several of h2's dead intervals.
const WATCH_MS = 4 * masterDownMs(S2);
// SIGTERM with -z: down hooks, `ip addr del`, the resign, the final state file; slack for a loaded machine.
const EXIT_WITHIN_MS = 5000;

// The agent's own pid below script: the process running node once sh and ip netns exec have exec'd.
async function agentUnder(terminal: AgentProcess): Promise<number> {
  const node = realpathSync(process.execPath);
  let pid: number | undefined;
  await waitUntil('the agent to start on its terminal', () => {
    pid = descendants(terminal.pid).find((p) => {
      try {
        return readlinkSync(`/proc/${p}/exe`) === node;
      } catch {
        return false;
      }
    });
    return pid !== undefined;
  });
  terminal.adopted.add(pid as number);
  return pid as number;
}

// What h1's --state-file says; written at every transition and once more when the agent stops.
function stateOf(lab: Lab, host: LabHost): { state?: string; serving?: boolean; vipHeld?: boolean; pid?: number } {
  try {
    return JSON.parse(readFileSync(join(lab.dir, `${host.name}-vhid${VHID}.json`), 'utf8')) as ReturnType<typeof stateOf>;
  } catch {
    return {};
  }
}

describe.skipIf(unavailable !== undefined)(`fault: the master's terminal hangs up${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let second: AgentProcess;
  let started = false;

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
  });

  watchLab(() => lab);

  // Starts h1 on a terminal (it preempts h2 when h2 is master), waits until it serves and h2 follows it.
  const masterOnTerminal = async (extra: string[]) => {
    const terminal = lab.spawnAgent(h1, [...agentArgs(lab, h1, S1), ...extra], { terminal: true });
    const pid = await agentUnder(terminal);
    await waitUntil('h1 to serve as MASTER (its state file)', () => {
      const s = stateOf(lab, h1);
      return s.pid === pid && s.state === 'MASTER' && s.serving === true;
    }, { timeoutMs: 10_000 });
    if (!started) {
      started = true;
      second = startAgent(lab, h2, S2);
      await joined(second);
    }
    await follows(second, h1, 10_000);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    return { terminal, pid };
  };

  // Hangs h1's terminal up, watches h2 stay BACKUP, then stops h1 with SIGTERM: h2 takes over through the resign.
  const hangUpThenStop = async ({ terminal, pid }: { terminal: AgentProcess; pid: number }) => {
    const since = second.mark();
    const hungUpAt = performance.now();
    terminal.kill('SIGKILL');
    await terminal.exited;
    await sleep(WATCH_MS);
    expect(isAlive(pid), 'h1 still runs').toBe(true);
    expect(transitions(second, since), 'h2 transitions after the hang-up').toEqual([]);
    await follows(second, h1);
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);

    const sigtermAt = performance.now();
    process.kill(pid, 'SIGTERM');
    await waitUntil('h1 to exit after SIGTERM', () => !isAlive(pid), { timeoutMs: EXIT_WITHIN_MS });
    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(promoted.reason).toBe(`master ${h1.ip} resigned`);
    await second.waitFor('h2 serving', isServing, { since });
    expect(stateOf(lab, h1)).toMatchObject({ state: 'STOPPED', vipHeld: false });
    expect(markers(lab, h1, VHID).at(-1)).toMatch(/^down STOPPED previous=MASTER epoch=\d+ shutdown requested$/);
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);
    const changes = lab.addresses.changesSince(VIP, hungUpAt, 'h1');
    expect(changes).toEqual(['del h1', 'add h2']);
    expect(lab.addresses.events.find((e) => e.op === 'del' && e.at >= hungUpAt)?.at).toBeGreaterThan(sigtermAt);
  };

  it('JSON logs: the hung-up master keeps advertising, h2 stays BACKUP, and SIGTERM hands over', async () => {
    await hangUpThenStop(await masterOnTerminal([]));
  });

  it('pretty logs (the default on a terminal): the same', async () => {
    const since = second.mark();
    const master = await masterOnTerminal(['--log-format', 'auto']);
    await second.waitFor('h2 preempted', becomes('BACKUP'), { since });
    await hangUpThenStop(master);
  });

  it('never had the VIP on two hosts but while h1 preempted h2', () => {
    const overlaps = lab.addresses.overlaps(VIP);
    expect(overlaps.length).toBeLessThanOrEqual(1);
    for (const o of overlaps) expect((o.to ?? Infinity) - o.from, 'a preemption overlap').toBeLessThan(2 * masterDownMs(S1));
  });
});
