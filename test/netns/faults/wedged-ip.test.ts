// Fault: ip(8) hangs while the master releases (--vip-path spawn, stopped with SIGTERM and -z). The hung
// `ip addr del` is killed with its process group at its timeout and the removal reported as failed; the
// down hooks still run, the resign still goes out (the backup takes over without waiting for the dead
// interval) and the agent exits: nothing on the release path waits for a process without a bound.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { IP_TIMEOUT_MS } from '../../../src/effects/command.js';
import { CLI_PATH, createLab, isAlive, type Lab, type LabHost } from '../../support/netns.js';
import { agentArgs, becomes, isServing, joined, labAndAgents, markers, masterDownMs, skipNote, unavailable, type AgentSpec } from './fault-lab.js';

const WEDGED_IP_DIR = fileURLToPath(new URL('../../fixtures/faults/wedged-ip', import.meta.url));
const VIP = '198.51.100.100';
const VHID = 37;
// -r 10: a dead interval of 2 s and more, so a takeover that waited for it instead of the resign would show.
const spec = (advskew: number, extra: string[] = []): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.2, advskew, deadratio: 10, shutdown: true, down: ['mark'], extra });

describe.skipIf(unavailable !== undefined)(`fault: ip(8) hangs while the master releases${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  const agents = labAndAgents(() => lab);
  const wedge = () => join(lab.dir, 'wedge-ip');

  beforeAll(async () => {
    lab = await createLab({ hosts: 2 });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
  });

  it('the hung ip addr del is killed at its timeout, the removal fails, and the down hooks, the resign and the exit follow', async () => {
    const s1 = spec(0, ['--vip-path', 'spawn']);
    // h1 finds the fixture first on its PATH: ip(8) as usual until the wedge file exists.
    const program = ['env', `PATH=${WEDGED_IP_DIR}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`, `FLOATD_TEST_WEDGE=${wedge()}`, process.execPath, CLI_PATH];
    const first = lab.spawnAgent(h1, agentArgs(lab, h1, s1), { program });
    agents.track(first);
    await first.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    const second = agents.start(h2, spec(50));
    await joined(second);

    writeFileSync(wedge(), '');
    const since = second.mark();
    const sigtermAt = performance.now();
    first.kill('SIGTERM');

    const failed = await first.waitFor('h1 VIP removal failed', (l) => l.event === 'vip' && l.op === 'remove' && typeof l.err === 'string', { timeoutMs: IP_TIMEOUT_MS + 5000 });
    expect(failed.err).toBe(`ip addr del ${VIP}/32 dev ${h1.iface}: timed out after ${IP_TIMEOUT_MS} ms (killed)`);
    expect(failed.at - sigtermAt).toBeGreaterThanOrEqual(IP_TIMEOUT_MS);
    // The wrapper's child went with its process group.
    await expect.poll(() => existsSync(`${wedge()}.pid`) && !isAlive(Number(readFileSync(`${wedge()}.pid`, 'utf8'))), { timeout: 3000 }).toBe(true);

    // A removal that failed is a failed stop: the resign says so, and the exit is 1.
    const resign = await first.waitFor('h1 resign', (l) => l.event === 'resign', { timeoutMs: 5000 });
    expect(resign.unclean).toMatch(/^cannot remove the VIP: ip addr del .* timed out after \d+ ms \(killed\)$/);
    expect((await first.exited).code).toBe(1);
    expect(markers(lab, h1, VHID).at(-1)).toMatch(/^down STOPPED previous=MASTER epoch=1 /);
    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since, timeoutMs: 5000 });
    expect(promoted.reason).toBe(`master ${h1.ip} resigned after a failed stop`);
    expect(promoted.at - resign.at).toBeLessThan(masterDownMs(spec(50)));
    await second.waitFor('h2 serving', isServing, { since });
  });
});
