// `floatd cleanup` and agent start-up with the project's own ucarp scripts (hooks/ucarp/vip-up, vip-down) as
// -u/-d, on a real host: both remove the VIP before the down script runs, so the script meets an address
// that is already gone. That is what it wants: no error at start, cleanup exits 0 after a crash. A down hook
// that really fails still fails cleanup (exit 1), saying the VIP is gone but the service may still run.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, createLab, type Lab, type LabHost, watchLab } from '../support/netns.js';
import { isServing, joined, skipNote, unavailable } from './faults/fault-lab.js';

const VIP = '198.51.100.101';
const VHID = 34;
const KILLED = { SERVICE_RESULT: 'signal', EXIT_CODE: 'killed', EXIT_STATUS: 'KILL' };
const script = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const UP = script('hooks/ucarp/vip-up');
const DOWN = script('hooks/ucarp/vip-down');
const FAIL = script('test/fixtures/faults/fail.sh');

describe.skipIf(unavailable !== undefined)(`the ucarp example scripts with floatd cleanup and at start-up${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  const args = (down = DOWN) => [...lab.agentArgs(h1, VHID, VIP), '-b', '0.2', '-u', UP, '-d', down];
  const cleanup = (down?: string) => lab.exec(h1, ['env', ...Object.entries(KILLED).map(([k, v]) => `${k}=${v}`), process.execPath, CLI_PATH, 'cleanup', ...args(down)], 30_000);
  const logged = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; action?: string });
  // The VIP with the prefix the script gives it, as ip shows it on the host.
  const prefixes = async () => {
    const r = await lab.exec(h1, ['ip', '-j', '-4', 'addr', 'show', 'dev', h1.iface]);
    return (JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info).filter((a) => a.local === VIP).map((a) => a.prefixlen);
  };

  beforeAll(async () => {
    lab = await createLab({ hosts: 1 });
    [h1] = lab.hosts as [LabHost];
  });

  watchLab(() => lab);

  it('an agent starts without a down-hook error, serves with the /24 vip-up added, and cleanup after a SIGKILL exits 0 with the VIP gone', async () => {
    const agent = lab.spawnAgent(h1, args());
    await joined(agent);
    await agent.waitFor('h1 serving', isServing, { timeoutMs: 10_000 });
    // vip-down ran at start (after floatd removed a VIP that was not there) and did not fail.
    expect(agent.lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([]);
    expect(await prefixes()).toEqual([24]);
    agent.kill('SIGKILL');
    await agent.exited;

    const r = await cleanup();
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(logged(r.stdout).at(-1)?.msg).toBe('cleanup done: VIP gone, down hooks run');
    expect(await prefixes()).toEqual([]);
  });

  it('a down hook that really fails still fails cleanup, which says the VIP is gone but the service may run', async () => {
    expect((await lab.exec(h1, ['ip', 'addr', 'add', `${VIP}/24`, 'dev', h1.iface])).code).toBe(0);
    const r = await cleanup(FAIL);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    const done = logged(r.stdout).find((l) => l.action === 'done');
    expect(done?.level).toBe(50);
    expect(done?.msg).toBe(`cleanup incomplete: the VIP is gone, but down hook failed: ${FAIL} exited 1 (the service may still be running)`);
    expect(await prefixes()).toEqual([]);
  });
});
