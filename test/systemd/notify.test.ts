// systemd's notify protocol as a real agent speaks it (dist/cli.js on loopback, recorded VIP), heard by a
// fake NOTIFY_SOCKET: READY=1 only once the agent joined, STATUS= following its role, WATCHDOG=1 pings
// when WATCHDOG_USEC asks for them — and nothing at all without NOTIFY_SOCKET. Run `npm run build` first.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotifyListener } from './notify-listener.js';
import { freePort } from '../support/udp.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const SLOW_DOWN = fileURLToPath(new URL('../fixtures/systemd/slow-down.sh', import.meta.url));
let dir = '';
let runs = 0;
const agents: ChildProcess[] = [];
const listeners: NotifyListener[] = [];

interface Agent {
  child: ChildProcess;
  out: string; // its -x directory, where the down hook writes
  lines: { msg: string; event?: string }[];
  exited: Promise<number | null>;
}

// One agent alone on loopback (its --peer listens nowhere), so it promotes after 3 × 0.2 s. Its down.d
// holds the slow hook; `notify` is the systemd environment it gets (none: no NOTIFY_SOCKET at all).
async function startAgent(notify: Record<string, string>, o: { path?: string } = {}): Promise<Agent> {
  const out = join(dir, `run${++runs}`);
  await mkdir(join(out, 'hooks', 'down.d'), { recursive: true });
  await symlink(SLOW_DOWN, join(out, 'hooks', 'down.d', '10-slow-down'));
  const args = ['-i', 'lo', '-s', '127.0.0.1', '-v', '9', '-a', '127.0.0.99', '-o', join(dir, 'key'), '--vip-driver', 'record', '-b', '0.2', '--peer', '127.0.0.2', '--port', String(await freePort()), '-z', '--hooks-dir', join(out, 'hooks'), '-x', out, '--state-file', join(out, 'state.json'), '--run-record', join(out, 'record.json'), '--control-socket', join(out, 'ctl.sock'), '--log-format', 'json'];
  const env: Record<string, string> = { PATH: o.path ?? process.env.PATH ?? '/usr/bin:/bin', ...notify };
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  agents.push(child);
  const lines: Agent['lines'] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Agent['lines'][number]));
  return { child, out, lines, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function waitForLine(a: Agent, what: string, match: (l: Agent['lines'][number]) => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!a.lines.some(match)) {
    if (performance.now() > deadline) throw new Error(`agent never logged ${what}: ${a.lines.map((l) => l.msg).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The relay is the agent's child: why the unit needs NotifyAccess=all.
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((t) => readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}

async function listen(name: string): Promise<{ listener: NotifyListener; address: string }> {
  const address = name.startsWith('@') ? `@floatd-test-${process.pid}-${name.slice(1)}` : join(dir, name);
  const listener = await NotifyListener.start(address);
  listeners.push(listener);
  return { listener, address };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build before these tests`);
  dir = await mkdtemp(join(tmpdir(), 'floatd-notify-'));
  await writeFile(join(dir, 'key'), 'notify test secret\n', { mode: 0o600 });
});

afterEach(async () => {
  for (const c of agents.splice(0)) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
  for (const l of listeners.splice(0)) l.stop();
});

afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('systemd notify (Type=notify)', () => {
  it('sends READY=1 only after the startup down hooks and VIP removal, then STATUS= follows the role', async () => {
    const { listener, address } = await listen('notify.sock');
    const agent = await startAgent({ NOTIFY_SOCKET: address });

    const ready = await listener.waitFor('READY=1', (n) => n.fields.READY === '1');
    // The slow down hook wrote its file as its last act, and the VIP removal came after it.
    expect(existsSync(join(agent.out, 'down-done'))).toBe(true);
    // In the agent's own log order, READY=1 went out after the startup VIP removal.
    await waitForLine(agent, 'READY=1', (l) => l.event === 'notify-ready');
    expect(agent.lines.findIndex((l) => l.event === 'vip' && l.msg === 'VIP removed')).toBeGreaterThan(-1);
    expect(agent.lines.findIndex((l) => l.event === 'vip' && l.msg === 'VIP removed')).toBeLessThan(agent.lines.findIndex((l) => l.event === 'notify-ready'));
    expect(listener.received.filter((n) => n.fields.READY === '1')).toHaveLength(1);
    const statusAtReady = [...listener.received].reverse().find((n) => n.fields.STATUS !== undefined && n.seenAt <= ready.seenAt);
    expect(statusAtReady?.fields.STATUS).toMatch(/^BACKUP, no master heard/);

    const index = listener.received.indexOf(ready);
    const master = await listener.waitFor('STATUS=MASTER', (n) => n.fields.STATUS === 'MASTER epoch 1, serving', { since: index });
    expect(master.fields.READY).toBeUndefined();
    // Sent by the relay, the agent's own child: PID 1 only accepts that with NotifyAccess=all.
    expect(ready.pid).not.toBe(agent.child.pid);
    expect(parentOf(ready.pid)).toBe(agent.child.pid);
    // Hooks cannot speak for the unit: the notify variables are not in their environment.
    expect(readFileSync(join(agent.out, 'down-done'), 'utf8')).not.toMatch(/NOTIFY_SOCKET|WATCHDOG_/);

    agent.child.kill('SIGTERM');
    await listener.waitFor('STOPPING=1', (n) => n.fields.STOPPING === '1');
    expect(await agent.exited).toBe(0);
  });

  it('pings WATCHDOG=1 at half of WATCHDOG_USEC from the start on', async () => {
    const { listener, address } = await listen('watchdog.sock');
    const agent = await startAgent({ NOTIFY_SOCKET: address, WATCHDOG_USEC: '400000' });
    const first = await listener.waitFor('WATCHDOG=1', (n) => n.fields.WATCHDOG === '1');
    await sleep(2000);
    const pings = listener.received.filter((n) => n.fields.WATCHDOG === '1' && n.seenAt >= first.seenAt);
    // Every 200 ms: about 10 in 2 s; a loaded machine may lose a few, never most.
    expect(pings.length).toBeGreaterThanOrEqual(5);
    expect(pings.length).toBeLessThanOrEqual(13);
    expect(agent.lines.find((l) => l.event === 'notify-on')?.msg).toMatch(/WATCHDOG=1 every 200 ms/);
  });

  it('sends no WATCHDOG=1 without WATCHDOG_USEC, or when WATCHDOG_PID names another process', async () => {
    const a = await listen('no-watchdog.sock');
    const b = await listen('other-pid.sock');
    await startAgent({ NOTIFY_SOCKET: a.address });
    await startAgent({ NOTIFY_SOCKET: b.address, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' });
    await a.listener.waitFor('READY=1', (n) => n.fields.READY === '1');
    await b.listener.waitFor('READY=1', (n) => n.fields.READY === '1');
    await sleep(1000);
    expect([...a.listener.received, ...b.listener.received].filter((n) => n.fields.WATCHDOG !== undefined)).toEqual([]);
  });

  it('speaks to an abstract @name socket, through python3 where there is no perl', async () => {
    const { listener, address } = await listen('@abstract');
    // PATH holds python3 only: the agent falls back to its python relay.
    const bin = join(dir, 'python-only');
    await mkdir(bin, { recursive: true });
    const python = await new Promise<string>((resolve) => {
      const p = spawn('python3', ['-c', 'import sys; print(sys.executable)'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      p.stdout.on('data', (d: Buffer) => (s += d.toString()));
      p.on('exit', () => resolve(s.trim()));
    });
    await symlink(python, join(bin, 'python3'));
    const agent = await startAgent({ NOTIFY_SOCKET: address, WATCHDOG_USEC: '1000000' }, { path: bin });
    await listener.waitFor('READY=1', (n) => n.fields.READY === '1');
    await listener.waitFor('WATCHDOG=1', (n) => n.fields.WATCHDOG === '1');
    expect(agent.lines.find((l) => l.event === 'notify-on')?.msg).toMatch(/python3 relay/);
  });

  it('sends nothing at all and starts no relay without NOTIFY_SOCKET', async () => {
    const { listener } = await listen('unused.sock');
    const agent = await startAgent({ WATCHDOG_USEC: '200000' });
    await waitForLine(agent, 'serving', (l) => l.event === 'serving');
    // Down hooks done, VIP added: whatever the agent would have spawned by now, it has.
    expect(childrenOf(agent.child.pid!)).toEqual([]);
    await sleep(1000);
    expect(listener.received).toEqual([]);
    expect(agent.lines.filter((l) => l.event?.startsWith('notify'))).toEqual([]);
  });

  it('refuses a NOTIFY_SOCKET that is neither a path nor an @name, naming it, and runs on', async () => {
    const agent = await startAgent({ NOTIFY_SOCKET: 'vsock:2:1234' });
    await waitForLine(agent, 'serving', (l) => l.event === 'serving');
    expect(agent.lines.find((l) => l.event === 'notify-off')?.msg).toBe('NOTIFY_SOCKET must be an absolute path or an @abstract name, got "vsock:2:1234": systemd is not told when floatd is ready');
  });
});
