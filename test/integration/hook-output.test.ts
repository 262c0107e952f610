// What a flooding hook costs a real agent on loopback (see test/support/cluster.ts): its memory stays
// near idle, what it dropped is reported, and it keeps serving and advertising.
import { readFileSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterPerTest, type ClusterNode, type LogEvent } from '../support/cluster.js';

const cluster = clusterPerTest();

const MiB = 1024 * 1024;
const LINES = 859_489; // flood.sh's first half: 61-byte lines
const LINE_BYTES = 61;
const LONG_LINE_BYTES = 50 * MiB; // its second half, one line
const MAX_LINE_BYTES = 4096; // docs/hooks.md
const GROWTH_BOUND = 30 * MiB;

// VmRSS (now) and VmHWM (peak so far) of a process, in bytes.
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

describe('hook output', () => {
  it('a hook printing 50 MiB of lines and then a 50 MiB line without newline leaves the agent within 30 MiB of idle, with the drops reported', async () => {
    const c = await cluster({ nodes: [{ advskew: 0, upHooks: ['flood.sh'] }] });
    const [n] = c.nodes as [ClusterNode];
    const pid = n.runs[0]!.pid;
    const hook = join(n.dir, 'hooks', 'up.d', '10-flood.sh');
    await c.waitFor(() => existsSync(join(n.dir, 'hook-pids')), 10_000, 'the flood hook to start');
    const before = memory(pid);
    await writeFile(join(n.dir, 'go'), '');

    await c.waitForEvent(n, { hook, msg: 'hook finished' }, { timeoutMs: 60_000, what: 'the flood hook to finish' });
    const isReport = (e: LogEvent): boolean => e.hook === hook && e.final === true;
    const report = await c.waitForEvent(n, isReport, { timeoutMs: 10_000, what: 'the final drop report' });
    const after = memory(pid);
    expect(after.hwm - before.rss).toBeLessThan(GROWTH_BOUND);
    expect(after.rss - before.rss).toBeLessThan(GROWTH_BOUND);

    // Every line is either logged or counted as dropped; the long one is logged cut short.
    const logged = c.events(n).filter((e) => e.hook === hook && e.stream === 'stdout');
    expect(logged.length).toBeGreaterThanOrEqual(1000); // the burst
    expect(logged.length).toBeLessThan(LINES / 10);
    expect(logged.length + Number(report.droppedLines)).toBe(LINES + 1);
    expect(report.droppedBytes).toBe(Number(report.droppedLines) * LINE_BYTES);
    expect(report).toMatchObject({ level: 40, cutLines: 1, cutBytes: LONG_LINE_BYTES - MAX_LINE_BYTES });
    expect(report.msg).toMatch(/^hook output: \d+ lines \/ [\d.]+ MiB dropped over the limits \(4 KiB per line, /);
    const cut = logged.find((e) => e.cutBytes !== undefined);
    expect(cut).toMatchObject({ cutBytes: LONG_LINE_BYTES - MAX_LINE_BYTES });
    expect(cut?.msg).toMatch(/^x{4096} \[… \d+ bytes cut\]$/);
    expect(Buffer.byteLength(String(cut?.msg))).toBeLessThan(MAX_LINE_BYTES + 100);

    await c.waitForEvent(n, { event: 'serving' }, { timeoutMs: 10_000 });
    expect(n.state).toBe('MASTER');
    const since = c.mark();
    await c.waitFor(() => c.advertsFrom(n, since).length >= 5, 10_000, '5 more adverts from the master');
  }, 120_000);
});
