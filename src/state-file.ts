// The state file: one JSON document per vhid, replaced atomically (write + rename) at every change,
// read by `floatd status` and by the next start of this node (epoch and sequence floors).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface StateFile {
  vhid: number;
  vip: string;
  interface: string;
  srcip: string;
  pid: number;
  state: 'INIT' | 'BACKUP' | 'MASTER' | 'RELEASING' | 'STOPPED';
  since: string; // ISO time of the last transition
  master: string | null; // address of the master as this node sees it
  epoch: number;
  maxEpochSeen: number;
  reason: string;
  serving: boolean; // MASTER with every up hook done
  vipHeld: boolean;
  hooksInProgress: string[];
  seqFloor: string; // decimal u64: the next start sends sequence numbers above this
  authFailures?: { from: string; count: number; since: string; lastAt: string }[]; // peers whose adverts fail HMAC now
  updatedAt: string;
}

// Atomic replace: readers see the old or the new document, never half of one.
export async function writeStateFile(path: string, doc: StateFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o644 });
  await rename(tmp, path);
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
