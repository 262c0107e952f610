// The agent's signals: SIGTERM/SIGINT shut down (in order with -z), SIGHUP reloads the keys (nothing else:
// the rest of the configuration is only read at start), and as in ucarp SIGUSR1 logs the state and SIGUSR2
// makes the node step back.
import type { Logger } from '../log/log.js';

export interface SignalActions {
  shutdown(): void;
  dump(): void;
  demote(): void;
  reload?(): void; // the keys (key-reload.ts)
}

// Installs the handlers; returns their removal.
export function installSignals(log: Logger, cooldownMs: number, act: SignalActions): () => void {
  const installed: [NodeJS.Signals, () => void][] = [];
  const on = (sig: NodeJS.Signals, fn: () => void) => {
    process.on(sig, fn);
    installed.push([sig, fn]);
  };
  const shutdown = (sig: NodeJS.Signals) => () => {
    log.info({ signal: sig }, `${sig} received`);
    act.shutdown();
  };
  on('SIGTERM', shutdown('SIGTERM'));
  on('SIGINT', shutdown('SIGINT'));
  on('SIGHUP', () => {
    if (!act.reload) return log.info('SIGHUP ignored: restart floatd to change its configuration');
    log.info({ signal: 'SIGHUP' }, 'SIGHUP: reloading the keys (the rest of the configuration needs a restart)');
    act.reload();
  });
  on('SIGUSR1', () => act.dump());
  on('SIGUSR2', () => {
    log.info({ cooldown: cooldownMs / 1000 }, 'SIGUSR2: stepping back');
    act.demote();
  });
  return () => {
    for (const [sig, fn] of installed) process.off(sig, fn);
  };
}
