// The bad-HMAC condition: loud when it starts, repeated while it lasts, ended after a quiet period,
// bounded in memory and lines however many sources a flood spoofs. Time is an input; no timers run.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AuthAlarm } from '../../src/net/auth-alarm.js';

interface Line {
  level: number;
  msg: string;
  event?: string;
  from?: string;
  sources?: string[];
  packets?: number;
  role?: string;
}

function alarm(role = 'MASTER') {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  let now = 1_000_000;
  let changes = 0;
  const a = new AuthAlarm({ log: pino(stream), role: () => role, onChange: () => (changes += 1), clock: () => now, autoTick: false, maxSources: 3 });
  return { a, lines, advance: (ms: number) => (now += ms), changes: () => changes };
}

const ERROR = 50;

describe('AuthAlarm', () => {
  it('logs an error at the first bad packet naming the source, the role and what to check, then nothing more until the period ends', () => {
    const { a, lines, changes } = alarm('MASTER');
    a.record('10.0.0.2');
    a.record('10.0.0.2');
    a.record('10.0.0.2');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: ERROR, event: 'auth-failure', from: '10.0.0.2', role: 'MASTER', packets: 1 });
    expect(lines[0]?.msg).toMatch(/^adverts for our vhid from 10\.0\.0\.2 fail HMAC verification .*check that the secret \(--passfile\), vhid and virtual IP match on every node .*both nodes may be MASTER \(this node is MASTER\)$/);
    expect(a.active()).toEqual([{ from: '10.0.0.2', count: 3, since: 1_000_000, lastAt: 1_000_000 }]);
    expect(changes()).toBe(1);
  });

  it('repeats the error every period while packets keep coming, whatever the role, and ends with an info line after a quiet period', () => {
    const { a, lines, advance, changes } = alarm('BACKUP');
    a.record('10.0.0.2');
    for (let period = 0; period < 3; period++) {
      for (let i = 0; i < 5; i++) {
        advance(1_000);
        a.record('10.0.0.2');
      }
      advance(5_000);
      a.tick();
    }
    expect(lines.map((l) => [l.level, l.event, l.packets])).toEqual([
      [ERROR, 'auth-failure', 1],
      [ERROR, 'auth-failure', 5],
      [ERROR, 'auth-failure', 5],
      [ERROR, 'auth-failure', 5],
    ]);
    advance(10_000);
    a.tick();
    expect(lines.at(-1)).toMatchObject({ level: 30, event: 'auth-failure-ended', from: '10.0.0.2', msg: 'no unverifiable adverts from 10.0.0.2 for 10 s (16 in all)' });
    expect(a.active()).toEqual([]);
    expect(changes()).toBe(2);
    // Quiet now: a tick says nothing.
    a.tick();
    expect(lines).toHaveLength(5);
  });

  it('a second source joins the next periodic line instead of a line of its own', () => {
    const { a, lines, advance } = alarm();
    a.record('10.0.0.2');
    a.record('10.0.0.3');
    expect(lines).toHaveLength(1);
    advance(10_000);
    a.record('10.0.0.2');
    a.record('10.0.0.3');
    a.tick();
    expect(lines).toHaveLength(2);
    // 10.0.0.3's first packet came after the first line, so it counts in this one.
    expect(lines[1]).toMatchObject({ sources: ['10.0.0.2', '10.0.0.3'], packets: 3 });
  });

  it('tracks a bounded number of sources: a spoofed flood is counted, not remembered, and still one line per period', () => {
    const { a, lines, advance } = alarm();
    for (let i = 0; i < 1000; i++) a.record(`10.1.${i >> 8}.${i & 255}`);
    expect(a.active()).toHaveLength(3);
    expect(lines).toHaveLength(1);
    advance(5_000);
    for (let i = 0; i < 1000; i++) a.record(`10.1.${i >> 8}.${i & 255}`);
    advance(5_000);
    a.tick();
    expect(lines).toHaveLength(2);
    expect(lines[1]?.msg).toMatch(/from 10\.1\.0\.0, 10\.1\.0\.1, 10\.1\.0\.2 and more \(\d+ packets from further sources\) fail HMAC verification \(\d+ in the last 10 s/);
  });
});
