// `floatd status`: what the state files of running agents say, for people (text) or scripts (--json).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { outOfDateSince, readStateFile, type StateFile } from './state-file.js';

// Where agents keep their state files and control sockets by default.
export const STATE_DIR = '/run/floatd';

// A state file as `floatd status` shows it: marked when its running agent could not keep it current.
export type StatusDoc = StateFile & { outOfDate?: { lastWritten: string; failedAt: string } };

// `floatd status` exit codes, after LSB init scripts and systemctl status: 0 every vhid shown has a running
// agent, 3 not running (only state files of agents that are gone, or nothing at all), 4 unknown (the control
// socket may not be opened: not root), 1 a bad flag or a --state-file that is not one.
export const STATUS_EXIT = { running: 0, error: 1, notRunning: 3, unknown: 4 } as const;

// Prints the state files (--state-file, else every one in STATE_DIR, or only those of `vhid`) and says by
// the exit code whether their agents run.
export async function printStatus(o: { json?: boolean; stateFile?: string; vhid?: number }): Promise<number> {
  const found = await loadStateDocs(o.stateFile ? [o.stateFile] : await listStateFiles(), o.stateFile !== undefined);
  const docs = o.vhid === undefined ? found : found.filter((d) => d.vhid === o.vhid);
  if (docs.length === 0) {
    if (o.stateFile) return STATUS_EXIT.error;
    process.stderr.write(`floatd: no state files${o.vhid === undefined ? '' : ` for vhid ${o.vhid}`} in ${STATE_DIR}: floatd is not running (or pass --state-file)\n`);
    return STATUS_EXIT.notRunning;
  }
  if (o.json) process.stdout.write(`${JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2)}\n`);
  else for (const d of docs) process.stdout.write(`${describe(d)}\n`);
  return docs.every(agentAlive) ? STATUS_EXIT.running : STATUS_EXIT.notRunning;
}

// Whether the agent that wrote `d` still runs.
export function agentAlive(d: StateFile): boolean {
  return isAlive(d.pid);
}

// One line a vhid, e.g. "vhid 10 VIP 10.0.0.99 on eth0: MASTER since … — reason", and warnings below it.
export function describe(d: StatusDoc): string {
  const alive = isAlive(d.pid) ? '' : ` (stale: pid ${d.pid} is not running)`;
  // Said first: everything after it is what the agent last managed to write, not what it is now.
  const old = d.outOfDate ? `OUT OF DATE: the agent could not update this file since ${d.outOfDate.lastWritten} (last failed attempt ${d.outOfDate.failedAt}; is /run full?), it last wrote: ` : '';
  const role = d.state === 'MASTER' ? `MASTER${d.serving ? ', serving' : ', up hooks running'}` : d.state;
  // A master (or one releasing) follows itself: only another node is worth naming, with the epoch it leads
  // (what an operator compares across nodes); this node's own epoch is that of its last mastership.
  const other = d.master && d.master !== d.srcip;
  const master = other ? `, master ${d.master}${typeof d.masterEpoch === 'number' ? ` at epoch ${d.masterEpoch}` : ''}` : '';
  const hooks = d.hooksInProgress.length > 0 ? `, hooks running: ${d.hooksInProgress.join(' ')}` : '';
  const out = Object.entries(d.keptOut ?? {}).map(([bar, why]) => `\n  kept out of mastership (${bar}): ${why}`);
  // A failed stop may have left the service running here: said on its own line, never folded away.
  if (typeof d.stopFailed === 'string') out.push(`\n  STOP FAILED in the last release (${d.stopFailed}): the service or the VIP may still be here; check the down hooks' output`);
  const vips = d.vips !== undefined && d.vips.length > 1 ? `VIPs ${d.vips.join(' ')}` : `VIP ${d.vip}`;
  const line = `${old}vhid ${d.vhid} ${vips} on ${d.interface} (${d.srcip}): ${role} since ${d.since}${master}, ${other ? 'own epoch' : 'epoch'} ${d.epoch}${hooks} — ${d.reason}${alive}`;
  // Both nodes may be master while a peer's adverts cannot be verified: said on its own line, never folded away.
  const auth = (d.authFailures ?? []).map((f) => `\n  WARNING: adverts from ${f.from} fail HMAC verification (${f.count} since ${f.since}, last ${f.lastAt}): check the secret, vhid and VIP on both nodes`);
  return line + out.join('') + auth.join('');
}

// The documents at `paths` that are floatd state files; with `loud`, each one that is not is said on stderr.
export async function loadStateDocs(paths: readonly string[], loud: boolean): Promise<StatusDoc[]> {
  const docs: StatusDoc[] = [];
  for (const p of paths) {
    const doc = await readStateFile(p);
    // Only a running agent can have failed to write; a dead one's file is already called stale below.
    const failedAt = doc && isAlive(doc.pid) ? await outOfDateSince(p, doc).catch(() => undefined) : undefined;
    if (doc) docs.push(failedAt ? { ...doc, outOfDate: { lastWritten: doc.updatedAt, failedAt: failedAt.toISOString() } } : doc);
    else if (loud) process.stderr.write(`floatd: --state-file "${p}" is missing or not a floatd state file\n`);
  }
  return docs;
}

// Every *.json in STATE_DIR, sorted.
export async function listStateFiles(): Promise<string[]> {
  const names = await readdir(STATE_DIR).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.json')).sort().map((n) => join(STATE_DIR, n));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
