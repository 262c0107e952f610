// --data-version COMMAND: run at start, every few seconds while not master, and when the
// node is about to claim; its number goes to the election, which puts it in the presence. A command that
// fails or prints anything but a number is a warning and makes the node less preferred, never more.
import { execFile } from 'node:child_process';
import type { Event } from '../election/machine.js';
import type { Logger } from '../log/log.js';

const EVERY_MS = 3000;
const TIMEOUT_MS = 5000;
const NUMBER = /^\s*(\d{1,20})\s*$/;
const U64_MAX = 2n ** 64n - 1n;

// The reading of one run: a number, or why there is none.
export function parseDataVersion(stdout: string): { version: bigint } | { problem: string } {
  const m = NUMBER.exec(stdout);
  const v = m?.[1] === undefined ? undefined : BigInt(m[1]);
  if (v === undefined || v > U64_MAX) return { problem: `printed ${JSON.stringify(stdout.trim().slice(0, 40))}, not a number from 0 to 2^64-1` };
  return { version: v };
}

export class DataVersionRunner {
  private readonly command: string;
  private readonly log: Logger;
  private readonly deliver: (e: Event) => void;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private said: string | undefined; // the last problem logged
  private stopped = false;
  private generation = 0; // a reading from an older generation is dropped (runFresh)

  constructor(command: string, log: Logger, deliver: (e: Event) => void) {
    this.command = command;
    this.log = log;
    this.deliver = deliver;
  }

  start(): void {
    this.runNow();
  }

  // A run now (the node is about to claim), unless one is under way.
  runNow(): void {
    if (this.running || this.stopped) return;
    this.run();
  }

  // A run now whose reading is the next one delivered: one under way may have read before the service
  // stopped, so its result is dropped (a master reading its final version).
  runFresh(): void {
    if (this.stopped) return;
    this.run();
  }

  private run(): void {
    const generation = ++this.generation;
    this.running = true;
    clearTimeout(this.timer);
    execFile(this.command, [], { timeout: TIMEOUT_MS, maxBuffer: 4096 }, (err, stdout) => {
      if (this.stopped || generation !== this.generation) return;
      this.running = false;
      const r = err ? { problem: err.killed ? `timed out after ${TIMEOUT_MS} ms` : `failed: ${err.message.split('\n')[0] ?? ''}` } : parseDataVersion(stdout);
      if ('problem' in r) {
        if (r.problem !== this.said) this.log.warn({ event: 'data-version', ok: false, command: this.command, problem: r.problem }, `--data-version "${this.command}" ${r.problem}: this node is less preferred until it gives a number`);
        this.said = r.problem;
        this.deliver({ type: 'data-version', problem: r.problem });
      } else {
        if (this.said !== undefined) this.log.info({ event: 'data-version', ok: true, version: String(r.version) }, `--data-version gives a number again: ${r.version}`);
        this.said = undefined;
        this.deliver({ type: 'data-version', version: r.version });
      }
      this.timer = setTimeout(() => this.runNow(), EVERY_MS);
      this.timer.unref();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
