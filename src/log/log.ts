// pino setup: JSON lines (journald keeps them as they are), or pino-pretty on a terminal, written through
// the bounded, non-blocking LogSink: a log output that stalls or fails never stops the agent.
import { isatty } from 'node:tty';
import { pino, type Logger } from 'pino';
import { LogSink } from './log-sink.js';

export type { Logger };

export interface LogOptions {
  format: 'json' | 'pretty' | 'auto';
  debug: boolean;
  base?: Record<string, unknown>;
  fd?: number; // default 1 (stdout)
  fallbackFd?: number; // default 2 (stderr), used only when `fd` fails and this is another file
}

// The logger and its sink: cli.ts lets the last lines out (flush with a deadline) before it exits.
export interface LogHandle {
  log: Logger;
  sink: LogSink;
}

// The process-wide logger; `auto` is pretty only when the output is a terminal.
export async function createLogger(o: LogOptions): Promise<LogHandle> {
  const fd = o.fd ?? 1;
  // isatty, not process.stdout.isTTY: that getter would open stdout as a blocking stream of its own.
  const usePretty = o.format === 'pretty' || (o.format === 'auto' && isatty(fd));
  const options = { level: o.debug ? 'debug' : 'info', base: o.base ?? null };
  let log: Logger | undefined;
  const sink = new LogSink({
    fd,
    fallbackFd: o.fallbackFd ?? 2,
    onDropped: (lines) => log?.warn({ event: 'log-dropped', dropped: lines }, `${lines} log lines dropped: the log output is not keeping up`),
    onDiverted: (from, to, error) => log?.warn({ event: 'log-diverted', from, to, error }, `log output on ${fdName(from)} failed (${error}): logging to ${fdName(to)} from now on`),
  });
  if (!usePretty) {
    log = pino(options, { write: (line: string) => sink.write(line) });
    return { log, sink };
  }
  // Loaded only when wanted (about 10 MB of RSS); formats in-process, so no worker thread and no stream of its own.
  const pretty = (await import('pino-pretty')).default.prettyFactory({ ignore: 'pid,hostname' });
  log = pino(options, { write: (line: string) => sink.write(prettyOr(pretty, line)) });
  return { log, sink };
}

function fdName(fd: number): string {
  return fd === 1 ? 'stdout' : fd === 2 ? 'stderr' : `fd ${fd}`;
}

// A line pino-pretty cannot format goes out as it came.
function prettyOr(pretty: (line: string) => string, line: string): string {
  try {
    return pretty(line);
  } catch {
    return line;
  }
}

// Logs a warning per key at most once per `everyMs`, counting what it held back, and at most
// `budget` warnings per window overall: a flood of bad packets, even from many spoofed sources,
// cannot flood the journal.
export function rateLimited(log: Logger, everyMs: number, clock: () => number = Date.now, budget = 20) {
  const last = new Map<string, { at: number; suppressed: number }>();
  let window = { start: -Infinity, used: 0, held: 0 };
  return (key: string, fields: Record<string, unknown>, msg: string): void => {
    const now = clock();
    if (now - window.start >= everyMs) {
      if (window.held > 0) log.warn({ suppressed: window.held }, `${window.held} more warnings held back in the last ${everyMs / 1000} s`);
      window = { start: now, used: 0, held: 0 };
    }
    const seen = last.get(key);
    if (seen && now - seen.at < everyMs) {
      seen.suppressed += 1;
      return;
    }
    if (window.used >= budget) {
      window.held += 1;
      return;
    }
    window.used += 1;
    const suppressed = seen?.suppressed ?? 0;
    last.delete(key);
    // Keys are drop reasons and sender addresses: forget the oldest, so spoofed sources cannot grow memory.
    if (last.size >= 1024) last.delete(last.keys().next().value as string);
    last.set(key, { at: now, suppressed: 0 });
    log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  };
}
