// A client loop on a lab host (the NFSv4.1 reader, the HTTP poller): one JSON line per request, {at, ok, err?, sha?},
// read as they come; the pause a fault caused is computed from them.
import type { ServiceHost, ServiceLab } from './service-lab.js';

export interface ClientLine { at: number; ok: boolean; err?: string; sha?: string }

export class PollingClient {
  readonly lines: ClientLine[] = [];
  private readonly child: ReturnType<ServiceLab['spawnIn']>;
  private buf = '';

  constructor(lab: ServiceLab, h: ServiceHost, cmd: readonly string[]) {
    this.child = lab.spawnIn(h, cmd);
    this.child.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(JSON.parse(this.buf.slice(0, i)) as ClientLine);
        this.buf = this.buf.slice(i + 1);
      }
    });
    lab.onTeardown(() => this.stop());
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  firstOkAfter(from: number): ClientLine | undefined {
    return this.lines.find((l) => l.at >= from && l.ok);
  }

  // The client's pause after a fault at `from` (epoch ms): from the last good request before its first failed one to
  // the first good one after it; undefined while it has not succeeded again, or when nothing failed.
  pauseAfter(from: number): number | undefined {
    const failed = this.lines.findIndex((l) => l.at >= from && !l.ok);
    if (failed < 0) return undefined;
    const before = this.lines.slice(0, failed).reverse().find((l) => l.ok);
    const after = this.lines.slice(failed).find((l) => l.ok);
    return after ? after.at - (before?.at ?? from) : undefined;
  }

  // When it succeeded again after the first failure after `from` (epoch ms), or undefined.
  backAt(from: number): number | undefined {
    const failed = this.lines.findIndex((l) => l.at >= from && !l.ok);
    return failed < 0 ? undefined : this.lines.slice(failed).find((l) => l.ok)?.at;
  }

  // Whether it succeeded after `from` (so a pause can be read, or the fault caused none).
  recovered(from: number): boolean {
    return this.pauseAfter(from) !== undefined || (this.lines.some((l) => l.at >= from && l.ok) && !this.lines.some((l) => l.at >= from && !l.ok));
  }

  errorsAfter(from: number): string[] {
    return [...new Set(this.lines.filter((l) => l.at >= from && !l.ok).map((l) => l.err ?? '?'))];
  }

  // Every distinct body checksum of the good requests after `from`.
  shasAfter(from: number): string[] {
    return [...new Set(this.lines.filter((l) => l.at >= from && l.ok).map((l) => l.sha ?? ''))];
  }
}
