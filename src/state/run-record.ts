// What this node must still know after a reboot wiped /run (the state file): whether its run ended while it
// held mastership and at which epoch, the highest epoch it heard from peers, the master it last followed,
// and an operator's `floatd standby` (maintenance outlives a reboot until `floatd resume`, as Pacemaker's). Hooks get these as FLOATD_PREVIOUS_RUN… so a service pack can tell "I crashed as master, my
// data is the newest" from "I was replaced" (docs/hooks.md). Written durably (fsync) at every change.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log/log.js';

export interface RunRecordDoc {
  vhid: number;
  role: 'master' | 'backup'; // master: holds (or may hold) the VIP and the service
  epoch: number; // of the mastership when role is master
  maxEpochHeard: number; // highest epoch in any peer's advert
  lastMaster: string | null; // the other node this one last followed
  lastMasterEpoch: number | null;
  standby: string | null; // `floatd standby` in force: its detail, until `floatd resume`
  updatedAt: string;
}

// The facts a hook is told (besides its transition), fixed when its transition happened.
export interface HookFacts {
  lastMaster: string | null;
  lastMasterEpoch: number | null;
  maxEpoch: number; // highest epoch heard or held before this transition
  previousRun: 'master' | 'backup' | 'none';
  previousRunEpoch: number | null;
  newerEpochSeen: boolean; // a peer's epoch above previousRunEpoch has been heard since
  dataVersions?: string; // --data-version: this node's and its peers' versions (the agent adds them)
}

// The record of one vhid: read once at start (the previous run), then kept up to date.
export class RunRecord {
  readonly previous: { role: 'master' | 'backup'; epoch: number } | undefined;
  private doc: RunRecordDoc;
  private chain: Promise<void> = Promise.resolve();
  private failing = false;
  private readonly path: string;
  private readonly log: Logger;

  private constructor(path: string, log: Logger, doc: RunRecordDoc, previous: RunRecord['previous']) {
    this.path = path;
    this.log = log;
    this.doc = doc;
    this.previous = previous;
  }

  // A missing or unreadable record is a node with no previous run (a fresh install).
  static async load(path: string, vhid: number, log: Logger): Promise<RunRecord> {
    let old: Partial<RunRecordDoc> | undefined;
    try {
      old = JSON.parse(await readFile(path, 'utf8')) as Partial<RunRecordDoc>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ runRecord: path, err: (err as Error).message }, 'cannot read the run record: treating this as a first run');
    }
    const num = (v: unknown): number => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : 0);
    const role = old?.role === 'master' || old?.role === 'backup' ? old.role : undefined;
    const doc: RunRecordDoc = {
      vhid,
      role: role ?? 'backup',
      epoch: num(old?.epoch),
      maxEpochHeard: num(old?.maxEpochHeard),
      lastMaster: typeof old?.lastMaster === 'string' ? old.lastMaster : null,
      lastMasterEpoch: Number.isSafeInteger(old?.lastMasterEpoch) ? (old?.lastMasterEpoch ?? null) : null,
      standby: typeof old?.standby === 'string' && old.standby !== '' ? old.standby : null,
      updatedAt: new Date().toISOString(),
    };
    return new RunRecord(path, log, doc, role && { role, epoch: doc.epoch });
  }

  // The facts for a hook of a transition that happened with `maxEpoch` the highest epoch known before it.
  facts(maxEpoch: number): HookFacts {
    const p = this.previous;
    return {
      lastMaster: this.doc.lastMaster,
      lastMasterEpoch: this.doc.lastMasterEpoch,
      maxEpoch,
      previousRun: p?.role ?? 'none',
      previousRunEpoch: p?.role === 'master' ? p.epoch : null,
      newerEpochSeen: p?.role === 'master' && this.doc.maxEpochHeard > p.epoch,
    };
  }

  // The highest epoch this node held or heard in any run, so a restart without its state file never reuses one.
  get highestEpoch(): number {
    return Math.max(this.doc.epoch, this.doc.maxEpochHeard);
  }

  // The operator's standby of an earlier run, still in force (null: none).
  get standby(): string | null {
    return this.doc.standby;
  }

  // A peer's advert was heard.
  heard(epoch: number): void {
    if (epoch > this.doc.maxEpochHeard) this.update({ maxEpochHeard: epoch });
  }

  // This node now follows `master` (another node) in its mastership `epoch`.
  follows(master: string, epoch: number): void {
    if (master !== this.doc.lastMaster || epoch !== this.doc.lastMasterEpoch) this.update({ lastMaster: master, lastMasterEpoch: epoch });
  }

  // This node holds mastership (from the claim on, until its release is complete) or does not.
  holds(master: boolean, epoch: number): void {
    const role = master ? 'master' : 'backup';
    if (role !== this.doc.role || (master && epoch !== this.doc.epoch)) this.update({ role, epoch: master ? epoch : this.doc.epoch });
  }

  // Follows the election: peers' epochs and the master followed at every step, and mastership from the
  // claim on. The end of a mastership is recorded only once its release is done (see holds(false)), so a
  // crash during the down hooks still counts as "ended while master".
  observe(before: { role: string; master?: { address: string; epoch: number } | undefined; bars?: { standby?: string } }, after: { role: string; epoch: number; master?: { address: string; epoch: number } | undefined; bars?: { standby?: string } }, heardEpoch: number | undefined, self: string): void {
    if (heardEpoch !== undefined) this.heard(heardEpoch);
    const standby = after.bars?.standby ?? null;
    if (standby !== (before.bars?.standby ?? null) && standby !== this.doc.standby) this.update({ standby });
    const m = after.master;
    if (m && m.address !== self) this.follows(m.address, m.epoch);
    if (after.role === 'master' && before.role !== 'master') this.holds(true, after.epoch);
  }

  // Resolves when every change so far is on disk (or failed): the VIP and the service wait for this.
  flush(): Promise<void> {
    return this.chain;
  }

  private update(change: Partial<RunRecordDoc>): void {
    this.doc = { ...this.doc, ...change, updatedAt: new Date().toISOString() };
    const doc = this.doc;
    this.chain = this.chain.then(() => this.write(doc));
  }

  private async write(doc: RunRecordDoc): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      const f = await open(tmp, 'w', 0o644);
      try {
        await f.writeFile(`${JSON.stringify(doc, null, 2)}\n`);
        await f.sync(); // survives a power loss right after: the next run must not think it was a backup
      } finally {
        await f.close();
      }
      await rename(tmp, this.path);
      this.failing = false;
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (!this.failing) this.log.warn({ runRecord: this.path, err: (err as Error).message }, 'cannot write the run record: after a restart, hooks will not know how this run ended');
      this.failing = true;
    }
  }
}
