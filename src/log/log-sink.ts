// The log's way out, bounded and never blocking: pino hands over whole lines; they leave one write
// at a time behind a queue of at most 1 MiB. An output that stalls (journald stuck, a pipe nobody reads, a
// terminal paused with Ctrl-S) costs dropped lines, counted and reported once it catches up; one that fails
// (EIO from a hung-up terminal, EPIPE, EBADF) is given up, and the log goes to stderr instead when that is
// another file. Nothing here throws or waits, so adverts and signals never depend on the log.
import { openOutput, sameFile, type Output } from './log-output.js';

export interface LogSinkOptions {
  fd: number;
  // Where the log goes when `fd` fails, if it is not the same file (stderr when stdout is a dead pipe).
  fallbackFd?: number;
  maxBytes?: number;
  // Lines were dropped and the backlog is down to half: say so through the log itself.
  onDropped?: (lines: number) => void;
  // `from` failed with `error`; the log goes to `to` from now on.
  onDiverted?: (from: number, to: number, error: string) => void;
}

// What the sink has been through, for tests and the operator's questions.
export interface LogSinkStats {
  state: 'open' | 'dead';
  fd: number;
  output: Output['kind'];
  error: string | undefined;
  queuedBytes: number;
  dropped: number;
}

// Enough for minutes of a busy agent's log, little enough to be no memory concern.
export const LOG_QUEUE_BYTES = 1 << 20;
// Lines are joined into writes of at most this much.
const CHUNK_BYTES = 64 << 10;

// The process's log output; see the file comment.
export class LogSink {
  private output: Output;
  private fd: number;
  private fallbackFd: number | undefined;
  private readonly maxBytes: number;
  private readonly onDropped: ((lines: number) => void) | undefined;
  private readonly onDiverted: ((from: number, to: number, error: string) => void) | undefined;
  // Unwritten lines, oldest first; `queuedBytes` also counts the write in flight.
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private inFlight = false;
  private pumping = false;
  private dead = false;
  private error: string | undefined;
  private dropped = 0;
  private unreported = 0;
  private waiters: (() => void)[] = [];

  constructor(o: LogSinkOptions) {
    this.fd = o.fd;
    // Decided now: once an output fails, libuv may close its fd and the number be reused.
    this.fallbackFd = o.fallbackFd !== undefined && o.fallbackFd !== o.fd && !sameFile(o.fd, o.fallbackFd) ? o.fallbackFd : undefined;
    this.maxBytes = o.maxBytes ?? LOG_QUEUE_BYTES;
    this.onDropped = o.onDropped;
    this.onDiverted = o.onDiverted;
    this.output = openOutput(o.fd);
  }

  // Queues one line (or drops it, counted); returns at once and never throws.
  write(line: string): void {
    try {
      if (line.length === 0) return;
      if (this.dead || this.queuedBytes + Buffer.byteLength(line) > this.maxBytes) return this.drop(1);
      const buf = Buffer.from(line);
      this.queue.push(buf);
      this.queuedBytes += buf.length;
      this.pump();
    } catch {
      this.drop(1);
    }
  }

  // Resolves once everything queued is written, the output is given up, or `timeoutMs` passed.
  flush(timeoutMs: number): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  stats(): LogSinkStats {
    return { state: this.dead ? 'dead' : 'open', fd: this.fd, output: this.output.kind, error: this.error, queuedBytes: this.queuedBytes, dropped: this.dropped };
  }

  // Stops writing and lets go of what the output opened (tests; the agent's log lives as long as the process).
  close(): void {
    this.dead = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.output.close();
    this.wake();
  }

  // A loop, not recursion: an output that completes at once (a file, a terminal taking a few bytes at a
  // time) comes back here through written() while the loop below is still running.
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.inFlight && !this.dead && this.queue.length > 0) {
        const chunk = this.take();
        this.inFlight = true;
        this.output.write(chunk, (error, bytes) => this.written(chunk, error, bytes));
      }
    } finally {
      this.pumping = false;
    }
    this.wake();
  }

  // The oldest lines, joined up to CHUNK_BYTES (a longer line goes alone).
  private take(): Buffer {
    let n = 0;
    let size = 0;
    while (n < this.queue.length && (n === 0 || size + (this.queue[n] as Buffer).length <= CHUNK_BYTES)) size += (this.queue[n++] as Buffer).length;
    const parts = this.queue.splice(0, n);
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }

  private written(chunk: Buffer, error: string | undefined, bytes: number): void {
    this.inFlight = false;
    if (error !== undefined) return this.fail(chunk, error);
    this.queuedBytes -= bytes;
    if (bytes < chunk.length) this.queue.unshift(chunk.subarray(bytes));
    if (this.unreported > 0 && this.queuedBytes <= this.maxBytes / 2) {
      const lines = this.unreported;
      this.unreported = 0;
      this.notify(() => this.onDropped?.(lines));
    }
    this.pump();
  }

  // A hard error: divert to the fallback once, with the unwritten lines; else give the output up.
  private fail(chunk: Buffer, error: string): void {
    this.error = error;
    this.queue.unshift(chunk);
    const to = this.fallbackFd;
    if (to !== undefined) {
      const from = this.fd;
      this.fallbackFd = undefined;
      this.fd = to;
      this.output = openOutput(to);
      this.notify(() => this.onDiverted?.(from, to, error));
      return this.pump();
    }
    this.dead = true;
    this.drop(this.queue.length);
    this.queue = [];
    this.queuedBytes = 0;
    this.wake();
  }

  private drop(lines: number): void {
    this.dropped += lines;
    this.unreported += lines;
  }

  private notify(say: () => void): void {
    try {
      say();
    } catch {
      // a notice that cannot be logged is not worth more than the lines it is about
    }
  }

  private settled(): boolean {
    return this.dead || (!this.inFlight && this.queue.length === 0);
  }

  private wake(): void {
    if (!this.settled()) return;
    for (const w of [...this.waiters]) w();
  }
}
