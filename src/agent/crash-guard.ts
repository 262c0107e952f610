// A crash (an exception nobody caught, a rejection nobody handled) silences the agent at once: peers stop
// hearing it and a backup promotes. A node that then kept the VIP would answer for it beside the new
// master — what ucarp and keepalived do after a crash. So the last act of a crashing agent is to stop
// sending, drop the VIP synchronously (the event loop may not run again) and exit with EX_SOFTWARE; the
// supervisor's restart runs the start-up down hooks as after any crash.
import type { Logger } from '../log/log.js';

// sysexits.h EX_SOFTWARE: an internal error.
export const CRASH_EXIT_CODE = 70;

export interface CrashGuardOptions {
  log: Logger;
  halt: () => void; // stop timers and sockets: no advert may leave after this
  dropVip: () => { ok: true; changed: boolean } | { ok: false; error: string };
  exit: (code: number) => void;
}

// Installs the process-wide handlers; returns their removal.
export function installCrashGuard(o: CrashGuardOptions): () => void {
  let crashing = false;
  const onCrash = (err: unknown, kind: string): void => {
    if (crashing) return;
    crashing = true;
    try {
      o.halt();
    } catch {
      // halting is best effort; the VIP matters more
    }
    const r = o.dropVip();
    const vip = r.ok ? (r.changed ? 'VIP removed' : 'VIP was not held') : `VIP NOT removed (${r.error}): remove it by hand or run floatd again`;
    o.log.fatal({ event: 'crash', kind, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, `floatd crashed (${kind}): stopped advertising, ${vip}; exiting ${CRASH_EXIT_CODE}`);
    o.exit(CRASH_EXIT_CODE);
    // The orderly exit above may itself be wedged by whatever broke: the one exit outside cli.ts, on purpose.
    setTimeout(() => process.exit(CRASH_EXIT_CODE), 5000).unref();
  };
  const onException = (err: Error) => onCrash(err, 'uncaught exception');
  const onRejection = (reason: unknown) => onCrash(reason, 'unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
