// A real floatd cluster on loopback for integration tests: one `node dist/cli.js` process per node on
// 127.0.0.N (unicast peers, recorded VIP), their JSON log lines parsed into events, an observer socket
// that every node also advertises to, and a stop() that ends every process it started, by pid.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram, { type Socket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { decode, type Advert } from '../../src/protocol/advert.js';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const VHID = 42;
export const VIP = '127.0.0.100';
export const SECRET = 'floatd-integration-secret';
const FIXTURES = fileURLToPath(new URL('../fixtures/integration/', import.meta.url));
const POLL_MS = 10;
const READY_MS = 15_000;
const STOP_GRACE_MS = 3_000;

// One node; its hooks are fixture names from test/fixtures/integration, copied into DIR/up.d and DIR/down.d.
export interface NodeSpec {
  advskew: number;
  preempt?: boolean; // -P
  neutral?: boolean; // -n
  shutdown?: boolean; // -z, on unless false
  deadratio?: number; // -r, else the cluster's
  cooldown?: number; // --cooldown seconds
  upHooks?: string[]; // default ['record.sh']
  downHooks?: string[]; // default ['record.sh']
  releasedHooks?: string[]; // default none
  env?: Record<string, string>;
  extraArgs?: string[]; // appended last, so they override the harness's flags
  deferred?: boolean; // not started by startCluster: call cluster.start(node)
}

export interface ClusterOptions {
  nodes: NodeSpec[];
  advbase?: number; // -b seconds, default 0.2
  deadratio?: number; // -r, default 4
  binary?: string; // a single floatd executable to run (from the cluster's directory) instead of node dist/cli.js
}

// A parsed pino line of one node, numbered in the cluster-wide order of arrival (`seq`).
export interface LogEvent {
  node: number;
  run: number;
  seq: number;
  time: number;
  level: number;
  msg: string;
  event?: string;
  state?: string;
  previous?: string;
  reason?: string;
  epoch?: number;
  op?: string;
  hook?: string;
  stream?: string;
  [field: string]: unknown;
}

// A datagram a node sent to the observer (every node has the observer as a --peer).
export interface Observed {
  seq: number;
  time: number;
  from: string;
  raw: Buffer;
  advert: Advert | undefined;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Run {
  child: ChildProcess;
  pid: number;
  exit: Promise<Exit>;
  exited: Exit | undefined;
}

// One hooks.log line written by record.sh.
export interface HookRun {
  phase: string;
  state: string;
  previous: string;
  epoch: number;
  reason: string;
  args: string[];
}

export interface ClusterNode {
  index: number;
  name: string;
  ip: string;
  spec: NodeSpec;
  dir: string;
  stateFile: string;
  controlSocket: string; // its --control-socket: the nodes share one host and one vhid
  runs: Run[];
  events: LogEvent[];
  stderr: string[];
  state: string; // last transition of the current run, 'DEAD' once it exited
  serving: boolean;
}

export type Match = Partial<LogEvent> | ((e: LogEvent) => boolean);

// Starts the cluster; nodes start one after another (each waits for the previous to reach BACKUP),
// so the node listed first with the lowest advskew reliably becomes master.
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  for (let attempt = 1; ; attempt++) {
    const cluster = new Cluster(o);
    try {
      await cluster.init();
      for (const n of cluster.nodes) if (!n.spec.deferred) await cluster.start(n);
      return cluster;
    } catch (err) {
      await cluster.stop();
      // Another test file may have grabbed the probed port in between: probe again.
      if (attempt < 3 && err instanceof PortTaken) continue;
      throw err;
    }
  }
}

// A cluster factory whose clusters are stopped after each test of the calling file, pass or fail.
export function clusterPerTest(): (o: ClusterOptions) => Promise<Cluster> {
  const live: Cluster[] = [];
  afterEach(async () => {
    await Promise.all(live.splice(0).map((c) => c.stop()));
  });
  return async (o) => {
    const c = await startCluster(o);
    live.push(c);
    return c;
  };
}

class PortTaken extends Error {}

// Agents still running when the vitest worker exits (a crash, a timeout) are killed with it.
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) signal(pid, 'SIGKILL');
});

export class Cluster {
  readonly nodes: ClusterNode[];
  readonly observed: Observed[] = [];
  dir = '';
  port = 0;
  readonly observerIp: string;
  private readonly o: ClusterOptions;
  private observer: Socket | undefined;
  private seq = 0;
  private stopping: Promise<void> | undefined;

  constructor(o: ClusterOptions) {
    this.o = o;
    this.nodes = o.nodes.map((spec, i) => ({ index: i, name: `node${i + 1}`, ip: `127.0.0.${i + 1}`, spec, dir: '', stateFile: '', controlSocket: '', runs: [], events: [], stderr: [], state: 'NEW', serving: false }));
    this.observerIp = `127.0.0.${o.nodes.length + 1}`;
  }

  async init(): Promise<void> {
    const program = this.o.binary ?? CLI;
    if (!existsSync(program)) throw new Error(`${program} is missing: run npm run build${this.o.binary ? ':binary' : ''} first`);
    this.dir = await mkdtemp(join(tmpdir(), 'floatd-it-'));
    await writeFile(join(this.dir, 'secret'), `${SECRET}\n`, { mode: 0o600 });
    for (const n of this.nodes) {
      n.dir = join(this.dir, n.name);
      n.stateFile = join(n.dir, 'state.json');
      n.controlSocket = join(n.dir, 'control.sock');
      for (const [phase, hooks] of [['up', n.spec.upHooks ?? ['record.sh']], ['down', n.spec.downHooks ?? ['record.sh']], ['released', n.spec.releasedHooks ?? []]] as const) {
        await mkdir(join(n.dir, 'hooks', `${phase}.d`), { recursive: true });
        for (const [i, name] of hooks.entries()) await copyFile(fixture(name), join(n.dir, 'hooks', `${phase}.d`, `${(i + 1) * 10}-${name}`));
      }
    }
    this.observer = await bindObserver(this.observerIp, this.nodes.map((n) => n.ip));
    this.port = this.observer.address().port;
    this.observer.on('message', (raw, rinfo) => {
      let advert: Advert | undefined;
      try {
        advert = decode(raw).advert;
      } catch {
        advert = undefined;
      }
      this.observed.push({ seq: this.seq++, time: Date.now(), from: rinfo.address, raw, advert });
    });
  }

  // Spawns the node (again) and resolves once it has entered the election (INIT → BACKUP).
  async start(n: ClusterNode): Promise<void> {
    if (alive(n)) throw new Error(`${n.name} is already running`);
    const [file, ...pre] = this.o.binary ? [this.o.binary] : [process.execPath, CLI];
    const child = spawn(file as string, [...pre, ...this.args(n)], { stdio: ['ignore', 'pipe', 'pipe'], env: this.env(n), ...(this.o.binary ? { cwd: this.dir } : {}) });
    if (child.pid === undefined) throw new Error(`cannot spawn ${n.name}`);
    const runNo = n.runs.length;
    const run: Run = { child, pid: child.pid, exited: undefined, exit: new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))) };
    n.runs.push(run);
    running.add(run.pid);
    n.state = 'INIT';
    n.serving = false;
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(n, runNo, line));
    createInterface({ input: child.stderr }).on('line', (line) => n.stderr.push(line));
    void run.exit.then((e) => {
      run.exited = e;
      running.delete(run.pid);
      if (n.runs.at(-1) === run) {
        n.state = 'DEAD';
        n.serving = false;
      }
    });
    await this.waitFor(() => {
      if (run.exited) {
        const text = [...n.stderr, ...n.events.filter((e) => e.run === runNo).map((e) => e.msg)].join('\n');
        if (/already in use/.test(text)) throw new PortTaken(text);
        throw new Error(`${n.name} exited during startup (${JSON.stringify(run.exited)}):\n${text}`);
      }
      return this.find(n, { event: 'transition', state: 'BACKUP', run: runNo });
    }, READY_MS, `${n.name} to start`);
  }

  // SIGKILLs the node if it still runs (a crash), then starts it again with the same flags and state file.
  async restart(n: ClusterNode): Promise<void> {
    const run = n.runs.at(-1);
    if (run && !run.exited) {
      run.child.kill('SIGKILL');
      await run.exit;
    }
    await this.start(n);
  }

  kill(n: ClusterNode, signal: NodeJS.Signals): void {
    const run = current(n);
    process.kill(run.pid, signal);
  }

  // How the node's current run ended.
  exited(n: ClusterNode): Promise<Exit> {
    return current(n).exit;
  }

  masters(): ClusterNode[] {
    return this.nodes.filter((n) => alive(n) && n.state === 'MASTER');
  }

  // The number to pass as `since` for "from now on".
  mark(): number {
    return this.seq;
  }

  events(n?: ClusterNode, since = 0): LogEvent[] {
    const all = n ? n.events : this.nodes.flatMap((x) => x.events).sort((a, b) => a.seq - b.seq);
    return all.filter((e) => e.seq >= since);
  }

  find(n: ClusterNode, match: Match, since = 0): LogEvent | undefined {
    const ok = typeof match === 'function' ? match : (e: LogEvent) => Object.entries(match).every(([k, v]) => e[k] === v);
    return n.events.find((e) => e.seq >= since && ok(e));
  }

  // Adverts (and resigns) a node sent since `since`, as the observer received them.
  advertsFrom(n: ClusterNode, since = 0): Observed[] {
    return this.observed.filter((p) => p.seq >= since && p.from === n.ip && p.advert !== undefined);
  }

  // Polls every 10 ms until `predicate` returns something truthy, and resolves with it.
  async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs: number, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`);
      await sleep(POLL_MS);
    }
  }

  waitForEvent(n: ClusterNode, match: Match, o: { since?: number; timeoutMs?: number; what?: string } = {}): Promise<LogEvent> {
    const what = o.what ?? `${n.name}: ${typeof match === 'function' ? 'a matching event' : JSON.stringify(match)}`;
    return this.waitFor(() => this.find(n, match, o.since ?? 0), o.timeoutMs ?? 10_000, what);
  }

  // Waits until `n` is the only MASTER, with its up hooks done, and every other live node is BACKUP.
  async waitForMaster(n: ClusterNode, timeoutMs = 10_000): Promise<void> {
    await this.waitFor(() => this.settledMaster() === n, timeoutMs, `${n.name} to be the only serving MASTER`);
  }

  // Waits until exactly one node is MASTER with its up hooks done and every other live node is BACKUP.
  waitForSettled(timeoutMs = 10_000): Promise<ClusterNode> {
    return this.waitFor(() => this.settledMaster(), timeoutMs, 'exactly one serving MASTER and the rest BACKUP');
  }

  private settledMaster(): ClusterNode | undefined {
    const m = this.masters();
    const rest = this.nodes.filter((n) => alive(n) && n.state !== 'MASTER');
    return m.length === 1 && m[0]?.serving && rest.every((n) => n.state === 'BACKUP') ? m[0] : undefined;
  }

  async hookRuns(n: ClusterNode): Promise<HookRun[]> {
    const text = await readFile(join(n.dir, 'hooks.log'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((line) => {
      const f = Object.fromEntries(line.split('\t').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const argc = Number(f.argc);
      return { phase: f.phase ?? '', state: f.state ?? '', previous: f.previous ?? '', epoch: Number(f.epoch), reason: f.reason ?? '', args: [f['1'], f['2'], f['3']].slice(0, argc) as string[] };
    });
  }

  // SIGCONT + SIGTERM to every process this cluster started, SIGKILL after a grace, then the temp dir goes.
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const live = this.nodes.flatMap((n) => n.runs).filter((r) => !r.exited);
      for (const r of live) for (const sig of ['SIGCONT', 'SIGTERM'] as const) signal(r.pid, sig);
      await Promise.all(live.map((r) => Promise.race([r.exit, sleep(STOP_GRACE_MS)])));
      for (const r of live) if (!r.exited) signal(r.pid, 'SIGKILL');
      await Promise.all(live.map((r) => Promise.race([r.exit, sleep(STOP_GRACE_MS)])));
      this.killLeftoverHooks();
      this.observer?.close();
      if (this.dir) await rm(this.dir, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  // Node states and each node's last log lines, for timeout messages.
  describe(): string {
    return this.nodes
      .map((n) => {
        const last = n.events.slice(-8).map((e) => `    ${new Date(e.time).toISOString().slice(17, 23)} ${e.msg}`);
        return [`  ${n.name} ${n.ip} ${n.state}${n.serving ? ' serving' : ''} pid ${n.runs.at(-1)?.pid ?? '-'}`, ...last, ...n.stderr.slice(-3).map((l) => `    stderr: ${l}`)].join('\n');
      })
      .join('\n');
  }

  private args(n: ClusterNode): string[] {
    const s = n.spec;
    const args = ['-i', 'lo', '-s', n.ip, '-v', String(VHID), '-a', VIP, '-o', join(this.dir, 'secret'), '-b', String(this.o.advbase ?? 0.2), '-k', String(s.advskew)];
    args.push('-r', String(s.deadratio ?? this.o.deadratio ?? 4), '--port', String(this.port), '--vip-driver', 'record', '--log-format', 'json');
    args.push('--hooks-dir', join(n.dir, 'hooks'), '--state-file', n.stateFile, '--run-record', join(n.dir, 'run-record.json'), '--control-socket', n.controlSocket);
    if (s.shutdown !== false) args.push('-z');
    if (s.preempt) args.push('-P');
    if (s.neutral) args.push('-n');
    if (s.cooldown !== undefined) args.push('--cooldown', String(s.cooldown));
    for (const peer of [...this.nodes.filter((p) => p !== n).map((p) => p.ip), this.observerIp]) args.push('--peer', `${peer}:${this.port}`);
    // The observer is a --peer but no voter: counted, it would turn the quorum on with a vote nobody casts.
    // These tests pin today's election; a test of the quorum passes its own --quorum in extraArgs.
    args.push('--quorum', 'off');
    return [...args, ...(s.extraArgs ?? [])];
  }

  // The test runner's environment without anything that would change floatd's configuration or node itself.
  private env(n: ClusterNode): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLOATD_') && k !== 'NODE_OPTIONS') env[k] = v;
    return { ...env, FLOATD_TEST_DIR: n.dir, ...n.spec.env };
  }

  private onLine(n: ClusterNode, run: number, line: string): void {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      parsed = { msg: line, level: 0, time: Date.now() };
    }
    const e = { ...parsed, node: n.index, run, seq: this.seq++ } as LogEvent;
    n.events.push(e);
    if (run !== n.runs.length - 1) return;
    if (e.event === 'transition' && typeof e.state === 'string') {
      n.state = e.state;
      if (e.state !== 'MASTER') n.serving = false;
    } else if (e.event === 'serving') n.serving = true;
  }

  // Hooks lead their own process group; one left running by a SIGKILLed agent goes with its group.
  private killLeftoverHooks(): void {
    for (const n of this.nodes) {
      let pids: string[];
      try {
        pids = readFileSync(join(n.dir, 'hook-pids'), 'utf8').split('\n').filter(Boolean);
      } catch {
        continue;
      }
      for (const pid of pids.map(Number)) {
        // Only a process still running one of this cluster's hooks: a recycled pid is left alone.
        let cmdline = '';
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (cmdline.includes(this.dir)) signal(-pid, 'SIGKILL');
      }
    }
  }
}

// Path of a fixture script under test/fixtures/integration.
export function fixture(name: string): string {
  return join(FIXTURES, name);
}

// Runs `node dist/cli.js ARGS` to completion (for `status`).
export function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function alive(n: ClusterNode): boolean {
  const run = n.runs.at(-1);
  return run !== undefined && run.exited === undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function current(n: ClusterNode): Run {
  const run = n.runs.at(-1);
  if (!run) throw new Error(`${n.name} was never started`);
  return run;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

// Binds the observer on a port that is free on every node address too: a wildcard probe finds a port
// nobody holds on any loopback address, then the observer keeps it for the cluster's lifetime.
async function bindObserver(ip: string, nodeIps: string[]): Promise<Socket> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = await bindUdp('0.0.0.0', 0);
    const { port } = probe.address();
    probe.close();
    const taken: Socket[] = [];
    try {
      for (const a of nodeIps) taken.push(await bindUdp(a, port));
      return await bindUdp(ip, port);
    } catch {
      continue;
    } finally {
      for (const s of taken) s.close();
    }
  }
  throw new Error('no free UDP port on loopback after 20 probes');
}

function bindUdp(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.bind(port, address, () => {
      s.removeAllListeners('error');
      s.on('error', () => undefined); // an ICMP error on the observer is no reason to fail a test
      resolve(s);
    });
  });
}
