// `floatd cleanup`: what an agent that died without cleaning up (SIGKILL, OOM, a crash, a watchdog
// abort) left undone — its VIP removed, its down hooks run. ucarp and keepalived leave the VIP (and the
// service) on the host until they are started again; under systemd this runs as ExecStopPost=.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { runHookGroup, type HooksEffect } from '../effects/hook-groups.js';
import { ipVipDriver, recordVipDriver } from '../effects/vip.js';
import type { HookContext } from '../election/machine.js';
import type { Logger } from '../log/log.js';
import { RunRecord } from '../state/run-record.js';
import { readStateFile, writeStateFile, type StateFile } from '../state/state-file.js';
import { NOTIFY_VARIABLES } from '../systemd/notify-env.js';
import { migrateDefaultPaths, stateFileOrLegacy } from '../state/migrate.js';

// Exit codes: 0 cleaned up (or nothing to do after a clean exit), 1 the VIP or a down hook failed,
// 2 refused because this vhid's agent is running (it owns the VIP).
export const CLEANUP_EXIT = { done: 0, failed: 1, agentRunning: 2 } as const;

// How the main process ended, from the variables systemd gives ExecStopPost= (systemd.exec(5));
// undefined when they are absent (run by hand).
export interface ServiceExit {
  result: string; // SERVICE_RESULT: success, exit-code, signal, core-dump, watchdog, timeout, …
  code: string | undefined; // EXIT_CODE: exited, killed, dumped
  status: string | undefined; // EXIT_STATUS: a number or a signal name
}

export function serviceExit(env: Readonly<Record<string, string | undefined>>): ServiceExit | undefined {
  const result = env.SERVICE_RESULT;
  return result ? { result, code: env.EXIT_CODE || undefined, status: env.EXIT_STATUS || undefined } : undefined;
}

// A clean exit is the agent's own: with -z it released the VIP itself, without -z it left it in place
// on purpose (ucarp's behaviour). Anything else left the VIP behind by accident.
export function isCleanExit(e: ServiceExit): boolean {
  return e.result === 'success' && (e.code === undefined || e.code === 'exited') && (e.status === undefined || e.status === '0');
}

export function describeExit(e: ServiceExit): string {
  return `SERVICE_RESULT=${e.result} EXIT_CODE=${e.code ?? ''} EXIT_STATUS=${e.status ?? ''}`;
}

// Runs the cleanup for cfg's vhid; resolves with the exit code, never throws for a failed command.
export async function runCleanup(cfg: Config, o: { log: Logger; env: Record<string, string | undefined> }): Promise<number> {
  const { log } = o;
  // The hooks run below must not be able to speak to systemd for this unit.
  for (const v of NOTIFY_VARIABLES) delete o.env[v];
  const exit = serviceExit(o.env);
  if (exit && isCleanExit(exit)) {
    log.info({ event: 'cleanup', action: 'none', exit: describeExit(exit) }, `the agent exited cleanly (${describeExit(exit)}): nothing to clean up`);
    return CLEANUP_EXIT.done;
  }
  // The dead agent may be of an earlier version, whose files are at the old default paths.
  const stateFile = await stateFileOrLegacy(cfg);
  const doc = await readStateFile(stateFile);
  if (doc && agentRunning(doc.pid)) {
    log.error({ event: 'cleanup', action: 'refused', pid: doc.pid, stateFile }, `the agent of vhid ${cfg.vhid} (pid ${doc.pid}, ${doc.state}) is running and owns the VIP: floatd cleanup does nothing (stop the agent first)`);
    return CLEANUP_EXIT.agentRunning;
  }
  const reason = exit ? `cleanup after the agent ended uncleanly (${describeExit(exit)})` : `cleanup requested: no agent running for vhid ${cfg.vhid}`;
  log.info({ event: 'cleanup', action: 'start', pid: doc?.pid ?? null, state: doc?.state ?? null, vipHeld: doc?.vipHeld ?? null }, `${reason}: removing the VIP and running the down hooks`);

  // The VIP first: the agent is gone and another node has probably promoted, so every second the address
  // stays here two hosts answer ARP for it; a service without its address gets no more clients.
  const vip = cfg.vipDriver === 'ip' ? ipVipDriver({ iface: cfg.interface, vips: cfg.vips, log, lookFirst: cfg.upscript !== undefined }) : recordVipDriver(cfg.interface, cfg.vips, log);
  const removed = await vip.remove();
  if (removed.ok) log.info({ event: 'vip', op: 'remove', changed: removed.changed, vip: cfg.vips.join(' ') }, removed.changed ? 'VIP removed' : 'VIP was not on the interface');
  else log.error({ event: 'vip', op: 'remove', err: removed.error }, `cannot remove the VIP: ${removed.error}`);

  const hooks = mayHaveServed(doc) || (removed.ok && removed.changed) || !cfg.neutral;
  const failures = hooks ? await downHooks(cfg, log, doc, reason) : [];
  if (!hooks) log.info({ event: 'cleanup', action: 'no-hooks' }, '-n and the agent never held the VIP or ran hooks: no down hooks');

  if (doc) await markCleaned(stateFile, doc, reason, log);
  const ok = removed.ok && failures.length === 0;
  log[ok ? 'info' : 'error']({ event: 'cleanup', action: 'done', ok, failures }, ok ? 'cleanup done: VIP gone, down hooks run' : `cleanup incomplete: ${verdict(removed.ok, failures)}`);
  return ok ? CLEANUP_EXIT.done : CLEANUP_EXIT.failed;
}

// What matters after a crash, said apart: is the VIP gone, and did the down hooks (which stop the service) succeed.
function verdict(vipGone: boolean, failures: readonly string[]): string {
  const vip = vipGone ? 'the VIP is gone' : 'the VIP was NOT removed';
  return failures.length === 0 ? `${vip}, down hooks run` : `${vip}, but ${failures.join('; ')} (the service may still be running)`;
}

// The hooks directory first, the ucarp -d script, then released.d/, as a release runs them; each failure's detail.
async function downHooks(cfg: Config, log: Logger, doc: StateFile | undefined, reason: string): Promise<string[]> {
  await migrateDefaultPaths({ ...cfg, stateFile: '' }, log); // the run record only: the state file is marked where it is
  const record = await RunRecord.load(cfg.runRecord, cfg.vhid, log);
  const epoch = doc?.epoch ?? 0;
  const context: HookContext = { state: 'BACKUP', previous: previousOf(doc), reason };
  // systemd's stop timeout ends this with SIGTERM: the running hook is stopped like the agent stops it.
  const abort = new AbortController();
  const onTerm = () => abort.abort();
  process.once('SIGTERM', onTerm);
  const failures: string[] = [];
  try {
    // As a release runs them: down.d/, the -d script, then released.d/ (nobody waits for a resign here).
    for (const [phase, group] of [['down', 'dir'], ['down', 'script'], ['released', 'dir']] as const) {
      const e: HooksEffect = { kind: 'hooks', phase, group, epoch, context, facts: record.facts(doc?.maxEpochSeen ?? epoch) };
      const r = await runHookGroup(e, { cfg, log, signal: abort.signal, onStart: () => undefined, onEnd: () => undefined });
      if (!r.ok) failures.push(`${phase} hook failed: ${r.detail}`);
    }
  } finally {
    process.off('SIGTERM', onTerm);
  }
  return failures;
}

// What the dead agent was, for FLOATD_PREVIOUS_STATE: MASTER when it held or was building a mastership.
function previousOf(doc: StateFile | undefined): HookContext['previous'] {
  if (!doc) return 'INIT';
  if (mayHaveServed(doc)) return 'MASTER';
  return doc.state === 'INIT' ? 'INIT' : 'BACKUP';
}

// Only a state file that says otherwise lets -n skip the down hooks; no file means "maybe".
function mayHaveServed(doc: StateFile | undefined): boolean {
  if (!doc) return true;
  return doc.state === 'MASTER' || doc.state === 'RELEASING' || doc.vipHeld || doc.serving || doc.hooksInProgress.length > 0;
}

// The dead agent's document says what is true now; its epoch and sequence floors stay for the next start.
async function markCleaned(path: string, doc: StateFile, reason: string, log: Logger): Promise<void> {
  const now = new Date().toISOString();
  const next: StateFile = { ...doc, state: 'STOPPED', since: now, reason, serving: false, vipHeld: false, hooksInProgress: [], updatedAt: now };
  await writeStateFile(path, next).catch((err: Error) => log.warn({ stateFile: path, err: err.message }, `cannot update the state file: ${err.message}`));
}

// The state file's pid names a live floatd. A pid reused by another program is no agent; a process
// this one cannot signal (EPERM) still counts as alive, and so does one whose /proc entry is unreadable.
export function agentRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // A zombie (killed, not reaped yet) has an empty command line: not running.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((a) => /floatd|cli\.js$/.test(a));
  } catch {
    return true;
  }
}
