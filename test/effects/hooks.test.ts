import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listHookDir, runHooks } from '../../src/effects/hooks.js';
import { isAlive } from '../support/netns.js';
import type { RunOptions } from '../../src/effects/hooks.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/hooks/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

type Entry = Record<string, unknown> & { level: number; msg: string };

// A pino logger whose JSON lines are kept for assertions.
function capturingLogger(): { log: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line) as Entry) });
  return { log, entries };
}


async function eventually(check: () => boolean, ms = 1000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

let tmp: string;
let outFile: string;
let pidFile: string;
let started: number[];

// Reads "hook-pid child-pid" written by a fixture and remembers both for cleanup.
function readPids(): number[] {
  const pids = readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number);
  started.push(...pids);
  return pids;
}

function options(log: Logger, extra: Partial<RunOptions> = {}): RunOptions {
  return {
    args: ['eth0', '10.0.0.1', ''],
    env: { FLOATD_TEST_OUT: outFile, FLOATD_TEST_PIDS: pidFile },
    timeoutMs: 5000,
    killGraceMs: 300,
    stopOnFailure: true,
    log,
    ...extra,
  };
}

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'floatd-hooks-'));
  outFile = join(tmp, 'out.txt');
  pidFile = join(tmp, 'pids.txt');
  started = [];
});

afterEach(async () => {
  // A failed assertion may skip readPids(); the fixtures' pid file still names what they started.
  try {
    readPids();
  } catch {
    // no pid file: nothing was started
  }
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(tmp, { recursive: true, force: true });
});

describe('listHookDir', () => {
  async function makeHook(dir: string, name: string, mode = 0o755): Promise<void> {
    await writeFile(join(dir, name), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, name), mode);
  }

  it('lists only executable regular files of <phase>.d in byte-wise lexical order, dotted names included', async () => {
    const up = join(tmp, 'up.d');
    await mkdir(up);
    for (const name of ['b-lower', '20-notify', 'A-upper', '10-restore.sh']) await makeHook(up, name);
    const { log } = capturingLogger();
    expect(await listHookDir(tmp, 'up', log)).toEqual(
      ['10-restore.sh', '20-notify', 'A-upper', 'b-lower'].map((n) => join(up, n)),
    );
  });

  it('skips non-executable files, backups, package leftovers and directories with a warning, dotfiles silently', async () => {
    const down = join(tmp, 'down.d');
    await mkdir(down);
    await makeHook(down, '50-run');
    await makeHook(down, '10-noexec', 0o644);
    const leftovers = ['20-old~', '21-x.dpkg-old', '22-x.dpkg-new', '23-x.dpkg-dist', '24-x.dpkg-tmp', '25-x.disabled', '26-x.rpmnew', '27-x.rpmsave'];
    for (const name of leftovers) await makeHook(down, name);
    await makeHook(down, '.hidden');
    await mkdir(join(down, '30-subdir'));
    const { log, entries } = capturingLogger();

    expect(await listHookDir(tmp, 'down', log)).toEqual([join(down, '50-run')]);
    const warned = entries.filter((e) => e.level === 40).map((e) => e.hook);
    expect(warned.sort()).toEqual(['10-noexec', ...leftovers, '30-subdir'].map((n) => join(down, n)).sort());
    expect(entries.some((e) => JSON.stringify(e).includes('.hidden'))).toBe(false);
  });

  it('a missing phase directory yields an empty list', async () => {
    const { log, entries } = capturingLogger();
    expect(await listHookDir(tmp, 'up', log)).toEqual([]);
    expect(await listHookDir(join(tmp, 'nope'), 'down', log)).toEqual([]);
    expect(entries).toEqual([]);
  });
});

describe('runHooks', () => {
  it('runs hooks one after another in the order given, never overlapping', async () => {
    const names = ['30-c', '10-a', '20-b'];
    for (const n of names) await symlink(fixture('record.sh'), join(tmp, n));
    const { log } = capturingLogger();
    const seen: string[] = [];
    const run = await runHooks(names.map((n) => join(tmp, n)), options(log, {
      onHookStart: (p) => seen.push(`start ${p}`),
      onHookEnd: (r) => seen.push(`end ${r.path}`),
    }));

    expect(run.ok).toBe(true);
    expect(run.results.map((r) => r.ok)).toEqual([true, true, true]);
    const lines = (await readFile(outFile, 'utf8')).trim().split('\n');
    expect(lines).toEqual(names.flatMap((n) => [`start ${n}`, `end ${n}`]));
    expect(seen).toEqual(names.flatMap((n) => [`start ${join(tmp, n)}`, `end ${join(tmp, n)}`]));
  });

  it('passes argv exactly as $1 $2 $3, an empty xparam as an empty third argument, and the FLOATD_* environment', async () => {
    const { log } = capturingLogger();
    const env = { FLOATD_TEST_OUT: outFile, FLOATD_VHID: '7', FLOATD_STATE: 'MASTER' };
    const run = await runHooks([fixture('argv.sh')], options(log, { env }));

    expect(run.ok).toBe(true);
    const lines = (await readFile(outFile, 'utf8')).trim().split('\n');
    expect(lines.slice(0, 4)).toEqual(['argc=3', 'arg=eth0', 'arg=10.0.0.1', 'arg=']);
    expect(lines.slice(4)).toEqual(expect.arrayContaining(['FLOATD_VHID=7', 'FLOATD_STATE=MASTER']));
  });

  it('a failing up hook stops the list and reports its exit code', async () => {
    const { log, entries } = capturingLogger();
    const run = await runHooks([fixture('fail.sh'), fixture('record.sh')], options(log, { stopOnFailure: true }));

    expect(run.ok).toBe(false);
    expect(run.cancelled).toBe(false);
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ ok: false, exitCode: 3, signal: null, timedOut: false, cancelled: false });
    await expect(readFile(outFile)).rejects.toThrow(/ENOENT/);
    expect(entries).toContainEqual(expect.objectContaining({ hook: fixture('fail.sh'), msg: 'hook started' }));
    expect(entries).toContainEqual(expect.objectContaining({
      hook: fixture('fail.sh'), exitCode: 3, signal: null, durationMs: expect.any(Number), msg: 'hook failed: exit code 3',
    }));
  });

  it('down hooks carry on past a failure, best effort', async () => {
    const { log } = capturingLogger();
    const run = await runHooks([fixture('fail.sh'), fixture('record.sh')], options(log, { stopOnFailure: false }));

    expect(run.ok).toBe(false);
    expect(run.results.map((r) => [r.ok, r.exitCode])).toEqual([[false, 3], [true, 0]]);
    expect(await readFile(outFile, 'utf8')).toContain('end record.sh');
  });

  it('a hook exceeding its timeout is killed together with its background children', async () => {
    const { log } = capturingLogger();
    const run = await runHooks([fixture('hang-with-child.sh')], options(log, { timeoutMs: 300, killGraceMs: 1000 }));

    const [hook] = run.results;
    expect(hook).toMatchObject({ ok: false, timedOut: true, cancelled: false, exitCode: null, signal: 'SIGTERM', error: 'timed out after 300 ms' });
    expect(hook!.durationMs).toBeGreaterThanOrEqual(290);
    expect(hook!.durationMs).toBeLessThan(1000); // SIGTERM sufficed; no wait for the grace
    for (const pid of readPids()) expect(await eventually(() => !isAlive(pid))).toBe(true);
  });

  it('a hook that ignores SIGTERM is SIGKILLed after the grace', async () => {
    const { log } = capturingLogger();
    const run = await runHooks([fixture('ignore-term.sh')], options(log, { timeoutMs: 200, killGraceMs: 300 }));

    const [hook] = run.results;
    expect(hook).toMatchObject({ ok: false, timedOut: true, signal: 'SIGKILL' });
    expect(hook!.durationMs).toBeGreaterThanOrEqual(480);
    expect(hook!.durationMs).toBeLessThan(2000);
    for (const pid of readPids()) expect(await eventually(() => !isAlive(pid))).toBe(true);
  });

  it('aborting cancels the running hook, kills its group and skips the rest', async () => {
    const { log } = capturingLogger();
    const abort = new AbortController();
    const run = await runHooks([fixture('hang-with-child.sh'), fixture('record.sh')], options(log, {
      signal: abort.signal,
      stopOnFailure: false,
      onHookStart: () => void setTimeout(() => abort.abort(), 200),
    }));

    expect(run).toMatchObject({ ok: false, cancelled: true });
    expect(run.results).toHaveLength(1);
    expect(run.results[0]).toMatchObject({ ok: false, cancelled: true, timedOut: false, signal: 'SIGTERM', error: 'cancelled' });
    await expect(readFile(outFile)).rejects.toThrow(/ENOENT/);
    for (const pid of readPids()) expect(await eventually(() => !isAlive(pid))).toBe(true);
  });

  it('an already aborted signal runs nothing', async () => {
    const { log } = capturingLogger();
    const run = await runHooks([fixture('record.sh')], options(log, { signal: AbortSignal.abort() }));

    expect(run).toEqual({ ok: false, cancelled: true, results: [] });
    await expect(readFile(outFile)).rejects.toThrow(/ENOENT/);
  });

  it('a hook that leaves a background process holding its stdout completes promptly and the process keeps running', async () => {
    const { log } = capturingLogger();
    const t0 = Date.now();
    const run = await runHooks([fixture('daemonize.sh')], options(log));

    expect(Date.now() - t0).toBeLessThan(1500); // the background sleep lives 1000 s
    expect(run.ok).toBe(true);
    expect(run.results[0]).toMatchObject({ exitCode: 0, signal: null, timedOut: false });
    const [, child] = readPids();
    expect(isAlive(child!)).toBe(true); // afterEach kills it
  });

  it('a missing or non-executable path yields a failed result with an error, without throwing', async () => {
    const noexec = join(tmp, 'noexec.sh');
    await copyFile(fixture('record.sh'), noexec);
    await chmod(noexec, 0o644);
    const { log } = capturingLogger();
    const run = await runHooks([join(tmp, 'missing.sh'), noexec], options(log, { stopOnFailure: false }));

    expect(run.ok).toBe(false);
    expect(run.results).toHaveLength(2);
    expect(run.results[0]).toMatchObject({ ok: false, exitCode: null, error: expect.stringMatching(/ENOENT/) });
    expect(run.results[1]).toMatchObject({ ok: false, exitCode: null, error: expect.stringMatching(/EACCES/) });
  });

  it('logs stdout lines at info and stderr lines at warn, with hook and stream fields', async () => {
    const { log, entries } = capturingLogger();
    const hook = fixture('output.sh');
    await runHooks([hook], options(log));

    const output = entries.filter((e) => e.stream !== undefined).map(({ level, hook: h, stream, msg }) => ({ level, hook: h, stream, msg }));
    expect(output).toEqual(expect.arrayContaining([
      { level: 30, hook, stream: 'stdout', msg: 'hello from stdout' },
      { level: 30, hook, stream: 'stdout', msg: 'second line' },
      { level: 30, hook, stream: 'stdout', msg: 'no trailing newline' },
      { level: 40, hook, stream: 'stderr', msg: 'warning from stderr' },
    ]));
    expect(output).toHaveLength(4);
    expect(entries).toContainEqual(expect.objectContaining({ hook, msg: 'hook finished', exitCode: 0, signal: null, durationMs: expect.any(Number) }));
  });
});

describe('output of a hook\'s background children', () => {
  // The whole line is there once the job's shell has closed the file.
  const written = (): boolean => existsSync(outFile) && readFileSync(outFile, 'utf8').endsWith('\n');

  it('a background job keeps a working stdout after its hook exited: grep writes to it and exits 0, and the line is logged as the hook\'s', async () => {
    const { log, entries } = capturingLogger();
    const hook = fixture('background-grep.sh');
    const run = await runHooks([hook], options(log));

    expect(run.results[0]).toMatchObject({ ok: true, exitCode: 0 });
    expect(existsSync(outFile)).toBe(false); // the result came when the hook exited, not when its job did
    expect(await eventually(written, 5000)).toBe(true);
    expect(readFileSync(outFile, 'utf8')).toBe('0\n'); // not 141: no SIGPIPE
    expect(await eventually(() => entries.some((e) => e.msg === 'inet X'), 2000)).toBe(true);
    expect(entries).toContainEqual(expect.objectContaining({ level: 30, hook, stream: 'stdout', msg: 'inet X' }));
  });

  // The MooseFS ucarp howto: vip-up runs `setup.sh &` and exits 0; setup.sh waits, then starts the
  // master only if `ip a s IF | grep 'inet VIP'` succeeds.
  it('the ucarp howto\'s vip-up with `setup.sh &` starts the service once the background check passes', async () => {
    const { log, entries } = capturingLogger();
    const hook = fixture('ucarp-vip-up.sh');
    const run = await runHooks([hook], options(log, { args: ['lo', '127.0.0.1'] }));

    expect(run.ok).toBe(true);
    expect(await eventually(written, 5000)).toBe(true);
    expect(readFileSync(outFile, 'utf8')).toBe('mfsmaster start\n');
    expect(await eventually(() => entries.some((e) => e.hook === hook && /inet 127\.0\.0\.1\//.test(e.msg)), 2000)).toBe(true);
  });

  it('a background job\'s output is held to the limits, and what was left out is reported once its output ends', async () => {
    const { log, entries } = capturingLogger();
    const hook = fixture('chatty.sh');
    const outputLimits = { maxLineBytes: 100, burstLines: 10, linesPerSecond: 0, reportEveryMs: 60_000 };
    const run = await runHooks([hook], options(log, { outputLimits }));
    expect(run.ok).toBe(true);

    const isFinal = (e: Entry): boolean => e.hook === hook && e.final === true;
    expect(await eventually(() => entries.some(isFinal), 5000)).toBe(true);
    expect(entries.find(isFinal)).toMatchObject({ level: 40, droppedLines: 11, droppedBytes: 33, cutLines: 1, cutBytes: 200 });
    const output = entries.filter((e) => e.hook === hook && e.stream === 'stdout');
    expect(output.map((e) => e.msg)).toEqual([`${'y'.repeat(100)} [… 200 bytes cut]`, ...Array.from({ length: 9 }, (_, i) => String(i + 1))]);
    expect(output[0]).toMatchObject({ cutBytes: 200 });
    // Logged as the hook's, after its result.
    expect(entries.findIndex((e) => e.msg === 'hook finished')).toBeLessThan(entries.indexOf(output[0]!));
  });
});
