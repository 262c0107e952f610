// `floatd cleanup` (the unit's ExecStopPost=) on a real host: a namespace with the VIP on its veth. While
// the agent runs, cleanup refuses and touches nothing; after a SIGKILL it removes the VIP the dead agent
// left and runs the down hooks (FLOATD_STATE=BACKUP, a reason that says cleanup); after a clean exit it
// does nothing; and the restarted agent still clears a VIP at startup as it always did.
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, createLab, type AgentProcess, type Lab, type LabHost, watchLab } from '../support/netns.js';
import { agentArgs, isServing, joined, markers, skipNote, startAgent, unavailable, type AgentSpec } from './faults/fault-lab.js';
import { readStateFile } from '../../src/state/state-file.js';

const VIP = '198.51.100.100';
const VHID = 33;
const SPEC: AgentSpec = { vhid: VHID, vip: VIP, advbase: 0.2, advskew: 0, up: ['mark'], down: ['mark'] };
const KILLED = { SERVICE_RESULT: 'signal', EXIT_CODE: 'killed', EXIT_STATUS: 'KILL' };

describe.skipIf(unavailable !== undefined)(`floatd cleanup after an agent died${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let agent: AgentProcess;

  // `floatd cleanup` with exactly the agent's flags, as the unit passes $FLOATD_OPTS to both.
  const cleanup = (env: Record<string, string> = {}) => lab.exec(h1, ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, CLI_PATH, 'cleanup', ...agentArgs(lab, h1, SPEC)], 30_000);
  const logged = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; event?: string; action?: string });
  const stateFile = () => agentArgs(lab, h1, SPEC)[agentArgs(lab, h1, SPEC).indexOf('--state-file') + 1]!;

  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    [h1] = lab.hosts as [LabHost];
    agent = startAgent(lab, h1, SPEC);
    await agent.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
  });

  watchLab(() => lab);

  it('refuses while the agent of this vhid runs: exit 2, the VIP stays, no hook runs', async () => {
    const before = markers(lab, h1, VHID);
    const r = await cleanup(KILLED);
    expect(r.code, r.stderr).toBe(2);
    expect(logged(r.stdout).find((l) => l.action === 'refused')?.msg).toMatch(new RegExp(`^the agent of vhid ${VHID} \\(pid \\d+, MASTER\\) is running and owns the VIP: floatd cleanup does nothing`));
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(markers(lab, h1, VHID)).toEqual(before);
    expect(agent.state).toBe('MASTER');
  });

  it('after a SIGKILL removes the VIP the dead agent left and runs the down hooks as BACKUP, reason cleanup', async () => {
    agent.kill('SIGKILL');
    await agent.exited;
    // What ucarp and keepalived leave behind: nobody removes the address.
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);

    const r = await cleanup(KILLED);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await lab.vipHolders(VIP)).toEqual([]);
    const reason = 'cleanup after the agent ended uncleanly (SERVICE_RESULT=signal EXIT_CODE=killed EXIT_STATUS=KILL)';
    expect(markers(lab, h1, VHID).at(-1)).toBe(`down BACKUP previous=MASTER epoch=1 ${reason}`);
    const lines = logged(r.stdout);
    expect(lines.find((l) => l.event === 'vip')?.msg).toBe('VIP removed');
    expect(lines.at(-1)?.msg).toBe('cleanup done: VIP gone, down hooks run');
    // The state file no longer claims the VIP; the epoch stays for the next start.
    const doc = await readStateFile(stateFile());
    expect(doc).toMatchObject({ state: 'STOPPED', vipHeld: false, serving: false, epoch: 1, reason });
  });

  it('does nothing after a clean exit (the agent released the VIP, or left it on purpose without -z)', async () => {
    // As an agent without -z leaves it after SIGTERM.
    expect((await lab.exec(h1, ['ip', 'addr', 'add', `${VIP}/32`, 'dev', h1.iface])).code).toBe(0);
    const before = markers(lab, h1, VHID);
    const r = await cleanup({ SERVICE_RESULT: 'success', EXIT_CODE: 'exited', EXIT_STATUS: '0' });
    expect(r.code).toBe(0);
    expect(logged(r.stdout).at(-1)?.msg).toBe('the agent exited cleanly (SERVICE_RESULT=success EXIT_CODE=exited EXIT_STATUS=0): nothing to clean up');
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(markers(lab, h1, VHID)).toEqual(before);
  });

  it('run by hand with no agent alive, it cleans up too; a restarted agent clears a stale VIP at startup as before', async () => {
    const byHand = await cleanup();
    expect(byHand.code).toBe(0);
    expect(markers(lab, h1, VHID).at(-1)).toBe(`down BACKUP previous=BACKUP epoch=1 cleanup requested: no agent running for vhid ${VHID}`);
    expect(await lab.vipHolders(VIP)).toEqual([]);

    expect((await lab.exec(h1, ['ip', 'addr', 'add', `${VIP}/32`, 'dev', h1.iface])).code).toBe(0);
    const restarted = startAgent(lab, h1, SPEC);
    const removed = await joined(restarted);
    expect(removed.changed).toBe(true);
    await restarted.waitFor('h1 serving again', isServing, { timeoutMs: 10_000 });
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    restarted.kill('SIGKILL');
    await restarted.exited;
  });
});
