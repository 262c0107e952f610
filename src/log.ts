// pino setup: JSON lines on stdout (journald keeps them as they are), or pino-pretty on a terminal.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export interface LogOptions {
  format: 'json' | 'pretty' | 'auto';
  debug: boolean;
  base?: Record<string, unknown>;
}

// The process-wide logger; `auto` is pretty only when stdout is a terminal.
export function createLogger(o: LogOptions): Logger {
  const usePretty = o.format === 'pretty' || (o.format === 'auto' && process.stdout.isTTY === true);
  const options = { level: o.debug ? 'debug' : 'info', base: o.base ?? null };
  // Synchronous pretty printing keeps pino-pretty off a worker thread: one process, no extra RSS.
  return usePretty ? pino(options, pretty({ sync: true, ignore: 'pid,hostname' })) : pino(options);
}

// Logs a warning per key at most once per `everyMs`, counting what it held back, so a flood of bad
// packets cannot flood the journal.
export function rateLimited(log: Logger, everyMs: number, clock: () => number = Date.now) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (key: string, fields: Record<string, unknown>, msg: string): void => {
    const now = clock();
    const seen = last.get(key);
    if (seen && now - seen.at < everyMs) {
      seen.suppressed += 1;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    if (last.size > 256) last.clear(); // keys are outcome names and peer addresses: stay bounded under spoofing
    last.set(key, { at: now, suppressed: 0 });
    log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  };
}
