// hooks/service without floatd or a real daemon: validation names the key and quotes the value; services start in
// order and stop in reverse (plain `sleep` processes as command-mode services, each start and stop noted in a
// file); readiness waits for a TCP port and an http:// URL on loopback; a stop that fails fails the hook and the
// shared filesystem is not unmounted under a running service.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_PACK } from './service-web-lab.js';

let dir: string;
let http: Server;
let port = 0;

// Runs a hook without blocking the event loop (the test's HTTP server must answer the readiness check meanwhile).
function run(hook: string, args: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(SERVICE_PACK, hook), args, { env: { PATH: process.env.PATH ?? '', FLOATD_SERVICE_CONFIG: join(dir, 'service.env') } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}
function config(lines: string[]) {
  writeFileSync(join(dir, 'service.env'), lines.join('\n') + '\n');
}
// A command-mode service NAME: a sleep in the background with a pid file; start and stop noted in `events`.
function svc(name: string, stop = `kill \\$(cat ${dir}/${name}.pid); echo stop ${name} >> ${dir}/events`): string[] {
  return [`SERVICE_START_${name}="echo start ${name} >> ${dir}/events; sleep 300 </dev/null >/dev/null 2>&1 & echo \\$! > ${dir}/${name}.pid"`, `SERVICE_STOP_${name}="${stop}"`, `SERVICE_PIDFILE_${name}=${dir}/${name}.pid`];
}
const events = () => readFileSync(join(dir, 'events'), 'utf8').trim().split('\n');
// Gone, or a zombie waiting for PID 1 to reap it (it has exited: that is what a stop waits for).
function exited(p: number): boolean {
  try {
    return /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${p}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
const pid = (name: string) => Number(readFileSync(join(dir, `${name}.pid`), 'utf8'));

describe('hooks/service without a daemon', () => {
  beforeAll(async () => {
    http = createServer((req, res) => { res.statusCode = req.url === '/ok' ? 200 : 404; res.end('x'); });
    await new Promise<void>((res) => http.listen(0, '127.0.0.1', res));
    port = (http.address() as { port: number }).port;
  });
  afterAll(() => http.close());
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'nfsvc-')); writeFileSync(join(dir, 'events'), ''); });
  afterEach(() => {
    for (const n of ['web', 'cache']) try { process.kill(pid(n), 'SIGKILL'); } catch { /* not started or gone */ }
    rmSync(dir, { recursive: true, force: true });
  });

  it('validation names every bad key and quotes its value', async () => {
    config(['SERVICE_MANAGER=upstart', 'SERVICE_UNITS=web', 'SERVICE_STOP_TIMEOUT=soon', 'SERVICE_READY="udp:1.2.3.4:53"', 'SERVICE_MOUNTS=/dev/nonexistent']);
    const r = await run('down.d/00-validate');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/SERVICE_MANAGER must be systemd, sysv or command, got "upstart"/);
    expect(r.out).toMatch(/SERVICE_STOP_TIMEOUT must be a whole number, got "soon"/);
    expect(r.out).toMatch(/SERVICE_READY entries are tcp:HOST:PORT or http:\/\/HOST\[:PORT\]\/PATH, got "udp:1.2.3.4:53"/);
    expect(r.out).toMatch(/SERVICE_MOUNTS entries are DEVICE:MOUNTPOINT, got "\/dev\/nonexistent"/);
    config(['SERVICE_MANAGER=command', 'SERVICE_UNITS="web my-cache"', 'SERVICE_START_web=true']);
    const c = await run('down.d/00-validate');
    expect(c.out).toMatch(/SERVICE_PIDFILE_web must be set with SERVICE_MANAGER=command/);
    expect(c.out).toMatch(/SERVICE_UNITS names "my-cache": with SERVICE_MANAGER=command a name is letters, digits and _/);
  });

  it('starts in order, is ready only when the port and the URL answer, and stops in reverse, waiting for each to exit', async () => {
    config(['SERVICE_MANAGER=command', 'SERVICE_UNITS="cache web"', ...svc('cache'), ...svc('web'), `SERVICE_READY="tcp:127.0.0.1:${port} http://127.0.0.1:${port}/ok"`, 'SERVICE_START_TIMEOUT=2']);
    expect((await run('prepare.d/20-start')).code).toBe(0);
    const r = await run('prepare.d/50-ready');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/ready: tcp:127.0.0.1:\d+ http:\/\/127.0.0.1:\d+\/ok: ok \(\d+ ms\)/);
    const [cache, web] = [pid('cache'), pid('web')];
    const d = await run('down.d/10-stop');
    expect(d.code, d.out).toBe(0);
    expect(events()).toEqual(['start cache', 'start web', 'stop web', 'stop cache']);
    for (const p of [cache, web]) expect(exited(p), `pid ${p}`).toBe(true);
  });

  it('a URL that answers 404 is not ready: the promotion fails within SERVICE_START_TIMEOUT, naming the check', async () => {
    config(['SERVICE_MANAGER=command', 'SERVICE_UNITS=web', ...svc('web'), `SERVICE_READY=http://127.0.0.1:${port}/missing`, 'SERVICE_START_TIMEOUT=1']);
    expect((await run('prepare.d/20-start')).code).toBe(0);
    const r = await run('prepare.d/50-ready');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/not ready after SERVICE_START_TIMEOUT=1s: http:\/\/127.0.0.1:\d+\/missing/);
  });

  it('a stop that fails fails the hook, the other services still stop, and nothing is unmounted under the one left', async () => {
    config(['SERVICE_MANAGER=command', 'SERVICE_UNITS="cache web"', ...svc('cache'), ...svc('web', 'exit 3'), 'SERVICE_STOP_TIMEOUT=1']);
    expect((await run('prepare.d/20-start')).code).toBe(0);
    const d = await run('down.d/10-stop');
    expect(d.code).toBe(1);
    expect(d.out).toMatch(/web still runs after SERVICE_STOP_TIMEOUT=1s/);
    expect(d.out).toMatch(/FAILED: stop web \(command\) exited 1/);
    expect(events()).toContain('stop cache');
    const u = await run('down.d/40-umount');
    expect(u.code).toBe(1);
    expect(u.out).toMatch(/FAILED: web still runs: not unmounting under it/);
  });
});
