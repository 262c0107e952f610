// Operator control on real hosts: `floatd standby` on the master hands the VIP over in order (down hooks,
// VIP removal, resign) and keeps the node BACKUP; `floatd resume` makes it eligible again. The VIP is never
// on two hosts. With --garp-refresh the serving master announces the VIP again every period, which the
// observer sees on the wire; a node in standby announces nothing.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, createLab, sleep, type AgentProcess, type Lab, type LabHost, watchLab } from '../../support/netns.js';
import { type AgentSpec, becomes, isServing, markers, masterAndBackup, masterDownMs, skipNote, transitions, unavailable } from './fault-lab.js';

const VIP = '198.51.100.100';
const VHID = 36;
const REFRESH_S = 3;
const spec = (advskew: number): AgentSpec => ({ vhid: VHID, vip: VIP, advbase: 0.3, advskew, up: ['mark'], down: ['mark'], extra: ['--garp-refresh', String(REFRESH_S)] });
const [S1, S2] = [spec(0), spec(50)];
const ARP_WATCH = fileURLToPath(new URL('../../fixtures/faults/arp-watch.py', import.meta.url));

// One gratuitous ARP frame for the VIP as the observer saw it.
interface Garp {
  at: number; // performance.now() of this process, like the agents' lines
  mac: string;
}

describe.skipIf(unavailable !== undefined)(`operator control: floatd standby and resume on a real master${skipNote}`, () => {
  let lab: Lab;
  let h1: LabHost;
  let h2: LabHost;
  let first: AgentProcess;
  let second: AgentProcess;
  let watcher: ChildProcess | undefined;
  const garps: Garp[] = [];
  let standbyAt = 0;

  const socket = (host: LabHost) => join(lab.dir, `${host.name}-vhid${VHID}.sock`);
  const floatd = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [CLI_PATH, ...args], { timeout: 10_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr })),
    );
  const from = (host: LabHost, since: number, until = Infinity) => garps.filter((g) => g.mac === host.mac && g.at >= since && g.at < until);

  beforeAll(async () => {
    lab = await createLab({ hosts: 2, observer: true });
    [h1, h2] = lab.hosts as [LabHost, LabHost];
    const obs = lab.observer as LabHost;
    watcher = spawn('ip', ['netns', 'exec', obs.ns, 'python3', ARP_WATCH, obs.iface, VIP], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: watcher!.stdout! });
      lines.on('line', (l) => {
        if (l === 'ready') return resolve();
        const [, , mac] = l.split(' ');
        garps.push({ at: performance.now(), mac: mac ?? '' });
      });
      watcher!.once('exit', (code) => reject(new Error(`arp-watch.py exited ${code}`)));
    });
    [first, second] = await masterAndBackup(lab, h1, S1, h2, S2);
  });

  afterAll(() => {
    watcher?.kill('SIGKILL');
  });

  watchLab(() => lab, { before: async () => void watcher?.kill('SIGKILL') });

  it('floatd standby on the master: down hooks run, the VIP moves to the backup, and the node stays BACKUP', async () => {
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    const since = [first.mark(), second.mark()] as const;
    standbyAt = performance.now();
    const r = await floatd(['standby', '--control-socket', socket(h1)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^standby: releasing: down hooks running/);

    await first.waitFor('h1 RELEASING', becomes('RELEASING'), { since: since[0] });
    await first.waitFor('h1 BACKUP', becomes('BACKUP'), { since: since[0], timeoutMs: 5000 });
    expect(markers(lab, h1, VHID).at(-1)).toMatch(/^down \w+ previous=MASTER epoch=1 operator standby \(floatd standby\)$/);
    const promoted = await second.waitFor('h2 MASTER', becomes('MASTER'), { since: since[1], timeoutMs: 5000 });
    expect(promoted.reason).toMatch(/resign/);
    await second.waitFor('h2 serving', isServing, { since: since[1] });
    expect(await lab.vipHolders(VIP)).toEqual(['h2']);

    // Held out: several master-down intervals later h1 is still BACKUP and says why.
    await sleep(3 * masterDownMs(S1));
    expect(transitions(first, since[0]).map((t) => t.state)).toEqual(['RELEASING', 'BACKUP']);
    const status = JSON.parse((await floatd(['status', '--json', '--control-socket', socket(h1)])).stdout) as { state: string; master: string; keptOut: Record<string, string>; hooks: { phase: string; ok: boolean }[] };
    expect(status).toMatchObject({ state: 'BACKUP', master: h2.ip, keptOut: { standby: 'operator standby (floatd standby)' } });
    expect(status.hooks.at(-1)).toMatchObject({ phase: 'down', ok: true });
  });

  it('never had the VIP on both hosts: h1 dropped it before h2 added it', () => {
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    const changes = lab.addresses.changesSince(VIP, standbyAt, 'h1');
    expect(changes).toEqual(['del h1', 'add h2']);
  });

  it(`the serving master announces the VIP again every ${REFRESH_S} s (--garp-refresh); the node in standby announces nothing`, async () => {
    // h2's promotion burst (arping -c 3: 0, 1 and 2 s) is over; what comes now is the refresh.
    const start = performance.now();
    await sleep(2.5 * REFRESH_S * 1000);
    const seen = from(h2, start);
    // At least two refreshes began in 7.5 s, each an unsolicited request and a reply.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(from(h1, start)).toEqual([]);
    // And h1 sent none once its VIP was gone (its announcer stops on removal).
    const removed = lab.addresses.events.find((e) => e.address === VIP && e.host === 'h1' && e.op === 'del' && e.at >= standbyAt);
    expect(from(h1, (removed?.at ?? 0) + 50)).toEqual([]);
  });

  it('floatd resume makes h1 eligible again: a standby of h2 hands the VIP back to it', async () => {
    const since = [first.mark(), second.mark()] as const;
    const resumed = await floatd(['resume', '--control-socket', socket(h1)]);
    expect([resumed.code, resumed.stdout.split('\n')[0]]).toEqual([0, 'resumed: BACKUP, taking part in the election again']);
    // Without -P h1 does not take over from a serving h2.
    await sleep(3 * masterDownMs(S1));
    expect(transitions(first, since[0])).toEqual([]);
    const handBack = performance.now();
    expect((await floatd(['standby', '--control-socket', socket(h2)])).code).toBe(0);
    await first.waitFor('h1 MASTER', becomes('MASTER'), { since: since[0], timeoutMs: 5000 });
    await first.waitFor('h1 serving', isServing, { since: since[0] });
    expect(await lab.vipHolders(VIP)).toEqual(['h1']);
    expect(lab.addresses.overlaps(VIP)).toEqual([]);
    expect(lab.addresses.changesSince(VIP, handBack, 'h2')).toEqual(['del h2', 'add h1']);
  });
});
