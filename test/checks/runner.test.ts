// The check runner with real tiny shell commands (no namespace, no root): what the agent is told, when
// checks run, and that they never overlap or outlive stop().
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckRunner, type CheckRunnerOptions } from '../../src/checks/runner.js';
import { parseCheck, type CheckSpec } from '../../src/checks/spec.js';

type Entry = Record<string, unknown> & { level: number; msg: string };
const [DEBUG, INFO, WARN] = [20, 30, 40];

function capturingLogger(): { log: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line) as Entry) });
  return { log, entries };
}

function check(text: string): CheckSpec {
  const problems: string[] = [];
  const spec = parseCheck(text, problems);
  if (!spec) throw new Error(problems.join('\n'));
  return spec;
}

async function until(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

let dir: string;
let runners: CheckRunner[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floatd-checks-'));
  runners = [];
});

afterEach(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  await rm(dir, { recursive: true, force: true });
});

// A runner for `checks`, recording every callback; started unless told otherwise.
function runner(checks: CheckSpec[], over: Partial<CheckRunnerOptions> = {}) {
  const { log, entries } = capturingLogger();
  const calls: [string, ...unknown[]][] = [];
  const r = new CheckRunner({
    checks,
    env: { FLOATD_VHID: '7', FLOATD_VIP: '10.0.0.99', FLOATD_INTERFACE: 'eth0', FLOATD_SRCIP: '10.0.0.1' },
    log,
    preempt: true,
    killGraceMs: 200,
    onFault: (d) => calls.push(['fault', d]),
    onWeight: (w) => calls.push(['weight', w]),
    onServiceFailed: (d, epoch) => calls.push(['service-failed', d, epoch]),
    ...over,
  });
  runners.push(r);
  r.start();
  return { r, calls, entries };
}

describe('an all-node fault check', () => {
  it('`test -e FILE` turns failing when the file is removed and passes again when it is back, calling back once each', async () => {
    const ok = join(dir, 'ok');
    writeFileSync(ok, '');
    const { r, calls, entries } = runner([check(`interval=0.1 rise=2 fall=2 -- test -e ${ok}`)]);
    await until('passing', () => r.status()[0]?.status === 'passing');
    expect(calls).toEqual([]);

    await rm(ok);
    await until('fault', () => calls.length === 1);
    expect(calls).toEqual([['fault', `health check "test -e ${ok}" failed 2 times in a row (exit code 1)`]]);
    expect(r.status()[0]).toMatchObject({ command: `test -e ${ok}`, on: 'all', mode: 'fault', weight: 0, status: 'failing', lastResult: 'exit code 1' });

    // Several more failing runs change nothing for the agent.
    await sleep(500);
    expect(calls).toHaveLength(1);

    writeFileSync(ok, '');
    await until('unbar', () => calls.length === 2);
    expect(calls[1]).toEqual(['fault', undefined]);

    const said = entries.filter((e) => e.event === 'check');
    expect(said.map((e) => [e.level, e.status])).toEqual([[WARN, 'failing'], [INFO, 'passing']]);
    expect(said[0]?.msg).toMatch(/failed 2 times in a row \(exit code 1\): this node gives up mastership and stays BACKUP until the check passes 2 times in a row; check the command by hand/);
    // Every run is a debug line, never more.
    expect(entries.filter((e) => e.event === 'check-run').every((e) => e.level === DEBUG)).toBe(true);
    expect(entries.filter((e) => e.event === 'check-run').length).toBeGreaterThan(6);
  });

  it('a check that times out counts as failed, and its warning says so', async () => {
    const { r, calls, entries } = runner([check('interval=0.1 timeout=0.2 fall=1 -- sleep 5')]);
    await until('fault', () => calls.length === 1);
    expect(calls[0]).toEqual(['fault', 'health check "sleep 5" failed once (timed out after 200 ms)']);
    expect(r.status()[0]?.lastDurationMs).toBeLessThan(2000);
    const warn = entries.find((e) => e.event === 'check' && e.status === 'failing');
    expect(warn?.msg).toMatch(/timed out after 200 ms/);
    expect(warn?.level).toBe(WARN);
  });

  it('the last output line of the check is quoted in its warning, and its output stays at debug', async () => {
    const { calls, entries } = runner([check("fall=1 interval=0.1 -- echo 'gateway 10.0.0.254 unreachable' >&2; exit 3")]);
    await until('fault', () => calls.length === 1);
    const warn = entries.find((e) => e.event === 'check');
    expect(warn?.msg).toMatch(/\(exit code 3\), its last output: "gateway 10\.0\.0\.254 unreachable"/);
    expect(entries.filter((e) => e.msg === 'gateway 10.0.0.254 unreachable').every((e) => e.level === DEBUG)).toBe(true);
  });

  it('never starts a run while the last one still runs', async () => {
    const log = join(dir, 'runs');
    const { r } = runner([check(`interval=0.1 timeout=5 -- echo start >> ${log}; sleep 0.4; echo end >> ${log}`)]);
    await until('four runs', () => lines(log).filter((l) => l === 'end').length >= 4);
    await r.stop();
    const seen = lines(log);
    // start, end, start, end…: never two starts in a row.
    for (let i = 0; i < seen.length; i++) expect(seen[i], `line ${i} of ${seen.join(' ')}`).toBe(i % 2 === 0 ? 'start' : 'end');
  });

  it('tells the check the node\'s vhid, VIP, interface, address and state', async () => {
    const out = join(dir, 'env');
    const { r } = runner([check(`interval=0.1 -- echo "$FLOATD_VHID $FLOATD_VIP $FLOATD_INTERFACE $FLOATD_SRCIP $FLOATD_STATE" > ${out}`)]);
    await until('ran', () => lines(out).length > 0);
    expect(lines(out)).toEqual(['7 10.0.0.99 eth0 10.0.0.1 INIT']);
    r.follow({ role: 'backup', serving: false, epoch: 0 });
    await until('ran as BACKUP', () => lines(out)[0]?.endsWith('BACKUP') === true);
  });

  it('stop() kills a running check and its process group, and clears the timer', async () => {
    const pids = join(dir, 'pids');
    const { r } = runner([check(`interval=0.1 timeout=60 -- sleep 30 & echo $$ $! > ${pids}; wait`)]);
    await until('started', () => lines(pids).length > 0);
    const [sh, child] = (lines(pids)[0] ?? '').split(' ').map(Number) as [number, number];
    expect(isAlive(sh) && isAlive(child)).toBe(true);
    await r.stop();
    await until('both gone', () => !isAlive(sh) && !isAlive(child), 3000);
    await rm(pids);
    await sleep(400);
    expect(existsSync(pids)).toBe(false);
  });
});

describe('an all-node weight check', () => {
  it('adds its weight while failing and takes it off when it passes again', async () => {
    const ok = join(dir, 'ok');
    const { calls } = runner([check(`interval=0.1 rise=1 fall=1 weight=100 -- test -e ${ok}`), check('interval=0.1 fall=1 weight=30 -- false')]);
    await until('both failing', () => calls.length >= 2);
    expect(calls.at(-1)).toEqual(['weight', 130]);
    expect(calls.some((c) => c[0] === 'fault')).toBe(false);
    writeFileSync(ok, '');
    await until('lifted', () => calls.at(-1)?.[1] === 30);
  });

  it('warns at start when no -P is given: the weight moves mastership only to a node started with -P', () => {
    const warned = (preempt: boolean, spec: string) => runner([check(spec)], { preempt }).entries.some((e) => e.event === 'check-config' && e.level === WARN && /-P \(--preempt\)/.test(e.msg));
    expect(warned(false, 'weight=10 -- true')).toBe(true);
    expect(warned(true, 'weight=10 -- true')).toBe(false);
    expect(warned(false, 'true')).toBe(false);
  });
});

describe('a master-only check', () => {
  it('does not run on a backup, nor on a master whose up hooks have not finished', async () => {
    const runs = join(dir, 'runs');
    const { r } = runner([check(`on=master interval=0.1 -- echo "$FLOATD_STATE" >> ${runs}`)]);
    r.follow({ role: 'backup', serving: false, epoch: 0 });
    await sleep(500);
    r.follow({ role: 'master', serving: false, epoch: 1 });
    await sleep(500);
    expect(lines(runs)).toEqual([]);
    r.follow({ role: 'master', serving: true, epoch: 1 });
    await until('runs as master', () => lines(runs).length >= 2);
    expect(new Set(lines(runs))).toEqual(new Set(['MASTER']));
    r.follow({ role: 'releasing', serving: false, epoch: 1 });
    await sleep(200);
    const count = lines(runs).length;
    await sleep(500);
    expect(lines(runs)).toHaveLength(count);
  });

  it('a new mastership waits for the last one\'s run to end before it runs the check again', async () => {
    const log = join(dir, 'runs');
    // The shell and its sleep ignore SIGTERM, so the aborted run goes on until its end (the grace is longer).
    const { r } = runner([check(`on=master interval=0.1 -- trap '' TERM; echo start >> ${log}; sleep 0.5; echo end >> ${log}`)], { killGraceMs: 3000 });
    r.follow({ role: 'master', serving: true, epoch: 1 });
    await until('first run', () => lines(log).length === 1);
    r.follow({ role: 'backup', serving: false, epoch: 1 });
    r.follow({ role: 'master', serving: true, epoch: 2 });
    await until('the next mastership ran it', () => lines(log).filter((l) => l === 'end').length >= 2);
    const seen = lines(log);
    for (let i = 0; i < seen.length; i++) expect(seen[i], `line ${i} of ${seen.join(' ')}`).toBe(i % 2 === 0 ? 'start' : 'end');
  });

  it('a failing one reports a service failure for its mastership once, and starts afresh in the next', async () => {
    const { r, calls } = runner([check('on=master interval=0.1 fall=2 -- exit 1')]);
    r.follow({ role: 'master', serving: true, epoch: 4 });
    await until('service failed', () => calls.length === 1);
    expect(calls).toEqual([['service-failed', 'health check "exit 1" failed 2 times in a row (exit code 1)', 4]]);
    await sleep(400);
    expect(calls).toHaveLength(1);
    r.follow({ role: 'releasing', serving: false, epoch: 4 });
    expect(r.status()[0]?.status).toBe('unknown');
    r.follow({ role: 'backup', serving: false, epoch: 4 });
    r.follow({ role: 'master', serving: true, epoch: 5 });
    expect(r.status()[0]?.status).toBe('unknown');
    await until('failed again', () => calls.length === 2);
    expect(calls[1]).toEqual(['service-failed', 'health check "exit 1" failed 2 times in a row (exit code 1)', 5]);
    expect(calls.some((c) => c[0] !== 'service-failed')).toBe(false);
  });
});
