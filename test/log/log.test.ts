// createLogger(): JSON or pretty lines through the bounded LogSink, and what it says when its output stalls
// or fails; rateLimited(): the journal stays readable under a flood of bad packets.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_QUEUE_BYTES } from '../../src/log/log-sink.js';
import { createLogger, rateLimited } from '../../src/log/log.js';

const dir = mkdtempSync(join(tmpdir(), 'floatd-log-'));
const FLOOD = fileURLToPath(new URL('../fixtures/log/flood.mjs', import.meta.url));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A file to log into and a way to read what arrived.
function logFile(name: string): { fd: number; text: () => string } {
  const path = join(dir, name);
  return { fd: openSync(path, 'a'), text: () => readFileSync(path, 'utf8') };
}

// A named pipe: its read end (non-blocking, read only when the test wants) and its blocking write end.
function namedPipe(name: string): { reader: number; writer: number } {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return { reader, writer: openSync(path, constants.O_WRONLY) };
}

function drain(fd: number): string {
  const buf = Buffer.alloc(1 << 16);
  let text = '';
  for (;;) {
    try {
      const n = readSync(fd, buf);
      if (n === 0) return text;
      text += buf.toString('utf8', 0, n);
    } catch {
      return text;
    }
  }
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('createLogger', () => {
  it('writes JSON lines to its fd (auto is JSON when the fd is not a terminal)', async () => {
    const out = logFile('json.log');
    const { log, sink } = await createLogger({ format: 'auto', debug: false, base: { vhid: 7 }, fd: out.fd });
    log.info({ event: 'x' }, 'hello');
    await sink.flush(5000);
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, vhid: 7, event: 'x', msg: 'hello' });
    closeSync(out.fd);
  });

  it('writes pretty lines through the same sink', async () => {
    const out = logFile('pretty.log');
    const { log, sink } = await createLogger({ format: 'pretty', debug: false, base: { vhid: 7 }, fd: out.fd });
    log.warn('careful');
    await sink.flush(5000);
    expect(plain(out.text())).toMatch(/^\[[0-9:.]+\] WARN: careful\n {4}vhid: 7\n$/);
    closeSync(out.fd);
  });

  it('says how many lines it dropped once a stalled output is read again', async () => {
    const p = namedPipe('stalled');
    const { log, sink } = await createLogger({ format: 'json', debug: false, fd: p.writer });
    for (let i = 0; i < 10_000; i++) log.info({ n: i, pad: 'x'.repeat(180) }, 'flood');
    await tick(20);
    const { dropped } = sink.stats();
    expect(dropped).toBeGreaterThan(0);
    let lines: { msg: string; event?: string; dropped?: number }[] = [];
    let text = '';
    const until = performance.now() + 10_000;
    while (!lines.some((l) => l.event === 'log-dropped') && performance.now() < until) {
      text += drain(p.reader);
      lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as (typeof lines)[number]);
      await tick(5);
    }
    const notice = lines.find((l) => l.event === 'log-dropped');
    expect(notice).toMatchObject({ dropped, msg: `${dropped} log lines dropped: the log output is not keeping up` });
    sink.close();
    closeSync(p.reader);
    closeSync(p.writer);
  });

  it('goes on to stderr (fallbackFd) when stdout fails and stderr is another file, and says so there', async () => {
    const p = namedPipe('broken');
    const err = logFile('stderr.log');
    const { log, sink } = await createLogger({ format: 'json', debug: false, fd: p.writer, fallbackFd: err.fd });
    closeSync(p.reader);
    log.info('first');
    log.info('second');
    await sink.flush(5000);
    const lines = err.text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; event?: string; error?: string });
    expect(lines.map((l) => l.msg)).toEqual(['first', 'second', `log output on fd ${p.writer} failed (EPIPE): logging to fd ${err.fd} from now on`]);
    expect(lines[2]).toMatchObject({ event: 'log-diverted', error: 'EPIPE' });
    closeSync(err.fd);
  });

  it('a process whose stdout nobody reads exits on time, its log bounded: no write(2) holds the exit', async () => {
    const child = spawn(process.execPath, [FLOOD, '20000', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    let report = '';
    child.stderr.on('data', (d: Buffer) => (report += d.toString()));
    const started = performance.now();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(performance.now() - started, 'ms until the flooding process exited').toBeLessThan(10_000);
    child.stdout.destroy();
    expect(code).toBe(0);
    const stats = JSON.parse(report) as { output: string; dropped: number; queuedBytes: number };
    expect(stats).toMatchObject({ output: 'socket', state: 'open' });
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.queuedBytes).toBeLessThanOrEqual(LOG_QUEUE_BYTES);
  });
});

function capture() {
  const lines: { msg: string; suppressed?: number; from?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({}, stream), lines };
}

describe('rateLimited', () => {
  it('warns once per key per window and reports how many it held back', () => {
    const { log, lines } = capture();
    let now = 0;
    const warn = rateLimited(log, 10_000, () => now);
    for (let i = 0; i < 100; i++) warn('bad-hmac:10.0.0.9', { from: '10.0.0.9' }, 'bad HMAC');
    expect(lines).toHaveLength(1);
    now = 10_000;
    warn('bad-hmac:10.0.0.9', { from: '10.0.0.9' }, 'bad HMAC');
    expect(lines).toHaveLength(2);
    expect(lines[1]?.suppressed).toBe(99);
  });

  it('caps the warnings of one window even when every packet claims another source', () => {
    const { log, lines } = capture();
    const warn = rateLimited(log, 10_000, () => 0, 20);
    for (let i = 0; i < 5000; i++) warn(`not-a-peer:10.0.${i >> 8}.${i & 255}`, {}, 'not a peer');
    expect(lines).toHaveLength(20);
  });

  it('says how many warnings the cap held back once the next window opens', () => {
    const { log, lines } = capture();
    let now = 0;
    const warn = rateLimited(log, 1000, () => now, 5);
    for (let i = 0; i < 50; i++) warn(`k${i}`, {}, 'x');
    now = 1000;
    warn('k0', {}, 'x');
    expect(lines.map((l) => l.suppressed ?? 0)).toEqual([0, 0, 0, 0, 0, 45, 0]);
  });
});
