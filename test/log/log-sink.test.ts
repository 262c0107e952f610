// LogSink on real file descriptors: a log output that stalls or fails must never block the event
// loop, grow without bound or throw; what it cannot write is dropped and counted, and a failed output is
// given up (or, when stderr is another file, the log goes there).
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LOG_QUEUE_BYTES, LogSink } from '../../src/log/log-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'floatd-log-sink-'));
const opened: number[] = [];
const sinks: LogSink[] = [];
let fifos = 0;

afterEach(() => {
  for (const s of sinks.splice(0)) s.close();
  for (const fd of opened.splice(0)) closeQuietly(fd);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed already (a failed socket output closes its fd)
  }
}

function track(fd: number): number {
  opened.push(fd);
  return fd;
}

function sink(o: ConstructorParameters<typeof LogSink>[0]): LogSink {
  const s = new LogSink(o);
  sinks.push(s);
  return s;
}

// A named pipe with a blocking write end, as a parent process hands one over, and a read end we may ignore.
function pipe(): { writer: number; reader: number; path: string; read(): string } {
  const path = join(dir, `fifo${fifos++}`);
  execFileSync('mkfifo', [path]);
  const reader = track(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
  const writer = track(openSync(path, constants.O_WRONLY));
  const buf = Buffer.alloc(1 << 16);
  const read = () => {
    let text = '';
    for (;;) {
      try {
        const n = readSync(reader, buf);
        if (n === 0) return text;
        text += buf.toString('utf8', 0, n);
      } catch {
        return text; // EAGAIN: nothing more for now
      }
    }
  };
  return { writer, reader, path, read };
}

const line = (i: number) => `{"n":${i},"msg":"${'x'.repeat(180)}"}\n`;
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a log output nobody reads', () => {
  it('write() returns at once, timers still fire, and what does not fit in 1 MiB is dropped and counted', async () => {
    const p = pipe();
    const s = sink({ fd: p.writer });
    const lines = 20_000; // about 4 MB against a 64 KiB pipe
    for (let i = 0; i < lines; i++) s.write(line(i));
    const asked = performance.now();
    await tick(20);
    expect(performance.now() - asked, 'ms until a 20 ms timer fired').toBeLessThan(2000);
    const st = s.stats();
    expect(st.state).toBe('open');
    expect(st.queuedBytes).toBeLessThanOrEqual(LOG_QUEUE_BYTES);
    expect(st.queuedBytes).toBeGreaterThan(LOG_QUEUE_BYTES - 2 * line(0).length);
    // Kept: what the pipe took plus what the queue holds; everything else was dropped.
    expect(st.dropped).toBeGreaterThan(lines - (LOG_QUEUE_BYTES + (1 << 16)) / line(0).length - 1);
  });

  it('once read again, the lines it kept arrive whole and in order, then the count of those it dropped', async () => {
    const p = pipe();
    const notices: number[] = [];
    const s = sink({ fd: p.writer, maxBytes: 64 << 10, onDropped: (n) => (notices.push(n), s.write(`dropped ${n}\n`)) });
    for (let i = 0; i < 2000; i++) s.write(line(i));
    await tick(20);
    const dropped = s.stats().dropped;
    expect(dropped).toBeGreaterThan(0);
    let text = '';
    const until = performance.now() + 10_000;
    while (!text.endsWith(`dropped ${dropped}\n`) && performance.now() < until) {
      text += p.read();
      await tick(5);
    }
    expect(notices).toEqual([dropped]);
    const got = text.split('\n').filter(Boolean);
    expect(got.at(-1)).toBe(`dropped ${dropped}`);
    const kept = got.slice(0, -1).map((l) => (JSON.parse(l) as { n: number }).n);
    expect(kept).toEqual(kept.map((_, i) => i));
    expect(kept.length + dropped).toBe(2000);
  });

  it('flush() gives up at its deadline, and resolves once all is written when the output moves', async () => {
    const p = pipe();
    const s = sink({ fd: p.writer });
    for (let i = 0; i < 2000; i++) s.write(line(i));
    const asked = performance.now();
    await s.flush(100);
    expect(performance.now() - asked, 'ms for flush(100) of a stalled output').toBeLessThan(2000);
    expect(s.stats().queuedBytes).toBeGreaterThan(0);
    let text = '';
    let flushed = false;
    const done = s.flush(30_000).then(() => (flushed = true));
    while (!flushed) {
      text += p.read();
      await tick(5);
    }
    await done;
    text += p.read();
    expect(text.split('\n').filter(Boolean)).toHaveLength(2000);
  });
});

describe('a log output that fails', () => {
  it('a pipe whose reader went away (EPIPE): no throw, the output is given up, later lines are counted', async () => {
    const p = pipe();
    const s = sink({ fd: p.writer });
    closeSync(p.reader);
    opened.splice(opened.indexOf(p.reader), 1);
    expect(() => s.write(line(0))).not.toThrow();
    await s.flush(5000);
    expect(s.stats()).toMatchObject({ state: 'dead', error: 'EPIPE' });
    for (let i = 1; i <= 10; i++) expect(() => s.write(line(i))).not.toThrow();
    expect(s.stats().dropped).toBe(11);
  });

  it('an fd that cannot be written (EBADF) is given up the same way', async () => {
    const file = join(dir, 'read-only');
    execFileSync('touch', [file]);
    const s = sink({ fd: track(openSync(file, 'r')) });
    s.write(line(0));
    await s.flush(5000);
    expect(s.stats()).toMatchObject({ state: 'dead', error: 'EBADF', dropped: 1 });
  });

  it('diverts to the fallback when that is another file: the unwritten lines go there, then the notice', async () => {
    const p = pipe();
    const file = join(dir, 'fallback.log');
    const fallback = track(openSync(file, 'a'));
    const diverted: string[] = [];
    const s = sink({ fd: p.writer, fallbackFd: fallback, onDiverted: (from, to, error) => (diverted.push(`${from}->${to} ${error}`), s.write(`diverted ${error}\n`)) });
    closeSync(p.reader);
    opened.splice(opened.indexOf(p.reader), 1);
    for (let i = 0; i < 3; i++) s.write(line(i));
    await s.flush(5000);
    expect(diverted).toEqual([`${p.writer}->${fallback} EPIPE`]);
    expect(s.stats()).toMatchObject({ state: 'open', fd: fallback, dropped: 0 });
    const got = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(got.map((l) => (l.startsWith('{') ? (JSON.parse(l) as { n: number }).n : l))).toEqual([0, 1, 2, 'diverted EPIPE']);
  });

  it('does not divert to a fallback that is the same file (stderr on the same dead terminal or pipe)', async () => {
    const p = pipe();
    const same = track(openSync(p.path, constants.O_WRONLY | constants.O_NONBLOCK));
    const diverted: string[] = [];
    const s = sink({ fd: p.writer, fallbackFd: same, onDiverted: (_f, _t, error) => diverted.push(error) });
    closeSync(p.reader);
    opened.splice(opened.indexOf(p.reader), 1);
    s.write(line(0));
    await s.flush(5000);
    expect(diverted).toEqual([]);
    expect(s.stats()).toMatchObject({ state: 'dead', error: 'EPIPE' });
  });
});
