// A hook's stdout and stderr as log lines, held to fixed limits so that a chatty hook (or a child it
// left running) cannot grow the agent: chunks are split as they arrive, each stream keeps at most one
// partial line of at most maxLineBytes, a token bucket per hook caps lines per second, and what was
// left out is counted. Pure: time is an input, the caller logs the events (docs/hooks.md).

// The two streams a hook writes to.
export type OutputStream = 'stdout' | 'stderr';

// What one hook's output may cost: bytes per line, and a burst of lines, then linesPerSecond.
export interface OutputLimits {
  maxLineBytes: number;
  burstLines: number;
  linesPerSecond: number;
  reportEveryMs: number;
}

// 4 KiB lines, 1000 lines at once and 100 a second after that: about 4 MiB of log at most in a burst.
export const DEFAULT_OUTPUT_LIMITS: Readonly<OutputLimits> = {
  maxLineBytes: 4096,
  burstLines: 1000,
  linesPerSecond: 100,
  reportEveryMs: 10_000,
};

// What was left out: whole lines over the rate (with their line ends), and the tails of long lines.
export interface DropCounts {
  droppedLines: number;
  droppedBytes: number;
  cutLines: number;
  cutBytes: number;
}

// A line to log (cutBytes > 0: its tail was cut off at maxLineBytes), or a report of what was left
// out: interim ones at most every reportEveryMs while lines are dropped, a final one when both
// streams have ended (only when something was left out).
export type OutputEvent =
  | { kind: 'line'; stream: OutputStream; text: string; cutBytes: number }
  | { kind: 'report'; final: boolean; counts: DropCounts };

const LF = 0x0a;
const CR = 0x0d;

interface LineState {
  readonly kept: Uint8Array; // the first maxLineBytes bytes of the current line
  keptLength: number;
  length: number; // bytes of the current line so far, without its newline
  last: number; // its last byte, to strip the CR of a CRLF that arrived in another chunk
  started: boolean;
  admitted: boolean; // decided when the line starts: a dropped line is only counted, never copied
  ended: boolean;
}

// The output of one hook, both streams; one instance per hook run, fed as its pipes deliver.
export class HookOutput {
  private readonly limits: OutputLimits;
  private readonly decoder = new TextDecoder('utf-8'); // invalid bytes become U+FFFD
  private readonly streams: Record<OutputStream, LineState>;
  private readonly counts: DropCounts = { droppedLines: 0, droppedBytes: 0, cutLines: 0, cutBytes: 0 };
  private tokens: number;
  private refilledAt: number | undefined;
  private reportedAt: number | undefined;
  private reportedDrops = 0;

  constructor(limits: OutputLimits = DEFAULT_OUTPUT_LIMITS) {
    this.limits = limits;
    this.tokens = limits.burstLines;
    const line = (): LineState => ({ kept: new Uint8Array(limits.maxLineBytes), keptLength: 0, length: 0, last: -1, started: false, admitted: false, ended: false });
    this.streams = { stdout: line(), stderr: line() };
  }

  // Splits a chunk into complete lines; the incomplete rest waits (capped) for the next chunk.
  push(stream: OutputStream, chunk: Uint8Array, now: number): OutputEvent[] {
    const s = this.streams[stream];
    const events: OutputEvent[] = [];
    if (s.ended) return events;
    let pos = 0;
    while (pos < chunk.length) {
      if (!s.started) {
        s.started = true;
        s.admitted = this.take(now);
      }
      const newline = chunk.indexOf(LF, pos);
      const stop = newline === -1 ? chunk.length : newline;
      if (stop > pos) {
        if (s.admitted && s.keptLength < s.kept.length) {
          const copy = chunk.subarray(pos, Math.min(stop, pos + s.kept.length - s.keptLength));
          s.kept.set(copy, s.keptLength);
          s.keptLength += copy.length;
        }
        s.length += stop - pos;
        s.last = chunk[stop - 1]!;
      }
      if (newline === -1) break;
      this.finishLine(stream, 1, events);
      pos = newline + 1;
    }
    if (this.counts.droppedLines > this.reportedDrops && (this.reportedAt === undefined || now - this.reportedAt >= this.limits.reportEveryMs)) {
      this.reportedAt = now;
      this.reportedDrops = this.counts.droppedLines;
      events.push({ kind: 'report', final: false, counts: { ...this.counts } });
    }
    return events;
  }

  // EOF (or the pipe is gone): a last line without newline is still a line; after both, the final report.
  end(stream: OutputStream): OutputEvent[] {
    const s = this.streams[stream];
    const events: OutputEvent[] = [];
    if (s.ended) return events;
    if (s.started) this.finishLine(stream, 0, events);
    s.ended = true;
    const c = this.counts;
    if (this.streams.stdout.ended && this.streams.stderr.ended && c.droppedLines + c.cutLines > 0) {
      events.push({ kind: 'report', final: true, counts: { ...c } });
    }
    return events;
  }

  // A token bucket: full at the start, refilled at linesPerSecond up to burstLines.
  private take(now: number): boolean {
    const { burstLines, linesPerSecond } = this.limits;
    const elapsed = this.refilledAt === undefined ? 0 : Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(burstLines, this.tokens + (elapsed * linesPerSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private finishLine(stream: OutputStream, newlineBytes: number, events: OutputEvent[]): void {
    const s = this.streams[stream];
    if (s.admitted) {
      let length = s.length;
      let kept = s.keptLength;
      if (s.last === CR) length -= 1; // CRLF
      if (kept > length) kept = length;
      if (kept < length) kept = utf8Boundary(s.kept, kept);
      const cutBytes = length - kept;
      if (cutBytes > 0) {
        this.counts.cutLines += 1;
        this.counts.cutBytes += cutBytes;
      }
      events.push({ kind: 'line', stream, text: this.decoder.decode(s.kept.subarray(0, kept)), cutBytes });
    } else {
      this.counts.droppedLines += 1;
      this.counts.droppedBytes += s.length + newlineBytes;
    }
    s.keptLength = 0;
    s.length = 0;
    s.last = -1;
    s.started = false;
  }
}

// Where to cut bytes[0, end) so that no UTF-8 character is split: before an incomplete last one.
export function utf8Boundary(bytes: Uint8Array, end: number): number {
  let lead = end - 1;
  while (lead >= 0 && end - lead <= 3 && (bytes[lead]! & 0xc0) === 0x80) lead -= 1;
  if (lead < 0) return end;
  const b = bytes[lead]!;
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
  return end - lead < need ? lead : end;
}

// The operator's line for a report, e.g. "hook output: 12345 lines / 50.0 MiB dropped over the limits
// (4 KiB per line, 100 lines/s after a burst of 1000), 1 line cut by 50.0 MiB".
export function describeReport(final: boolean, c: DropCounts, limits: OutputLimits = DEFAULT_OUTPUT_LIMITS): string {
  const rules = `${formatBytes(limits.maxLineBytes)} per line, ${limits.linesPerSecond} lines/s after a burst of ${limits.burstLines}`;
  const dropped = `${c.droppedLines} ${plural(c.droppedLines, 'line')} / ${formatBytes(c.droppedBytes)} dropped${final ? '' : ' so far'}`;
  const cut = c.cutLines > 0 ? `, ${c.cutLines} ${plural(c.cutLines, 'line')} cut by ${formatBytes(c.cutBytes)} in all` : '';
  return `hook output: ${dropped} over the limits (${rules})${cut}`;
}

// 512 bytes, 4 KiB, 1.5 MiB: binary units, one decimal above 1 KiB unless whole.
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} ${plural(n, 'byte')}`;
  const [value, unit] = n < 1024 * 1024 ? [n / 1024, 'KiB'] : [n / (1024 * 1024), 'MiB'];
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
