// `floatd demo`: three real floatd processes on loopback (unicast peers, a VIP driver that only records),
// then a crash and a graceful stop of the master, with the failover timings they produce.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

interface Node {
  name: string;
  ip: string;
  advskew: number;
  child: ChildProcess | undefined;
  state: string;
  serving: boolean;
}

interface LogLine {
  time: number;
  msg: string;
  event?: string;
  state?: string;
  op?: string;
  stream?: string;
}

const ADVBASE = '0.3';
const WAIT_MS = 15_000;
const VIP = '127.0.0.100';

// Runs the demo with `command` (node and the script, or the single binary) as each node's program;
// resolves 0 when every step happened as expected.
export async function runDemo(command: readonly [string, ...string[]]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'floatd-demo-'));
  const nodes: Node[] = [1, 2, 3].map((i) => ({ name: `node${i}`, ip: `127.0.0.${i}`, advskew: (i - 1) * 10, child: undefined, state: 'INIT', serving: false }));
  const t0 = Date.now();
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((f) => f());
  const say = (text: string) => process.stdout.write(`${text}\n`);
  const stamp = (t: number) => `+${((t - t0) / 1000).toFixed(3)}s`;

  const waitFor = (what: string, ok: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!ok()) return;
        listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`));
      }, WAIT_MS);
      listeners.add(check);
      check();
    });

  const start = async (n: Node, port: number) => {
    const args = [...command.slice(1), '-i', 'lo', '-s', n.ip, '-v', '42', '-a', VIP, '-o', join(dir, 'secret'), '-b', ADVBASE, '-k', String(n.advskew), '-z'];
    args.push('--port', String(port), '--vip-driver', 'record', '--hooks-dir', join(dir, 'hooks'), '--state-file', join(dir, `${n.name}.json`), '--run-record', join(dir, `${n.name}.record.json`), '--control-socket', join(dir, `${n.name}.sock`), '--log-format', 'json');
    for (const p of nodes) if (p !== n) args.push('--peer', `${p.ip}:${port}`);
    const child = spawn(command[0], args, { stdio: ['ignore', 'pipe', 'inherit'] });
    n.child = child;
    n.state = 'INIT';
    n.serving = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const l = parse(line);
      if (!l) return;
      if (l.event === 'transition' && l.state) {
        n.state = l.state;
        if (l.state !== 'MASTER') n.serving = false;
        say(`  ${stamp(l.time)} ${n.name} ${l.msg}`);
      } else if (l.event === 'serving') {
        n.serving = true;
        say(`  ${stamp(l.time)} ${n.name} ${l.msg}`);
      } else if (l.event === 'vip' || l.event === 'resign' || l.stream === 'stdout') {
        say(`  ${stamp(l.time)} ${n.name}   ${l.msg}`);
      }
      changed();
    });
    child.on('exit', () => {
      n.state = 'DEAD';
      n.serving = false;
      changed();
    });
  };

  const masters = () => nodes.filter((n) => n.state === 'MASTER');
  const settled = () => masters().length === 1 && masters()[0]?.serving === true && nodes.every((n) => n.state === 'MASTER' || n.state === 'BACKUP' || n.state === 'DEAD');
  const results: [string, string, number][] = [];

  try {
    await prepare(dir);
    const port = await freePort();
    say(`floatd demo: 3 nodes on loopback, vhid 42, VIP ${VIP} (recorded only), advbase ${ADVBASE} s, advskew 0/10/20, unicast port ${port}`);
    say(`  (each node is a real floatd process; work dir ${dir})\n`);
    for (const n of nodes) await start(n, port);
    await waitFor('a master to be elected', settled);
    let master = masters()[0] as Node;
    results.push(['election at start', master.name, Date.now() - t0]);
    say(`\n${master.name} is MASTER. Killing it with SIGKILL (a crash: no resign, no hooks)...`);

    let t = Date.now();
    const crashed = master;
    crashed.child?.kill('SIGKILL');
    await waitFor('a new master after the crash', () => settled() && masters()[0] !== crashed);
    master = masters()[0] as Node;
    results.push(['failover after SIGKILL', master.name, Date.now() - t]);
    say(`\n${master.name} took over. Restarting ${crashed.name}: it rejoins as BACKUP (no --preempt)...`);
    await start(crashed, port);
    await waitFor(`${crashed.name} to rejoin as BACKUP`, () => crashed.state === 'BACKUP');

    say(`\nStopping ${master.name} with SIGTERM (-z: down hooks, VIP removal, then a resign advert)...`);
    t = Date.now();
    const stopped = master;
    stopped.child?.kill('SIGTERM');
    await waitFor('a new master after the graceful stop', () => settled() && masters()[0] !== stopped && stopped.state === 'DEAD');
    master = masters()[0] as Node;
    results.push(['takeover after SIGTERM', master.name, Date.now() - t]);

    say('\nStopping the demo cluster...');
    await stopAll(nodes);
    say('\nSummary (measured on this machine; real processes and sockets, VIP recorded only):');
    for (const [what, who, ms] of results) say(`  ${what.padEnd(26)} ${who.padEnd(6)} ${String(ms).padStart(6)} ms`);
    say(`  A crash is detected after the master-down interval (3 × ${ADVBASE} s + advskew/256 s);`);
    say('  a graceful stop sends a resign advert, so the next node only waits advskew/256 of 100 ms.');
    return 0;
  } catch (err) {
    say(`\ndemo failed: ${(err as Error).message}`);
    say(`  node states: ${nodes.map((n) => `${n.name}=${n.state}`).join(' ')}`);
    return 1;
  } finally {
    await stopAll(nodes);
    await rm(dir, { recursive: true, force: true });
  }
}

function parse(line: string): LogLine | undefined {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}

async function prepare(dir: string): Promise<void> {
  await writeFile(join(dir, 'secret'), 'floatd-demo-secret\n', { mode: 0o600 });
  for (const phase of ['up', 'down'] as const) {
    await mkdir(join(dir, 'hooks', `${phase}.d`), { recursive: true });
    const script = join(dir, 'hooks', `${phase}.d`, '10-service');
    const verb = phase === 'up' ? 'starting' : 'stopping';
    await writeFile(script, `#!/bin/sh\necho "hook ${phase}.d/10-service: ${verb} the service for $2 ($FLOATD_REASON)"\n`);
    await chmod(script, 0o755);
  }
}

// A UDP port free on loopback right now.
async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  s.close();
  return port;
}

async function stopAll(nodes: Node[]): Promise<void> {
  const alive = nodes.filter((n) => n.child && n.child.exitCode === null && n.child.signalCode === null);
  await Promise.all(
    alive.map(
      (n) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => n.child?.kill('SIGKILL'), 5000);
          n.child?.on('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          n.child?.kill('SIGTERM');
        }),
    ),
  );
}
