// rateLimited(): the journal stays readable under a flood of bad packets.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { rateLimited } from '../src/log.js';

function capture() {
  const lines: { msg: string; suppressed?: number; from?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { log: pino({}, stream), lines };
}

describe('rateLimited', () => {
  it('warns once per key per window and reports how many it held back', () => {
    const { log, lines } = capture();
    let now = 0;
    const warn = rateLimited(log, 10_000, () => now);
    for (let i = 0; i < 100; i++) warn('bad-hmac:10.0.0.9', { from: '10.0.0.9' }, 'bad HMAC');
    expect(lines).toHaveLength(1);
    now = 10_000;
    warn('bad-hmac:10.0.0.9', { from: '10.0.0.9' }, 'bad HMAC');
    expect(lines).toHaveLength(2);
    expect(lines[1]?.suppressed).toBe(99);
  });

  it('caps the warnings of one window even when every packet claims another source', () => {
    const { log, lines } = capture();
    const warn = rateLimited(log, 10_000, () => 0, 20);
    for (let i = 0; i < 5000; i++) warn(`not-a-peer:10.0.${i >> 8}.${i & 255}`, {}, 'not a peer');
    expect(lines).toHaveLength(20);
  });

  it('says how many warnings the cap held back once the next window opens', () => {
    const { log, lines } = capture();
    let now = 0;
    const warn = rateLimited(log, 1000, () => now, 5);
    for (let i = 0; i < 50; i++) warn(`k${i}`, {}, 'x');
    now = 1000;
    warn('k0', {}, 'x');
    expect(lines.map((l) => l.suppressed ?? 0)).toEqual([0, 0, 0, 0, 0, 45, 0]);
  });
});
