// The state file: one JSON document per vhid, replaced atomically (write + rename) at every change,
// read by `floatd status` and by the next start of this node (epoch and sequence floors).
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ClusterStatus } from './cluster-status.js';

export interface StateFile {
  vhid: number;
  vip: string; // the first -a
  vips?: string[]; // every -a (absent in files of older versions: then vip alone)
  interface: string;
  srcip: string;
  pid: number;
  state: 'INIT' | 'BACKUP' | 'MASTER' | 'RELEASING' | 'STOPPED';
  since: string; // ISO time of the last transition
  master: string | null; // address of the master as this node sees it
  masterEpoch?: number | null; // that master's epoch, from its adverts (absent in files of older versions)
  epoch: number;
  maxEpochSeen: number;
  reason: string;
  serving: boolean; // MASTER with every up hook done
  vipHeld: boolean;
  hooksInProgress: string[];
  seqFloor: string; // decimal u64: the next start sends sequence numbers above this
  authFailures?: { from: string; count: number; since: string; lastAt: string }[]; // peers whose adverts fail HMAC now
  stopFailed?: string | null; // why the release of this node's current or last mastership failed (null: it did not)
  keptOut?: Partial<Record<string, string>>; // why this node may not be master now: link, health, standby, failures → detail
  cluster?: ClusterStatus; // the members heard and the quorum
  updatedAt: string;
}

// A document whose file was touched this long after its updatedAt was not rewritten when it should have been.
const STALE_AFTER_MS = 1000;

// Atomic replace: readers see the old or the new document, never half of one. When the write fails (a full
// /run), the temporary file goes and the old document is marked out of date by its mtime — a change that
// needs no free space — so `floatd status` does not present it as the present; then the error is thrown.
export async function writeStateFile(path: string, doc: StateFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    await markOutOfDate(path).catch(() => undefined);
    throw err;
  }
}

async function markOutOfDate(path: string): Promise<void> {
  const old = await readStateFile(path);
  if (!old) return;
  const written = Date.parse(old.updatedAt);
  const at = new Date(Math.max(Date.now(), (Number.isFinite(written) ? written : 0) + 2 * STALE_AFTER_MS));
  await utimes(path, at, at);
}

// When the agent last failed to replace this document, or undefined when the document is current.
export async function outOfDateSince(path: string, doc: StateFile): Promise<Date | undefined> {
  const written = Date.parse(doc.updatedAt);
  const { mtime } = await stat(path);
  return Number.isFinite(written) && mtime.getTime() - written > STALE_AFTER_MS ? mtime : undefined;
}

// The last document, or undefined when there is none or it cannot be parsed (a fresh node).
export async function readStateFile(path: string): Promise<StateFile | undefined> {
  try {
    const doc = JSON.parse(await readFile(path, 'utf8')) as Partial<StateFile>;
    return typeof doc === 'object' && doc !== null && typeof doc.state === 'string' ? (doc as StateFile) : undefined;
  } catch {
    return undefined;
  }
}
