// `floatd status`: what the state files of running agents say, for people (text) or scripts (--json).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { outOfDateSince, readStateFile, type StateFile } from './state-file.js';

// Where agents keep their state files and control sockets by default.
export const STATE_DIR = '/run/floatd';

// A state file as `floatd status` shows it: marked when its running agent could not keep it current.
export type StatusDoc = StateFile & { outOfDate?: { lastWritten: string; failedAt: string } };

// Prints every known vhid's state; exit code 1 when there is nothing to show.
export async function printStatus(o: { json?: boolean; stateFile?: string }): Promise<number> {
  const docs = await loadStateDocs(o.stateFile ? [o.stateFile] : await listStateFiles(), o.stateFile !== undefined);
  if (docs.length === 0) {
    if (!o.stateFile) process.stderr.write(`floatd: no state files in ${STATE_DIR} (is floatd running? pass --state-file)\n`);
    return 1;
  }
  if (o.json) process.stdout.write(`${JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2)}\n`);
  else for (const d of docs) process.stdout.write(`${describe(d)}\n`);
  return 0;
}

// One line a vhid, e.g. "vhid 10 VIP 10.0.0.99 on eth0: MASTER since … — reason", and warnings below it.
export function describe(d: StatusDoc): string {
  const alive = isAlive(d.pid) ? '' : ` (stale: pid ${d.pid} is not running)`;
  // Said first: everything after it is what the agent last managed to write, not what it is now.
  const old = d.outOfDate ? `OUT OF DATE: the agent could not update this file since ${d.outOfDate.lastWritten} (last failed attempt ${d.outOfDate.failedAt}; is /run full?), it last wrote: ` : '';
  const role = d.state === 'MASTER' ? `MASTER${d.serving ? ', serving' : ', up hooks running'}` : d.state;
  // A master (or one releasing) follows itself: only another node is worth naming.
  const master = d.master && d.master !== d.srcip ? `, master ${d.master}` : '';
  const hooks = d.hooksInProgress.length > 0 ? `, hooks running: ${d.hooksInProgress.join(' ')}` : '';
  const out = Object.entries(d.keptOut ?? {}).map(([bar, why]) => `\n  kept out of mastership (${bar}): ${why}`);
  const line = `${old}vhid ${d.vhid} VIP ${d.vip} on ${d.interface} (${d.srcip}): ${role} since ${d.since}${master}, epoch ${d.epoch}${hooks} — ${d.reason}${alive}`;
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
