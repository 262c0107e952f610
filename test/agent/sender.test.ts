// What goes on the wire: sequence numbers that only rise across restarts, and the presence block only
// when the cluster view is on.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { AdvertSender } from '../../src/agent/sender.js';
import { validate } from '../../src/config/config.js';
import type { RawOptions } from '../../src/config/options.js';
import { settingsOf } from '../../src/config/settings.js';
import { initialState } from '../../src/election/machine.js';
import { decode } from '../../src/protocol/advert.js';
import type { StateFile } from '../../src/state/state-file.js';

const base: RawOptions = { interface: 'eth0', srcip: '198.51.100.1', vhid: '10', addr: '198.51.100.99', passfile: '/etc/floatd/key' };
const key = Buffer.alloc(32, 7);
const senderFor = (raw: RawOptions) => {
  const cfg = validate(raw);
  return new AdvertSender(cfg, settingsOf(cfg, 12345), key, pino({ level: 'silent' }));
};
const withFloor = (seqFloor: string) => ({ seqFloor }) as unknown as StateFile;

describe('sequence numbers', () => {
  it('start at the wall clock in µs and rise by one per packet', () => {
    const s = senderFor(base);
    s.start(undefined, 1_700_000_000_000);
    const first = decode(s.packet('advert', 1, 0, initialState(0), 0)).advert.seq;
    const second = decode(s.packet('advert', 1, 0, initialState(0), 0)).advert.seq;
    expect(first).toBe(1_700_000_000_000_000n);
    expect(second).toBe(first + 1n);
    expect(s.seq).toBe(first + 2n);
  });

  it('start at the state file floor when the clock went back', () => {
    const s = senderFor(base);
    s.start(withFloor('1800000000000000000'), 1_700_000_000_000);
    expect(s.seq).toBe(1_800_000_000_000_000_000n);
  });

  it('ignore a floor that is not a decimal number', () => {
    const s = senderFor(base);
    s.start(withFloor('12abc'), 1_700_000_000_000);
    expect(s.seq).toBe(1_700_000_000_000_000n);
  });
});

describe('presence', () => {
  it('rides only when the cluster view is on (--nodes 3), never with quorum and presence off', () => {
    const plain = senderFor(base);
    const cluster = senderFor({ ...base, nodes: '3' });
    expect(decode(plain.packet('advert', 1, 0, initialState(0), 0)).advert.presence).toBeUndefined();
    expect(decode(cluster.packet('presence', 1, 0, initialState(0), 0)).advert.presence).toMatchObject({ voter: true, incarnation: 12345 });
  });
});
