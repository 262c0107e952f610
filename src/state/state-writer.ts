// Keeps the state file in step with the agent: writes are chained so two renames never race, and a write
// that fails (a full /run, a read-only remount) is a warning plus a retry every RETRY_MS until one lands,
// so the file is current again soon after there is room, even if nothing else changes meanwhile.
import type { Logger } from '../log/log.js';
import { writeStateFile, type StateFile } from './state-file.js';

const RETRY_MS = 2000;

// `persist()` after every change the file shows; `flush()` before exit.
export class StateWriter {
  private chain: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly path: string;
  private readonly log: Logger;
  private readonly snapshot: () => StateFile;

  constructor(path: string, log: Logger, snapshot: () => StateFile) {
    this.path = path;
    this.log = log;
    this.snapshot = snapshot;
  }

  persist(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    const doc = this.snapshot();
    this.chain = this.chain.then(() => this.write(doc));
  }

  async flush(): Promise<void> {
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.chain;
  }

  private async write(doc: StateFile): Promise<void> {
    try {
      await writeStateFile(this.path, doc);
      if (this.failing) this.log.info({ stateFile: this.path }, 'the state file is written again');
      this.failing = false;
    } catch (err) {
      // Once per outage, not per retry; `floatd status` shows the file as out of date meanwhile.
      if (!this.failing) this.log.warn({ err: (err as Error).message, stateFile: this.path }, `cannot write the state file (retrying every ${RETRY_MS / 1000} s): floatd status shows it as out of date`);
      this.failing = true;
      this.retry ??= setTimeout(() => this.persist(), RETRY_MS);
      this.retry.unref();
    }
  }
}
