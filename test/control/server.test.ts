// The control server on a real unix socket in a temporary directory: permissions, stale and busy paths,
// hostile clients. The agent behind it is a stub answering from memory.
import { connect, type Socket } from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../../src/log/log.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask } from '../../src/control/client.js';
import type { ControlStatus, Request, Response } from '../../src/control/protocol.js';
import { CONNECTION_DEADLINE_MS, ControlServer, ControlSocketBusy, MAX_CONNECTIONS } from '../../src/control/server.js';

let dir: string;
const servers: ControlServer[] = [];
const clients: Socket[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-ctl-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function logger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }), lines };
}

const STATUS = { vhid: 7, pid: process.pid, state: 'BACKUP' } as unknown as ControlStatus;

async function serve(path: string, answer: (r: Request) => Response = (r) => ({ ok: true, cmd: r.cmd, message: r.cmd, status: STATUS })) {
  const { log, lines } = logger();
  const server = new ControlServer({ path, log, answer });
  servers.push(server);
  await server.start();
  return { server, lines };
}

function raw(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect(path, () => resolve(c));
    c.on('error', reject);
    clients.push(c);
  });
}

// Everything the server sends until it closes the connection.
function readAll(c: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    c.on('data', (d) => (text += d.toString()));
    c.on('close', () => resolve(text));
  });
}

describe('ControlServer', () => {
  it('creates its directory and a socket of mode 0600 that answers one request per connection', async () => {
    const path = join(dir, 'run', 'floatd', '7.sock');
    await serve(path);
    const st = await stat(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'run', 'floatd'))).mode & 0o777).toBe(0o755);
    const r = await ask(path, 'standby');
    expect(r).toEqual({ kind: 'answer', response: { ok: true, cmd: 'standby', message: 'standby', status: STATUS } });
  });

  it('leaves no private bind directory behind and removes its socket at close', async () => {
    const path = join(dir, '7.sock');
    const { server } = await serve(path);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual(['7.sock']);
    await server.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it('answers a bad request with ok:false and keeps serving', async () => {
    const path = join(dir, '7.sock');
    await serve(path);
    const c = await raw(path);
    const text = readAll(c);
    c.write('{"cmd":"reboot"}\n');
    expect(JSON.parse(await text)).toEqual({ ok: false, error: 'unknown cmd "reboot": one of status, standby, resume, clear' });
    expect((await ask(path, 'status')).kind).toBe('answer');
  });

  it('cuts off a request longer than 4 KiB with an error, before it ends', async () => {
    const path = join(dir, '7.sock');
    await serve(path);
    const c = await raw(path);
    const text = readAll(c);
    c.write('x'.repeat(5000));
    expect(JSON.parse(await text)).toEqual({ ok: false, error: 'request too long: at most 4096 bytes, one JSON object per line' });
  });

  it('an answer function that throws becomes an error answer, not a crash', async () => {
    const path = join(dir, '7.sock');
    const { lines } = await serve(path, () => {
      throw new Error('boom');
    });
    expect(await ask(path, 'status')).toEqual({ kind: 'answer', response: { ok: false, error: 'internal error: Error: boom' } });
    expect(lines.some((l) => l.level === 50 && /boom/.test(String(l.msg)))).toBe(true);
  });

  it('a client that connects and sends nothing does not hold up a later status, and is cut off at the deadline', async () => {
    const path = join(dir, '7.sock');
    await serve(path);
    const silent = await raw(path);
    const t0 = Date.now();
    let cutAt = 0;
    const closed = readAll(silent).then((text) => ((cutAt = Date.now()), text));
    expect((await ask(path, 'status')).kind).toBe('answer');
    // Answered while the silent client still held its connection.
    expect(cutAt).toBe(0);
    expect(await closed).toBe('');
    expect(cutAt - t0).toBeGreaterThanOrEqual(CONNECTION_DEADLINE_MS - 100);
  });

  it(`holds at most ${MAX_CONNECTIONS} connections at once; once the silent ones are cut off, it answers again`, async () => {
    const path = join(dir, '7.sock');
    await serve(path);
    const silent = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => raw(path)));
    const gone = Promise.all(silent.map(readAll));
    const refused = await ask(path, 'status', 1000);
    expect(refused.kind).toBe('unreachable');
    await gone;
    expect((await ask(path, 'status')).kind).toBe('answer');
  });

  it('replaces a stale socket file left by an agent that is gone, and says so', async () => {
    const path = join(dir, '7.sock');
    // A socket file nobody listens on: bind, then drop the handle without letting it unlink the file.
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(r.signal).toBe('SIGKILL');
    expect((await stat(path)).isSocket()).toBe(true);
    const { lines } = await serve(path);
    expect(lines.some((l) => /removed a stale control socket/.test(String(l.msg)))).toBe(true);
    expect((await ask(path, 'status')).kind).toBe('answer');
  });

  it('refuses to start, naming --control-socket, when another agent answers on the path', async () => {
    const path = join(dir, '7.sock');
    await serve(path);
    const second = new ControlServer({ path, log: logger().log, answer: () => ({ ok: false, error: 'x' }) });
    const err = await second.start().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ControlSocketBusy);
    expect((err as Error).message).toBe(`--control-socket "${path}" is answered by another running floatd (pid ${process.pid}): two agents for one vhid on one host would both claim the VIP. Stop the other agent, or give each its own --vhid and --control-socket`);
    // The first one still answers.
    expect((await ask(path, 'status')).kind).toBe('answer');
  });

  it('counts a listener that accepts and says nothing (a stopped agent) as live too', async () => {
    const path = join(dir, '7.sock');
    const mute = createServer(() => undefined);
    await new Promise<void>((resolve) => mute.listen(path, resolve));
    try {
      const s = new ControlServer({ path, log: logger().log, answer: () => ({ ok: false, error: 'x' }) });
      await expect(s.start()).rejects.toThrow(/is answered by another running floatd: two agents/);
    } finally {
      mute.close();
    }
  });

  it('leaves a file that is not a socket alone: an error line, no socket, no throw', async () => {
    const path = join(dir, '7.sock');
    await writeFile(path, 'not a socket');
    const { lines } = await serve(path);
    expect(lines.find((l) => l.level === 50)?.msg).toBe(`--control-socket "${path}" exists and is not a socket: left alone, no control socket for this agent`);
    expect((await stat(path)).isFile()).toBe(true);
  });

  it('a directory it cannot create in is an error line, not a throw', async () => {
    const path = join(dir, 'file', '7.sock');
    await writeFile(join(dir, 'file'), '');
    const { lines } = await serve(path);
    expect(lines.find((l) => l.level === 50)?.msg).toMatch(/^cannot create the control socket .*: floatd status falls back to the state file/);
  });
});
