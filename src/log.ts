// pino setup: JSON lines on stdout (journald keeps them as they are), or pino-pretty on a terminal.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  format: 'json' | 'pretty' | 'auto';
  debug: boolean;
  base?: Record<string, unknown>;
}

// The process-wide logger; `auto` is pretty only when stdout is a terminal.
export async function createLogger(o: LogOptions): Promise<Logger> {
  const usePretty = o.format === 'pretty' || (o.format === 'auto' && process.stdout.isTTY === true);
  const options = { level: o.debug ? 'debug' : 'info', base: o.base ?? null };
  if (!usePretty) return pino(options);
  // Loaded only when wanted (about 10 MB of RSS), and synchronous, which keeps it off a worker thread.
  const { default: pretty } = await import('pino-pretty');
  return pino(options, pretty({ sync: true, ignore: 'pid,hostname' }));
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
