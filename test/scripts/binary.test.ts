// The single binary (npm run build:binary) as an operator meets it: built once for this file, copied alone
// into a directory with no node_modules anywhere above it, and run from there with ucarp's flags — help,
// status, a loopback election that fails over on SIGKILL, both log formats, -B and the demo (the last two
// start floatd again, which inside the binary means the binary itself, not node and a script).
import { execFile, spawn } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagsOf, OPTIONS, type OptionSpec } from '../../src/config/options.js';
import { CLI, clusterPerTest, sleep } from '../support/cluster.js';
import { freePort } from '../support/udp.js';

const BUILD = resolve('scripts/build-binary.mjs');
let dir: string;
let binary: string;
const daemons: number[] = [];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

// This environment without NODE_* variables that could point at modules, nor FLOATD_* ones.
function cleanEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_') && !k.startsWith('FLOATD_')));
}

// Runs FILE ARGS to completion from `dir`.
function run(file: string, args: string[], timeoutMs = 30_000): Promise<Result> {
  return new Promise((done) => {
    execFile(file, args, { cwd: dir, env: cleanEnv(), timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      done({ code, stdout, stderr });
    });
  });
}

function hasNodeModulesAbove(path: string): boolean {
  for (let d = path; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return true;
    if (dirname(d) === d) return false;
  }
}

// Runs the binary as an agent until its stdout matches `until`, then stops it with SIGTERM.
async function runUntil(args: string[], until: RegExp): Promise<Result> {
  const child = spawn(binary, args, { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  await waitFor(`${until}`, async () => (until.test(stdout) ? true : undefined));
  child.kill('SIGTERM');
  return { code: await exit, stdout, stderr };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

async function readState(file: string): Promise<{ pid: number; state: string } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { pid: number; state: string };
  } catch {
    return undefined;
  }
}

describe('the single binary', () => {
  const cluster = clusterPerTest();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'floatd-binary-'));
    binary = join(dir, 'floatd');
    const built = await run(process.execPath, [BUILD, '--out', binary], 120_000);
    expect(built.code, built.stderr + built.stdout).toBe(0);
    await writeFile(join(dir, 'key'), 'floatd-binary-secret\n', { mode: 0o600 });
  }, 150_000);

  afterAll(async () => {
    for (const pid of daemons) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs where no node_modules can be found, as its own program', async () => {
    expect(hasNodeModulesAbove(dir)).toBe(false);
    const r = await run(binary, ['--help']);
    expect(r.code, r.stderr).toBe(0);
    // No node behind it: the help comes from the program in the binary, exactly as node dist/cli.js prints it.
    const script = await run(process.execPath, [CLI, '--help']);
    expect(r.stdout).toBe(script.stdout);
  });

  it('--version prints the version of package.json and the commit it was built from, compiled in', async () => {
    const { version } = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as { version: string };
    const r = await run(binary, ['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^floatd ${version.replaceAll('.', '\\.')} \\((commit [0-9a-f]{12}(-dirty)?, )?node ${process.version}\\)\n$`));
  });

  it('--help lists every flag of the table, ucarp\'s short ones included', async () => {
    const r = await run(binary, ['--help']);
    for (const spec of OPTIONS as readonly OptionSpec[]) expect(r.stdout).toContain(flagsOf(spec));
    for (const ucarp of ['-i, --interface', '-s, --srcip', '-v, --vhid', '-a, --addr', '-b, --advbase', '-k, --advskew', '-P, --preempt', '-u, --upscript', '-d, --downscript', '-z, --shutdown', '-B, --daemonize']) {
      expect(r.stdout).toContain(ucarp);
    }
  });

  it('refuses a bad flag value naming the flag, exit 1', async () => {
    const r = await run(binary, ['-i', 'lo', '-s', '127.0.0.1', '-v', '0', '-a', '127.0.0.100', '-o', join(dir, 'key')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--vhid.*"0"/);
  });

  it('elects one master on loopback, fails over when it is SIGKILLed, and floatd status reads the state files', async () => {
    const c = await cluster({ binary, nodes: [{ advskew: 0 }, { advskew: 10 }] });
    const [a, b] = c.nodes as [(typeof c.nodes)[0], (typeof c.nodes)[0]];
    await c.waitForMaster(a);
    // The agents are the binary itself, not node running a script.
    for (const n of c.nodes) expect(readlinkSync(`/proc/${n.runs[0]?.pid}/exe`)).toBe(binary);

    const status = await run(binary, ['status', '--state-file', a.stateFile]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^vhid 42 VIP 127\.0\.0\.100 on lo \(127\.0\.0\.1\): MASTER, serving since /);
    const json = await run(binary, ['status', '--json', '--state-file', b.stateFile]);
    expect(JSON.parse(json.stdout)).toMatchObject({ vhid: 42, state: 'BACKUP' });

    const since = c.mark();
    c.kill(a, 'SIGKILL');
    await c.waitForMaster(b);
    expect(c.find(b, { event: 'transition', state: 'MASTER' }, since)?.reason).toMatch(/master down/);
    const after = await run(binary, ['status', '--state-file', b.stateFile]);
    expect(after.stdout).toMatch(/\(127\.0\.0\.2\): MASTER, serving since /);
    // The agent is gone: its state file alone says so, with the exit code of "not running".
    const stale = await run(binary, ['status', '--state-file', a.stateFile]);
    expect([stale.code, stale.stdout]).toEqual([3, expect.stringMatching(/\(stale: pid \d+ is not running\)\n$/)]);
    const missing = await run(binary, ['status', '--state-file', join(dir, 'none.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--state-file ".*none\.json"/);
  });

  it('warns at start about a key file others may read, and refuses a missing one with the command that makes it', async () => {
    const open = join(dir, 'open-key');
    await writeFile(open, 'floatd-binary-secret\n');
    await chmod(open, 0o644);
    const port = String(await freePort());
    const args = (key: string) => ['-i', 'lo', '-s', '127.0.0.1', '-v', '45', '-a', '127.0.0.103', '-o', key, '--vip-driver', 'record', '--peer', `127.0.0.2:${port}`, '--port', port, '--state-file', join(dir, 'mode.json'), '--run-record', join(dir, 'mode.record.json'), '--control-socket', join(dir, 'mode.sock'), '--log-format', 'json'];
    const missing = await run(binary, args(join(dir, 'no-key')));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--passfile "${join(dir, 'no-key')}" does not exist; create the shared key with: install -m 600 /dev/null `);
    const r = await runUntil(args(open), /floatd starting/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`--passfile \\"${open}\\" is readable by group or others (mode 0644)`);
  });

  it('logs pretty lines when asked (pino-pretty is inside the binary) and stops cleanly on SIGTERM', async () => {
    const port = String(await freePort());
    const args = ['-i', 'lo', '-s', '127.0.0.1', '-v', '43', '-a', '127.0.0.101', '-o', join(dir, 'key'), '--vip-driver', 'record', '--peer', `127.0.0.2:${port}`, '--port', port, '--state-file', join(dir, 'pretty.json'), '--run-record', join(dir, 'pretty.record.json'), '--control-socket', join(dir, 'pretty.sock'), '--log-format', 'pretty'];
    const { code, stdout: out, stderr } = await runUntil(args, /INFO.*INIT -> BACKUP: started/);
    expect(code, stderr).toBe(0);
    // pino-pretty's layout: a time, the level word, the message, then the fields one per line.
    expect(out).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: floatd starting\n\s+vhid: 43\n/m);
    expect(out).toMatch(/INFO: floatd stopped/);
    expect(out).not.toMatch(/^\{"level"/m);
  });

  it('-B detaches and the detached agent is the binary running with the same flags', async () => {
    const stateFile = join(dir, 'daemon.json');
    const port = String(await freePort());
    const args = ['-B', '-i', 'lo', '-s', '127.0.0.1', '-v', '44', '-a', '127.0.0.102', '-o', join(dir, 'key'), '--vip-driver', 'record', '--peer', `127.0.0.2:${port}`, '--port', port, '--state-file', stateFile, '--run-record', join(dir, 'daemon.record.json'), '--control-socket', join(dir, 'daemon.sock')];
    const r = await run(binary, args);
    expect(r.code, r.stderr).toBe(0);
    const state = await waitFor('the detached agent to write its state file', () => readState(stateFile));
    daemons.push(state.pid);
    expect(readlinkSync(`/proc/${state.pid}/exe`)).toBe(binary);
    const cmdline = (await readFile(`/proc/${state.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    expect(cmdline).toEqual([binary, ...args]);
    process.kill(state.pid, 'SIGTERM');
    await waitFor('the detached agent to stop', async () => ((await readState(stateFile))?.state === 'STOPPED' ? true : undefined));
  });

  it('floatd demo runs its three nodes with the binary and exits 0 with the summary', async () => {
    const r = await run(binary, ['demo'], 60_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/failover after SIGKILL\s+node[123]\s+\d+ ms/);
  }, 70_000);
});
