import { describe, expect, it } from 'vitest';
import { DEFAULT_OUTPUT_LIMITS, HookOutput, describeReport, formatBytes, utf8Boundary, type OutputEvent, type OutputLimits } from '../../src/effects/hook-output.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const limits = (o: Partial<OutputLimits> = {}): OutputLimits => ({ ...DEFAULT_OUTPUT_LIMITS, ...o });
const lines = (events: OutputEvent[]): string[] => events.flatMap((e) => (e.kind === 'line' ? [e.text] : []));
const reports = (events: OutputEvent[]) => events.flatMap((e) => (e.kind === 'report' ? [e] : []));

// Feeds chunks to stdout at time `now`, then ends both streams; returns every event.
function run(chunks: (string | Uint8Array)[], l = limits(), now = 0): OutputEvent[] {
  const out = new HookOutput(l);
  const events = chunks.flatMap((c) => out.push('stdout', typeof c === 'string' ? bytes(c) : c, now));
  return [...events, ...out.end('stdout'), ...out.end('stderr')];
}

describe('HookOutput: lines', () => {
  it('a line split over chunks is one line, and empty lines are lines', () => {
    expect(lines(run(['hel', 'lo\nwor', 'ld\n\n', 'x\n']))).toEqual(['hello', 'world', '', 'x']);
  });

  it('a last line without newline is logged at EOF', () => {
    const out = new HookOutput(limits());
    expect(out.push('stdout', bytes('done\nno newline'), 0)).toEqual([{ kind: 'line', stream: 'stdout', text: 'done', cutBytes: 0 }]);
    expect(out.end('stdout')).toEqual([{ kind: 'line', stream: 'stdout', text: 'no newline', cutBytes: 0 }]);
    expect(out.end('stderr')).toEqual([]); // nothing was left out, so no report
  });

  it('CRLF line ends lose their CR, also when the CR and LF arrive in different chunks; a lone CR stays', () => {
    expect(lines(run(['a\r\nb\r', '\nc\rd\r\n', 'e\r']))).toEqual(['a', 'b', 'c\rd', 'e']);
  });

  it('stdout and stderr keep their own partial lines', () => {
    const out = new HookOutput(limits());
    expect(out.push('stdout', bytes('out-'), 0)).toEqual([]);
    expect(out.push('stderr', bytes('err-'), 0)).toEqual([]);
    expect(out.push('stderr', bytes('line\n'), 0)).toEqual([{ kind: 'line', stream: 'stderr', text: 'err-line', cutBytes: 0 }]);
    expect(out.push('stdout', bytes('line\n'), 0)).toEqual([{ kind: 'line', stream: 'stdout', text: 'out-line', cutBytes: 0 }]);
  });

  it('invalid UTF-8 becomes U+FFFD instead of failing', () => {
    expect(lines(run([new Uint8Array([0x61, 0xff, 0x62, 0x0a])]))).toEqual(['a\ufffdb']);
  });

  it('output after the end of a stream is ignored', () => {
    const out = new HookOutput(limits());
    out.end('stdout');
    expect(out.push('stdout', bytes('late\n'), 0)).toEqual([]);
    expect(out.end('stdout')).toEqual([]);
  });
});

describe('HookOutput: bytes per line', () => {
  it('a line longer than maxLineBytes is logged cut, saying how many bytes were cut, and counted', () => {
    const events = run(['0123456789abcdef\nshort\n'], limits({ maxLineBytes: 10 }));
    expect(events).toEqual([
      { kind: 'line', stream: 'stdout', text: '0123456789', cutBytes: 6 },
      { kind: 'line', stream: 'stdout', text: 'short', cutBytes: 0 },
      { kind: 'report', final: true, counts: { droppedLines: 0, droppedBytes: 0, cutLines: 1, cutBytes: 6 } },
    ]);
  });

  it('a flood without newline yields nothing until EOF, then one line of maxLineBytes with the rest counted as cut', () => {
    const out = new HookOutput(limits({ maxLineBytes: 4096 }));
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    for (let i = 0; i < 160; i++) expect(out.push('stdout', chunk, i)).toEqual([]); // 10 MiB
    const [line, ...rest] = [...out.end('stdout'), ...out.end('stderr')];
    expect(line).toEqual({ kind: 'line', stream: 'stdout', text: 'x'.repeat(4096), cutBytes: 160 * 64 * 1024 - 4096 });
    expect(rest).toEqual([{ kind: 'report', final: true, counts: { droppedLines: 0, droppedBytes: 0, cutLines: 1, cutBytes: 160 * 64 * 1024 - 4096 } }]);
  });

  it('a line of exactly maxLineBytes plus CRLF is not cut', () => {
    expect(run(['0123456789\r\n'], limits({ maxLineBytes: 10 }))).toEqual([{ kind: 'line', stream: 'stdout', text: '0123456789', cutBytes: 0 }]);
  });

  it('a cut never splits a UTF-8 character: the incomplete one goes with the cut bytes', () => {
    // 'aé' is 3 bytes; at 2 bytes the é would be split, so only 'a' is kept.
    expect(run(['aé-\n'], limits({ maxLineBytes: 2 }))[0]).toEqual({ kind: 'line', stream: 'stdout', text: 'a', cutBytes: 3 });
    expect(run(['aé-\n'], limits({ maxLineBytes: 3 }))[0]).toEqual({ kind: 'line', stream: 'stdout', text: 'aé', cutBytes: 1 });
  });

  it('utf8Boundary keeps complete characters and backs off before an incomplete one', () => {
    const euro = bytes('a€'); // 61 e2 82 ac
    expect([1, 2, 3, 4].map((end) => utf8Boundary(euro, end))).toEqual([1, 1, 1, 4]);
    const emoji = bytes('😀'); // 4 bytes
    expect([1, 2, 3, 4].map((end) => utf8Boundary(emoji, end))).toEqual([0, 0, 0, 4]);
    expect(utf8Boundary(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80]), 5)).toBe(5); // not UTF-8: cut anywhere
  });
});

describe('HookOutput: lines per second', () => {
  const l = limits({ burstLines: 3, linesPerSecond: 2, reportEveryMs: 10_000 });

  it('a burst of burstLines passes, then lines over the rate are dropped and counted with their newlines', () => {
    const out = new HookOutput(l);
    const events = out.push('stdout', bytes('1\n2\n3\n44\n555\n'), 0);
    expect(lines(events)).toEqual(['1', '2', '3']);
    expect(reports(events)).toEqual([{ kind: 'report', final: false, counts: { droppedLines: 2, droppedBytes: 7, cutLines: 0, cutBytes: 0 } }]);
  });

  it('the bucket refills at linesPerSecond, never beyond burstLines', () => {
    const out = new HookOutput(l);
    out.push('stdout', bytes('a\nb\nc\n'), 0);
    expect(lines(out.push('stdout', bytes('d\ne\n'), 499))).toEqual([]); // 0.998 of a token
    expect(lines(out.push('stdout', bytes('f\ng\n'), 999))).toEqual(['f']); // 1.998 tokens, one used
    expect(lines(out.push('stdout', bytes('1\n2\n3\n4\n5\n'), 60_000))).toEqual(['1', '2', '3']);
  });

  it('stdout and stderr share the bucket of their hook', () => {
    const out = new HookOutput(l);
    expect(lines(out.push('stderr', bytes('e1\ne2\n'), 0))).toEqual(['e1', 'e2']);
    expect(lines(out.push('stdout', bytes('o1\no2\n'), 0))).toEqual(['o1']);
  });

  it('whether a line is logged is decided when it starts: one that starts over the rate is dropped whole', () => {
    const out = new HookOutput(l);
    out.push('stdout', bytes('a\nb\nc\n'), 0);
    out.push('stdout', bytes('dropped-st'), 0);
    expect(lines(out.push('stdout', bytes('art\nkept\n'), 5_000))).toEqual(['kept']);
    expect(reports(out.end('stdout')).concat(reports(out.end('stderr')))).toEqual([
      { kind: 'report', final: true, counts: { droppedLines: 1, droppedBytes: 14, cutLines: 0, cutBytes: 0 } },
    ]);
  });

  it('a dropped partial line at EOF is counted without a newline byte', () => {
    const events = run(['a\nb\nc\nlast'], l);
    expect(reports(events).at(-1)).toEqual({ kind: 'report', final: true, counts: { droppedLines: 1, droppedBytes: 4, cutLines: 0, cutBytes: 0 } });
  });

  it('while dropping, a report comes at the first drop, then at most every reportEveryMs and only when more was dropped', () => {
    const out = new HookOutput(l);
    const at = (now: number, text = 'x\n'.repeat(10)): OutputEvent[] => reports(out.push('stdout', bytes(text), now));
    expect(at(0)).toEqual([{ kind: 'report', final: false, counts: { droppedLines: 7, droppedBytes: 14, cutLines: 0, cutBytes: 0 } }]);
    expect(at(1_000)).toEqual([]); // 8 more dropped, but the last report was 1 s ago
    expect(at(9_999)).toEqual([]); // 7 more
    expect(at(10_000)).toMatchObject([{ final: false, counts: { droppedLines: 7 + 8 + 7 + 10 } }]);
    expect(at(25_000, 'a\n')).toEqual([]); // nothing dropped since that report
    expect(at(25_001)).toMatchObject([{ final: false, counts: { droppedLines: 32 + 8 } }]);
  });

  it('the final report comes once, when both streams have ended, with everything left out', () => {
    const out = new HookOutput(l);
    out.push('stdout', bytes('1\n2\n3\n4\n'), 0);
    expect(reports(out.end('stdout'))).toEqual([]); // stderr still open
    expect(out.end('stderr')).toEqual([{ kind: 'report', final: true, counts: { droppedLines: 1, droppedBytes: 2, cutLines: 0, cutBytes: 0 } }]);
  });
});

describe('describeReport', () => {
  it('says how much was left out and under which limits', () => {
    const counts = { droppedLines: 12345, droppedBytes: 50 * 1024 * 1024, cutLines: 0, cutBytes: 0 };
    expect(describeReport(true, counts)).toBe('hook output: 12345 lines / 50 MiB dropped over the limits (4 KiB per line, 100 lines/s after a burst of 1000)');
    expect(describeReport(false, { ...counts, droppedLines: 1, droppedBytes: 61 })).toBe(
      'hook output: 1 line / 61 bytes dropped so far over the limits (4 KiB per line, 100 lines/s after a burst of 1000)',
    );
    expect(describeReport(true, { droppedLines: 0, droppedBytes: 0, cutLines: 2, cutBytes: 1536 }, limits({ maxLineBytes: 512, linesPerSecond: 5, burstLines: 10 }))).toBe(
      'hook output: 0 lines / 0 bytes dropped over the limits (512 bytes per line, 5 lines/s after a burst of 10), 2 lines cut by 1.5 KiB in all',
    );
  });

  it('formatBytes uses binary units with one decimal unless whole', () => {
    expect([1, 1023, 1024, 1536, 1024 * 1024, 52424704].map(formatBytes)).toEqual(['1 byte', '1023 bytes', '1 KiB', '1.5 KiB', '1 MiB', '50.0 MiB']);
  });
});
