// Per-interface default paths (config/paths.ts) on a host upgraded from a version that keyed them on the
// vhid alone: the run record (and a state file of this interface) left at the old default is moved to
// the new one, logged, never lost; an older agent still answering on the old socket stops this one.
import { access, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Config } from '../config/config.js';
import { defaultPath, legacyPath, type PathFlag } from '../config/paths.js';
import { ask } from '../control/client.js';
import { ControlSocketBusy } from '../control/server.js';
import type { Logger } from '../log/log.js';
import { readStateFile } from './state-file.js';

type Paths = Pick<Config, 'interface' | 'vhid' | 'stateFile' | 'runRecord' | 'controlSocket'>;
// Where the defaults are, new and old (config/paths.ts); tests put them in a temporary directory.
export interface Defaults {
  defaultPath: typeof defaultPath;
  legacyPath: typeof legacyPath;
}
const DEFAULTS: Defaults = { defaultPath, legacyPath };

// Moves what the old defaults hold to the new ones, where this agent uses the defaults. Never throws:
// a move that fails is logged and the old file stays where it was.
export async function migrateDefaultPaths(cfg: Paths, log: Logger, where: Defaults = DEFAULTS): Promise<void> {
  await move('run-record', cfg.runRecord, cfg, log, where, async () => true);
  // A state file names its interface: one of another interface's agent is not ours to take.
  await move('state-file', cfg.stateFile, cfg, log, where, async (old) => (await readStateFile(old))?.interface === cfg.interface);
}

// The state file to read when this agent's is missing: the old default's, when it is of this interface
// (floatd cleanup after an agent of the older version died).
export async function stateFileOrLegacy(cfg: Paths): Promise<string> {
  if (cfg.stateFile !== defaultPath('state-file', cfg.interface, cfg.vhid) || (await exists(cfg.stateFile))) return cfg.stateFile;
  const old = legacyPath('state-file', cfg.vhid);
  return (await readStateFile(old))?.interface === cfg.interface ? old : cfg.stateFile;
}

// An agent of an older version for this vhid and interface, still running on the old default socket,
// holds the VIP as much as one on the new: refuse to start beside it (as server.ts does on one path).
export async function refuseBesideLegacyAgent(cfg: Paths): Promise<void> {
  if (cfg.controlSocket !== defaultPath('control-socket', cfg.interface, cfg.vhid)) return;
  const old = legacyPath('control-socket', cfg.vhid);
  if (!(await exists(old))) return;
  const r = await ask(old, 'status', 1000);
  if (r.kind !== 'answer' || !r.response.ok || r.response.status.interface !== cfg.interface) return;
  throw new ControlSocketBusy(`the control socket "${old}" (the default of earlier versions) is answered by floatd pid ${r.response.status.pid} for vhid ${cfg.vhid} on ${cfg.interface}: two agents for one vhid on one interface would both claim the VIP. Stop the other agent first`);
}

async function move(flag: PathFlag, now: string, cfg: Paths, log: Logger, where: Defaults, ours: (old: string) => Promise<boolean>): Promise<void> {
  if (now !== where.defaultPath(flag, cfg.interface, cfg.vhid)) return;
  const old = where.legacyPath(flag, cfg.vhid);
  if (!(await exists(old)) || !(await ours(old))) return;
  if (await exists(now)) {
    log.warn({ event: 'migrate', flag, from: old, to: now }, `--${flag}: both ${old} (the default of earlier versions) and ${now} exist: using ${now}, ${old} left in place (remove it once it is not needed)`);
    return;
  }
  try {
    await mkdir(dirname(now), { recursive: true, mode: 0o755 });
    await rename(old, now);
    log.info({ event: 'migrate', flag, from: old, to: now }, `--${flag}: moved ${old} (the default of earlier versions) to ${now}`);
  } catch (err) {
    log.error({ event: 'migrate', flag, from: old, to: now, err: (err as Error).message }, `--${flag}: cannot move ${old} to ${now} (${(err as Error).message}): it stays where it is and this run starts without it`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
