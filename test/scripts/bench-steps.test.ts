// The bench's per-step table (scripts/bench/steps.ts) from hand-made logs: floatd's wall times land on the
// bench's clock, the claim's deadline is the claim less its timerLateMs, keepalived's lines are matched,
// and a step is measured from the previous milestone the same trial logged.
import { describe, expect, it } from 'vitest';
import { measureWallOffset, milestones, stepTable, type LogLine, type StepInput, type StepTrial } from '../../scripts/bench/steps.js';

const OFFSET = 1_700_000_000_000; // Date.now() − performance.now()
const floatdLine = (wall: number, fields: Record<string, unknown>, text = ''): LogLine => ({ at: wall - OFFSET + 2, text, fields: { time: wall, ...fields } });
const base = (over: Partial<StepInput>): StepInput => ({ impl: 'floatd', fault: 'stop', faultAt: 1000, clientAt: 1030, oldLines: [], newLines: [], oldHost: 'h1', newHost: 'h2', addresses: [], vip: '198.51.100.100', wallOffset: OFFSET, ...over });

describe('bench steps', () => {
  it("reads a floatd graceful stop from both agents' lines", () => {
    const t = (ms: number) => OFFSET + 1000 + ms; // wall ms of "ms after the fault"
    const m = milestones(base({
      oldLines: [
        floatdLine(t(-50), { event: 'vip', op: 'add' }),
        floatdLine(t(1), { event: 'transition', state: 'RELEASING', previous: 'MASTER' }),
        floatdLine(t(6), {}, 'hook finished'),
        floatdLine(t(8), { event: 'vip', op: 'remove' }),
        floatdLine(t(8), { event: 'resign' }),
      ],
      newLines: [
        floatdLine(t(9), { event: 'resign-heard', waitMs: 3.9 }),
        floatdLine(t(13), { event: 'transition', state: 'MASTER', previous: 'BACKUP', timerLateMs: 0.5 }),
        floatdLine(t(20), { event: 'vip', op: 'add' }),
      ],
    }));
    expect(m).toEqual({ 'stop handled': 1.5, 'down hooks done': 6.5, 'VIP removed': 8.5, 'resign sent': 8.5, 'resign heard': 9.5, deadline: 13, claim: 13.5, 'VIP added': 20.5, client: 30 });
  });

  it("reads keepalived's console lines and the address monitor", () => {
    const m = milestones(base({
      impl: 'keepalived',
      oldLines: [{ at: 1001, text: 'Tue Dec  9 12:00:00 2025: (bench) sent 0 priority' }],
      newLines: [{ at: 990, text: '(bench) Entering MASTER STATE' }, { at: 1005.5, text: '(bench) Entering MASTER STATE' }, { at: 1006, text: '(bench) Sending/queueing gratuitous ARPs on h2-eth0 for 198.51.100.100' }],
      addresses: [{ at: 1000.5, host: 'h1', address: '198.51.100.100', op: 'del' }, { at: 1005.75, host: 'h2', address: '198.51.100.100', op: 'add' }],
      clientAt: 1008,
    }));
    expect(m).toMatchObject({ 'resign sent': 1, claim: 5.5, 'VIP removed': 0.5, 'VIP added': 5.75, 'GARP sent': 6, client: 8 });
    expect(m['resign heard']).toBeUndefined();
  });

  it('tables the median of each step, measured from the milestone before it in the same trial', () => {
    const trials: StepTrial[] = [
      { impl: 'floatd', advbaseS: 0.1, fault: 'kill', failoverMs: 300, steps: { deadline: 290, claim: 291, 'VIP added': 295, client: 300 } },
      { impl: 'floatd', advbaseS: 0.1, fault: 'kill', failoverMs: 260, steps: { deadline: 250, claim: 252, client: 260 } },
      { impl: 'keepalived', advbaseS: 0.1, fault: 'kill', failoverMs: 280, steps: { claim: 275, client: 280 } },
    ];
    const rows = stepTable(trials).split('\n');
    expect(rows).toContain('| deadline | 270 (270) | – |');
    expect(rows).toContain('| claim | 1.5 (272) | 275 (275) |');
    expect(rows).toContain('| client answered | 6.5 (280) | 5.0 (280) |');
    expect(rows).toContain('| **total** (median, client) | 280 | 280 |');
  });

  it("finds Date.now() − performance.now() from below, to within a reading's rounding", () => {
    let p = 0;
    const now = () => (p += 0.013);
    const wall = () => Math.floor(p + 5000.4);
    expect(measureWallOffset(now, wall)).toBeGreaterThan(5000.38);
    expect(measureWallOffset(now, wall)).toBeLessThanOrEqual(5000.4);
  });
});
